"""Read-only lookups the library pages need: filter choices, translations, entries by reference."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from answers.library.models import LibraryEntry


def facets(session: Session) -> tuple[list[str], list[str]]:
    """(categories, tags) in use, sorted, for the list filters."""
    categories = [c for c in session.scalars(select(LibraryEntry.category).distinct()) if c]
    tags: set[str] = set()
    for row in session.scalars(select(LibraryEntry.tags)):
        tags.update(t for t in (row or []) if t)
    return sorted(categories, key=str.casefold), sorted(tags, key=str.casefold)


def translations_of(session: Session, entry: LibraryEntry) -> list[LibraryEntry]:
    """Entries that say they translate `entry`."""
    return list(session.scalars(select(LibraryEntry).where(LibraryEntry.translation_of_id == entry.id)
                                .order_by(LibraryEntry.ref)))


def by_refs(session: Session, refs: list[str]) -> dict[str, LibraryEntry]:
    if not refs:
        return {}
    return {e.ref: e for e in session.scalars(select(LibraryEntry).where(LibraryEntry.ref.in_(refs)))}


def by_uids(session: Session, uids: list[str]) -> list[LibraryEntry]:
    uids = [u for u in uids if u and len(u) <= 64][:1000]
    if not uids:
        return []
    return list(session.scalars(select(LibraryEntry).where(LibraryEntry.uid.in_(uids)).order_by(LibraryEntry.ref)))


def translation_pairs(session: Session) -> set[frozenset[str]]:
    """{ {ref, ref} } of entries linked as translations: not duplicates of each other."""
    rows = session.execute(select(LibraryEntry.ref, LibraryEntry.translation_of_id, LibraryEntry.id)).all()
    ref_of = {row.id: row.ref for row in rows}
    return {frozenset((row.ref, ref_of[row.translation_of_id])) for row in rows
            if row.translation_of_id and row.translation_of_id in ref_of}


def refs_by_id(session: Session, ids: list[int]) -> dict[int, str]:
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return {}
    return dict(session.execute(select(LibraryEntry.id, LibraryEntry.ref).where(LibraryEntry.id.in_(ids))).all())


# --- asked of other features: one small function per question ---------------------------------------

def stale_refs(session: Session, today) -> set[str]:
    """References of the entries whose evidence lapsed (answers.library.stale: the one rule)."""
    from answers.library.stale import stale_refs as refs
    return refs(session, today)


def stale_evidence(entry: LibraryEntry, today) -> list:
    """This entry's lapsed evidence: [StaleEvidence(entry, document, problem)], [] when it stands."""
    from answers.library.stale import entry_evidence_problems
    return entry_evidence_problems(entry, today)


def recipients(session: Session, entry: LibraryEntry) -> list:
    """Who received this entry's answer (the questionnaires' ledger), newest first."""
    from answers.questionnaires.ledger import recipients_of
    return recipients_of(session, entry)


def holders_of_old_answer(session: Session, entry: LibraryEntry) -> list:
    """Customers whose latest answer from this entry differs from what it says now."""
    from answers.questionnaires.ledger import holders_of_old_answer as holders
    return holders(session, entry)


def revision(session: Session, entry: LibraryEntry, number: int):
    from answers.library.models import LibraryEntryRevision
    return session.scalar(select(LibraryEntryRevision).where(LibraryEntryRevision.entry_id == entry.id,
                                                             LibraryEntryRevision.number == number))
