"""The audit trail: an append-only, hash-chained log of every security-relevant event.

Each event stores the hash of the previous one; `verify_chain` recomputes the chain and the
head row, so an edited, inserted or deleted entry (including the newest) is detected.

Someone who can write to the database can also cut the newest entries and rewrite `audit_head` to
match: the chain that is left is consistent. So the head is also kept *outside* the database (an
anchor): printed in every reminder digest, sent by `vault audit anchor` to AUDIT_ANCHOR_WEBHOOK through
`vault.notify` (`vault/admin/anchor.py`), and checked with `vault audit verify --expect-head SEQ:HASH`: an anchored entry must
still be in the chain, unchanged (entries after it are fine: the trail grows).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import JSON, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from exporters.safety import neutralise
from vault.db import Base, UTCDateTime, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who made a change: the one shape every service takes and every audit record is written from.

    Views build it from the signed-in user (`vault.web.current_actor`), commands from their name."""

    label: str = "system"
    id: int | None = None
    ip: str = ""


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    actor: Mapped[str] = mapped_column(String(320), default="")  # email or "anonymous"/"system"
    action: Mapped[str] = mapped_column(String(64), index=True)  # e.g. "document.download"
    object_type: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok, denied, failed
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the newest seq and hash. Updating it first serialises concurrent appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


def _digest(prev_hash: str, fields: dict) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _fields(ev: AuditEvent) -> dict:
    return {
        "seq": ev.seq,
        "created_at": ev.created_at.isoformat(),
        "actor_id": ev.actor_id,
        "actor": ev.actor,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "ip": ev.ip,
        "outcome": ev.outcome,
        "detail": ev.detail or {},
    }


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    actor: str = "system",
    object_type: str = "",
    object_id: str | int = "",
    ip: str = "",
    outcome: str = "ok",
    detail: dict | None = None,
    by: Actor | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or rolls back with the action).

    `by` fills actor_id, actor and ip from one Actor (the usual way); the three keywords remain for the
    few callers that record on behalf of someone who is not a signed-in user."""
    if by is not None:
        actor_id, actor, ip = by.id, by.label, by.ip
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, hash=GENESIS))
        session.flush()
    # The UPDATE takes the write lock (row lock on PostgreSQL, RESERVED on SQLite) before we read.
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    ev = AuditEvent(
        seq=head.seq,
        created_at=utcnow(),
        actor_id=actor_id,
        actor=actor or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        ip=ip or "",
        outcome=outcome,
        detail=detail or {},
        prev_hash=head.hash,
    )
    ev.hash = _digest(ev.prev_hash, _fields(ev))
    session.add(ev)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=ev.hash))
    session.flush()
    return ev


@dataclass
class ChainReport:
    ok: bool
    count: int
    head_hash: str
    problems: list[str]


@dataclass(frozen=True)
class Anchor:
    """A head taken outside the database: the hash of entry `seq` (None: any position)."""
    hash: str
    seq: int | None = None

    @classmethod
    def parse(cls, text: str) -> "Anchor":
        """`HASH`, `SEQ:HASH` or `#SEQ HASH` (as digests and `audit verify` print it); ValueError otherwise."""
        text = (text or "").strip().lstrip("#")
        seq_part, sep, hash_part = text.replace(" ", ":", 1).rpartition(":")
        hash_part = hash_part.strip().lower()
        if len(hash_part) != 64 or any(c not in "0123456789abcdef" for c in hash_part):
            raise ValueError("expected the 64 hex digits of a head hash, optionally preceded by its number: 17:ab12…")
        if sep and not seq_part.strip().isdigit():
            raise ValueError(f"{seq_part!r} is not an entry number")
        return cls(hash=hash_part, seq=int(seq_part) if sep else None)

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash}" if self.seq is not None else self.hash


def current_head(session: Session) -> Anchor:
    """The head as the database says it is now (what the reminder digest prints and the anchor sends)."""
    head = session.get(AuditHead, 1)
    return Anchor(hash=head.hash, seq=head.seq) if head is not None else Anchor(hash=GENESIS, seq=0)


def verify_chain(session: Session, limit_problems: int = 20, *, expect_head: Anchor | None = None) -> ChainReport:
    problems: list[str] = []
    prev_hash, expected_seq, count = GENESIS, 1, 0
    anchor_found = expect_head is not None and expect_head.hash == GENESIS and expect_head.seq in (None, 0)
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for ev in rows:
        count += 1
        if expect_head is not None and ev.hash == expect_head.hash and expect_head.seq in (None, ev.seq):
            anchor_found = True
        if ev.seq != expected_seq:
            problems.append(f"entry #{expected_seq} is missing (next found is #{ev.seq})")
        if ev.prev_hash != prev_hash:
            problems.append(f"entry #{ev.seq}: link to the previous entry is broken")
        if _digest(ev.prev_hash, _fields(ev)) != ev.hash:
            problems.append(f"entry #{ev.seq}: content does not match its hash (edited)")
        prev_hash, expected_seq = ev.hash, ev.seq + 1
        if len(problems) >= limit_problems:
            break
    head = session.get(AuditHead, 1)
    if head is not None and len(problems) < limit_problems:
        if head.seq != expected_seq - 1 or head.hash != prev_hash:
            problems.append(f"newest entries were removed: head says #{head.seq}, log ends at #{expected_seq - 1}")
    if expect_head is not None and not anchor_found and len(problems) < limit_problems:
        problems.append(f"the anchored head {expect_head} is not in the chain (log ends at #{expected_seq - 1}): "
                        "entries were removed or rewritten since it was taken")
    return ChainReport(ok=not problems, count=count, head_hash=prev_hash, problems=problems)


def select_events(*, action: str = "", actor: str = "", object_type: str = "", object_id: str = "",
                  since: datetime | None = None, until: datetime | None = None):
    """The one filter over the trail (admin pages, CSV export, CLI, tests)."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        stmt = stmt.where(AuditEvent.actor.contains(actor, autoescape=True))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    if since:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until:
        stmt = stmt.where(AuditEvent.created_at < until)
    return stmt


def query_events(session: Session, *, limit: int | None = 200, **filters) -> list[AuditEvent]:
    """Newest first."""
    stmt = select_events(**filters).order_by(AuditEvent.seq.desc())
    return list(session.scalars(stmt.limit(limit) if limit else stmt))


CSV_COLUMNS = ["seq", "created_at", "actor", "action", "object_type", "object_id", "ip", "outcome", "detail", "hash"]


def export_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    yield buf.getvalue()
    buf.seek(0)
    buf.truncate()
    for ev in events:
        writer.writerow([neutralise(str(x)) for x in (  # opened in Excel
            ev.seq, ev.created_at.isoformat(), ev.actor, ev.action, ev.object_type, ev.object_id,
            ev.ip, ev.outcome, json.dumps(ev.detail, ensure_ascii=False), ev.hash)])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
