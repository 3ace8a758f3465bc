"""subprocessors, sealed totp secrets

Revision ID: 0003_subprocessors_totp
Revises: 0002_trust_access_status
Create Date: 2026-12-04 14:54:22.698432
"""
from alembic import op
import sqlalchemy as sa
import vault.db


revision = '0003_subprocessors_totp'
down_revision = '0002_trust_access_status'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('subprocessors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('purpose_en', sa.Text(), nullable=False),
    sa.Column('purpose_zh', sa.Text(), nullable=False),
    sa.Column('data_categories', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('website', sa.String(length=2048), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subprocessors')),
    sa.UniqueConstraint('uid', name=op.f('uq_subprocessors_uid'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret',
               existing_type=sa.VARCHAR(length=64),
               type_=sa.String(length=255),
               existing_nullable=True)



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret',
               existing_type=sa.String(length=255),
               type_=sa.VARCHAR(length=64),
               existing_nullable=True)

    op.drop_table('subprocessors')
