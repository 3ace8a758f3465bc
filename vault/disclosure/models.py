"""Vulnerability reports. Nothing a reporter typed is kept in a column: the report body (name, email,
title, description, product, attachment names), every message and every attachment is an encrypted
`vault.storage` object; the row keeps what triage needs to sort and time (state, severity, dates) and a
keyed hash of the address for the per-address throttle. The one exception is `credit_name`: the name
a reporter asked us to publish on the hall of fame, kept only when they ticked the consent box."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.db import Base, UTCDateTime, utcnow
from vault.storage.models import StoredBlob


class State(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    NOT_APPLICABLE = "not_applicable"
    SPAM = "spam"
    FIXED = "fixed"
    PUBLISHED = "published"


class Severity(StrEnum):
    UNKNOWN = "unknown"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class MessageKind(StrEnum):
    REPLY = "reply"  # staff -> reporter (mailed, shown on the private link)
    FOLLOWUP = "followup"  # reporter -> staff (from the private link)
    NOTE = "note"  # staff only
    STATE = "state"  # a state change (no body; shown to the reporter)


def new_uid() -> str:
    import secrets
    return secrets.token_hex(16)


class Report(Base):
    __tablename__ = "disclosure_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)  # staff URLs
    reference: Mapped[str] = mapped_column(String(32), unique=True, index=True)  # VR-2026-0007: shown, not a key
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # the reporter's private link
    email_hash: Mapped[str] = mapped_column(String(64), index=True)  # keyed hash, for the per-address throttle
    state: Mapped[str] = mapped_column(String(16), index=True, default=State.NEW.value)
    severity_guess: Mapped[str] = mapped_column(String(16), default=Severity.UNKNOWN.value)  # the reporter's
    severity: Mapped[str] = mapped_column(String(16), default=Severity.UNKNOWN.value)  # staff's assessment
    language: Mapped[str] = mapped_column(String(8), default="en")
    body_blob_id: Mapped[int] = mapped_column(ForeignKey("stored_blobs.id"))
    credit_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    credit_name: Mapped[str] = mapped_column(String(200), default="")  # only with consent
    advisory_ref: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    body_blob: Mapped[StoredBlob] = relationship()
    messages: Mapped[list[Message]] = relationship(back_populates="report", order_by="Message.id",
                                                   cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="report", order_by="Attachment.id",
                                                         cascade="all, delete-orphan")


class Message(Base):
    __tablename__ = "disclosure_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    report_id: Mapped[int] = mapped_column(ForeignKey("disclosure_reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(320), default="")  # staff email, or "" for the reporter
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    blob_id: Mapped[int | None] = mapped_column(ForeignKey("stored_blobs.id"), nullable=True)
    state_from: Mapped[str] = mapped_column(String(16), default="")
    state_to: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[Report] = relationship(back_populates="messages")
    blob: Mapped[StoredBlob | None] = relationship()


class Attachment(Base):
    """An encrypted file of a report; its name lives in the encrypted body, not here."""

    __tablename__ = "disclosure_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)
    report_id: Mapped[int] = mapped_column(ForeignKey("disclosure_reports.id", ondelete="CASCADE"), index=True)
    blob_id: Mapped[int] = mapped_column(ForeignKey("stored_blobs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[Report] = relationship(back_populates="attachments")
    blob: Mapped[StoredBlob] = relationship()


class PolicyText(Base):
    """The public disclosure policy as staff edited it (one row; blank fields show the default text)."""

    __tablename__ = "disclosure_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_zh: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
