"""Access requests, email confirmations, NDA acceptances, grants and downloads.

Tokens (confirmation links, personal access links) are stored only as SHA-256 hashes; every URL
carries a random uid or a token, never a database id.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.auth.models import User
from vault.db import Base, UTCDateTime, utcnow
from vault.documents.models import Document, DocumentVersion, new_uid
from vault.storage.models import StoredBlob


class RequestStatus(StrEnum):
    UNCONFIRMED = "unconfirmed"  # waiting for the email confirmation
    NEEDS_NDA = "needs_nda"  # email confirmed, NDA not yet accepted
    PENDING = "pending"  # waiting for staff review
    APPROVED = "approved"
    DENIED = "denied"


class AccessRequest(Base):
    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)  # lower-case
    domain: Mapped[str] = mapped_column(String(255), index=True)
    company: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    all_nda: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True, default=RequestStatus.UNCONFIRMED.value)
    rule: Mapped[str] = mapped_column(String(32), default="")  # the rule that decided (see rules.py)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    nda_acceptance_id: Mapped[int | None] = mapped_column(ForeignKey("nda_acceptances.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    documents: Mapped[list[AccessRequestDocument]] = relationship(back_populates="request",
                                                                   cascade="all, delete-orphan")
    nda_acceptance: Mapped[NdaAcceptance | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    grants: Mapped[list[Grant]] = relationship(back_populates="request")


class AccessRequestDocument(Base):
    __tablename__ = "access_request_documents"

    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)

    request: Mapped[AccessRequest] = relationship(back_populates="documents")
    document: Mapped[Document] = relationship()


class EmailConfirmation(Base):
    """A one-time confirmation link: only the SHA-256 of the token is kept."""

    __tablename__ = "access_email_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    request: Mapped[AccessRequest] = relationship()


class NdaMethod(StrEnum):
    CLICK_THROUGH = "click_through"
    SIGNED_OFFLINE = "signed_offline"  # recorded by staff, with the signed copy


class NdaAcceptance(Base):
    __tablename__ = "nda_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)
    method: Mapped[str] = mapped_column(String(16), default=NdaMethod.CLICK_THROUGH.value)
    email: Mapped[str] = mapped_column(String(320), index=True)
    full_name: Mapped[str] = mapped_column(String(200))  # as typed by the signer
    company: Mapped[str] = mapped_column(String(200))
    # The exact NDA text accepted: version uid and SHA-256 copied, so they survive any later change.
    nda_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"), nullable=True)
    nda_version_uid: Mapped[str] = mapped_column(String(32), default="")
    nda_sha256: Mapped[str] = mapped_column(String(64), default="")
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The NDA's term (config NDA_TERM_DAYS): after it, new grants need a new acceptance; legal is reminded.
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    # Signed outside the system: the signed copy (encrypted blob), who recorded it and notes.
    signed_copy_blob_id: Mapped[int | None] = mapped_column(ForeignKey("stored_blobs.id"), nullable=True)
    signed_copy_filename: Mapped[str] = mapped_column(String(255), default="")
    signed_copy_media_type: Mapped[str] = mapped_column(String(127), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    nda_version: Mapped[DocumentVersion | None] = relationship()
    signed_copy_blob: Mapped[StoredBlob | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()


def signed_copy_context(acceptance_uid: str) -> str:
    return f"nda-acceptance:{acceptance_uid}"


class Grant(Base):
    """One person's access to chosen documents until `expires_at`, through a personal link."""

    __tablename__ = "access_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)  # staff URLs
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # the personal link
    request_id: Mapped[int | None] = mapped_column(ForeignKey("access_requests.id"), nullable=True, index=True)
    nda_acceptance_id: Mapped[int] = mapped_column(ForeignKey("nda_acceptances.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    domain: Mapped[str] = mapped_column(String(255), index=True)
    company: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: a rule
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[AccessRequest | None] = relationship(back_populates="grants")
    nda_acceptance: Mapped[NdaAcceptance] = relationship()
    documents: Mapped[list[GrantDocument]] = relationship(back_populates="grant", cascade="all, delete-orphan")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class GrantDocument(Base):
    __tablename__ = "access_grant_documents"
    __table_args__ = (UniqueConstraint("grant_id", "document_id", name="uq_access_grant_documents_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    # Made for this grant alone (a custom trust report): served to it although the document is internal.
    personal: Mapped[bool] = mapped_column(Boolean, default=False)

    grant: Mapped[Grant] = relationship(back_populates="documents")
    document: Mapped[Document] = relationship()


class Download(Base):
    """One file served from the trust center; `download_id` is what the watermark carries."""

    __tablename__ = "access_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    download_id: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("access_grants.id"), nullable=True, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")  # empty for anonymous public downloads
    email: Mapped[str] = mapped_column(String(320), default="")
    company: Mapped[str] = mapped_column(String(200), default="", index=True)
    downloaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    marking: Mapped[str] = mapped_column(String(16))  # pdf, docx, unmarked (allowed by staff), public

    grant: Mapped[Grant | None] = relationship()
    document: Mapped[Document] = relationship()
    version: Mapped[DocumentVersion] = relationship()
