"""What every channel shares: the message, one addressed copy of it, the delivery context, the error."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from vault.notify.settings import Settings
from vault.notify.ssrf import Guard

# Chat tools cap message sizes (WeCom markdown 4096 bytes, Feishu 20 KB bodies); keep well inside.
MAX_CHAT_TEXT = 3000


@dataclass
class Message:
    subject: str
    text: str
    html: str | None = None
    url: str | None = None
    data: dict = field(default_factory=dict)  # structured JSON for the generic webhook


@dataclass(frozen=True)
class Envelope:
    """One outbox row as a channel sees it: no database, no Flask."""
    id: int
    uid: str
    channel: str
    target: str
    message: Message
    target_name: str = ""
    headers: dict = field(default_factory=dict)
    secret: str | None = None


@dataclass(frozen=True)
class DeliveryContext:
    settings: Settings
    now: datetime
    timeout: float

    @property
    def guard(self) -> Guard:
        return self.settings.guard()


class DeliveryError(Exception):
    """A failed send. `permanent`: retrying cannot help (refused URL, 4xx, recipient rejected).
    `retry_after`: the receiver said when to come back (HTTP Retry-After, a vendor's rate limit)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = None if permanent else retry_after


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_bytes(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut on a character boundary."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", "ignore") + "…"


def defang_links(text: str) -> str:
    """Caller text may hold user input (a company name in an access request): keep it from becoming a
    Markdown link or image whose shown text hides where it points. `[a] (b)` is not a link."""
    return text.replace("](", "] (")


def link_label(message: Message, default: str = "Open") -> str:
    """The words on the message's link button ("Approve"), set by the sender in `data["link_label"]`."""
    label = " ".join(str((message.data or {}).get("link_label") or "").split())
    return clip(label, 40) if label else default


def markdown_body(message: Message, *, heading: str = "### ") -> str:
    """Subject as a heading, the text, then our own link: the Markdown the chat tools render."""
    parts = [f"{heading}{defang_links(message.subject)}", clip(defang_links(message.text), MAX_CHAT_TEXT)]
    if message.url:
        label = defang_links(link_label(message, "")).replace("[", "(").replace("]", ")")
        parts.append(f"[{label}: {message.url}]({message.url})" if label else f"[{message.url}]({message.url})")
    return "\n\n".join(p for p in parts if p.strip())


def check_errcode(answer, *, key: str = "errcode", vendor: str, permanent: frozenset[int] = frozenset(),
                  rate_limited: Mapping[int, timedelta | None] | None = None) -> None:
    """DingTalk, WeCom (errcode) and Feishu (code) answer HTTP 200 even on failure: read the body.

    A code in `permanent` (the vendor documents it as a bad URL/token, signature or keyword check:
    retrying the same message cannot pass) makes the row dead at once. A code in `rate_limited` is
    retried, after the given wait if there is one. Any other code is retried too: an unknown code
    may be the vendor's passing trouble, and the backoff ends in `dead` anyway."""
    body = answer.json()
    if body is None:
        raise DeliveryError(f"{vendor} answered with something that is not JSON: {answer.snippet()}")
    code = body.get(key)
    if code is None and key == "code":
        code = body.get("StatusCode")  # Feishu's older answer shape
    if code != 0:
        msg = body.get("errmsg") or body.get("msg") or body.get("StatusMessage") or ""
        text = f"{vendor} refused the message: {key} {code} {msg}".strip()
        known = code if isinstance(code, int) and not isinstance(code, bool) else None  # bodies vary
        limits = rate_limited or {}
        if known in limits:
            raise DeliveryError(f"{text} (rate limited)", retry_after=limits[known])
        raise DeliveryError(text, permanent=known in permanent)
