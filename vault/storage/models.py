"""One row per stored (encrypted) object: where it is, what it holds, and its wrapped data key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import Base, UTCDateTime, utcnow


class StoredBlob(Base):
    __tablename__ = "stored_blobs"
    __table_args__ = (UniqueConstraint("backend", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)  # random; also names the object
    backend: Mapped[str] = mapped_column(String(16))  # "local" | "s3": a backend switch orphans nothing
    key: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)  # plaintext bytes
    sha256: Mapped[str] = mapped_column(String(64))  # of the plaintext
    # Bound into the ciphertext as associated data; kept so rotation and `storage check --deep`
    # can work without the owning record. Readers pass their own context, never this one.
    context: Mapped[str] = mapped_column(String(200))
    master_key_id: Mapped[str] = mapped_column(String(16), index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return f"<StoredBlob {self.id} {self.backend}:{self.key} {self.size}B>"
