"""Reminder settings, the sent-reminder ledger, chat destinations, calendar feeds and the scheduler lease."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.auth.models import User
from vault.db import Base, UTCDateTime, utcnow

DEFAULT_THRESHOLDS = [90, 30, 7, 1]


def new_uid() -> str:
    return secrets.token_hex(16)


class ReminderSettings(Base):
    """One row, edited by admins on /expiry/settings."""

    __tablename__ = "expiry_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    thresholds: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_THRESHOLDS))  # days before
    overdue_repeat_days: Mapped[int] = mapped_column(Integer, default=7)  # then every N days while overdue
    notify_owner: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_legal_role: Mapped[bool] = mapped_column(Boolean, default=True)  # active users with role "legal"
    legal_emails: Mapped[str] = mapped_column(Text, default="")  # more addresses, one per line
    scheduler_enabled: Mapped[bool] = mapped_column(Boolean, default=False)  # in-app runs (cron is the default)
    scheduler_interval_minutes: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReminderDestination(Base):
    """A chat or webhook target that receives every run's digest (Slack, Teams, DingTalk, ...)."""

    __tablename__ = "expiry_destinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))  # URL; may carry an access token: shown masked
    secret: Mapped[str | None] = mapped_column(String(512), nullable=True)  # webhook / dingtalk / feishu signing
    label: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SentReminder(Base):
    """The ledger: one row per (obligation, stage) ever reminded. Written in the same transaction as
    the outbox rows, so a crash loses both or neither, and the unique key makes every stage once only."""

    __tablename__ = "expiry_sent_reminders"
    __table_args__ = (UniqueConstraint("obligation_key", "stage", name="uq_expiry_sent_reminders_key_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_key: Mapped[str] = mapped_column(String(300), index=True)
    stage: Mapped[str] = mapped_column(String(32))  # "before:30", "overdue:0", "overdue:1", ...
    kind: Mapped[str] = mapped_column(String(32), default="")
    due_on: Mapped[date] = mapped_column(Date)
    recipients: Mapped[list] = mapped_column(JSON, default=list)  # emails and masked webhook targets
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # the run's clock


class CalendarFeed(Base):
    """A private iCalendar URL: only the SHA-256 of its token is kept; revoking ends it for good."""

    __tablename__ = "expiry_calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    mine_only: Mapped[bool] = mapped_column(Boolean, default=False)  # only obligations the user owns
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship()


class SchedulerLease(Base):
    """Only the process holding an unexpired lease runs the in-app scheduler's job."""

    __tablename__ = "expiry_scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_result: Mapped[str] = mapped_column(Text, default="")
