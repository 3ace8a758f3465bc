"""Documents and their immutable versions.

A document is the evidence item (e.g. "ISO 27001 certificate"); every upload is a new
`DocumentVersion` that is never edited or deleted, only withdrawn with a reason.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint,
                        event, inspect)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.auth.models import User
from vault.db import Base, UTCDateTime, utcnow
from vault.storage.models import StoredBlob


def new_uid() -> str:
    """Random, URL-safe, 128 bits: the only identifier that appears in URLs."""
    return secrets.token_hex(16)


class DocumentType(StrEnum):
    CERTIFICATION = "certification"
    AUDIT_REPORT = "audit_report"
    PENTEST_SUMMARY = "pentest_summary"
    POLICY = "policy"
    DPA = "dpa"
    NDA_TEMPLATE = "nda_template"
    WHITEPAPER = "whitepaper"
    OTHER = "other"
    TRUST_REPORT = "trust_report"  # a custom report made for one grant (vault.trustreports): always internal


class Visibility(StrEnum):
    PUBLIC = "public"  # anyone on the trust center
    NDA = "nda"  # after an approved request and a signed NDA
    INTERNAL = "internal"  # staff only


# Known frameworks: code -> display name (names are proper nouns, not translated).
FRAMEWORKS: dict[str, str] = {
    "iso27001": "ISO 27001",
    "iso27701": "ISO 27701",
    "soc1": "SOC 1",
    "soc2": "SOC 2",
    "soc3": "SOC 3",
    "mlps2_l2": "MLPS 2.0 level 2",
    "mlps2_l3": "MLPS 2.0 level 3",
    "pci_dss": "PCI DSS",
    "csa_star": "CSA STAR",
    "gdpr": "GDPR",
    "pipl": "PIPL",
    "hipaa": "HIPAA",
    "tisax": "TISAX",
    "c5": "C5",
}
LANGUAGES = ("en", "zh")
FRAMEWORK_MAX = 64


def framework_name(code: str) -> str:
    """Display name of a framework; custom frameworks are stored as their own text."""
    return FRAMEWORKS.get(code, code)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)
    type: Mapped[str] = mapped_column(String(32), index=True)
    visibility: Mapped[str] = mapped_column(String(16), index=True, default=Visibility.INTERNAL.value)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # use_alter: documents and versions reference each other.
    pinned_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id", use_alter=True, name="fk_documents_pinned_version_id"),
        nullable=True)
    # Trust center: formats the watermark cannot mark are served to grantees only when staff allow it.
    allow_unmarked_download: Mapped[bool] = mapped_column(Boolean, default=False)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    texts: Mapped[list[DocumentText]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentText.language")
    framework_links: Mapped[list[DocumentFramework]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentFramework.framework")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number",
        foreign_keys="DocumentVersion.document_id")
    pinned_version: Mapped[DocumentVersion | None] = relationship(
        foreign_keys=[pinned_version_id], post_update=True)

    @property
    def frameworks(self) -> list[str]:
        """Codes and custom names, in display-name order."""
        return sorted((link.framework for link in self.framework_links), key=lambda f: framework_name(f).casefold())

    def text(self, language: str) -> DocumentText | None:
        return next((t for t in self.texts if t.language == language), None)

    def title_for(self, language: str) -> str:
        """The title in `language`, else in the other language."""
        preferred = self.text(language)
        if preferred is not None and preferred.title:
            return preferred.title
        return next((t.title for t in self.texts if t.title), "")

    def description_for(self, language: str) -> str:
        preferred = self.text(language)
        if preferred is not None and preferred.title:
            return preferred.description
        return next((t.description for t in self.texts if t.title), "")


class DocumentText(Base):
    """Title and description in one language (en, zh)."""

    __tablename__ = "document_texts"
    __table_args__ = (UniqueConstraint("document_id", "language", name="uq_document_texts_document_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[Document] = relationship(back_populates="texts")


class DocumentFramework(Base):
    """One framework a document covers: a code from FRAMEWORKS or a custom name."""

    __tablename__ = "document_frameworks"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    framework: Mapped[str] = mapped_column(String(FRAMEWORK_MAX), primary_key=True, index=True)

    document: Mapped[Document] = relationship(back_populates="framework_links")


class DocumentVersion(Base):
    """One uploaded file. Immutable: only the withdrawal fields may ever be set, once."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_versions_document_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    blob_id: Mapped[int] = mapped_column(ForeignKey("stored_blobs.id"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))  # display only; the storage key is random
    media_type: Mapped[str] = mapped_column(String(127))  # detected from the content
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)  # PDFs
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    effective_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    audit_period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    audit_period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    issuer: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[Document] = relationship(back_populates="versions", foreign_keys=[document_id])
    blob: Mapped[StoredBlob] = relationship()
    uploader: Mapped[User] = relationship(foreign_keys=[uploader_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def blob_context(self) -> str:
        return blob_context(self.document.uid, self.uid)


def blob_context(document_uid: str, version_uid: str) -> str:
    """Associated data bound into the blob's encryption: a blob cannot be moved to another version."""
    return f"document:{document_uid}/version:{version_uid}"


class ImmutableVersionError(Exception):
    pass


WITHDRAWAL_FIELDS = frozenset({"withdrawn_at", "withdrawn_by_id", "withdrawal_reason"})


@event.listens_for(DocumentVersion, "before_update")
def _refuse_version_edits(_mapper, _conn, version: DocumentVersion) -> None:
    state = inspect(version)
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        if attr.key not in WITHDRAWAL_FIELDS:
            raise ImmutableVersionError(f"document versions are immutable: {attr.key} cannot change")
        if hist.deleted and hist.deleted[0] not in (None, ""):
            raise ImmutableVersionError("a withdrawal is final and cannot be changed")


@event.listens_for(DocumentVersion, "before_delete")
def _refuse_version_delete(_mapper, _conn, version: DocumentVersion) -> None:
    raise ImmutableVersionError("document versions are never deleted; withdraw them instead")
