"""Single sign-on: settings, identity links, used SAML assertion ids

Revision ID: 0015_sso
Revises: 0014_api_tokens

`sso_used_assertions` is the replay guard shared by every host: its primary key refuses a second use.
"""
from alembic import op
import sqlalchemy as sa

from vault.db import UTCDateTime

revision = '0015_sso'
down_revision = '0014_api_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sso_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('oidc_enabled', sa.Boolean(), nullable=False),
        sa.Column('oidc_issuer', sa.String(length=500), nullable=False),
        sa.Column('oidc_client_id', sa.String(length=255), nullable=False),
        sa.Column('oidc_client_secret', sa.Text(), nullable=True),
        sa.Column('oidc_groups_claim', sa.String(length=200), nullable=False),
        sa.Column('saml_enabled', sa.Boolean(), nullable=False),
        sa.Column('saml_idp_metadata', sa.Text(), nullable=False),
        sa.Column('saml_email_attribute', sa.String(length=300), nullable=False),
        sa.Column('saml_groups_attribute', sa.String(length=300), nullable=False),
        sa.Column('group_roles', sa.JSON(), nullable=False),
        sa.Column('sso_only', sa.Boolean(), nullable=False),
        sa.Column('break_glass_email', sa.String(length=320), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_settings')),
    )
    op.create_table(
        'sso_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('protocol', sa.String(length=8), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('groups', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_login_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_identities_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identities')),
        sa.UniqueConstraint('protocol', 'issuer', 'subject', name=op.f('uq_sso_identities_protocol')),
    )
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_identities_user_id'), ['user_id'], unique=False)
    op.create_table(
        'sso_used_assertions',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_sso_used_assertions')),
    )
    with op.batch_alter_table('sso_used_assertions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_used_assertions_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sso_used_assertions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_used_assertions_expires_at'))
    op.drop_table('sso_used_assertions')
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_identities_user_id'))
    op.drop_table('sso_identities')
    op.drop_table('sso_settings')
