"""subscribers to subprocessor change notices

Revision ID: 0004_subprocessor_subscribers
Revises: 0003_subprocessors_totp
"""
from alembic import op
import sqlalchemy as sa
import vault.db

revision = '0004_subprocessor_subscribers'
down_revision = '0003_subprocessors_totp'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trust_subprocessor_subscribers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('confirm_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_subprocessor_subscribers')),
    sa.UniqueConstraint('uid', name=op.f('uq_trust_subprocessor_subscribers_uid')),
    sa.UniqueConstraint('confirm_hash', name=op.f('uq_trust_subprocessor_subscribers_confirm_hash'))
    )
    op.create_index(op.f('ix_trust_subprocessor_subscribers_email'), 'trust_subprocessor_subscribers', ['email'])


def downgrade() -> None:
    op.drop_index(op.f('ix_trust_subprocessor_subscribers_email'), table_name='trust_subprocessor_subscribers')
    op.drop_table('trust_subprocessor_subscribers')
