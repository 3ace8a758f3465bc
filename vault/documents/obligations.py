"""Dated obligations of documents for legal's timeline: version expiry, bridge letters, audit period ends."""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vault.documents.models import Document
from vault.documents.service import current_version
from vault.expiry.obligations import Kind, Obligation, owner_fields, register

# A document whose title says so is a bridge (gap) letter: it covers the time from the end of an audit
# period until the next report, so its expiry is shown as such.
BRIDGE_TITLE = re.compile(r"bridge|gap letter|桥接|过渡函", re.IGNORECASE)
AUDIT_END_LOOKBACK_DAYS = 365  # an audit period end stays on the timeline this long after the day


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
                      **owner_fields(doc.owner))
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
