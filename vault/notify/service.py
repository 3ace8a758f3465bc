"""The one notification path: enqueue in the caller's transaction, deliver from the outbox.

`send` / `send_email` add outbox rows and flush (the caller commits, so a rolled-back action sends
nothing). `deliver_pending` is the job: it claims one due row at a time (PostgreSQL: SELECT ... FOR
UPDATE SKIP LOCKED; every engine: a compare-and-set UPDATE writing a claim token and a lease), commits
the claim, sends outside any transaction, then records the outcome. A runner that dies mid-send leaves
the row "sending" with a lease that runs out; the next run takes it again (at least once: emails carry
a Message-ID and webhooks a delivery id derived from the row, so receivers can drop the duplicate).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from vault import audit
from vault.db import utcnow
from vault.notify.channels import CHANNELS, SECRET_CHANNELS, URL_CHANNELS
from vault.notify.channels import email as email_channel
from vault.notify.channels.base import DeliveryContext, DeliveryError, Envelope, Message
from vault.notify.models import Outbox
from vault.notify.settings import Settings
from vault.notify.ssrf import TargetRefused, split_url

# Wait after the 1st, 2nd, ... failed attempt; after the last one the row is dead (6 attempts in all).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
FAILED_STATUSES = ("retry", "dead")
SESSION_KEY = "vault.notify.enqueued"  # ids enqueued in a session, for after-commit delivery


ERASED_BODY = "[erased after delivery: the message carried a one-time link]"


class NotifyError(ValueError):
    """Bad input to send/send_email: a clear message, nothing enqueued."""


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # dead: no more automatic tries
    retrying: int = 0

    def __add__(self, other: "DeliveryReport") -> "DeliveryReport":
        return DeliveryReport(self.sent + other.sent, self.failed + other.failed, self.retrying + other.retrying)


# --- enqueue -------------------------------------------------------------------------------

def send_email(session: Session, *, to: str | list[str], subject: str, text: str, html: str | None = None,
               dedupe_key: str | None = None, headers: dict | None = None, sensitive: bool = False) -> list[Outbox]:
    """One outbox row per recipient, in the caller's transaction. With `dedupe_key`, a recipient who
    already has a row for that key gets the existing row back instead of a second one. `sensitive`:
    the body holds a one-time link; it is erased from the outbox once sent."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise NotifyError("no recipient given")
    try:
        clean_headers = email_channel.validate_headers(headers)
        parsed = [email_channel.validate_target(r) for r in recipients]
    except ValueError as exc:
        raise NotifyError(str(exc)) from exc
    message = Message(subject=subject, text=text, html=html)
    seen: set[str] = set()
    rows = []
    for addr, name in parsed:
        if addr.lower() in seen:
            continue
        seen.add(addr.lower())
        rows.append(_enqueue(session, channel="email", target=addr, target_name=name, message=message,
                             dedupe_key=dedupe_key, headers=clean_headers, secret=None))
        rows[-1].sensitive = sensitive
    return rows


def send(session: Session, *, channel: str, target: str, message: Message, dedupe_key: str | None = None,
         secret: str | None = None) -> Outbox:
    """One outbox row for `target` (an email address, or the webhook URL of `channel`)."""
    if channel == "email":
        if secret:
            raise NotifyError("email takes no secret")
        return send_email(session, to=target, subject=message.subject, text=message.text, html=message.html,
                          dedupe_key=dedupe_key)[0]
    if channel not in CHANNELS:
        raise NotifyError(f"unknown channel {channel!r}; use one of {', '.join(sorted(CHANNELS))}")
    try:
        split_url(target)  # syntax only; addresses are checked (and pinned) at delivery time
    except TargetRefused as exc:
        raise NotifyError(f"the {channel} URL is not acceptable: {exc}") from exc
    if channel == "webhook" and not secret:
        raise NotifyError("a generic webhook needs a signing secret")
    if secret and channel not in SECRET_CHANNELS:
        raise NotifyError(f"{channel} takes no signing secret")
    return _enqueue(session, channel=channel, target=target.strip(), target_name="", message=message,
                    dedupe_key=dedupe_key, headers={}, secret=secret)


def check_target(channel: str, target: str, settings: Settings) -> None:
    """For forms that take a webhook URL from a person: refuse it now (resolving it) rather than at
    delivery. Raises NotifyError with the reason."""
    if channel == "email":
        try:
            email_channel.validate_target(target)
        except ValueError as exc:
            raise NotifyError(str(exc)) from exc
        return
    if channel not in URL_CHANNELS:
        raise NotifyError(f"unknown channel {channel!r}")
    try:
        settings.guard().pin(target)
    except TargetRefused as exc:
        raise NotifyError(f"the URL is refused: {exc}") from exc


def _dedupe_hash(channel: str, target: str, dedupe_key: str) -> str:
    raw = "\0".join((channel, target.lower(), dedupe_key))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _clean_subject(subject: str) -> str:
    return " ".join(str(subject or "").split())[:500]  # no line breaks reach a header


def _enqueue(session: Session, *, channel: str, target: str, target_name: str, message: Message,
             dedupe_key: str | None, headers: dict, secret: str | None) -> Outbox:
    if not isinstance(message, Message):
        raise NotifyError("message must be a notify.Message")
    now = utcnow()
    values = dict(
        uid=secrets.token_hex(16), channel=channel, target=target, target_name=target_name,
        subject=_clean_subject(message.subject), body_text=message.text or "", body_html=message.html,
        url=message.url, data=dict(message.data or {}), headers=headers, secret=secret, status="queued",
        attempts=0, next_attempt_at=now, last_error="", created_at=now, updated_at=now,
        dedupe_hash=_dedupe_hash(channel, target, dedupe_key) if dedupe_key else None,
    )
    if values["dedupe_hash"] is None:
        row = Outbox(**values)
        session.add(row)
        session.flush()
    else:
        row = _insert_once(session, values)
    session.info.setdefault(SESSION_KEY, []).append(row.id)
    return row


def _insert_once(session: Session, values: dict) -> Outbox:
    """INSERT ... ON CONFLICT DO NOTHING, then read the row: idempotent even against a concurrent twin."""
    session.flush()
    dialect = session.get_bind().dialect.name
    existing = session.scalar(select(Outbox).where(Outbox.dedupe_hash == values["dedupe_hash"]))
    if existing is not None:
        return existing
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=["dedupe_hash"]))
    else:  # other engines: the unique index still stops a twin, as an error
        session.add(Outbox(**values))
        session.flush()
    return session.scalars(select(Outbox).where(Outbox.dedupe_hash == values["dedupe_hash"])
                           .execution_options(populate_existing=True)).one()


# --- deliver -------------------------------------------------------------------------------

def _due(now: datetime):
    return or_(and_(Outbox.status.in_(("queued", "retry")), Outbox.next_attempt_at <= now),
               and_(Outbox.status == "sending", Outbox.lease_until <= now))


def claim_one(session: Session, *, now: datetime, lease: timedelta, ids: Sequence[int] | None = None
              ) -> tuple[Outbox, str] | None:
    """Claim the oldest due row (of `ids`, if given) and commit the claim; None when nothing is due."""
    for _ in range(5):  # lost races (SQLite) just try the next row
        query = select(Outbox.id).where(_due(now)).order_by(Outbox.next_attempt_at, Outbox.id).limit(1)
        if ids is not None:
            query = query.where(Outbox.id.in_(list(ids)))
        row_id = session.scalar(query.with_for_update(skip_locked=True))
        if row_id is None:
            session.commit()
            return None
        token = secrets.token_hex(16)
        result = session.execute(
            update(Outbox).where(Outbox.id == row_id, _due(now))
            .values(status="sending", claim_token=token, lease_until=now + lease,
                    attempts=Outbox.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False))
        session.commit()
        if result.rowcount == 1:
            return session.get(Outbox, row_id, populate_existing=True), token
    return None


def _envelope(row: Outbox) -> Envelope:
    message = Message(subject=row.subject, text=row.body_text, html=row.body_html, url=row.url,
                      data=dict(row.data or {}))
    return Envelope(id=row.id, uid=row.uid, channel=row.channel, target=row.target, message=message,
                    target_name=row.target_name or "", headers=dict(row.headers or {}), secret=row.secret)


def deliver_one(envelope: Envelope, ctx: DeliveryContext) -> None:
    module = CHANNELS.get(envelope.channel)
    if module is None:
        raise DeliveryError(f"unknown channel {envelope.channel!r}", permanent=True)
    module.deliver(envelope, ctx)


def _record(session: Session, row_id: int, token: str, *, now: datetime, attempts: int,
            error: DeliveryError | None) -> str:
    if error is None:
        values = dict(status="sent", sent_at=now, last_error="", secret=None,
                      body_text=case((Outbox.sensitive, ERASED_BODY), else_=Outbox.body_text),
                      body_html=case((Outbox.sensitive, None), else_=Outbox.body_html))
    elif error.permanent or attempts >= MAX_ATTEMPTS:
        values = dict(status="dead", last_error=str(error)[:2000])
    else:
        # The receiver's own word (Retry-After, a vendor's documented block) beats our schedule.
        wait = error.retry_after if error.retry_after is not None else BACKOFF[attempts - 1]
        values = dict(status="retry", next_attempt_at=now + wait, last_error=str(error)[:2000])
    # Only the holder of the claim writes the outcome (a runner whose lease ran out does not).
    session.execute(update(Outbox).where(Outbox.id == row_id, Outbox.claim_token == token)
                    .values(claim_token=None, lease_until=None, updated_at=now, **values)
                    .execution_options(synchronize_session=False))
    session.commit()
    return values["status"]


def deliver_pending(session: Session, *, now: datetime | None = None, limit: int = 100,
                    settings: Settings | None = None, ids: Iterable[int] | None = None,
                    timeout: float | None = None) -> DeliveryReport:
    """Send up to `limit` due rows; commits as it goes (it is a job, not a step of a request).

    A failure in one row never stops the others: it is retried after BACKOFF, or dead after the last
    attempt or a permanent refusal (admins see both on /admin/notifications).
    """
    settings = settings or _settings_from_app()
    id_list = list(ids) if ids is not None else None
    if id_list is not None and not id_list:
        return DeliveryReport()
    session.commit()  # start clean: claims must be visible to other runners at once
    report = DeliveryReport()
    for _ in range(limit):
        at = now or utcnow()
        claimed = claim_one(session, now=at, lease=timedelta(seconds=settings.lease_seconds), ids=id_list)
        if claimed is None:
            break
        row, token = claimed
        ctx = DeliveryContext(settings=settings, now=at, timeout=timeout or settings.timeout)
        error = None
        try:
            deliver_one(_envelope(row), ctx)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a bug in one channel must not stop the run
            error = DeliveryError(f"unexpected error: {type(exc).__name__}: {exc}")
        status = _record(session, row.id, token, now=at, attempts=row.attempts, error=error)
        session.refresh(row)  # the outcome was written with a Core UPDATE: callers' objects stay current
        report = report + DeliveryReport(sent=status == "sent", failed=status == "dead",
                                         retrying=status == "retry")
    return report


def _settings_from_app() -> Settings:
    from flask import current_app, has_app_context
    return Settings.from_config(current_app.config) if has_app_context() else Settings()


# --- retention -----------------------------------------------------------------------------

# A row with a dedupe key is the only thing that stops the same key being queued again (and sent
# twice), so whatever the retention says it outlives any retry, double submit or re-run of a job
# that could repeat the key. Callers whose keys can recur later keep their own ledger (expiry does).
DEDUPE_MIN_DAYS = 7


@dataclass(frozen=True)
class PurgeReport:
    sent: int
    dead: int
    sent_before: datetime
    dead_before: datetime


def purge(session: Session, *, sent_days: int, dead_days: int, now: datetime | None = None) -> PurgeReport:
    """Delete `sent` rows sent more than `sent_days` ago and `dead` rows that failed more than
    `dead_days` ago; queued, sending and retry rows are never touched. Flushes (the caller commits).

    Cut-offs fall on UTC midnight: a scheduler that calls this every few minutes deletes once a day
    (and audits once), not a row or two per run. Deleted rows are not synchronised into `session`."""
    if sent_days < 1 or dead_days < 1:
        raise NotifyError("retention periods are whole days, at least 1")
    midnight = (now or utcnow()).astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    sent_before = midnight - timedelta(days=sent_days)
    dead_before = midnight - timedelta(days=dead_days)
    keyed_floor = midnight - timedelta(days=DEDUPE_MIN_DAYS)
    sent_at = func.coalesce(Outbox.sent_at, Outbox.updated_at)
    sent = _delete(session, Outbox.status == "sent", sent_at < sent_before,
                   or_(Outbox.dedupe_hash.is_(None), sent_at < min(sent_before, keyed_floor)))
    dead = _delete(session, Outbox.status == "dead", Outbox.updated_at < dead_before,
                   or_(Outbox.dedupe_hash.is_(None), Outbox.updated_at < min(dead_before, keyed_floor)))
    return PurgeReport(sent=sent, dead=dead, sent_before=sent_before, dead_before=dead_before)


def _delete(session: Session, *criteria) -> int:
    # The status is part of the DELETE itself: a row an admin puts back in the queue meanwhile stays.
    result = session.execute(delete(Outbox).where(*criteria).execution_options(synchronize_session=False))
    return result.rowcount or 0


def purge_and_record(session: Session, *, actor: str, settings: Settings | None = None,
                     sent_days: int | None = None, dead_days: int | None = None, now: datetime | None = None,
                     record_nothing: bool = True) -> PurgeReport:
    """`purge` with the configured periods (unless given), audited as one `notify.purge` event with the
    counts. `record_nothing=False` (the scheduler) skips the event when nothing was deleted."""
    settings = settings or _settings_from_app()
    report = purge(session, sent_days=sent_days or settings.retention_sent_days,
                   dead_days=dead_days or settings.retention_dead_days, now=now)
    if record_nothing or report.sent or report.dead:
        audit.record(session, "notify.purge", actor=actor, object_type="notification",
                     detail={"sent": report.sent, "dead": report.dead,
                             "sent_before": report.sent_before.isoformat(),
                             "dead_before": report.dead_before.isoformat()})
    return report


# --- admin ---------------------------------------------------------------------------------

def list_outbox(session: Session, *, failed_only: bool = False, limit: int = 100) -> list[Outbox]:
    query = select(Outbox).order_by(Outbox.updated_at.desc(), Outbox.id.desc()).limit(limit)
    if failed_only:
        query = query.where(Outbox.status.in_(FAILED_STATUSES))
    return list(session.scalars(query))


def counts_by_status(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())


def retry(session: Session, row: Outbox, *, now: datetime | None = None) -> Outbox:
    """Put a failed row back in the queue for a fresh round of attempts (admin button); flushes."""
    if row.status not in FAILED_STATUSES:
        raise NotifyError("only failed deliveries can be retried")
    now = now or utcnow()
    # Compare-and-set: a row purged (or retried by someone else) since it was read is not revived.
    result = session.execute(update(Outbox).where(Outbox.id == row.id, Outbox.status.in_(FAILED_STATUSES))
                             .values(status="queued", attempts=0, next_attempt_at=now, updated_at=now)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NotifyError("only failed deliveries can be retried")
    session.refresh(row)
    session.info.setdefault(SESSION_KEY, []).append(row.id)
    return row


def masked_target(row: Outbox) -> str:
    """Webhook URLs carry access tokens (DingTalk access_token, WeCom key): show the host only."""
    if row.channel == "email":
        return row.target
    try:
        scheme, host, port, _ = split_url(row.target)
    except TargetRefused:
        return "(invalid URL)"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}{'' if port == default else f':{port}'}/…"


def get_outbox(session: Session, row_id: int) -> Outbox | None:
    return session.get(Outbox, row_id)
