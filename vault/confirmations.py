"""Confirmation mails to addresses somebody typed into a public form (every `vault.subscriptions` list:
status updates, subprocessor changes): how often one address may get one.

Anyone can type anyone's address, so the limit is per recipient and per list, not per visitor: while a
confirmation sent to the address less than CONFIRM_MAIL_WINDOW_MINUTES ago is still pending, another
request sends nothing and adds no row (the page answers the same, so it tells nobody that a request is
pending). After the window a new request replaces the pending one: at most one pending row per address
per list, at most one mail per window. The per-IP rate limits stay in front of this.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app

DEFAULT_WINDOW_MINUTES = 60


def window() -> timedelta:
    minutes = current_app.config.get("CONFIRM_MAIL_WINDOW_MINUTES", DEFAULT_WINDOW_MINUTES)
    return timedelta(minutes=float(minutes))


def confirm_mail_may_go(last_sent_at: datetime | None, now: datetime) -> bool:
    """True when no confirmation went to the address within the window before `now`."""
    if last_sent_at is None:
        return True
    if last_sent_at.tzinfo is None:  # SQLite hands back naive UTC in some paths
        last_sent_at = last_sent_at.replace(tzinfo=timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now - last_sent_at >= window()
