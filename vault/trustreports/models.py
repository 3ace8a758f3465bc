"""One row per generated report: which grant it was made for, the document version holding the PDF, and
what staff chose to put in it.

The PDF is stored as a version of an *internal* document (never in the trust center's library, never
offered for a request or another approval) that is linked to the one grant as a personal document
(`access_grant_documents.personal`), so the prospect downloads it through their own link, watermarked
and traced like every other file.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.access.models import Grant
from vault.auth.models import User
from vault.db import Base, UTCDateTime, utcnow
from vault.documents.models import Document, DocumentVersion, new_uid


class TrustReport(Base):
    __tablename__ = "trust_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_uid)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # What was chosen: {"sections": [keys], "documents": [uids], "answers": [refs], "status": bool}
    contents: Mapped[dict] = mapped_column(JSON, default=dict)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    grant: Mapped[Grant] = relationship()
    document: Mapped[Document] = relationship()
    version: Mapped[DocumentVersion] = relationship()
    created_by: Mapped[User | None] = relationship()
