"""evidence vault, accounts, audit, storage, documents, answer library

Revision ID: 0001_vault_base
Revises: 
Create Date: 2026-11-24 05:39:31.728074
"""
from alembic import op
import sqlalchemy as sa
import vault.db


revision = '0001_vault_base'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('stored_blobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('backend', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('context', sa.String(length=200), nullable=False),
    sa.Column('master_key_id', sa.String(length=16), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(length=128), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rewrapped_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_blobs')),
    sa.UniqueConstraint('backend', 'key', name=op.f('uq_stored_blobs_backend')),
    sa.UniqueConstraint('uid', name=op.f('uq_stored_blobs_uid'))
    )
    with op.batch_alter_table('stored_blobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_blobs_master_key_id'), ['master_key_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_enabled', sa.Boolean(), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_email'), ['email'], unique=True)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_seq'), ['seq'], unique=True)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pinned_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_documents_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_type'), ['type'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_uid'), ['uid'], unique=True)
        batch_op.create_index(batch_op.f('ix_documents_visibility'), ['visibility'], unique=False)

    op.create_table('library_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('alternatives', sa.JSON(), nullable=False),
    sa.Column('answer_short', sa.String(length=200), nullable=False),
    sa.Column('answer_full', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('framework_refs', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('translation_of_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('last_reviewed_on', sa.Date(), nullable=True),
    sa.Column('review_interval_days', sa.Integer(), nullable=False),
    sa.Column('source', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_library_entries_owner_id_users')),
    sa.ForeignKeyConstraint(['translation_of_id'], ['library_entries.id'], name=op.f('fk_library_entries_translation_of_id_library_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_entries')),
    sa.UniqueConstraint('uid', name=op.f('uq_library_entries_uid'))
    )
    with op.batch_alter_table('library_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_entries_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_entries_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_entries_ref'), ['ref'], unique=True)
        batch_op.create_index(batch_op.f('ix_library_entries_status'), ['status'], unique=False)

    op.create_table('document_frameworks',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('framework', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_frameworks_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'framework', name=op.f('pk_document_frameworks'))
    )
    with op.batch_alter_table('document_frameworks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_frameworks_framework'), ['framework'], unique=False)

    op.create_table('document_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_texts_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_texts')),
    sa.UniqueConstraint('document_id', 'language', name='uq_document_texts_document_language')
    )
    with op.batch_alter_table('document_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_texts_document_id'), ['document_id'], unique=False)

    op.create_table('document_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('blob_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('audit_period_start', sa.Date(), nullable=True),
    sa.Column('audit_period_end', sa.Date(), nullable=True),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['blob_id'], ['stored_blobs.id'], name=op.f('fk_document_versions_blob_id_stored_blobs')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_versions_document_id_documents')),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_document_versions_uploader_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_document_versions_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_versions')),
    sa.UniqueConstraint('blob_id', name=op.f('uq_document_versions_blob_id')),
    sa.UniqueConstraint('document_id', 'number', name='uq_document_versions_document_number')
    )
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_versions_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_versions_expiry_date'), ['expiry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_versions_uid'), ['uid'], unique=True)

    # documents <-> document_versions refer to each other: this key comes once both exist.
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_documents_pinned_version_id', 'document_versions',
                                    ['pinned_version_id'], ['id'])

    op.create_table('library_entry_evidence',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_library_entry_evidence_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['library_entries.id'], name=op.f('fk_library_entry_evidence_entry_id_library_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'document_id', name=op.f('pk_library_entry_evidence'))
    )
    op.create_table('library_entry_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('changed_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by', sa.String(length=320), nullable=False),
    sa.Column('changed_fields', sa.JSON(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_library_entry_revisions_changed_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['library_entries.id'], name=op.f('fk_library_entry_revisions_entry_id_library_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_entry_revisions')),
    sa.UniqueConstraint('entry_id', 'number', name=op.f('uq_library_entry_revisions_entry_id'))
    )
    with op.batch_alter_table('library_entry_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_entry_revisions_entry_id'), ['entry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('library_entry_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_entry_revisions_entry_id'))

    op.drop_table('library_entry_revisions')
    op.drop_table('library_entry_evidence')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('fk_documents_pinned_version_id', type_='foreignkey')
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_versions_uid'))
        batch_op.drop_index(batch_op.f('ix_document_versions_expiry_date'))
        batch_op.drop_index(batch_op.f('ix_document_versions_document_id'))

    op.drop_table('document_versions')
    with op.batch_alter_table('document_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_texts_document_id'))

    op.drop_table('document_texts')
    with op.batch_alter_table('document_frameworks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_frameworks_framework'))

    op.drop_table('document_frameworks')
    with op.batch_alter_table('library_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_entries_status'))
        batch_op.drop_index(batch_op.f('ix_library_entries_ref'))
        batch_op.drop_index(batch_op.f('ix_library_entries_owner_id'))
        batch_op.drop_index(batch_op.f('ix_library_entries_category'))

    op.drop_table('library_entries')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_visibility'))
        batch_op.drop_index(batch_op.f('ix_documents_uid'))
        batch_op.drop_index(batch_op.f('ix_documents_type'))
        batch_op.drop_index(batch_op.f('ix_documents_owner_id'))

    op.drop_table('documents')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_seq'))
        batch_op.drop_index(batch_op.f('ix_audit_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_email'))

    op.drop_table('users')
    with op.batch_alter_table('stored_blobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_blobs_master_key_id'))

    op.drop_table('stored_blobs')
    op.drop_table('audit_head')
