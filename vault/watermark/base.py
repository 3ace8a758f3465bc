"""What every watermark carries: the recipient, the texts shown, and the one error type."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A download id is a random URL-safe token (secrets.token_urlsafe(16) gives 22 characters).
DOWNLOAD_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
FIELD_MAX = 200


class WatermarkError(Exception):
    """The file cannot be watermarked; the message says why, in words for a person."""


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    company: str
    downloaded_at: str  # e.g. "2026-11-24 05:40 UTC", shown as given
    download_id: str  # unguessable token, URL-safe characters only


def _clean(value: str) -> str:
    """One line of printable text: control and format characters (bidi overrides, NUL) removed."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in unicodedata.normalize("NFC", value or ""))
    text = " ".join(text.split())
    if len(text) > FIELD_MAX:
        text = text[: FIELD_MAX - 1] + "…"
    return text


def checked(recipient: Recipient) -> Recipient:
    """The recipient with every shown field cleaned; WatermarkError for a malformed download id.

    A bad id is a programming error upstream, but refusing it here means no copy ever carries an id
    that the tracer could not read back.
    """
    if not DOWNLOAD_ID_RE.match(recipient.download_id or ""):
        raise WatermarkError("The download id must be 8 to 64 URL-safe characters (A-Z, a-z, 0-9, '-', '_').")
    return Recipient(_clean(recipient.name), _clean(recipient.email), _clean(recipient.company),
                     _clean(recipient.downloaded_at), recipient.download_id)


def footer_line(r: Recipient) -> str:
    return f"Confidential — downloaded by {r.name} ({r.email}), {r.company}, {r.downloaded_at} — download ID {r.download_id}"


def diagonal_lines(r: Recipient) -> list[str]:
    return [f"{r.name} · {r.company}", r.email, f"{r.downloaded_at} · {r.download_id}"]
