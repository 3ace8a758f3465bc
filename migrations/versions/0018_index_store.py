"""Stateless app servers: the matching index stored once (per-entry state and one version number) and
library uploads kept between preview and confirmation in the database and object store

Revision ID: 0018_index_store
Revises: 0017_integrations

`library_index_entries` holds each library entry's tokens and sentence vectors at the revision they were
computed from (answers.library.index_store); `library_index_version` is one row that every library change
bumps, read by each host before it matches. Both start empty/at 0: the first host or the `library.index`
job fills the state, nothing is lost by an empty table (it is derived from the library).
`library_pending_uploads` replaces the files in <instance>/library_uploads (an upload in flight during the
upgrade is simply uploaded again).
"""
from alembic import op
import sqlalchemy as sa

from vault.db import UTCDateTime

revision = '0018_index_store'
down_revision = '0017_integrations'
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
    op.create_table(
        'library_pending_uploads',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('default_status', sa.String(length=16), nullable=False),
        sa.Column('blob_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_library_pending_uploads_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['blob_id'], ['stored_blobs.id'],
                                name=op.f('fk_library_pending_uploads_blob_id_stored_blobs')),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_library_pending_uploads')),
    )
    with op.batch_alter_table('library_pending_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_pending_uploads_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_pending_uploads_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('library_pending_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_pending_uploads_created_at'))
        batch_op.drop_index(batch_op.f('ix_library_pending_uploads_user_id'))
    op.drop_table('library_pending_uploads')
    op.drop_table('library_index_version')
    op.drop_table('library_index_entries')
