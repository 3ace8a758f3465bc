"""The matching index stored once for every app server: per-entry state and one version number

Revision ID: 0015_index_store
Revises: 0018_integrations

`library_index_entries` holds each library entry's tokens and sentence vectors at the revision they were
computed from (answers.library.index_store); `library_index_version` is one row that every library change
bumps, read by each host before it matches. Both start empty/at 0: the first host or the `library.index`
job fills the state, nothing is lost by an empty table (it is derived from the library).
"""
from alembic import op
import sqlalchemy as sa

from vault.db import UTCDateTime

revision = '0015_index_store'
down_revision = '0018_integrations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'library_index_entries',
        sa.Column('ref', sa.String(length=100), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('tokenizer', sa.Integer(), nullable=False),
        sa.Column('tokens', sa.JSON(), nullable=True),
        sa.Column('embedder', sa.String(length=100), nullable=False),
        sa.Column('dim', sa.Integer(), nullable=False),
        sa.Column('vectors', sa.LargeBinary(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('ref', name=op.f('pk_library_index_entries')),
    )
    version = op.create_table(
        'library_index_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_library_index_version')),
    )
    op.bulk_insert(version, [{'id': 1, 'version': 0}])


def downgrade() -> None:
    op.drop_table('library_index_version')
    op.drop_table('library_index_entries')
