"""security advisories, announcements and the advisory mailing list

Revision ID: 0010_advisories
Revises: 0009_security_overview
"""
from alembic import op
import sqlalchemy as sa
import vault.db

revision = '0010_advisories'
down_revision = '0009_security_overview'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('advisories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('advisory_id', sa.String(length=32), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('title_zh', sa.String(length=300), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('cvss_vector', sa.String(length=200), nullable=False),
    sa.Column('cvss_score', sa.Float(), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('affected', sa.JSON(), nullable=False),
    sa.Column('fixed_in', sa.JSON(), nullable=False),
    sa.Column('cve_ids', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('revisions', sa.JSON(), nullable=False),
    sa.Column('published_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisories')),
    sa.UniqueConstraint('advisory_id', name=op.f('uq_advisories_advisory_id'))
    )
    op.create_table('advisory_timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('advisory_pk', sa.Integer(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('text_en', sa.String(length=500), nullable=False),
    sa.Column('text_zh', sa.String(length=500), nullable=False),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['advisory_pk'], ['advisories.id'], name=op.f('fk_advisory_timeline_advisory_pk_advisories'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisory_timeline'))
    )
    op.create_index(op.f('ix_advisory_timeline_advisory_pk'), 'advisory_timeline', ['advisory_pk'])
    op.create_table('advisory_announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('title_zh', sa.String(length=300), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('published_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisory_announcements')),
    sa.UniqueConstraint('uid', name=op.f('uq_advisory_announcements_uid'))
    )
    op.create_table('advisory_subscribers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('confirm_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', vault.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', vault.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisory_subscribers')),
    sa.UniqueConstraint('uid', name=op.f('uq_advisory_subscribers_uid')),
    sa.UniqueConstraint('confirm_hash', name=op.f('uq_advisory_subscribers_confirm_hash'))
    )
    op.create_index(op.f('ix_advisory_subscribers_email'), 'advisory_subscribers', ['email'])


def downgrade() -> None:
    op.drop_index(op.f('ix_advisory_subscribers_email'), table_name='advisory_subscribers')
    op.drop_table('advisory_subscribers')
    op.drop_table('advisory_announcements')
    op.drop_index(op.f('ix_advisory_timeline_advisory_pk'), table_name='advisory_timeline')
    op.drop_table('advisory_timeline')
    op.drop_table('advisories')
