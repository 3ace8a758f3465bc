"""The answer library: entries, their phrasings, evidence links and full change history."""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.db import Base, UTCDateTime, utcnow

STATUSES = ("draft", "approved", "retired")
LANGUAGES = ("en", "zh")


def new_uid() -> str:
    return secrets.token_urlsafe(16)


entry_evidence = Table(
    "library_entry_evidence",
    Base.metadata,
    Column("entry_id", ForeignKey("library_entries.id", ondelete="CASCADE"), primary_key=True),
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
)


class LibraryEntry(Base):
    __tablename__ = "library_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    ref: Mapped[str] = mapped_column(String(100), unique=True, index=True)  # external id, e.g. IAM-01
    question: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[list] = mapped_column(JSON, default=list)  # other phrasings
    answer_short: Mapped[str] = mapped_column(String(200), default="")
    answer_full: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(200), default="", index=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    framework_refs: Mapped[list] = mapped_column(JSON, default=list)  # "SOC 2 CC6.1", "ISO 27001 A.8.5"
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    translation_of_id: Mapped[int | None] = mapped_column(ForeignKey("library_entries.id"), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    last_reviewed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    review_interval_days: Mapped[int] = mapped_column(Integer, default=365)
    # Published in the trust center's FAQ (answers.library.public) while approved, reviewed and not stale.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[dict] = mapped_column(JSON, default=dict)  # where it came from (file, row, customer)
    revision: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every change; optimistic lock
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner = relationship("User", lazy="joined")
    translation_of = relationship("LibraryEntry", remote_side=[id])
    evidence = relationship("Document", secondary=entry_evidence, lazy="selectin")
    history = relationship("LibraryEntryRevision", back_populates="entry", order_by="LibraryEntryRevision.number",
                           cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": revision}

    def review_due_on(self) -> date | None:
        if self.last_reviewed_on is None:
            return None
        from datetime import timedelta
        return self.last_reviewed_on + timedelta(days=self.review_interval_days)

    def is_overdue(self, today: date) -> bool:
        due = self.review_due_on()
        return self.status != "retired" and (due is None or due < today)


class LibraryEntryRevision(Base):
    """A snapshot after each change: who, when, which fields; restoring applies an old snapshot."""

    __tablename__ = "library_entry_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("library_entries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    changed_by: Mapped[str] = mapped_column(String(320), default="")
    changed_fields: Mapped[list] = mapped_column(JSON, default=list)
    snapshot: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")

    entry = relationship("LibraryEntry", back_populates="history")
