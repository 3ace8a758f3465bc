"""Integrations: where business events go (CRMs, chat channels, signed webhooks)

Revision ID: 0017_integrations
Revises: 0016_jobs
"""
from alembic import op
import sqlalchemy as sa

from vault.db import UTCDateTime

revision = '0017_integrations'
down_revision = '0016_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'integration_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('endpoint_sealed', sa.Text(), nullable=False),
        sa.Column('endpoint_shown', sa.String(length=300), nullable=False),
        sa.Column('secret_sealed', sa.Text(), nullable=True),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_targets')),
    )
    with op.batch_alter_table('integration_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integration_targets_uid'), ['uid'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('integration_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_targets_uid'))
    op.drop_table('integration_targets')
