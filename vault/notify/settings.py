"""Notification settings, read once from the app config (defaults here, so the lead's DEFAULTS need not change)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from vault.notify.ssrf import Guard, Resolver


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass(frozen=True)
class Settings:
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    mail_from: str | None = None
    allow_private: bool = False
    delivery: str = "after_commit"  # or "cli": only `vault notify deliver` sends
    timeout: float = 20.0  # per send, in `vault notify deliver`
    inline_timeout: float = 5.0  # per send, right after a web request commits
    lease_seconds: int = 300  # longer than any one send can take
    max_response_bytes: int = 64 * 1024
    # Retention (days): `vault notify purge` and the in-app scheduler delete older sent / dead rows.
    retention_sent_days: int = 30
    retention_dead_days: int = 180  # longer: an admin may still want to read why it failed, or retry
    # Test seams (never read from config): addresses allowed although private, and a stand-in resolver.
    allow_addresses: frozenset[str] = field(default_factory=frozenset)
    resolver: Resolver | None = None

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        get = config.get
        ssl_on = _flag(get("SMTP_SSL", False))
        return cls(
            smtp_host=get("SMTP_HOST") or "localhost",
            smtp_port=int(get("SMTP_PORT") or (465 if ssl_on else 25)),
            smtp_username=get("SMTP_USERNAME") or None,
            smtp_password=get("SMTP_PASSWORD") or None,
            smtp_starttls=_flag(get("SMTP_STARTTLS", False)),
            smtp_ssl=ssl_on,
            mail_from=get("MAIL_FROM") or None,
            allow_private=_flag(get("NOTIFY_ALLOW_PRIVATE_TARGETS", False)),
            delivery=str(get("NOTIFY_DELIVERY") or "after_commit"),
            timeout=float(get("NOTIFY_TIMEOUT") or 20.0),
            inline_timeout=float(get("NOTIFY_INLINE_TIMEOUT") or 5.0),
            retention_sent_days=max(1, int(get("NOTIFY_RETENTION_SENT_DAYS") or 30)),
            retention_dead_days=max(1, int(get("NOTIFY_RETENTION_DEAD_DAYS") or 180)),
        )

    def guard(self) -> Guard:
        return Guard(allow_private=self.allow_private, allow_addresses=self.allow_addresses, resolver=self.resolver)
