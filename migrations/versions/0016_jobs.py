"""Background jobs: the queue table and the periodic slots

Revision ID: 0016_jobs
Revises: 0015_sso
"""
from alembic import op
import sqlalchemy as sa

from vault.db import UTCDateTime

revision = '0016_jobs'
down_revision = '0015_sso'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=100), nullable=False),
        sa.Column('queue', sa.String(length=50), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=True),
        sa.Column('live_key', sa.String(length=200), nullable=True),
        sa.Column('rerun', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('run_after', UTCDateTime(), nullable=False),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('lease_until', UTCDateTime(), nullable=True),
        sa.Column('worker', sa.String(length=100), nullable=False),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=False),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
        sa.UniqueConstraint('uid', name=op.f('uq_jobs_uid')),
        sa.UniqueConstraint('live_key', name=op.f('uq_jobs_live_key')),
    )
    op.create_index('ix_jobs_due', 'jobs', ['status', 'run_after'], unique=False)
    op.create_table(
        'job_schedules',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('last_slot', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_schedules')),
    )


def downgrade() -> None:
    op.drop_table('job_schedules')
    op.drop_index('ix_jobs_due', table_name='jobs')
    op.drop_table('jobs')
