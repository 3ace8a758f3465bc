"""The trust center's security and privacy overview: settings, sections and items

Revision ID: 0009_security_overview
Revises: 0008_library_public

The seven sections are inserted in their default order, so the public page never has to create them
(the service still adds a missing one, e.g. on a database built with create_all).
"""
from alembic import op
import sqlalchemy as sa

revision = '0009_security_overview'
down_revision = '0008_library_public'
branch_labels = None
depends_on = None

SECTION_KEYS = ("residency", "encryption", "access_control", "backups", "pentest", "sdlc", "privacy")


def upgrade() -> None:
    op.create_table(
        'overview_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('summary_en', sa.Text(), nullable=False),
        sa.Column('summary_zh', sa.Text(), nullable=False),
        sa.Column('security_contact', sa.String(length=254), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_overview_settings')),
    )
    sections = op.create_table(
        'overview_sections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title_en', sa.String(length=200), nullable=False),
        sa.Column('title_zh', sa.String(length=200), nullable=False),
        sa.Column('facts', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_overview_sections')),
        sa.UniqueConstraint('key', name=op.f('uq_overview_sections_key')),
    )
    op.create_table(
        'overview_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('section_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title_en', sa.String(length=200), nullable=False),
        sa.Column('title_zh', sa.String(length=200), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('text_zh', sa.Text(), nullable=False),
        sa.Column('evidence_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['evidence_id'], ['documents.id'], name=op.f('fk_overview_items_evidence_id_documents'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['section_id'], ['overview_sections.id'],
                                name=op.f('fk_overview_items_section_id_overview_sections'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_overview_items')),
        sa.UniqueConstraint('uid', name=op.f('uq_overview_items_uid')),
    )
    with op.batch_alter_table('overview_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overview_items_evidence_id'), ['evidence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_overview_items_section_id'), ['section_id'], unique=False)
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    op.bulk_insert(sections, [{"key": key, "position": i, "title_en": "", "title_zh": "", "facts": {},
                               "updated_at": now} for i, key in enumerate(SECTION_KEYS)])


def downgrade() -> None:
    with op.batch_alter_table('overview_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overview_items_section_id'))
        batch_op.drop_index(batch_op.f('ix_overview_items_evidence_id'))
    op.drop_table('overview_items')
    op.drop_table('overview_sections')
    op.drop_table('overview_settings')
