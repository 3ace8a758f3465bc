"""Translated labels for obligation kinds and due dates."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l

from vault.expiry.obligations import Kind, Obligation

KIND_LABELS = {
    Kind.DOCUMENT_EXPIRY: _l("Document expires"),
    Kind.BRIDGE_LETTER: _l("Bridge letter ends"),
    Kind.AUDIT_PERIOD_END: _l("Audit period ends"),
    Kind.GRANT_EXPIRY: _l("Access grant ends"),
    Kind.NDA_EXPIRY: _l("NDA ends"),
    Kind.LIBRARY_REVIEW: _l("Answer review due"),
    Kind.STALE_ANSWER: _l("Answer is stale"),
}

HORIZON_LABELS = {
    "overdue": _l("Overdue"),
    "30": _l("Next 30 days"),
    "60": _l("Next 60 days"),
    "90": _l("Next 90 days"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def when_label(o: Obligation, today: date) -> str:
    overdue = o.days_overdue(today)
    if overdue >= 1:
        return _("Overdue by %(days)d days", days=overdue) if overdue > 1 else _("Overdue by 1 day")
    left = -overdue
    if left == 0:
        return _("Due today")
    return _("Due in %(days)d days", days=left) if left > 1 else _("Due tomorrow")


def badge(o: Obligation, today: date, soon_days: int = 30) -> str:
    if o.is_overdue(today):
        return "badge-expired"
    return "badge-soon" if o.days_left(today) <= soon_days else "badge-valid"


def template_helpers() -> dict:
    return {"kind_label": kind_label, "when_label": when_label, "due_badge": badge}
