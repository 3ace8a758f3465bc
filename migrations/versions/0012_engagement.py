"""Engagement: visits of the public trust pages and the link from a visitor to a company

Revision ID: 0012_engagement
Revises: 0011_disclosure

Two new tables only; requests, NDAs, grants and downloads are read from the access tables.
"""
from alembic import op
import sqlalchemy as sa

from vault.db import UTCDateTime

revision = '0012_engagement'
down_revision = '0011_disclosure'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'engagement_visits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visited_at', UTCDateTime(), nullable=False),
        sa.Column('visitor', sa.String(length=64), nullable=False),
        sa.Column('page', sa.String(length=24), nullable=False),
        sa.Column('endpoint', sa.String(length=64), nullable=False),
        sa.Column('document_uid', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_visits')),
    )
    with op.batch_alter_table('engagement_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_visits_visited_at'), ['visited_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_visits_visitor'), ['visitor'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_visits_document_uid'), ['document_uid'], unique=False)
    op.create_table(
        'engagement_visitor_companies',
        sa.Column('visitor', sa.String(length=64), nullable=False),
        sa.Column('domain', sa.String(length=255), nullable=False),
        sa.Column('company', sa.String(length=200), nullable=False),
        sa.Column('request_uid', sa.String(length=32), nullable=False),
        sa.Column('linked_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('visitor', name=op.f('pk_engagement_visitor_companies')),
    )
    with op.batch_alter_table('engagement_visitor_companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_visitor_companies_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_visitor_companies_linked_at'), ['linked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('engagement_visitor_companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_visitor_companies_linked_at'))
        batch_op.drop_index(batch_op.f('ix_engagement_visitor_companies_domain'))
    op.drop_table('engagement_visitor_companies')
    with op.batch_alter_table('engagement_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_visits_document_uid'))
        batch_op.drop_index(batch_op.f('ix_engagement_visits_visitor'))
        batch_op.drop_index(batch_op.f('ix_engagement_visits_visited_at'))
    op.drop_table('engagement_visits')
