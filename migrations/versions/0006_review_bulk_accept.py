"""Bulk accept recorded as such: threshold on the item and, with who accepted, on each sent answer

Revision ID: 0006_review_bulk_accept
Revises: 0005_subprocessor_zh_fields

All columns are nullable: items and ledger rows from before this upgrade read as accepted by a person
(their reviewer), which is what the page showed until now.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_review_bulk_accept'
down_revision = '0005_subprocessor_zh_fields'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('questionnaire_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bulk_threshold', sa.Float(), nullable=True))
    with op.batch_alter_table('questionnaire_sent_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('bulk_threshold', sa.Float(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_questionnaire_sent_answers_accepted_by_id_users'),
                                    'users', ['accepted_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('questionnaire_sent_answers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_questionnaire_sent_answers_accepted_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('bulk_threshold')
        batch_op.drop_column('accepted_by_id')
    with op.batch_alter_table('questionnaire_items', schema=None) as batch_op:
        batch_op.drop_column('bulk_threshold')
