"""Display labels for document types, visibility and status, translated (Flask-Babel)."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from vault.documents.models import FRAMEWORKS, DocumentType, Visibility
from vault.documents.status import Status, StatusKind

TYPE_LABELS = {
    DocumentType.CERTIFICATION: _l("Certification"),
    DocumentType.AUDIT_REPORT: _l("Audit report"),
    DocumentType.PENTEST_SUMMARY: _l("Penetration test summary"),
    DocumentType.POLICY: _l("Policy"),
    DocumentType.DPA: _l("Data processing agreement (DPA)"),
    DocumentType.NDA_TEMPLATE: _l("NDA template"),
    DocumentType.WHITEPAPER: _l("Whitepaper"),
    DocumentType.OTHER: _l("Other"),
    DocumentType.TRUST_REPORT: _l("Custom trust report"),
}

VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Public"),
    Visibility.NDA: _l("Under NDA"),
    Visibility.INTERNAL: _l("Internal only"),
}


def type_label(value: str) -> str:
    return str(TYPE_LABELS.get(value, value))


def visibility_label(value: str) -> str:
    return str(VISIBILITY_LABELS.get(value, value))


# Most framework names are proper nouns; MLPS has its own Chinese name (等保).
FRAMEWORK_LABELS = {
    "mlps2_l2": _l("MLPS 2.0 level 2"),
    "mlps2_l3": _l("MLPS 2.0 level 3"),
}


def framework_label(code: str) -> str:
    return str(FRAMEWORK_LABELS.get(code) or FRAMEWORKS.get(code, code))


def status_label(status: Status) -> str:
    if status.kind == StatusKind.EXPIRING:
        if status.days_left == 0:
            return _("Expires today")
        return _("Expires in %(days)d days", days=status.days_left)
    return {
        StatusKind.VALID: _("Valid"),
        StatusKind.EXPIRED: _("Expired"),
        StatusKind.NO_EXPIRY: _("No expiry"),
        StatusKind.NO_VERSION: _("No current version"),
    }[status.kind]


def template_helpers() -> dict:
    return {"type_label": type_label, "visibility_label": visibility_label, "framework_label": framework_label,
            "status_label": status_label}


STATUS_FILTER_LABELS = {
    StatusKind.VALID: _l("Valid"),
    StatusKind.EXPIRING: _l("Expiring soon"),
    StatusKind.EXPIRED: _l("Expired"),
    StatusKind.NO_EXPIRY: _l("No expiry"),
    StatusKind.NO_VERSION: _l("No current version"),
}


def filter_choices() -> dict:
    return {"type_choices": list(TYPE_LABELS.items()), "visibility_choices": list(VISIBILITY_LABELS.items()),
            "status_choices": list(STATUS_FILTER_LABELS.items())}
