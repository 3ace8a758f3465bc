"""The one storage interface. Backends store opaque (already encrypted) bytes under a key."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Iterator, Protocol


class StorageError(Exception):
    """A backend could not store or read an object."""


class ObjectMissing(StorageError):
    pass


class ObjectStore(Protocol):
    name: str  # "local" | "s3": recorded on every blob row

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        """Store the stream under `key` atomically (all or nothing); return bytes written."""

    def get(self, key: str) -> Iterator[bytes]:
        """Stream the object's bytes; ObjectMissing if absent."""

    def delete(self, key: str) -> None:
        """Remove the object; absent is not an error."""

    def exists(self, key: str) -> bool: ...

    def check(self) -> None:
        """Raise StorageError unless the store answers and can be written (the readiness probe)."""

    def keys(self) -> Iterator[str]:
        """Every key in the store (for `vault storage check`)."""

    def modified(self, key: str) -> datetime:
        """Last-modified time (UTC); lets `vault storage check` spare uploads still in flight."""
