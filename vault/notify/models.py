"""The outbox: one row per message to one recipient on one channel.

Rows are written in the caller's transaction (a rolled-back action sends nothing) and sent later by
`deliver_pending`, which claims them with a token and a lease so that concurrent runners never send
the same row at once, and a crashed runner's rows are picked up again when the lease runs out.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import Base, UTCDateTime, utcnow

# queued -> sending -> sent; a failure goes to retry (and back to sending), or to dead after the last try.
STATUSES = ("queued", "sending", "retry", "sent", "dead")


class Outbox(Base):
    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)  # random; Message-ID and webhook delivery id
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))  # email address or webhook URL (may hold a token)
    target_name: Mapped[str] = mapped_column(String(200), default="")  # display name of an email recipient
    # sha256(channel, target, dedupe_key): the same reminder is never queued twice.
    dedupe_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    secret: Mapped[str | None] = mapped_column(String(512), nullable=True)  # signing secret; cleared once sent
    # The body carries a one-time link (a bearer token): erased once sent, so the outbox keeps no token.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return f"<Outbox {self.id} {self.channel} {self.status} attempts={self.attempts}>"
