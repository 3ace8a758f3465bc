"""Answers that depend on evidence: an entry whose evidence document expired or was withdrawn is stale.

Computed, never stored: staleness is a function of the documents and the day, so renewing a document
(a new, valid version) clears it with nothing to keep in step. Stale entries are not auto-filled
(`answers.library.index.LibraryIndex.entries` marks them, `answers.autofill` suggests them only), and
their owners are reminded through the `stale_answers` obligations (`answers/library/obligations.py`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from answers.library.models import LibraryEntry, entry_evidence
from vault.documents.models import Document
from vault.documents.service import current_version
from vault.documents.status import expired_since, is_expired

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvidenceProblem:
    reason: str  # "expired" | "withdrawn"
    since: date  # the first day the evidence no longer holds (documents.status.expired_since for "expired")
    marker: str  # the version it is about: a renewal and a later lapse is a new problem

    @property
    def last_valid_day(self) -> date:
        """The expiry date for "expired"; the day before the withdrawal otherwise."""
        return self.since - timedelta(days=1)


def evidence_problem(document: Document, today: date) -> EvidenceProblem | None:
    """Why `document` no longer backs an answer today, or None while it does (or never had a file)."""
    current = current_version(document)
    if current is None:
        withdrawn = [v for v in document.versions if v.withdrawn]
        if not withdrawn:
            return None  # nothing was ever uploaded: nothing lapsed
        last = max(withdrawn, key=lambda v: v.withdrawn_at)
        return EvidenceProblem("withdrawn", last.withdrawn_at.date(), last.uid)
    if is_expired(current.expiry_date, today):
        return EvidenceProblem("expired", expired_since(current.expiry_date), current.uid)
    return None


@dataclass(frozen=True)
class StaleEvidence:
    entry: LibraryEntry
    document: Document
    problem: EvidenceProblem


def stale_entries(session: Session, today: date) -> list[StaleEvidence]:
    """Every (live entry, lapsed evidence document) pair, by entry reference."""
    linked = select(entry_evidence.c.entry_id)
    entries = session.scalars(
        select(LibraryEntry).where(LibraryEntry.id.in_(linked), LibraryEntry.status != "retired")
        .order_by(LibraryEntry.ref)
        .options(selectinload(LibraryEntry.evidence).selectinload(Document.versions),
                 selectinload(LibraryEntry.evidence).selectinload(Document.texts),
                 selectinload(LibraryEntry.evidence).selectinload(Document.framework_links)))
    out = []
    for entry in entries:
        for document in entry.evidence:
            problem = evidence_problem(document, today)
            if problem is not None:
                out.append(StaleEvidence(entry, document, problem))
    return out


def stale_refs(session: Session, today: date) -> set[str]:
    """References of the entries that must not be auto-filled today."""
    return {s.entry.ref for s in stale_entries(session, today)}


def stale_by_ref(session: Session, today: date, refs=None) -> dict[str, list[StaleEvidence]]:
    """{entry ref: its lapsed evidence}, for the given refs (all when None): one query for a page."""
    out: dict[str, list[StaleEvidence]] = {}
    wanted = None if refs is None else set(refs)
    if wanted is not None and not wanted:
        return out
    for s in stale_entries(session, today):
        if wanted is None or s.entry.ref in wanted:
            out.setdefault(s.entry.ref, []).append(s)
    return out


def entry_evidence_problems(entry: LibraryEntry, today: date) -> list[StaleEvidence]:
    """One entry's lapsed evidence (its own page)."""
    if entry.status == "retired":
        return []
    return [StaleEvidence(entry, d, p) for d in entry.evidence if (p := evidence_problem(d, today)) is not None]


def describe(s: StaleEvidence, locale: str | None = None):
    """The one sentence for why an answer is stale, naming the evidence and the day (lazy: translated when
    shown). `locale` = the document title's language; the CLI report asks for it in English."""
    return problem_sentence(s.problem, s.document.title_for(locale or "en") or s.document.uid)


def describe_en(s: StaleEvidence) -> str:
    """The same sentence in English, for the JSON report (`vault autofill --report`)."""
    with force_locale("en"):
        return str(describe(s, "en"))


def is_stale(entry: LibraryEntry, today: date) -> bool:
    return entry.status != "retired" and any(evidence_problem(d, today) for d in entry.evidence)


# --- who received the answer ---------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerUse:
    """One questionnaire that received an entry's answer."""
    questionnaire: str  # its name, e.g. the customer's file name
    customer: str = ""
    answered_on: date | None = None
    link_endpoint: str = ""
    link_args: tuple[tuple[str, str], ...] = ()


AnswerUsesHook = Callable[[Session, LibraryEntry], list[AnswerUse]]
ANSWER_USES_HOOKS: list[AnswerUsesHook] = []


def register_answer_uses(fn: AnswerUsesHook) -> AnswerUsesHook:
    """The questionnaires feature tells legal (and the entry page) which questionnaires received an entry's
    answer, without the library importing it: `fn(session, entry) -> [AnswerUse, ...]`."""
    if fn not in ANSWER_USES_HOOKS:
        ANSWER_USES_HOOKS.append(fn)
    return fn


def answer_uses(session: Session, entry: LibraryEntry) -> list[AnswerUse]:
    uses: list[AnswerUse] = []
    for hook in ANSWER_USES_HOOKS:
        try:
            uses.extend(hook(session, entry))
        except Exception:  # noqa: BLE001 - the stale list must still show; the log says what broke
            log.exception("answer-uses hook %r failed", hook)
    return sorted(uses, key=lambda u: (u.answered_on or date.min, u.questionnaire), reverse=True)


def problem_sentence(p: EvidenceProblem, document: str):
    """Lazy: translated when shown, in the reader's language."""
    if p.reason == "expired":
        return _l("Its evidence “%(document)s” has been expired since %(day)s (last valid day %(last)s).",
                  document=document, day=p.since.isoformat(), last=p.last_valid_day.isoformat())
    return _l("Its evidence “%(document)s” has been withdrawn since %(day)s.", document=document,
              day=p.since.isoformat())


def snippet(text: str, limit: int = 80) -> str:
    """A question cut to one line for timelines and reminders."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
