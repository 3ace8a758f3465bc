"""Keeps the persistent matching index in step with the library table, incrementally.

The index file lives in the instance folder beside a manifest {ref: revision}; each use compares the
manifest with one cheap query and re-indexes only the entries that changed.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from answers.library.models import LibraryEntry as EntryRow
from answers.matching import LibraryEntry, MatchIndex


def to_match_entry(row: EntryRow) -> LibraryEntry:
    return LibraryEntry(ref=row.ref, question=row.question, alternatives=list(row.alternatives or []),
                        answer_short=row.answer_short or "", answer_full=row.answer_full or "",
                        language=row.language, status=row.status, category=row.category or "",
                        tags=list(row.tags or []))


class LibraryIndex:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.index_path = self.folder / "library_index"
        self.manifest_path = self.folder / "library_index.manifest.json"
        self.index: MatchIndex | None = None
        self.manifest: dict[str, int] = {}

    def _load(self) -> None:
        if self.index is not None:
            return
        if self.manifest_path.exists():
            try:
                self.index = MatchIndex.load(self.index_path)
                self.manifest = json.loads(self.manifest_path.read_text())
                return
            except Exception:  # noqa: BLE001 - a damaged index is rebuilt, never trusted
                pass
        self.index, self.manifest = MatchIndex(), {}

    def sync(self, session: Session, progress=None) -> MatchIndex:
        """Bring the index up to date with the table; returns it ready to match.
        progress(done, total) is called after each batch of changed entries."""
        self._load()
        current = dict(session.execute(select(EntryRow.ref, EntryRow.revision)).all())
        changed = [ref for ref, rev in current.items() if self.manifest.get(ref) != rev]
        removed = [ref for ref in self.manifest if ref not in current]
        for ref in removed:
            self.index.remove(ref)
            del self.manifest[ref]
        if changed:
            for i in range(0, len(changed), 500):
                batch = changed[i:i + 500]
                rows = list(session.scalars(select(EntryRow).where(EntryRow.ref.in_(batch))))
                self.index.add_many([to_match_entry(row) for row in rows])
                self.manifest.update((row.ref, row.revision) for row in rows)
                if progress:
                    progress(min(i + 500, len(changed)), len(changed))
        if changed or removed:
            self._save()
        return self.index

    def entries(self, session: Session, today: date | None = None) -> dict[str, LibraryEntry]:
        """Every entry for matching; those whose evidence lapsed are marked stale (never auto-filled)."""
        from vault.expiry.stale import stale_refs
        stale = stale_refs(session, today or datetime.now(timezone.utc).date())
        out = {}
        for row in session.scalars(select(EntryRow)):
            entry = to_match_entry(row)
            entry.stale = row.ref in stale
            out[row.ref] = entry
        return out

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index.save(self.index_path)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".manifest-")
        with os.fdopen(fd, "w") as fh:
            json.dump(self.manifest, fh)
        os.replace(tmp, self.manifest_path)


_APP_LOCK = threading.Lock()


def app_index() -> LibraryIndex:
    """The application's one LibraryIndex (instance/index), shared by the CLI and the web pages."""
    from flask import current_app
    ext = current_app.extensions
    with _APP_LOCK:
        if "answers.index" not in ext:
            ext["answers.index"] = LibraryIndex(Path(current_app.instance_path) / "index")
            ext["answers.index.lock"] = threading.Lock()
    return ext["answers.index"]


@contextmanager
def synced_index(session: Session):
    """The app's index, up to date, held exclusively while the caller matches: request threads share
    one index and `sync` changes it in place."""
    from flask import current_app
    lib = app_index()
    with current_app.extensions["answers.index.lock"]:
        yield lib.sync(session)
