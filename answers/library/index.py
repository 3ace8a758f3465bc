"""Keeps each process's matching index in step with the library table, from the state stored once.

The index's lexical state and sentence vectors live in the database (answers.library.index_store): a
process loads them, it does not compute them again. Each use reads the stored version number (one
primary-key read); when it moved, or at least once a minute, the process compares {ref: revision} with
the table and loads the changed entries' stored state. An entry with no stored state at its revision yet
(the `library.index` job has not run) is computed here and its state written back, so it is computed once
across all hosts. A library edit on one host is therefore matchable on every host at its next use.

The instance folder (`<instance>/index`: the index file and a manifest {ref: revision}) is a cache only:
it spares a restarted process the database read, is compared with the table like everything else, and
may be deleted at any time. Several processes on one host share it under an exclusive file lock.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from answers.library import index_store
from answers.library.models import LibraryEntry as EntryRow
from answers.matching import LibraryEntry, MatchIndex
from answers.matching.index import TOKENIZER_VERSION
from vault.db import side_write

try:
    import fcntl
except ImportError:  # not POSIX: one process per instance folder
    fcntl = None

log = logging.getLogger(__name__)
FULL_CHECK_SECONDS = 60  # compare every revision at least this often, whatever the version says
SAVE_AFTER = 100  # changed entries before the local cache file is written again
BATCH = 500


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
        self.version: int | None = None  # the stored version number this index reflects
        self._checked = 0.0  # when the revisions were last compared (time.monotonic)
        self._unsaved = 0  # changes since the cache file was written

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
        version = index_store.current_version(session)  # read before the entries: never newer than them
        if self.index is not None and version == self.version and \
                time.monotonic() - self._checked < FULL_CHECK_SECONDS:
            return self.index
        with self._exclusive():
            self._load()
            current = dict(session.execute(select(EntryRow.ref, EntryRow.revision)).all())
            changed = [ref for ref, rev in current.items() if self.manifest.get(ref) != rev]
            removed = [ref for ref in self.manifest if ref not in current]
            for ref in removed:
                self.index.remove(ref)
                del self.manifest[ref]
            computed: list[dict] = []
            try:
                for i in range(0, len(changed), BATCH):
                    self.progress = (i, len(changed))
                    batch = changed[i:i + BATCH]
                    computed += self._add(session, batch)
                    if progress:
                        progress(min(i + BATCH, len(changed)), len(changed))
            finally:
                self.progress = None
            if computed:
                store_computed(session, computed)
            self._unsaved += len(changed) + len(removed)
            if self._unsaved >= SAVE_AFTER or (self._unsaved and not self.index_path.exists()):
                try:
                    self._save()
                except OSError as exc:  # a cache: a full or read-only disk must not stop matching
                    log.warning("matching index cache in %s not written (%s); using it from memory", self.folder, exc)
            self.version, self._checked = version, time.monotonic()
        return self.index

    def _add(self, session: Session, refs: list[str]) -> list[dict]:
        """Add these entries from their stored state; returns the states computed here (none stored yet)."""
        rows = list(session.scalars(select(EntryRow).where(EntryRow.ref.in_(refs))))
        saved = index_store.stored(session, refs)
        embedder = self.index.embedder
        items, missing = [], set()
        for row in rows:
            state = saved.get(row.ref)
            toks = vecs = None
            if state is not None and state.revision == row.revision:
                toks = state.tokens if state.tokenizer == TOKENIZER_VERSION else None
                if embedder is not None and state.embedder == embedder.name:
                    vecs = index_store.unpack(state)
            retired = row.status == "retired"
            if state is None or state.revision != row.revision or \
                    (not retired and (toks is None or (embedder is not None and vecs is None))):
                missing.add(row.ref)
            items.append((to_match_entry(row), toks, vecs))
        self.index.add_prepared(items)
        self.manifest.update((row.ref, row.revision) for row in rows)
        revisions = {row.ref: row.revision for row in rows}
        name = embedder.name if embedder is not None else ""
        return [index_store.state_row(ref, revisions[ref], TOKENIZER_VERSION, name, toks, vecs)
                for ref, (toks, vecs) in self.index.state(sorted(missing)).items()]

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
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(self.manifest, fh)
            os.replace(tmp, self.manifest_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = self._disk_stamp()
        self._unsaved = 0


def store_computed(session: Session, states: list[dict]) -> None:
    """Write states computed by this process in a short transaction of its own (the caller's session may
    be in the middle of a request). Failing is harmless: the next host or the job computes them again."""
    try:
        with side_write(session.get_bind()) as conn:
            index_store.write(conn, states)
    except Exception as exc:  # noqa: BLE001 - the state is derived; the entries are safe in their table
        log.warning("could not store the matching state of %d library entries: %s", len(states), exc)


def _outdated(saved: tuple | None, revision: int, embedder_name: str) -> bool:
    """Whether a stored (revision, tokenizer, embedder) must be computed again. A process without the
    sentence model (embedder_name "") needs tokens only: vectors stored by one with it are kept."""
    return saved is None or saved[:2] != (revision, TOKENIZER_VERSION) or \
        bool(embedder_name and saved[2] != embedder_name)


def missing_refs(session: Session, embedder_name: str) -> tuple[list[str], list[str]]:
    """(entries whose stored state is absent or older than the entry, stored states of entries gone)."""
    current = dict(session.execute(select(EntryRow.ref, EntryRow.revision)).all())
    saved = index_store.stored_revisions(session)
    todo = [ref for ref, rev in current.items() if _outdated(saved.get(ref), rev, embedder_name)]
    return sorted(todo), sorted(ref for ref in saved if ref not in current)


def store_missing(session: Session, progress=None, batch: int = 200) -> dict:
    """Compute and store the state of every entry that has none at its revision (the `library.index`
    job): idempotent, commits each batch, so a runner that dies loses one batch at most."""
    probe = MatchIndex()
    name = probe.embedder.name if probe.embedder is not None else ""
    todo, gone = missing_refs(session, name)
    index_store.forget(session, gone)
    session.commit()
    computed = 0
    for i in range(0, len(todo), batch):
        refs = todo[i:i + batch]
        saved = index_store.stored_revisions(session, refs)  # a host that matched meanwhile stored some
        rows = [row for row in session.scalars(select(EntryRow).where(EntryRow.ref.in_(refs)))
                if _outdated(saved.get(row.ref), row.revision, name)]
        index = MatchIndex(embedder=probe.embedder)
        index.add_many([to_match_entry(row) for row in rows])
        states = index.state([row.ref for row in rows])
        index_store.write(session, [index_store.state_row(row.ref, row.revision, TOKENIZER_VERSION, name,
                                                          *states[row.ref]) for row in rows if row.ref in states])
        session.commit()
        computed += len(rows)
        if progress:
            progress(min(i + batch, len(todo)), len(todo))
    return {"stored": computed, "forgotten": len(gone)}


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
