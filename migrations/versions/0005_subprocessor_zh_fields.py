"""Chinese data categories and location for subprocessors

Revision ID: 0005_subprocessor_zh_fields
Revises: 0004_subprocessor_subscribers

The existing `data_categories` / `location` columns stay the English text. The new columns are NOT NULL
with server_default '' so rows listed before this upgrade get an empty Chinese text (shown in English).
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_subprocessor_zh_fields'
down_revision = '0004_subprocessor_subscribers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subprocessors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_categories_zh', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('location_zh', sa.String(length=200), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('subprocessors', schema=None) as batch_op:
        batch_op.drop_column('location_zh')
        batch_op.drop_column('data_categories_zh')
