"""Why a proposal is only suggested: the autofill flags stored on each review item

Revision ID: 0007_review_flags
Revises: 0006_review_bulk_accept

NOT NULL with server_default '[]': items matched before this upgrade read as unflagged (they were
matched without the intent and answer-kind checks; "Match again" re-proposes the untouched ones).
"""
from alembic import op
import sqlalchemy as sa

revision = '0007_review_flags'
down_revision = '0006_review_bulk_accept'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('questionnaire_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('questionnaire_items', schema=None) as batch_op:
        batch_op.drop_column('flags')
