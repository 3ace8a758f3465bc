"""Single sign-on tables: the one settings row, the links from an identity provider's subject to a staff
account, and the SAML assertion ids already used (replay protection shared by every host)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import Base, UTCDateTime, utcnow

SETTINGS_ID = 1


class SsoSettings(Base):
    """One row (id 1). Absent means single sign-on is off and passwords work for everyone."""
    __tablename__ = "sso_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    oidc_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    oidc_issuer: Mapped[str] = mapped_column(String(500), default="")
    oidc_client_id: Mapped[str] = mapped_column(String(255), default="")
    oidc_client_secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # sealed (vault/sso/secrets.py)
    oidc_groups_claim: Mapped[str] = mapped_column(String(200), default="groups")
    saml_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    saml_idp_metadata: Mapped[str] = mapped_column(Text, default="")
    saml_email_attribute: Mapped[str] = mapped_column(String(300), default="email")
    saml_groups_attribute: Mapped[str] = mapped_column(String(300), default="groups")
    # [[group, role], ...] in the admin's order: the first line naming one of the user's groups wins.
    group_roles: Mapped[list] = mapped_column(JSON, default=list)
    sso_only: Mapped[bool] = mapped_column(Boolean, default=False)
    break_glass_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SsoIdentity(Base):
    """Who this staff account is at an identity provider: (protocol, issuer, subject) -> user."""
    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("protocol", "issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol: Mapped[str] = mapped_column(String(8))  # "oidc" or "saml"
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    groups: Mapped[list] = mapped_column(JSON, default=list)  # as last sent, for the admin's eyes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SsoUsedAssertion(Base):
    """A SAML assertion already accepted, kept until it expires; the primary key makes a second use fail
    on whichever host it arrives."""
    __tablename__ = "sso_used_assertions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(issuer | assertion id)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
