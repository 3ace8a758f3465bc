"""Checks of what people type, in one place: the input error, email addresses, and short texts.

Every feature raises `InvalidInput` (or a subclass named for the feature) so a view or command shows the
message beside the right field and stores nothing. Plain Python: no Flask request, no database.
"""
from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

EMAIL_MAX = 254  # RFC 5321 path limit
# Invisible characters that can disguise a name ("invoice\u202Efdp.exe" shows as "invoiceexe.pdf").
BIDI_AND_INVISIBLE = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                               "\u2066\u2067\u2068\u2069\ufeff")
_LOCAL_EXTRA = set("!#$%&'*+-/=?^_`{|}~.")


class InvalidInput(ValueError):
    """Bad input: `code` is stable for tests and scripts, `message` is for a person, `field` names the form
    field it belongs to ("" when it is about the whole form)."""

    def __init__(self, code: str, message, field: str = "") -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def normalise_email(raw: str | None) -> str:
    """The one normal form of an address: NFC, trimmed, lower-cased (lookups and de-duplication use it)."""
    return unicodedata.normalize("NFC", raw or "").strip().lower()


def is_email(email: str) -> bool:
    """A plausible address in normal form: an ASCII RFC 5322 "atext" local part (what our mail path can send
    to) and a dotted domain of letters (any script), digits and hyphens. No quoted local parts."""
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    return (bool(at and local and domain) and len(email) <= EMAIL_MAX and len(local) <= 64
            and all(ch.isascii() and (ch.isalnum() or ch in _LOCAL_EXTRA) for ch in local)
            and not local.startswith(".") and not local.endswith(".") and ".." not in local
            and len(labels) >= 2 and all(label and len(label) <= 63 for label in labels)
            and all(ch.isalnum() or ch == "-" for label in labels for ch in label)
            and not any(label.startswith("-") or label.endswith("-") for label in labels))


def check_email(raw: str | None, *, field: str = "email", error: type[InvalidInput] = InvalidInput) -> str:
    """The address in normal form, or `error` (InvalidInput or a feature's subclass) saying what to type."""
    email = normalise_email(raw)
    if not is_email(email):
        raise error("email", _l("Enter a valid email address, such as name@example.com."), field)
    return email


def clean_text(value: str | None, *, field: str, max_len: int, label, multiline: bool = True,
               error: type[InvalidInput] = InvalidInput) -> str:
    """`value` trimmed and NFC-normalised, or `error`: control characters (tabs and line breaks allowed when
    `multiline`), invisible direction marks, or more than `max_len` characters are refused, never cut."""
    value = unicodedata.normalize("NFC", value or "").strip()
    allowed = "\n\t\r" if multiline else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):  # C0, DEL and C1
        raise error("control", _l("%(label)s contains control characters.", label=label), field)
    if any(ch in BIDI_AND_INVISIBLE for ch in value):
        raise error("invisible", _l("%(label)s contains invisible direction marks.", label=label), field)
    if len(value) > max_len:
        raise error("too_long", _l("%(label)s is too long (at most %(max)d characters).", label=label,
                                   max=max_len), field)
    return value
