"""Answer library operations. Services take the session and flush; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from answers.library.models import LANGUAGES, STATUSES, LibraryEntry, LibraryEntryRevision
from importers.i18n_marker import N_, TranslatableError
from vault import audit
from vault.audit import Actor  # the one acting-user shape; `service.Actor` stays importable
from vault.db import utcnow

EDITABLE = ("ref", "question", "alternatives", "answer_short", "answer_full", "category", "tags",
            "framework_refs", "status", "language", "owner_id", "last_reviewed_on", "review_interval_days",
            "translation_of_id", "source", "public")


class LibraryError(TranslatableError):
    """A change that cannot be made, with a message for a person (English str(); translated on the web)."""


class StaleEdit(LibraryError):
    """Someone else saved the entry since it was opened."""


def snapshot(entry: LibraryEntry) -> dict:
    data = {}
    for name in EDITABLE:
        value = getattr(entry, name)
        data[name] = value.isoformat() if isinstance(value, date) else value
    data["evidence"] = sorted(d.id for d in entry.evidence)
    return data


def _clean(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if key not in EDITABLE:
            raise LibraryError(N_("unknown field %(field)s"), params={"field": repr(key)})
        if isinstance(value, str) and key not in ("answer_full",):
            value = value.strip()
        if key in ("alternatives", "tags", "framework_refs"):
            value = [v.strip() for v in (value or []) if v and v.strip()]
        if key == "public":
            value = bool(value)
        if key == "last_reviewed_on" and isinstance(value, str):
            value = date.fromisoformat(value) if value else None
        out[key] = value
    if "question" in out and not out["question"]:
        raise LibraryError(N_("the question is empty"))
    if "ref" in out and not out["ref"]:
        raise LibraryError(N_("the reference id is empty"))
    if "status" in out and out["status"] not in STATUSES:
        raise LibraryError(N_("status must be one of %(choices)s"), params={"choices": ", ".join(STATUSES)})
    if "language" in out and out["language"] not in LANGUAGES:
        raise LibraryError(N_("language must be one of %(choices)s"), params={"choices": ", ".join(LANGUAGES)})
    if "review_interval_days" in out and not (1 <= int(out["review_interval_days"] or 0) <= 3650):
        raise LibraryError(N_("the review interval must be between 1 and 3650 days"))
    return out


def _record_revision(session: Session, entry: LibraryEntry, actor: Actor, changed: list[str], note: str = "") -> None:
    number = (session.scalar(select(func.max(LibraryEntryRevision.number))
                             .where(LibraryEntryRevision.entry_id == entry.id)) or 0) + 1
    session.add(LibraryEntryRevision(entry_id=entry.id, number=number, changed_by_id=actor.id,
                                     changed_by=actor.label, changed_fields=changed, snapshot=snapshot(entry),
                                     note=note))


def next_ref(session: Session, prefix: str = "LIB") -> str:
    count = session.scalar(select(func.count()).select_from(LibraryEntry)) or 0
    n = count + 1
    while session.scalar(select(LibraryEntry.id).where(LibraryEntry.ref == f"{prefix}-{n:04d}")):
        n += 1
    return f"{prefix}-{n:04d}"


def create_entry(session: Session, actor: Actor, *, audited: bool = True, evidence: list | None = None,
                 **values) -> LibraryEntry:
    values = _clean(values)
    if not values.get("ref"):
        values["ref"] = next_ref(session)
    if session.scalar(select(LibraryEntry.id).where(LibraryEntry.ref == values["ref"])):
        raise LibraryError(N_("an entry with reference id %(ref)s exists already"),
                           params={"ref": repr(values["ref"])})
    entry = LibraryEntry(**values)
    if evidence:
        entry.evidence = list(evidence)
    session.add(entry)
    session.flush()
    _record_revision(session, entry, actor, sorted([*values, *(["evidence"] if evidence else [])]), note="created")
    if audited:  # bulk imports record one summary event instead
        audit.record(session, "library.create", by=actor, object_type="library_entry", object_id=entry.uid,
                     detail={"ref": entry.ref})
    session.flush()
    return entry


def update_entry(session: Session, entry: LibraryEntry, actor: Actor, *, expected_revision: int | None = None,
                 note: str = "", audited: bool = True, evidence: list | None = None, **values) -> list[str]:
    """Apply changes; returns the changed field names. Refuses if the entry moved on since it was read.

    `evidence` (Document rows) replaces the linked documents when given."""
    if expected_revision is not None and entry.revision != expected_revision:
        raise StaleEdit(N_("entry %(ref)s was changed by someone else (now revision %(revision)s); "
                           "reload it and apply your change again"),
                        params={"ref": entry.ref, "revision": entry.revision})
    values = _clean(values)
    if "ref" in values and values["ref"] != entry.ref and session.scalar(
            select(LibraryEntry.id).where(LibraryEntry.ref == values["ref"])):
        raise LibraryError(N_("an entry with reference id %(ref)s exists already"),
                           params={"ref": repr(values["ref"])})
    changed = [k for k, v in values.items() if getattr(entry, k) != v]
    if evidence is not None and {d.id for d in entry.evidence} != {d.id for d in evidence}:
        entry.evidence = list(evidence)
        changed.append("evidence")
    if not changed:
        return []
    for key in changed:
        if key != "evidence":
            setattr(entry, key, values[key])
    entry.updated_at = utcnow()  # also bumps the revision when only the evidence links changed
    session.flush()
    _record_revision(session, entry, actor, changed, note=note)
    if audited:
        audit.record(session, "library.update", by=actor, object_type="library_entry", object_id=entry.uid,
                     detail={"ref": entry.ref, "fields": changed})
    session.flush()
    return changed


def restore_revision(session: Session, entry: LibraryEntry, number: int, actor: Actor) -> list[str]:
    rev = session.scalar(select(LibraryEntryRevision).where(LibraryEntryRevision.entry_id == entry.id,
                                                            LibraryEntryRevision.number == number))
    if rev is None:
        raise LibraryError(N_("entry %(ref)s has no revision %(number)s"), params={"ref": entry.ref, "number": number})
    values = {k: v for k, v in rev.snapshot.items() if k in EDITABLE}
    evidence = None
    if "evidence" in rev.snapshot:  # documents deleted since then stay unlinked
        from vault.documents.models import Document
        ids = rev.snapshot["evidence"] or []
        evidence = list(session.scalars(select(Document).where(Document.id.in_(ids)))) if ids else []
    return update_entry(session, entry, actor, note=f"restored revision {number}", evidence=evidence, **values)


def mark_reviewed(session: Session, entry: LibraryEntry, actor: Actor, today: date) -> None:
    update_entry(session, entry, actor, note="reviewed", last_reviewed_on=today)


def get_by_uid(session: Session, uid: str) -> LibraryEntry | None:
    return session.scalar(select(LibraryEntry).where(LibraryEntry.uid == uid))


def get_by_ref(session: Session, ref: str) -> LibraryEntry | None:
    return session.scalar(select(LibraryEntry).where(LibraryEntry.ref == ref))


@dataclass
class EntryFilter:
    text: str = ""
    category: str = ""
    tag: str = ""
    owner_id: int | None = None
    status: str = ""
    language: str = ""
    overdue_on: date | None = None  # only entries due for review on this day
    stale_on: date | None = None  # only entries whose evidence lapsed by this day (answers.library.stale)
    public: bool | None = None  # only entries marked public (True) / private (False) for the trust center FAQ
    limit: int = 200
    offset: int = 0
    extra: dict = field(default_factory=dict)


def list_entries(session: Session, flt: EntryFilter) -> list[LibraryEntry]:
    stmt = select(LibraryEntry).order_by(LibraryEntry.ref)
    if flt.text:
        like = f"%{flt.text.strip()}%"
        stmt = stmt.where(or_(LibraryEntry.question.ilike(like), LibraryEntry.answer_full.ilike(like),
                              LibraryEntry.answer_short.ilike(like), LibraryEntry.ref.ilike(like)))
    if flt.category:
        stmt = stmt.where(LibraryEntry.category == flt.category)
    if flt.status:
        stmt = stmt.where(LibraryEntry.status == flt.status)
    if flt.language:
        stmt = stmt.where(LibraryEntry.language == flt.language)
    if flt.owner_id:
        stmt = stmt.where(LibraryEntry.owner_id == flt.owner_id)
    if flt.public is not None:
        stmt = stmt.where(LibraryEntry.public.is_(flt.public))
    entries = list(session.scalars(stmt))
    if flt.tag:
        entries = [e for e in entries if flt.tag in (e.tags or [])]
    if flt.overdue_on:
        entries = [e for e in entries if e.is_overdue(flt.overdue_on)]
    if flt.stale_on:
        from answers.library.stale import stale_refs
        stale = stale_refs(session, flt.stale_on)
        entries = [e for e in entries if e.ref in stale]
    return entries[flt.offset:flt.offset + flt.limit]
