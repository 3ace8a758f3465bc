"""Uploaded library files kept between the import preview and the confirmation.

Kept where every app server finds them (the preview may be served by one host and the confirmation by
another): the file is a stored blob (vault.storage: encrypted with a fresh data key in the object store,
its row in the database), and a `library_pending_uploads` row names it by a random 128-bit token bound to
the uploader's id. The blob's encryption context carries the token and the uploader's id, so a row
pointed at another upload's blob, or another user's, does not open. Removed after the import or the
cancel, and any older than an hour on each new upload or when asked for.
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from vault.crypto import IntegrityError, KeyringError
from vault.db import Base, UTCDateTime, utcnow
from vault.storage.base import StorageError
from vault.storage.models import StoredBlob

log = logging.getLogger(__name__)
MAX_AGE = timedelta(hours=1)
MAX_AGE_SECONDS = int(MAX_AGE.total_seconds())
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


class PendingRow(Base):
    __tablename__ = "library_pending_uploads"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    default_status: Mapped[str] = mapped_column(String(16), default="approved")
    blob_id: Mapped[int] = mapped_column(ForeignKey("stored_blobs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    blob = relationship(StoredBlob, lazy="joined")


@dataclass
class PendingUpload:
    token: str
    filename: str
    user_id: int
    default_status: str
    data: bytes


class UploadUnreadable(Exception):
    """The kept file failed its integrity check (swapped, tampered) or its master key is gone."""


def _context(token: str, user_id: int) -> str:
    return f"library-upload:{token}:user:{user_id}"


def save(session: Session, data: bytes, *, filename: str, user_id: int, default_status: str) -> str:
    """Keep the upload and commit (it is its own unit of work); returns its token."""
    from vault.storage.service import stored_blob
    sweep(session)
    token = secrets.token_urlsafe(16)
    with stored_blob(session, [data], context=_context(token, user_id)) as blob:
        session.add(PendingRow(token=token, user_id=user_id, filename=filename[:200], default_status=default_status,
                               blob_id=blob.id, created_at=utcnow()))
        session.commit()
    return token


def load(session: Session, token: str, user_id: int) -> PendingUpload | None:
    """The upload if it exists, is fresh and belongs to `user_id`; else None (another user's token is
    indistinguishable from a missing one). UploadUnreadable if it is there but does not decrypt."""
    from vault.storage.service import open_blob
    if not token or not _TOKEN.match(token):
        return None
    row = session.get(PendingRow, token)
    if row is None or row.user_id != user_id:
        return None
    if utcnow() - row.created_at > MAX_AGE:
        discard(session, token)
        return None
    try:
        data = b"".join(open_blob(row.blob, context=_context(token, user_id)))
    except (IntegrityError, KeyringError, StorageError, ValueError) as exc:
        raise UploadUnreadable(str(exc)) from None
    return PendingUpload(token, row.filename, user_id, row.default_status or "approved", data)


def discard(session: Session, token: str) -> None:
    """Delete the upload's rows (committed) and then its object; an object left behind by a failure
    here is listed by `vault storage check`."""
    from vault.storage.service import discard_blob
    if not _TOKEN.match(token or ""):
        return
    row = session.get(PendingRow, token)
    if row is None:
        return
    blob = row.blob
    session.delete(row)
    session.flush()
    shared = session.scalar(select(PendingRow.token).where(PendingRow.blob_id == blob.id).limit(1))
    if shared is None:  # a row pointed at another upload's blob (tampering) leaves that one alone
        session.delete(blob)
    session.commit()
    if shared is None:
        try:
            discard_blob(blob)
        except StorageError:
            log.exception("could not delete the object of library upload %s", token)


def sweep(session: Session, now: datetime | None = None) -> int:
    """Remove uploads older than an hour; returns how many."""
    cutoff = (now or utcnow()) - MAX_AGE
    old = list(session.scalars(select(PendingRow.token).where(PendingRow.created_at < cutoff)))
    for token in old:
        discard(session, token)
    return len(old)
