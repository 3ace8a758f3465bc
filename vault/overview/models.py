"""The security and privacy overview: fixed sections holding items, plus one row of settings.

Sections have fixed keys (the set a buyer's security review asks about); staff may reorder them and
override their titles. Structured facts (RTO/RPO, test cadence, privacy roles) sit on the section as
checked JSON (`service.FACTS` says which keys each section takes and how each is checked). Items are
free text in English and Chinese with an optional evidence document; whether that evidence still holds
is computed from the document on the day (never stored), like the library's stale answers.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.db import Base, UTCDateTime, utcnow
from vault.documents.models import Document, new_uid

# The sections, in their default order.
SECTION_KEYS = ("residency", "encryption", "access_control", "backups", "pentest", "sdlc", "privacy")
LANGUAGES = ("en", "zh")


def in_language(language: str, en: str, zh: str) -> str:
    """The text in `language`, else in the other one (something rather than nothing)."""
    preferred = zh if language == "zh" else en
    return preferred or en or zh


class OverviewSettings(Base):
    """One row: the overview's summary (shown on the trust center's front page) and the security contact."""

    __tablename__ = "overview_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    security_contact: Mapped[str] = mapped_column(String(254), default="")  # where to report a vulnerability
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def summary_for(self, language: str) -> str:
        return in_language(language, self.summary_en, self.summary_zh)


class OverviewSection(Base):
    __tablename__ = "overview_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # one of SECTION_KEYS
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Optional overrides of the default (translated) title; blank: the default in the reader's language.
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_zh: Mapped[str] = mapped_column(String(200), default="")
    facts: Mapped[dict] = mapped_column(JSON, default=dict)  # checked by service.FACTS
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    items: Mapped[list[OverviewItem]] = relationship(
        back_populates="section", order_by="OverviewItem.position", cascade="all, delete-orphan")


class OverviewItem(Base):
    __tablename__ = "overview_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)  # the only id in URLs
    section_id: Mapped[int] = mapped_column(ForeignKey("overview_sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_en: Mapped[str] = mapped_column(String(200), default="")
    title_zh: Mapped[str] = mapped_column(String(200), default="")
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_zh: Mapped[str] = mapped_column(Text, default="")
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), nullable=True,
                                                    index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    section: Mapped[OverviewSection] = relationship(back_populates="items")
    evidence: Mapped[Document | None] = relationship()

    def title_for(self, language: str) -> str:
        return in_language(language, self.title_en, self.title_zh)

    def text_for(self, language: str) -> str:
        return in_language(language, self.text_en, self.text_zh)
