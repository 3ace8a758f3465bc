"""POST JSON to a guarded URL: connect to the pinned address, send the real Host and TLS name, never
follow a redirect, read at most a few kilobytes of the answer."""
from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from vault.notify.channels.base import DeliveryError
from vault.notify.ssrf import Guard, TargetRefused

USER_AGENT = "trustvault-notify/1"
# A Retry-After further out than this is capped: the row would otherwise sit unseen for days, and the
# next attempt simply asks again. Zero or a date in the past still waits a second (no hot loop).
MAX_RETRY_AFTER = timedelta(hours=24)
MIN_RETRY_AFTER = timedelta(seconds=1)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes

    def json(self) -> dict | None:
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def snippet(self, limit: int = 300) -> str:
        return self.body[:limit].decode("utf-8", "replace").strip()


def encode_json(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def post_json(url: str, body: bytes | None, *, guard: Guard, timeout: float, max_bytes: int,
              headers: dict[str, str] | None = None, method: str = "POST") -> HttpAnswer:
    """Send `body` (JSON bytes); 2xx comes back as an answer, anything else raises DeliveryError.
    `method="GET"` with no body serves the read half of an API (the CRM lookups)."""
    try:
        target = guard.pin(url)
    except TargetRefused as exc:
        raise DeliveryError(f"URL refused: {exc}", permanent=True) from exc
    send_headers = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",  # no decompression bombs
        **({"Content-Type": "application/json; charset=utf-8"} if body is not None else {}),
        **(headers or {}),
    }
    t = urllib3.Timeout(connect=min(timeout, 10.0), read=timeout, total=timeout)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address, target.port, timeout=t, retries=False, maxsize=1, block=False,
            server_hostname=target.host, assert_hostname=target.host, ssl_context=ssl.create_default_context())
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=t, retries=False, maxsize=1)
    try:
        resp = pool.urlopen(method, target.request_target, body=body, headers=send_headers, redirect=False,
                            retries=False, preload_content=False, decode_content=False, assert_same_host=False)
        try:
            data = resp.read(max_bytes + 1, decode_content=False)
        finally:
            resp.release_conn()
    except (Urllib3Error, OSError) as exc:
        detail = str(exc).replace(target.request_target, "/…")  # the path and query may hold a token
        raise DeliveryError(f"could not reach {target.host}:{target.port} ({type(exc).__name__}: {detail})") from exc
    finally:
        pool.close()
    if len(data) > max_bytes:
        raise DeliveryError(f"the answer from {target.host} is larger than {max_bytes} bytes")
    answer = HttpAnswer(resp.status, data)
    if 300 <= resp.status < 400:
        location = resp.headers.get("Location", "")[:200]
        raise DeliveryError(f"{target.host} answered {resp.status} redirecting to {location!r}; "
                            "redirects are never followed", permanent=True)
    if resp.status >= 400:
        # 4xx means the request or the URL is wrong: retrying will not help (408/425/429 excepted).
        permanent = resp.status < 500 and resp.status not in (408, 425, 429)
        wait = None
        if resp.status in (429, 503):  # RFC 9110 10.2.3: Retry-After goes with these two
            wait = retry_after(resp.headers.get("Retry-After"), resp.headers.get("Date"))
        raise DeliveryError(f"{target.host} answered HTTP {resp.status}: {answer.snippet()}", permanent=permanent,
                            retry_after=wait)
    if resp.status < 200:
        raise DeliveryError(f"{target.host} answered HTTP {resp.status}")
    return answer


def retry_after(value: str | None, date: str | None = None, *, now: datetime | None = None) -> timedelta | None:
    """Retry-After as a wait: delay-seconds, or an HTTP-date measured against the answer's own Date
    header (so a skewed clock on either side does not matter), else against `now`. None if absent or
    unreadable; clamped to MIN_RETRY_AFTER..MAX_RETRY_AFTER."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        wait = timedelta(seconds=int(value[:9]))  # at most 9 digits: ~31 years, capped below anyway
    else:
        when, base = _http_date(value), _http_date(date) if date else None
        if when is None:
            return None
        wait = when - (base or now or datetime.now(timezone.utc))
    return max(MIN_RETRY_AFTER, min(MAX_RETRY_AFTER, wait))


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
