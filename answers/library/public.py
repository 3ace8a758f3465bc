"""The library's public face: the entries staff marked public, as the trust center's FAQ shows them.

Other features ask through this one module (the FAQ pages in `vault.faq`), and get plain data back: the
question, the answers, category, tags, the last review day and the language. Never the owner, the evidence,
the source (file, row, customer), other phrasings, framework references or the history.

An entry is published only while all of these hold (`hidden_because` says which fail, for the staff page):
marked public, approved, reviewed and not overdue for its next review (`LibraryEntry.is_overdue`), and not
stale (`answers.library.stale`: its evidence expired or was withdrawn). So an answer that nobody keeps
current leaves the public page by itself, on the day it falls due.

Search is SQL LIKE on the question and answers, every word of the query required: fine at library scale
(a few thousand entries at most, of which the public ones are a fraction), so there is no search index.
Chinese has no case and no spaces between words, so a substring match is what a reader expects; the match is
case-insensitive for ASCII on SQLite and for all of Unicode on PostgreSQL.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from answers.library.models import LibraryEntry
from answers.library.stale import is_stale
from vault.documents.models import Document

MAX_QUERY = 200  # characters of a search the FAQ considers
HIDDEN_REASONS = ("not_public", "not_approved", "never_reviewed", "review_overdue", "stale")


@dataclass(frozen=True)
class PublicEntry:
    anchor: str  # stable per question (and its translations), safe to show: no database or staff id
    question: str
    short_answer: str
    answer: str  # the full answer; the short one when no full answer was written
    category: str
    tags: tuple[str, ...]
    last_reviewed_on: date
    language: str  # "en" | "zh"
    fallback: bool  # in the other language: this question has no published version in the reader's


def hidden_because(entry: LibraryEntry, today: date) -> list[str]:
    """Why `entry` is not on the public FAQ today (codes from HIDDEN_REASONS); [] when it is."""
    reasons = []
    if not entry.public:
        reasons.append("not_public")
    if entry.status != "approved":
        reasons.append("not_approved")
    if entry.last_reviewed_on is None:
        reasons.append("never_reviewed")
    elif entry.is_overdue(today):
        reasons.append("review_overdue")
    if is_stale(entry, today):
        reasons.append("stale")
    return reasons


def _language(locale: str | None) -> str:
    return "zh" if str(locale or "").lower().startswith("zh") else "en"


def _published(session: Session, today: date) -> list[LibraryEntry]:
    candidates = session.scalars(
        select(LibraryEntry)
        .where(LibraryEntry.public.is_(True), LibraryEntry.status == "approved",
               LibraryEntry.last_reviewed_on.is_not(None))
        .order_by(LibraryEntry.id)
        .options(selectinload(LibraryEntry.evidence).selectinload(Document.versions)))
    return [e for e in candidates if not hidden_because(e, today)]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matching_ids(session: Session, query: str, ids: list[int]) -> set[int]:
    terms = query.split()
    if not terms or not ids:
        return set()
    fields = (LibraryEntry.question, LibraryEntry.answer_full, LibraryEntry.answer_short)
    each = [or_(*(f.ilike(f"%{_escape_like(t)}%", escape="\\") for f in fields)) for t in terms]
    return set(session.scalars(select(LibraryEntry.id).where(LibraryEntry.id.in_(ids), and_(*each))))


def _topics(entries: list[LibraryEntry]) -> list[list[LibraryEntry]]:
    """Published entries grouped with their published translations (linked by `translation_of_id`)."""
    by_id = {e.id: e for e in entries}
    parent = {e.id: e.id for e in entries}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for e in entries:
        if e.translation_of_id in by_id:
            a, b = root(e.id), root(e.translation_of_id)
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[LibraryEntry]] = {}
    for e in entries:
        groups.setdefault(root(e.id), []).append(e)
    return list(groups.values())


def _anchor(topic: list[LibraryEntry]) -> str:
    """From the original of the translations (the entry the others translate), so en and zh readers share a
    link; a hash of its random uid, so the page names no internal id."""
    original = next((e for e in topic if e.translation_of_id is None), None) or min(topic, key=lambda e: e.id)
    return "q-" + hashlib.sha256(original.uid.encode()).hexdigest()[:12]


def public_entries(session: Session, *, today: date, locale: str | None, query: str | None = None,
                   tag: str | None = None) -> list[PublicEntry]:
    """The public FAQ in the reader's language: per question its version in `locale` when published, else the
    other language's (`fallback`). Reader's language first, then by category and question.

    `query`: words that must all appear in the question or an answer (of any published language version).
    `tag`: only questions whose shown version carries this tag."""
    lang = _language(locale)
    topics = _topics(_published(session, today))
    query = " ".join((query or "").split())[:MAX_QUERY]
    if query:
        hits = _matching_ids(session, query, [e.id for t in topics for e in t])
        topics = [t for t in topics if any(e.id in hits for e in t)]
    out = []
    for topic in topics:
        chosen = next((e for e in topic if e.language == lang), None) or min(topic, key=lambda e: e.id)
        tags = tuple(t for t in (chosen.tags or []) if t)
        if tag and tag not in tags:
            continue
        out.append(PublicEntry(
            anchor=_anchor(topic), question=chosen.question, short_answer=chosen.answer_short or "",
            answer=(chosen.answer_full or "").strip() or chosen.answer_short or "", category=chosen.category or "",
            tags=tags, last_reviewed_on=chosen.last_reviewed_on, language=chosen.language,
            fallback=chosen.language != lang))
    out.sort(key=lambda p: (p.fallback, not p.category, p.category.casefold(), p.question.casefold()))
    return out
