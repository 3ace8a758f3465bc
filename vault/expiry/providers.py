"""The built-in providers of dated obligations: document versions, library reviews, access grants.

Each is a small function registered in `obligations.PROVIDERS`; stale answers register themselves in
`stale.py`. NDAs: `NdaAcceptance` has no end date yet, so `nda_obligations` registers only once the
access model gains one (`expires_on`, a date) — see docs/expiry.md.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from answers.library.models import LibraryEntry
from vault.documents.models import Document
from vault.documents.service import current_version
from vault.expiry import stale  # noqa: F401 - registers the stale-answer provider
from vault.expiry.obligations import Kind, Obligation, register

# A document whose title says so is a bridge (gap) letter: it covers the time from the end of an audit
# period until the next report, so its expiry is shown as such.
BRIDGE_TITLE = re.compile(r"bridge|gap letter|桥接|过渡函", re.IGNORECASE)
AUDIT_END_LOOKBACK_DAYS = 365  # an audit period end stays on the timeline this long after the day
GRANT_LOOKBACK_DAYS = 30  # an access grant stays on the timeline this long after it ran out


def _owner_fields(user) -> dict:
    active = user is not None and user.active
    return {"owner_id": user.id if user is not None else None, "owner_email": user.email if active else "",
            "owner_name": (user.name or user.email) if active else ""}


def _is_bridge_letter(document: Document) -> bool:
    return any(BRIDGE_TITLE.search(t.title or "") for t in document.texts)


@register("documents")
def document_obligations(session: Session, today: date):
    documents = session.scalars(select(Document).options(
        selectinload(Document.texts), selectinload(Document.framework_links), selectinload(Document.versions),
        selectinload(Document.owner)))
    for doc in documents:
        version = current_version(doc)
        if version is None:
            continue
        common = dict(title=doc.title_for("en"), frameworks=tuple(doc.frameworks),
                      link_endpoint="documents.detail", link_args=(("uid", doc.uid),), source="documents",
                      **_owner_fields(doc.owner))
        if version.expiry_date is not None:
            kind = Kind.BRIDGE_LETTER if _is_bridge_letter(doc) else Kind.DOCUMENT_EXPIRY
            yield Obligation(key=f"document:{doc.uid}:version:{version.uid}:expiry:{version.expiry_date}",
                             kind=kind, due_on=version.expiry_date,
                             detail=_l("Version %(number)d (%(filename)s)", number=version.number,
                                       filename=version.filename), **common)
        end = version.audit_period_end
        if end is not None and end >= today - timedelta(days=AUDIT_END_LOOKBACK_DAYS):
            start = version.audit_period_start.isoformat() if version.audit_period_start else "…"
            yield Obligation(key=f"document:{doc.uid}:version:{version.uid}:audit-end:{end}",
                             kind=Kind.AUDIT_PERIOD_END, due_on=end, repeat_overdue=False,
                             detail=_l("Audit period %(start)s to %(end)s: a bridge letter covers the gap "
                                       "until the next report.", start=start, end=end.isoformat()), **common)


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
            title=f"{entry.ref}: {stale._snippet(entry.question)}", due_on=due, lapsed=never,
            frameworks=tuple(frameworks), notify_legal=False,
            detail=_l("Never reviewed.") if never else _l("Last reviewed on %(day)s; reviewed every %(days)d days.",
                                                          day=entry.last_reviewed_on.isoformat(),
                                                          days=entry.review_interval_days),
            link_endpoint="library.detail", link_args=(("uid", entry.uid),), source="library_reviews",
            **_owner_fields(entry.owner))


@register("grants")
def grant_obligations(session: Session, today: date):
    from vault.access.models import Grant

    since = today - timedelta(days=GRANT_LOOKBACK_DAYS)
    grants = session.scalars(select(Grant).where(Grant.revoked_at.is_(None))
                             .options(selectinload(Grant.documents), selectinload(Grant.created_by)))
    for grant in grants:
        due = grant.expires_at.date()
        if due < since:
            continue
        yield Obligation(
            key=f"grant:{grant.uid}:expires:{due.isoformat()}", kind=Kind.GRANT_EXPIRY,
            title=f"{grant.name} ({grant.company})", due_on=due, repeat_overdue=False,
            detail=_l("Access for %(email)s to %(count)d documents.", email=grant.email, count=len(grant.documents)),
            link_endpoint="access_staff.grants", source="grants", **_owner_fields(grant.created_by))


def nda_obligations(session: Session, today: date):
    """Signed NDAs with an end date (once `NdaAcceptance.expires_on` exists)."""
    from vault.access.models import NdaAcceptance

    column = getattr(NdaAcceptance, "expires_on", None)
    for nda in session.scalars(select(NdaAcceptance).where(column.is_not(None))):
        yield Obligation(
            key=f"nda:{nda.uid}:expires:{nda.expires_on.isoformat()}", kind=Kind.NDA_EXPIRY,
            title=f"{nda.full_name} ({nda.company})", due_on=nda.expires_on,
            detail=_l("NDA signed by %(email)s.", email=nda.email), link_endpoint="access_staff.ndas",
            source="ndas", **_owner_fields(nda.recorded_by))


def _register_nda_provider() -> None:
    from vault.access.models import NdaAcceptance
    if hasattr(NdaAcceptance, "expires_on"):
        register("ndas")(nda_obligations)


_register_nda_provider()
