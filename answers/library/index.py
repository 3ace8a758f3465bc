"""Keeps the persistent matching index in step with the library table, incrementally.

The index file lives in the instance folder beside a manifest {ref: revision}; each use compares the
manifest with one cheap query and re-indexes only the entries that changed.

Several processes (gunicorn workers, the CLI) share the folder: a sync holds an exclusive file lock, and
a process whose index is older than the saved one loads the saved one first, so entries are embedded by
one process, not by every worker in turn. A large import syncs in a background thread
(`sync_in_background`) whose progress the library page shows.
"""
from __future__ import annotations

import json
import logging
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

try:
    import fcntl
except ImportError:  # not POSIX: one process per instance folder
    fcntl = None

log = logging.getLogger(__name__)


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
        self.lock_path = self.folder / "library_index.lock"
        self.index: MatchIndex | None = None
        self.manifest: dict[str, int] = {}
        self.progress: tuple[int, int] | None = None  # (done, total) while a sync embeds changed entries
        self._stamp = None  # the saved manifest this process's index reflects

    def _disk_stamp(self):
        try:
            st = self.manifest_path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _load(self) -> None:
        stamp = self._disk_stamp()
        if self.index is not None and (stamp is None or stamp == self._stamp):
            return
        if stamp is not None:  # first use, or another process saved a newer index
            try:
                self.index = MatchIndex.load(self.index_path)
                self.manifest = json.loads(self.manifest_path.read_text())
                self._stamp = stamp
                return
            except Exception:  # noqa: BLE001 - a damaged index is rebuilt, never trusted
                log.warning("matching index in %s unreadable; rebuilding it", self.folder)
        if self.index is None:
            self.index, self.manifest = MatchIndex(), {}

    @contextmanager
    def _exclusive(self):
        """One syncing process at a time for this folder (the others then load what it saved)."""
        if fcntl is None:
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def sync(self, session: Session, progress=None) -> MatchIndex:
        """Bring the index up to date with the table; returns it ready to match.
        progress(done, total) is called after each batch of changed entries."""
        with self._exclusive():
            self._load()
            current = dict(session.execute(select(EntryRow.ref, EntryRow.revision)).all())
            changed = [ref for ref, rev in current.items() if self.manifest.get(ref) != rev]
            removed = [ref for ref in self.manifest if ref not in current]
            for ref in removed:
                self.index.remove(ref)
                del self.manifest[ref]
            try:
                for i in range(0, len(changed), 500):
                    self.progress = (i, len(changed))
                    batch = changed[i:i + 500]
                    rows = list(session.scalars(select(EntryRow).where(EntryRow.ref.in_(batch))))
                    self.index.add_many([to_match_entry(row) for row in rows])
                    self.manifest.update((row.ref, row.revision) for row in rows)
                    if progress:
                        progress(min(i + 500, len(changed)), len(changed))
            finally:
                self.progress = None
            if changed or removed:
                self._save()
        return self.index

    def entries(self, session: Session, today: date | None = None) -> dict[str, LibraryEntry]:
        """Every entry for matching; those whose evidence lapsed are marked stale (never auto-filled)."""
        from answers.library.stale import describe_en, stale_by_ref
        stale = stale_by_ref(session, today or datetime.now(timezone.utc).date())
        out = {}
        for row in session.scalars(select(EntryRow)):
            entry = to_match_entry(row)
            entry.stale = row.ref in stale
            entry.stale_reason = " ".join(describe_en(s) for s in stale.get(row.ref, []))
            out[row.ref] = entry
        return out

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index.save(self.index_path)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".manifest-")
        with os.fdopen(fd, "w") as fh:
            json.dump(self.manifest, fh)
        os.replace(tmp, self.manifest_path)
        self._stamp = self._disk_stamp()


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


def sync_in_background(app) -> threading.Thread:
    """Sync the app's index in a thread (after a large import): the request returns at once, the
    library page shows the progress, and matching waits for the index lock as it always does."""
    def run() -> None:
        from vault import db
        with app.app_context():
            try:
                with synced_index(db.session()):
                    pass
            except Exception:  # noqa: BLE001 - the next use syncs again; the data is safe in the database
                log.exception("library index sync failed")

    with app.app_context():
        app_index()  # created here, so the thread and the pages see the same object
    thread = threading.Thread(target=run, name="library-index-sync", daemon=True)
    app.extensions["answers.index.thread"] = thread
    thread.start()
    return thread
