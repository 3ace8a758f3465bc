"""The matching index stored once, in the application database, for every app server and worker.

`library_index_entries` holds, per library entry, what the matcher computed for it at one revision: its
tokens (lexical state, at a tokenizer version) and its sentence vectors (float32 rows, by model name).
A host that starts, or that sees an entry change, loads these rows instead of tokenizing and embedding
again; only an entry with no stored state at its revision is computed, once, and its state written
back (by the `library.index` job, or by the first host that needs it).

`library_index_version` is one row whose number every change to a library entry bumps inside the
change's own transaction (an ORM flush hook below), so a host checks "anything new?" with one primary-key
read per use: the row lock orders the bumps like the commits, and a host reads the number before it reads
the entries, so it never records a number newer than what it has seen. Writes that bypass the ORM are
caught by the full comparison every host makes at least once a minute (answers.library.index).

Why the database and not the object store: the state is written in ordinary transactions next to the
entries it describes, it is in every database backup, nothing is left behind when a row goes, and a
2,000-entry library is about 10 MB of rows, read once per host start.
"""
from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
from sqlalchemy import JSON, Integer, LargeBinary, String, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from answers.library.models import LibraryEntry as EntryRow
from vault.db import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)
VERSION_ROW = 1


class IndexedEntry(Base):
    """One library entry's matching state at one revision (not the entry itself: that is its row)."""

    __tablename__ = "library_index_entries"

    ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)  # the entry's revision this state was computed from
    tokenizer: Mapped[int] = mapped_column(Integer)  # answers.matching.index.TOKENIZER_VERSION
    tokens: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [question+alternatives, answer, meta]; None: retired
    embedder: Mapped[str] = mapped_column(String(100), default="")  # sentence model name; "" = no vectors
    dim: Mapped[int] = mapped_column(Integer, default=0)
    vectors: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # float32 little-endian, rows x dim
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IndexVersion(Base):
    """One row: bumped by every change to a library entry, read by every host before it matches."""

    __tablename__ = "library_index_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


# ---- the version ---------------------------------------------------------------------------------

def current_version(session: Session) -> int:
    return session.scalar(select(IndexVersion.version).where(IndexVersion.id == VERSION_ROW)) or 0


def bump_version(session: Session) -> None:
    done = session.execute(update(IndexVersion).where(IndexVersion.id == VERSION_ROW)
                           .values(version=IndexVersion.version + 1)).rowcount
    if not done:  # a schema made by create_all (tests); migrations insert the row
        session.add(IndexVersion(id=VERSION_ROW, version=1))


@event.listens_for(Session, "before_flush")
def _library_changed(session: Session, _context, _instances) -> None:
    """Every flush that adds, changes or deletes a library entry bumps the version in that transaction."""
    rows = [o for o in session.new if isinstance(o, EntryRow)] + \
           [o for o in session.deleted if isinstance(o, EntryRow)] + \
           [o for o in session.dirty if isinstance(o, EntryRow) and session.is_modified(o)]
    if not rows:
        return
    bump_version(session)
    session.info["library.index.changed"] = True  # answers.library.jobs queues the job at commit


# ---- the stored state ----------------------------------------------------------------------------

def pack(vectors: np.ndarray | None) -> tuple[int, bytes | None]:
    if vectors is None:
        return 0, None
    arr = np.ascontiguousarray(vectors, dtype="<f4")
    return (arr.shape[1] if arr.ndim == 2 and arr.size else 0), arr.tobytes()


def unpack(row: IndexedEntry) -> np.ndarray | None:
    if row.vectors is None or not row.embedder:
        return None
    arr = np.frombuffer(row.vectors, dtype="<f4")
    if not row.dim:
        return arr.reshape(0, 0)
    if arr.size % row.dim:
        return None  # damaged: recomputed, never trusted
    return arr.reshape(-1, row.dim).astype(np.float32)


def stored(session: Session, refs: list[str]) -> dict[str, IndexedEntry]:
    return {r.ref: r for r in session.scalars(select(IndexedEntry).where(IndexedEntry.ref.in_(refs)))}


def stored_revisions(session: Session, refs: list[str] | None = None) -> dict[str, tuple[int, int, str]]:
    """ref -> (revision, tokenizer, embedder) of everything stored, or of `refs` (small columns only)."""
    query = select(IndexedEntry.ref, IndexedEntry.revision, IndexedEntry.tokenizer, IndexedEntry.embedder)
    if refs is not None:
        query = query.where(IndexedEntry.ref.in_(refs))
    return {ref: (rev, tok, emb) for ref, rev, tok, emb in session.execute(query)}


def write(bind, states: list[dict]) -> None:
    """Store computed states (dicts of IndexedEntry columns) through `bind` (a Session or a Connection,
    in its transaction). A state never replaces one computed from a newer revision (hosts may race), nor
    one with sentence vectors by one without (a process that runs without the model)."""
    if not states:
        return
    now = utcnow()
    rows = [{**s, "updated_at": now} for s in states]
    dialect = bind.dialect if hasattr(bind, "dialect") else bind.get_bind().dialect
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect.name)
    if insert is None:  # an engine the app is not tested on: each host computes what it lacks
        log.warning("the matching state is not stored on %s databases", dialect.name)
        return
    table = IndexedEntry.__table__
    stmt = insert(table)
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.ref],
        set_={c: new[c] for c in ("revision", "tokenizer", "tokens", "embedder", "dim", "vectors", "updated_at")},
        where=(table.c.revision < new.revision)
        | ((table.c.revision == new.revision) & ((new.embedder != "") | (table.c.embedder == ""))))
    bind.execute(stmt, rows)


def forget(session: Session, refs: list[str]) -> None:
    """Drop the state of entries that no longer exist."""
    if refs:
        session.execute(delete(IndexedEntry).where(IndexedEntry.ref.in_(refs)))


def state_row(ref: str, revision: int, tokenizer: int, embedder: str, tokens, vectors) -> dict:
    """embedder: the model the computing process had ("" = none), even for an entry without vectors
    (retired, Chinese), so a host with the same model knows nothing is left to compute."""
    dim, blob = pack(vectors)
    return {"ref": ref, "revision": revision, "tokenizer": tokenizer,
            "tokens": [list(t) for t in tokens] if tokens is not None else None,
            "embedder": embedder, "dim": dim, "vectors": blob}
