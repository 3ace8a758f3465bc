"""Security advisories (numbered, with CVSS and CVE ids), plain announcements, and the advisory mailing list."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.db import Base, UTCDateTime, utcnow

STATES = ("draft", "published")
SEVERITIES = ("none", "low", "medium", "high", "critical")


def _in_language(language: str, en: str, zh: str) -> str:
    """The reader's language, falling back to the other one when it is blank."""
    preferred = zh if language == "zh" else en
    return preferred or en or zh or ""


class Advisory(Base):
    __tablename__ = "advisories"

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_id: Mapped[str] = mapped_column(String(32), unique=True)  # TV-2026-001, assigned by the service
    title_en: Mapped[str] = mapped_column(String(300), default="")
    title_zh: Mapped[str] = mapped_column(String(300), default="")
    body_en: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered through vault.markdown
    body_zh: Mapped[str] = mapped_column(Text, default="")
    cvss_vector: Mapped[str] = mapped_column(String(200), default="")  # CVSS:3.1/..., normalised
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)  # base score, computed
    severity: Mapped[str] = mapped_column(String(16), default="none")  # from the base score
    # [{"product": "TrustVault Server", "versions": "< 4.2.1"}] and [{"product": ..., "version": "4.2.1"}]
    affected: Mapped[list] = mapped_column(JSON, default=list)
    fixed_in: Mapped[list] = mapped_column(JSON, default=list)
    cve_ids: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    # CSAF tracking: [{"number": "1", "date": iso, "summary": "..."}], one per public revision
    revisions: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    timeline: Mapped[list["TimelineEntry"]] = relationship(
        back_populates="advisory", order_by="[TimelineEntry.happened_on, TimelineEntry.id]", cascade="all, delete-orphan")

    @property
    def published(self) -> bool:
        return self.state == "published"

    def title_for(self, language: str) -> str:
        return _in_language(language, self.title_en, self.title_zh)

    def body_for(self, language: str) -> str:
        return _in_language(language, self.body_en, self.body_zh)


class TimelineEntry(Base):
    """A dated line of an advisory's history (reported, fix released, published ...)."""

    __tablename__ = "advisory_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_pk: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"), index=True)
    happened_on: Mapped[date] = mapped_column(Date)
    text_en: Mapped[str] = mapped_column(String(500), default="")
    text_zh: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    advisory: Mapped[Advisory] = relationship(back_populates="timeline")

    def text_for(self, language: str) -> str:
        return _in_language(language, self.text_en, self.text_zh)


class Announcement(Base):
    """A plain security announcement (no CVSS, no products): shown on the page and in the feed."""

    __tablename__ = "advisory_announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    title_en: Mapped[str] = mapped_column(String(300), default="")
    title_zh: Mapped[str] = mapped_column(String(300), default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_zh: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def title_for(self, language: str) -> str:
        return _in_language(language, self.title_en, self.title_zh)

    def body_for(self, language: str) -> str:
        return _in_language(language, self.body_en, self.body_zh)


class AdvisorySubscriber(Base):
    """The advisory mailing list (double opt-in through vault.subscriptions.OptInList)."""

    __tablename__ = "advisory_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    confirm_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
