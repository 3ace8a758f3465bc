"""Questionnaires under review: the customer's file (encrypted), its questions with proposals and
final answers, comments, remembered layouts and the ledger of answers sent to each customer."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.db import Base, UTCDateTime, utcnow
from vault.storage.models import StoredBlob

# "edited": a reviewer changed the answer but has not accepted it (an edit is never an accept).
ITEM_STATUSES = ("open", "suggested", "edited", "accepted", "rejected")
STATES = ("detected", "review")  # detection shown and correctable, then matched and under review
# How a final answer came to be (the report says so): as the library proposed, another library
# candidate, edited from the proposal, or written by the reviewer.
HOW = ("library", "alternative", "edited", "written")


def new_uid() -> str:
    return secrets.token_urlsafe(16)


class Questionnaire(Base):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    customer: Mapped[str] = mapped_column(String(200), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    source_format: Mapped[str] = mapped_column(String(16))
    blob_id: Mapped[int] = mapped_column(ForeignKey("stored_blobs.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="detected")
    detection: Mapped[dict] = mapped_column(JSON, default=dict)  # sheets, warnings, samples (for the page)
    layout: Mapped[dict] = mapped_column(JSON, default=dict)  # the layout hint in force ({} = as detected)
    layout_signature: Mapped[str] = mapped_column(String(64), index=True)
    layout_source: Mapped[str] = mapped_column(String(16), default="detected")  # detected | remembered | corrected
    question_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    blob: Mapped[StoredBlob] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_id])
    items = relationship("QuestionItem", back_populates="questionnaire", order_by="QuestionItem.position",
                         cascade="all, delete-orphan")

    @property
    def blob_context(self) -> str:
        return blob_context(self.uid)


def blob_context(uid: str) -> str:
    """Bound into the file's encryption: the blob cannot be swapped under another questionnaire."""
    return f"questionnaire:{uid}"


class QuestionItem(Base):
    __tablename__ = "questionnaire_items"
    __table_args__ = (UniqueConstraint("questionnaire_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order in the file
    locator: Mapped[dict] = mapped_column(JSON)  # the importer's Question (locators, guidance, existing answer)
    qid: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(String(500), nullable=True, index=True)
    choices: Mapped[list | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)

    proposed_answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    proposed_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    proposed_entry_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    proposed_entry_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    auto: Mapped[bool] = mapped_column(Boolean, default=False)  # confident enough to fill on its own
    # Other candidates: [{"ref", "revision", "score", "question", "answer", "comment"}], best first.
    alternatives: Mapped[list] = mapped_column(JSON, default=list)
    # Why the proposal may only be suggested, never filled or bulk accepted (answers.autofill.review_flags):
    # "intent:<reason>", "answer_type", "stale", "draft". [] when nothing but confidence decided.
    flags: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    final_answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    final_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    final_entry_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    final_entry_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    how: Mapped[str] = mapped_column(String(16), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when bulk accept accepted it, at this confidence threshold (0..1); reviewed_by is then who
    # triggered the bulk accept, not someone who read the answer.
    bulk_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    learned_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)  # saved to the library as
    # Optimistic lock: every change bumps it; a change sent with an older number is refused (409).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    questionnaire = relationship("Questionnaire", back_populates="items")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    comments = relationship("ItemComment", back_populates="item", order_by="ItemComment.id",
                            cascade="all, delete-orphan")


class ItemComment(Base):
    __tablename__ = "questionnaire_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item = relationship("QuestionItem", back_populates="comments")
    author = relationship("User")


class SavedLayout(Base):
    """A person's correction of the detection, replayed for files of the same layout."""

    __tablename__ = "questionnaire_layouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), unique=True)
    source_format: Mapped[str] = mapped_column(String(16))
    hint: Mapped[dict] = mapped_column(JSON)
    example_filename: Mapped[str] = mapped_column(String(255), default="")
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class SentAnswer(Base):
    """Which answer (and library entry revision) went to which customer, when, and by whom."""

    __tablename__ = "questionnaire_sent_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(200), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_items.id", ondelete="CASCADE"), index=True)
    entry_ref: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    entry_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Who accepted the answer, and the threshold when it was bulk accepted (then nobody read it).
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    bulk_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)

    questionnaire = relationship("Questionnaire")
    item = relationship("QuestionItem")
    sent_by = relationship("User", foreign_keys=[sent_by_id])
    accepted_by = relationship("User", foreign_keys=[accepted_by_id])
