"""Library entries published in the trust center's FAQ: the `public` flag

Revision ID: 0008_library_public
Revises: 0007_review_flags

NOT NULL with server_default false: every existing entry stays private until staff publish it.
"""
from alembic import op
import sqlalchemy as sa

revision = '0008_library_public'
down_revision = '0007_review_flags'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('library_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('library_entries', schema=None) as batch_op:
        batch_op.drop_column('public')
