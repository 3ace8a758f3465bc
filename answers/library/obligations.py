"""Dated obligations of the answer library for legal's timeline: reviews due, answers gone stale."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from answers.library.models import LibraryEntry
from answers.library.stale import problem_sentence, snippet, stale_entries
from vault.documents.models import Document
from vault.expiry.obligations import Kind, Obligation, owner_fields, register


@register("library_reviews")
def library_review_obligations(session: Session, today: date):
    entries = session.scalars(select(LibraryEntry).where(LibraryEntry.status != "retired")
                              .options(selectinload(LibraryEntry.evidence).selectinload(Document.framework_links)))
    for entry in entries:
        due = entry.review_due_on()
        never = due is None
        if never:
            due = entry.created_at.date()
        frameworks = sorted({f for d in entry.evidence for f in d.frameworks})
        yield Obligation(
            key=f"library:{entry.uid}:review:{'never' if never else due.isoformat()}", kind=Kind.LIBRARY_REVIEW,
            title=f"{entry.ref}: {snippet(entry.question)}", due_on=due, lapsed=never,
            frameworks=tuple(frameworks), notify_legal=False,
            detail=_l("Never reviewed.") if never else _l("Last reviewed on %(day)s; reviewed every %(days)d days.",
                                                          day=entry.last_reviewed_on.isoformat(),
                                                          days=entry.review_interval_days),
            link_endpoint="library.detail", link_args=(("uid", entry.uid),), source="library_reviews",
            **owner_fields(entry.owner))


@register("stale_answers")
def stale_answer_obligations(session: Session, today: date):
    for s in stale_entries(session, today):
        entry, doc, p = s.entry, s.document, s.problem
        owner = entry.owner if entry.owner is not None and entry.owner.active else None
        yield Obligation(
            key=f"library:{entry.uid}:stale:{doc.uid}:{p.marker}:{p.reason}", kind=Kind.STALE_ANSWER,
            # due_on is the last valid day, like a document's own obligation: one date rule on the timeline
            title=f"{entry.ref}: {snippet(entry.question)}", due_on=p.last_valid_day,
            owner_id=entry.owner_id, owner_email=owner.email if owner else "",
            owner_name=(owner.name or owner.email) if owner else "",
            frameworks=tuple(doc.frameworks), detail=problem_sentence(p, doc.title_for("en")),
            link_endpoint="library.detail", link_args=(("uid", entry.uid),), source="stale_answers")
