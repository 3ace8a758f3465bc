"""Custom trust reports: the report rows, and personal documents on a grant

Revision ID: 0013_trust_reports
Revises: 0012_engagement

`access_grant_documents.personal` (NOT NULL, default false: every existing link is an ordinary one) marks a
document made for that grant alone; such a document stays internal everywhere else.
"""
from alembic import op
import sqlalchemy as sa

from vault.db import UTCDateTime

revision = '0013_trust_reports'
down_revision = '0012_engagement'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('access_grant_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'trust_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('grant_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('contents', sa.JSON(), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_trust_reports_created_by_id_users')),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_trust_reports_document_id_documents')),
        sa.ForeignKeyConstraint(['grant_id'], ['access_grants.id'], name=op.f('fk_trust_reports_grant_id_access_grants'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'],
                                name=op.f('fk_trust_reports_version_id_document_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_reports')),
        sa.UniqueConstraint('version_id', name=op.f('uq_trust_reports_version_id')),
    )
    with op.batch_alter_table('trust_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_reports_uid'), ['uid'], unique=True)
        batch_op.create_index(batch_op.f('ix_trust_reports_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_reports_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trust_reports_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('trust_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_reports_created_at'))
        batch_op.drop_index(batch_op.f('ix_trust_reports_document_id'))
        batch_op.drop_index(batch_op.f('ix_trust_reports_grant_id'))
        batch_op.drop_index(batch_op.f('ix_trust_reports_uid'))
    op.drop_table('trust_reports')
    with op.batch_alter_table('access_grant_documents', schema=None) as batch_op:
        batch_op.drop_column('personal')
