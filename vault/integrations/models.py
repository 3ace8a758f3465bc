"""Where business events go: one row per configured CRM, chat channel or signed webhook.

Secrets never sit in clear: the endpoint URL (chat webhook URLs carry their own token) and the API
token or signing secret are sealed with the master keyring (`Keyring.seal`, purpose "integration",
bound to the row's uid and the field), and pages show `endpoint_shown` (scheme and host only).
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import Base, UTCDateTime, utcnow


def new_uid() -> str:
    return secrets.token_hex(16)


class IntegrationTarget(Base):
    __tablename__ = "integration_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)
    kind: Mapped[str] = mapped_column(String(16))  # a notify channel: hubspot, salesforce, webhook, slack, ...
    label: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list] = mapped_column(JSON, default=list)  # event names it receives
    language: Mapped[str] = mapped_column(String(8), default="en")  # of its messages
    endpoint_sealed: Mapped[str] = mapped_column(Text)
    endpoint_shown: Mapped[str] = mapped_column(String(300), default="")
    secret_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    # hubspot: template_id, fallback; salesforce: api_version, fallback
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
