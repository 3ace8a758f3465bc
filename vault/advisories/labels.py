"""Words shown to people for the stored codes (severity), in the reader's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SEVERITY_NAMES = {
    "none": _l("None"),
    "low": _l("Low"),
    "medium": _l("Medium"),
    "high": _l("High"),
    "critical": _l("Critical"),
}


def severity_name(code: str) -> str:
    return str(SEVERITY_NAMES.get(code, code))


def template_helpers() -> dict:
    return {"severity_name": severity_name}
