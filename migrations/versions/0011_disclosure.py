"""Vulnerability disclosure: reports, their messages and attachments (all content in encrypted objects),
and the policy text

Revision ID: 0011_disclosure
Revises: 0010_advisories
"""
from alembic import op
import sqlalchemy as sa

from vault.db import UTCDateTime

revision = '0011_disclosure'
down_revision = '0010_advisories'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'disclosure_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('reference', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('email_hash', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('severity_guess', sa.String(length=16), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('body_blob_id', sa.Integer(), nullable=False),
        sa.Column('credit_consent', sa.Boolean(), nullable=False),
        sa.Column('credit_name', sa.String(length=200), nullable=False),
        sa.Column('advisory_ref', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('acknowledged_at', UTCDateTime(), nullable=True),
        sa.Column('triaged_at', UTCDateTime(), nullable=True),
        sa.Column('fixed_at', UTCDateTime(), nullable=True),
        sa.Column('published_at', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['body_blob_id'], ['stored_blobs.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('disclosure_reports') as batch_op:
        batch_op.create_index('ix_disclosure_reports_uid', ['uid'], unique=True)
        batch_op.create_index('ix_disclosure_reports_reference', ['reference'], unique=True)
        batch_op.create_index('ix_disclosure_reports_token_hash', ['token_hash'], unique=True)
        batch_op.create_index('ix_disclosure_reports_email_hash', ['email_hash'], unique=False)
        batch_op.create_index('ix_disclosure_reports_state', ['state'], unique=False)
        batch_op.create_index('ix_disclosure_reports_created_at', ['created_at'], unique=False)
    op.create_table(
        'disclosure_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('author', sa.String(length=320), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('blob_id', sa.Integer(), nullable=True),
        sa.Column('state_from', sa.String(length=16), nullable=False),
        sa.Column('state_to', sa.String(length=16), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id']),
        sa.ForeignKeyConstraint(['blob_id'], ['stored_blobs.id']),
        sa.ForeignKeyConstraint(['report_id'], ['disclosure_reports.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uid'),
    )
    with op.batch_alter_table('disclosure_messages') as batch_op:
        batch_op.create_index('ix_disclosure_messages_report_id', ['report_id'], unique=False)
    op.create_table(
        'disclosure_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('blob_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['blob_id'], ['stored_blobs.id']),
        sa.ForeignKeyConstraint(['report_id'], ['disclosure_reports.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('disclosure_attachments') as batch_op:
        batch_op.create_index('ix_disclosure_attachments_uid', ['uid'], unique=True)
        batch_op.create_index('ix_disclosure_attachments_report_id', ['report_id'], unique=False)
    op.create_table(
        'disclosure_policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('text_zh', sa.Text(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=True),
        sa.Column('updated_by', sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('disclosure_policy')
    with op.batch_alter_table('disclosure_attachments') as batch_op:
        batch_op.drop_index('ix_disclosure_attachments_report_id')
        batch_op.drop_index('ix_disclosure_attachments_uid')
    op.drop_table('disclosure_attachments')
    with op.batch_alter_table('disclosure_messages') as batch_op:
        batch_op.drop_index('ix_disclosure_messages_report_id')
    op.drop_table('disclosure_messages')
    with op.batch_alter_table('disclosure_reports') as batch_op:
        for name in ('created_at', 'state', 'email_hash', 'token_hash', 'reference', 'uid'):
            batch_op.drop_index(f'ix_disclosure_reports_{name}')
    op.drop_table('disclosure_reports')
