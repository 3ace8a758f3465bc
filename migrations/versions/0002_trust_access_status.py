"""trust center, access, notifications, status page, expiry, questionnaires

Revision ID: 0002_trust_access_status
Revises: 0001_vault_base
Create Date: 2026-11-24 06:27:57.920851
"""
from alembic import op
import sqlalchemy as sa
import vault.db


revision = '0002_trust_access_status'
down_revision = '0001_vault_base'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('expiry_destinations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=2048), nullable=False),
    sa.Column('secret', sa.String(length=512), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expiry_destinations')),
    sa.UniqueConstraint('uid', name=op.f('uq_expiry_destinations_uid'))
    )
    op.create_table('expiry_scheduler_lease',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('lease_until', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_run_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_expiry_scheduler_lease'))
    )
    op.create_table('expiry_sent_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_key', sa.String(length=300), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('sent_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expiry_sent_reminders')),
    sa.UniqueConstraint('obligation_key', 'stage', name='uq_expiry_sent_reminders_key_stage')
    )
    with op.batch_alter_table('expiry_sent_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expiry_sent_reminders_obligation_key'), ['obligation_key'], unique=False)

    op.create_table('expiry_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.Column('overdue_repeat_days', sa.Integer(), nullable=False),
    sa.Column('notify_owner', sa.Boolean(), nullable=False),
    sa.Column('notify_legal_role', sa.Boolean(), nullable=False),
    sa.Column('legal_emails', sa.Text(), nullable=False),
    sa.Column('scheduler_enabled', sa.Boolean(), nullable=False),
    sa.Column('scheduler_interval_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expiry_settings'))
    )
    op.create_table('notify_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=2048), nullable=False),
    sa.Column('target_name', sa.String(length=200), nullable=False),
    sa.Column('dedupe_hash', sa.String(length=64), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('url', sa.String(length=2048), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=512), nullable=True),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('lease_until', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_outbox')),
    sa.UniqueConstraint('dedupe_hash', name=op.f('uq_notify_outbox_dedupe_hash')),
    sa.UniqueConstraint('uid', name=op.f('uq_notify_outbox_uid'))
    )
    with op.batch_alter_table('notify_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_notify_outbox_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('status_component_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=16), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_component_groups')),
    sa.UniqueConstraint('uid', name=op.f('uq_status_component_groups_uid'))
    )
    op.create_table('status_push_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('all_components', sa.Boolean(), nullable=False),
    sa.Column('may_open_incidents', sa.Boolean(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('revoked_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_push_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_status_push_tokens_token_hash')),
    sa.UniqueConstraint('uid', name=op.f('uq_status_push_tokens_uid'))
    )
    op.create_table('status_subscribers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('all_components', sa.Boolean(), nullable=False),
    sa.Column('confirm_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_subscribers')),
    sa.UniqueConstraint('confirm_hash', name=op.f('uq_status_subscribers_confirm_hash')),
    sa.UniqueConstraint('uid', name=op.f('uq_status_subscribers_uid'))
    )
    op.create_table('status_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_version'))
    )
    op.create_table('expiry_calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('mine_only', sa.Boolean(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expiry_calendar_feeds_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expiry_calendar_feeds')),
    sa.UniqueConstraint('uid', name=op.f('uq_expiry_calendar_feeds_uid'))
    )
    with op.batch_alter_table('expiry_calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expiry_calendar_feeds_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_expiry_calendar_feeds_user_id'), ['user_id'], unique=False)

    op.create_table('questionnaire_layouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('source_format', sa.String(length=16), nullable=False),
    sa.Column('hint', sa.JSON(), nullable=False),
    sa.Column('example_filename', sa.String(length=255), nullable=False),
    sa.Column('saved_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['saved_by_id'], ['users.id'], name=op.f('fk_questionnaire_layouts_saved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_layouts')),
    sa.UniqueConstraint('signature', name=op.f('uq_questionnaire_layouts_signature'))
    )
    op.create_table('questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('customer', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('source_format', sa.String(length=16), nullable=False),
    sa.Column('blob_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('detection', sa.JSON(), nullable=False),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.Column('layout_signature', sa.String(length=64), nullable=False),
    sa.Column('layout_source', sa.String(length=16), nullable=False),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('matched_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('exported_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['blob_id'], ['stored_blobs.id'], name=op.f('fk_questionnaires_blob_id_stored_blobs')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_questionnaires_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaires')),
    sa.UniqueConstraint('blob_id', name=op.f('uq_questionnaires_blob_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_questionnaires_uid'))
    )
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaires_customer'), ['customer'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaires_layout_signature'), ['layout_signature'], unique=False)

    op.create_table('status_components',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['status_component_groups.id'], name=op.f('fk_status_components_group_id_status_component_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_components')),
    sa.UniqueConstraint('key', name=op.f('uq_status_components_key')),
    sa.UniqueConstraint('uid', name=op.f('uq_status_components_uid'))
    )
    with op.batch_alter_table('status_components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_components_group_id'), ['group_id'], unique=False)

    op.create_table('trust_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('summary_en', sa.Text(), nullable=False),
    sa.Column('summary_zh', sa.Text(), nullable=False),
    sa.Column('logo_blob_id', sa.Integer(), nullable=True),
    sa.Column('logo_uid', sa.String(length=32), nullable=False),
    sa.Column('logo_media_type', sa.String(length=64), nullable=False),
    sa.Column('free_mail_domains', sa.Text(), nullable=False),
    sa.Column('blocked_domains', sa.Text(), nullable=False),
    sa.Column('allowed_domains', sa.Text(), nullable=False),
    sa.Column('default_grant_days', sa.Integer(), nullable=False),
    sa.Column('show_expired', sa.Boolean(), nullable=False),
    sa.Column('renewal_notes', sa.JSON(), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['logo_blob_id'], ['stored_blobs.id'], name=op.f('fk_trust_profile_logo_blob_id_stored_blobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_profile'))
    )
    op.create_table('questionnaire_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('locator', sa.JSON(), nullable=False),
    sa.Column('qid', sa.String(length=200), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('section', sa.String(length=500), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposed_answer', sa.Text(), nullable=True),
    sa.Column('proposed_comment', sa.Text(), nullable=True),
    sa.Column('proposed_entry_ref', sa.String(length=100), nullable=True),
    sa.Column('proposed_entry_revision', sa.Integer(), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('auto', sa.Boolean(), nullable=False),
    sa.Column('alternatives', sa.JSON(), nullable=False),
    sa.Column('final_answer', sa.Text(), nullable=True),
    sa.Column('final_comment', sa.Text(), nullable=True),
    sa.Column('final_entry_ref', sa.String(length=100), nullable=True),
    sa.Column('final_entry_revision', sa.Integer(), nullable=True),
    sa.Column('how', sa.String(length=16), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('learned_ref', sa.String(length=100), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_questionnaire_items_assignee_id_users')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_items_questionnaire_id_questionnaires'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_questionnaire_items_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_questionnaire_items_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_items')),
    sa.UniqueConstraint('questionnaire_id', 'position', name=op.f('uq_questionnaire_items_questionnaire_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_questionnaire_items_uid'))
    )
    with op.batch_alter_table('questionnaire_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_items_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_items_questionnaire_id'), ['questionnaire_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_items_section'), ['section'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_items_status'), ['status'], unique=False)

    op.create_table('status_incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('title_zh', sa.String(length=300), nullable=False),
    sa.Column('impact', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('draft', sa.Boolean(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_update_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_for', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('scheduled_for', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('scheduled_until', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('auto_transition', sa.Boolean(), nullable=False),
    sa.Column('report_root_cause', sa.Text(), nullable=False),
    sa.Column('report_actions', sa.Text(), nullable=False),
    sa.Column('report_published_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('report_document_id', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['report_document_id'], ['documents.id'], name=op.f('fk_status_incidents_report_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_incidents')),
    sa.UniqueConstraint('uid', name=op.f('uq_status_incidents_uid'))
    )
    with op.batch_alter_table('status_incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_incidents_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_incidents_draft'), ['draft'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_incidents_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_incidents_status'), ['status'], unique=False)

    op.create_table('status_push_token_components',
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['status_components.id'], name=op.f('fk_status_push_token_components_component_id_status_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['status_push_tokens.id'], name=op.f('fk_status_push_token_components_token_id_status_push_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_id', 'component_id', name=op.f('pk_status_push_token_components'))
    )
    op.create_table('status_state_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['status_components.id'], name=op.f('fk_status_state_changes_component_id_status_components'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_state_changes'))
    )
    with op.batch_alter_table('status_state_changes', schema=None) as batch_op:
        batch_op.create_index('ix_status_state_changes_component_at', ['component_id', 'at'], unique=False)

    op.create_table('status_subscriber_components',
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['status_components.id'], name=op.f('fk_status_subscriber_components_component_id_status_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['status_subscribers.id'], name=op.f('fk_status_subscriber_components_subscriber_id_status_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscriber_id', 'component_id', name=op.f('pk_status_subscriber_components'))
    )
    op.create_table('nda_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('nda_version_id', sa.Integer(), nullable=True),
    sa.Column('nda_version_uid', sa.String(length=32), nullable=False),
    sa.Column('nda_sha256', sa.String(length=64), nullable=False),
    sa.Column('accepted_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.Column('signed_copy_blob_id', sa.Integer(), nullable=True),
    sa.Column('signed_copy_filename', sa.String(length=255), nullable=False),
    sa.Column('signed_copy_media_type', sa.String(length=127), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['nda_version_id'], ['document_versions.id'], name=op.f('fk_nda_acceptances_nda_version_id_document_versions')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_nda_acceptances_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['signed_copy_blob_id'], ['stored_blobs.id'], name=op.f('fk_nda_acceptances_signed_copy_blob_id_stored_blobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nda_acceptances'))
    )
    with op.batch_alter_table('nda_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nda_acceptances_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_nda_acceptances_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_nda_acceptances_uid'), ['uid'], unique=True)

    op.create_table('questionnaire_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_questionnaire_comments_author_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['questionnaire_items.id'], name=op.f('fk_questionnaire_comments_item_id_questionnaire_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_comments'))
    )
    with op.batch_alter_table('questionnaire_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_comments_item_id'), ['item_id'], unique=False)

    op.create_table('questionnaire_sent_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer', sa.String(length=200), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('entry_ref', sa.String(length=100), nullable=True),
    sa.Column('entry_revision', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('sent_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['questionnaire_items.id'], name=op.f('fk_questionnaire_sent_answers_item_id_questionnaire_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_sent_answers_questionnaire_id_questionnaires'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_questionnaire_sent_answers_sent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_sent_answers'))
    )
    with op.batch_alter_table('questionnaire_sent_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_sent_answers_customer'), ['customer'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_sent_answers_entry_ref'), ['entry_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_sent_answers_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_sent_answers_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('status_incident_components',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['status_components.id'], name=op.f('fk_status_incident_components_component_id_status_components'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['status_incidents.id'], name=op.f('fk_status_incident_components_incident_id_status_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'component_id', name=op.f('pk_status_incident_components'))
    )
    op.create_table('status_incident_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=16), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_update_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notified', sa.Boolean(), nullable=False),
    sa.Column('author', sa.String(length=320), nullable=False),
    sa.Column('affected', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['status_incidents.id'], name=op.f('fk_status_incident_updates_incident_id_status_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_incident_updates')),
    sa.UniqueConstraint('uid', name=op.f('uq_status_incident_updates_uid'))
    )
    with op.batch_alter_table('status_incident_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_incident_updates_incident_id'), ['incident_id'], unique=False)

    op.create_table('access_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('all_nda', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.Column('confirmed_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('nda_acceptance_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_access_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['nda_acceptance_id'], ['nda_acceptances.id'], name=op.f('fk_access_requests_nda_acceptance_id_nda_acceptances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_requests'))
    )
    with op.batch_alter_table('access_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_requests_company'), ['company'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_requests_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_requests_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_requests_uid'), ['uid'], unique=True)

    op.create_table('access_email_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'], name=op.f('fk_access_email_confirmations_request_id_access_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_email_confirmations'))
    )
    with op.batch_alter_table('access_email_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_email_confirmations_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_email_confirmations_token_hash'), ['token_hash'], unique=True)

    op.create_table('access_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('nda_acceptance_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_access_grants_created_by_id_users')),
    sa.ForeignKeyConstraint(['nda_acceptance_id'], ['nda_acceptances.id'], name=op.f('fk_access_grants_nda_acceptance_id_nda_acceptances')),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'], name=op.f('fk_access_grants_request_id_access_requests')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_access_grants_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grants'))
    )
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_grants_company'), ['company'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grants_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grants_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grants_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grants_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grants_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_access_grants_uid'), ['uid'], unique=True)

    op.create_table('access_request_documents',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_access_request_documents_document_id_documents')),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'], name=op.f('fk_access_request_documents_request_id_access_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'document_id', name=op.f('pk_access_request_documents'))
    )
    op.create_table('access_downloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('download_id', sa.String(length=32), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('downloaded_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.Column('marking', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_access_downloads_document_id_documents')),
    sa.ForeignKeyConstraint(['grant_id'], ['access_grants.id'], name=op.f('fk_access_downloads_grant_id_access_grants')),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_access_downloads_version_id_document_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_downloads'))
    )
    with op.batch_alter_table('access_downloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_downloads_company'), ['company'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_downloads_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_downloads_download_id'), ['download_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_access_downloads_downloaded_at'), ['downloaded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_downloads_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_downloads_version_id'), ['version_id'], unique=False)

    op.create_table('access_grant_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_access_grant_documents_document_id_documents')),
    sa.ForeignKeyConstraint(['grant_id'], ['access_grants.id'], name=op.f('fk_access_grant_documents_grant_id_access_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grant_documents')),
    sa.UniqueConstraint('grant_id', 'document_id', name='uq_access_grant_documents_pair')
    )
    with op.batch_alter_table('access_grant_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_grant_documents_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grant_documents_grant_id'), ['grant_id'], unique=False)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_unmarked_download', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))




def downgrade() -> None:

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('allow_unmarked_download')

    with op.batch_alter_table('access_grant_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_grant_documents_grant_id'))
        batch_op.drop_index(batch_op.f('ix_access_grant_documents_document_id'))

    op.drop_table('access_grant_documents')
    with op.batch_alter_table('access_downloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_downloads_version_id'))
        batch_op.drop_index(batch_op.f('ix_access_downloads_grant_id'))
        batch_op.drop_index(batch_op.f('ix_access_downloads_downloaded_at'))
        batch_op.drop_index(batch_op.f('ix_access_downloads_download_id'))
        batch_op.drop_index(batch_op.f('ix_access_downloads_document_id'))
        batch_op.drop_index(batch_op.f('ix_access_downloads_company'))

    op.drop_table('access_downloads')
    op.drop_table('access_request_documents')
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_grants_uid'))
        batch_op.drop_index(batch_op.f('ix_access_grants_token_hash'))
        batch_op.drop_index(batch_op.f('ix_access_grants_request_id'))
        batch_op.drop_index(batch_op.f('ix_access_grants_expires_at'))
        batch_op.drop_index(batch_op.f('ix_access_grants_email'))
        batch_op.drop_index(batch_op.f('ix_access_grants_domain'))
        batch_op.drop_index(batch_op.f('ix_access_grants_company'))

    op.drop_table('access_grants')
    with op.batch_alter_table('access_email_confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_email_confirmations_token_hash'))
        batch_op.drop_index(batch_op.f('ix_access_email_confirmations_request_id'))

    op.drop_table('access_email_confirmations')
    with op.batch_alter_table('access_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_requests_uid'))
        batch_op.drop_index(batch_op.f('ix_access_requests_status'))
        batch_op.drop_index(batch_op.f('ix_access_requests_email'))
        batch_op.drop_index(batch_op.f('ix_access_requests_domain'))
        batch_op.drop_index(batch_op.f('ix_access_requests_created_at'))
        batch_op.drop_index(batch_op.f('ix_access_requests_company'))

    op.drop_table('access_requests')
    with op.batch_alter_table('status_incident_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_incident_updates_incident_id'))

    op.drop_table('status_incident_updates')
    op.drop_table('status_incident_components')
    with op.batch_alter_table('questionnaire_sent_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_sent_answers_questionnaire_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_sent_answers_item_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_sent_answers_entry_ref'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_sent_answers_customer'))

    op.drop_table('questionnaire_sent_answers')
    with op.batch_alter_table('questionnaire_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_comments_item_id'))

    op.drop_table('questionnaire_comments')
    with op.batch_alter_table('nda_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nda_acceptances_uid'))
        batch_op.drop_index(batch_op.f('ix_nda_acceptances_expires_on'))
        batch_op.drop_index(batch_op.f('ix_nda_acceptances_email'))

    op.drop_table('nda_acceptances')
    op.drop_table('status_subscriber_components')
    with op.batch_alter_table('status_state_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_status_state_changes_component_at')

    op.drop_table('status_state_changes')
    op.drop_table('status_push_token_components')
    with op.batch_alter_table('status_incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_incidents_status'))
        batch_op.drop_index(batch_op.f('ix_status_incidents_kind'))
        batch_op.drop_index(batch_op.f('ix_status_incidents_draft'))
        batch_op.drop_index(batch_op.f('ix_status_incidents_created_at'))

    op.drop_table('status_incidents')
    with op.batch_alter_table('questionnaire_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_items_status'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_items_section'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_items_questionnaire_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_items_assignee_id'))

    op.drop_table('questionnaire_items')
    op.drop_table('trust_profile')
    with op.batch_alter_table('status_components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_components_group_id'))

    op.drop_table('status_components')
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaires_layout_signature'))
        batch_op.drop_index(batch_op.f('ix_questionnaires_customer'))

    op.drop_table('questionnaires')
    op.drop_table('questionnaire_layouts')
    with op.batch_alter_table('expiry_calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expiry_calendar_feeds_user_id'))
        batch_op.drop_index(batch_op.f('ix_expiry_calendar_feeds_token_hash'))

    op.drop_table('expiry_calendar_feeds')
    op.drop_table('status_version')
    op.drop_table('status_subscribers')
    op.drop_table('status_push_tokens')
    op.drop_table('status_component_groups')
    with op.batch_alter_table('notify_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_outbox_due')

    op.drop_table('notify_outbox')
    op.drop_table('expiry_settings')
    with op.batch_alter_table('expiry_sent_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expiry_sent_reminders_obligation_key'))

    op.drop_table('expiry_sent_reminders')
    op.drop_table('expiry_scheduler_lease')
    op.drop_table('expiry_destinations')

