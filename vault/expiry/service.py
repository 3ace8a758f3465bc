"""Expiry operations: settings, destinations, the timeline, calendar feeds. Services flush; callers commit."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.auth.models import User
from vault.db import utcnow
from vault.expiry.models import (DEFAULT_THRESHOLDS, CalendarFeed, ReminderDestination, ReminderSettings,
                                 SentReminder)
from vault.expiry.obligations import Collected, Filters, Obligation, apply_filters, collect
from vault.inputs import InvalidInput, clean_text, normalise_email

MAX_THRESHOLDS = 12
MAX_THRESHOLD_DAYS = 3650
LABEL_MAX = 200


# --- settings -------------------------------------------------------------------------------------

def get_settings(session: Session) -> ReminderSettings:
    """The one settings row (created with the defaults when absent; flushed, not committed)."""
    row = session.scalar(select(ReminderSettings).order_by(ReminderSettings.id).limit(1))
    if row is None:
        row = ReminderSettings(thresholds=list(DEFAULT_THRESHOLDS), overdue_repeat_days=7, notify_owner=True,
                               notify_legal_role=True, legal_emails="", scheduler_enabled=False,
                               scheduler_interval_minutes=10)
        session.add(row)
        session.flush()
    return row


def parse_thresholds(text: str) -> list[int]:
    """"90, 30, 7, 1" -> [90, 30, 7, 1] (also spaces, semicolons, Chinese commas); refuses junk."""
    parts = [p for p in str(text or "").replace("，", ",").replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise InvalidInput("thresholds", _l("Give at least one number of days, for example 90, 30, 7, 1."),
                           "thresholds")
    values = []
    for p in parts:
        if not p.isdigit() or int(p) > MAX_THRESHOLD_DAYS:
            raise InvalidInput("thresholds", _l("“%(value)s” is not a number of days from 0 to %(max)d.", value=p[:20],
                                  max=MAX_THRESHOLD_DAYS), "thresholds")
        values.append(int(p))
    values = sorted(set(values), reverse=True)
    if len(values) > MAX_THRESHOLDS:
        raise InvalidInput("thresholds", _l("Give at most %(max)d reminder days.", max=MAX_THRESHOLDS), "thresholds")
    return values


def parse_emails(text: str) -> list[str]:
    from vault.notify.channels.email import validate_target
    out: list[str] = []
    for line in str(text or "").replace(",", "\n").replace(";", "\n").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            addr, _name = validate_target(line)
        except ValueError as exc:
            raise InvalidInput("email", _l("“%(value)s” is not an email address: %(reason)s", value=line[:100],
                                  reason=str(exc)), "legal_emails") from exc
        addr = normalise_email(addr)
        if addr not in out:
            out.append(addr)
    return out


@dataclass
class SettingsFields:
    thresholds: str
    overdue_repeat_days: int
    notify_owner: bool
    notify_legal_role: bool
    legal_emails: str
    scheduler_enabled: bool
    scheduler_interval_minutes: int


def update_settings(session: Session, f: SettingsFields) -> dict:
    """Check and apply; returns {field: [old, new]} for the audit trail."""
    thresholds = parse_thresholds(f.thresholds)
    emails = parse_emails(f.legal_emails)
    if not 1 <= int(f.overdue_repeat_days or 0) <= 365:
        raise InvalidInput("repeat_days", _l("Repeat overdue reminders every 1 to 365 days."), "overdue_repeat_days")
    if not 1 <= int(f.scheduler_interval_minutes or 0) <= 1440:
        raise InvalidInput("interval", _l("Run the in-app scheduler every 1 to 1440 minutes."),
                           "scheduler_interval_minutes")
    row = get_settings(session)
    new = {"thresholds": thresholds, "overdue_repeat_days": int(f.overdue_repeat_days),
           "notify_owner": bool(f.notify_owner), "notify_legal_role": bool(f.notify_legal_role),
           "legal_emails": "\n".join(emails), "scheduler_enabled": bool(f.scheduler_enabled),
           "scheduler_interval_minutes": int(f.scheduler_interval_minutes)}
    changes = {k: [getattr(row, k), v] for k, v in new.items() if getattr(row, k) != v}
    for k, (_old, v) in changes.items():
        setattr(row, k, v)
    if changes:
        row.updated_at = utcnow()
    session.flush()
    return changes


# --- destinations (chat and webhooks) ----------------------------------------------------------

def add_destination(session: Session, *, channel: str, target: str, secret: str | None, label: str,
                    notify_settings) -> ReminderDestination:
    """Checked through notify (syntax, and the address now: private targets refused unless allowed)."""
    from vault import notify
    from vault.notify.channels import SIGNED_CHANNELS, URL_CHANNELS

    channel, target, secret = channel.strip(), (target or "").strip(), (secret or "").strip() or None
    if channel not in URL_CHANNELS:
        raise InvalidInput("channel", _l("Choose a channel."), "channel")
    label = clean_text(label, field="label", max_len=LABEL_MAX, label=_l("Name"), multiline=False)
    if channel == "webhook" and not secret:
        raise InvalidInput("secret", _l("A generic webhook needs a signing secret."), "secret")
    if secret and channel not in SIGNED_CHANNELS:
        raise InvalidInput("secret", _l("This channel takes no signing secret."), "secret")
    if len(target) > 2048:
        raise InvalidInput("too_long", _l("The URL is too long."), "target")
    try:
        notify.check_target(channel, target, notify_settings)
    except notify.NotifyError as exc:
        raise InvalidInput("target", str(exc), "target") from exc
    row = ReminderDestination(channel=channel, target=target, secret=secret, label=label, enabled=True)
    session.add(row)
    session.flush()
    return row


def list_destinations(session: Session, *, enabled_only: bool = False) -> list[ReminderDestination]:
    stmt = select(ReminderDestination).order_by(ReminderDestination.id)
    if enabled_only:
        stmt = stmt.where(ReminderDestination.enabled.is_(True))
    return list(session.scalars(stmt))


def get_destination(session: Session, uid: str) -> ReminderDestination | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(ReminderDestination).where(ReminderDestination.uid == uid))


def masked(dest: ReminderDestination) -> str:
    from vault.notify.models import Outbox
    from vault.notify.service import masked_target
    return masked_target(Outbox(channel=dest.channel, target=dest.target))


# --- the timeline ---------------------------------------------------------------------------------

def obligations(session: Session, today: date) -> Collected:
    return collect(session, today)


def timeline(session: Session, today: date, filters: Filters) -> tuple[list[Obligation], Collected]:
    collected = collect(session, today)
    return apply_filters(collected.obligations, filters, today), collected


def owners(session: Session, items: list[Obligation]) -> list[User]:
    ids = {o.owner_id for o in items if o.owner_id is not None}
    if not ids:
        return []
    return sorted(session.scalars(select(User).where(User.id.in_(ids))), key=lambda u: (u.name or u.email).casefold())


def recent_reminders(session: Session, limit: int = 50) -> list[SentReminder]:
    return list(session.scalars(select(SentReminder).order_by(SentReminder.sent_at.desc(), SentReminder.id.desc())
                                .limit(limit)))


# --- calendar feeds ------------------------------------------------------------------------------


def create_feed(session: Session, user: User, *, label: str = "", mine_only: bool = False) -> tuple[CalendarFeed, str]:
    """A new feed and its token (256 bits). The token is shown once; only its hash is stored."""
    label = clean_text(label, field="label", max_len=LABEL_MAX, label=_l("Name"), multiline=False)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user.id, token_hash=hash_token(token), label=label, mine_only=bool(mine_only))
    session.add(feed)
    session.flush()
    return feed, token


def feed_for_token(session: Session, token: str) -> CalendarFeed | None:
    """The live feed for `token`: unknown, revoked, or its user disabled or without expiry.view -> None."""
    if not token or len(token) > 128:
        return None
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))
    if feed is None or not hmac.compare_digest(feed.token_hash, hash_token(token)):
        return None
    if feed.revoked_at is not None or not feed.user.can("expiry.view"):
        return None
    return feed


def list_feeds(session: Session, user: User | None = None) -> list[CalendarFeed]:
    """A user's feeds (None: everyone's, for admins), newest first."""
    stmt = select(CalendarFeed).order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc())
    if user is not None:
        stmt = stmt.where(CalendarFeed.user_id == user.id)
    return list(session.scalars(stmt))


def get_feed(session: Session, uid: str) -> CalendarFeed | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(CalendarFeed).where(CalendarFeed.uid == uid))


def revoke_feed(session: Session, feed: CalendarFeed, now: datetime | None = None) -> bool:
    """Revoke for good; False if it was revoked already."""
    if feed.revoked_at is not None:
        return False
    feed.revoked_at = now or utcnow()
    session.flush()
    return True


def feed_obligations(session: Session, feed: CalendarFeed, today: date) -> list[Obligation]:
    items = collect(session, today).obligations
    if feed.mine_only:
        items = [o for o in items if o.owner_id == feed.user_id]
    return items


# --- links in emails, chat and calendars --------------------------------------------------------

from vault.web import external_url  # noqa: E402  (re-exported for the views and reminders)
from vault.tokens import hash_token


def obligation_url(o: Obligation) -> str | None:
    if not o.link_endpoint:
        return None
    try:
        return external_url(o.link_endpoint, **dict(o.link_args))
    except Exception:  # noqa: BLE001 - a provider's endpoint that does not exist costs the link only
        return None
