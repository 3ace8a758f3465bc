"""Reminders as a periodic job: the same `remind_once` as `vault remind`, run by the job queue.

An admin switches it on in the reminder settings and chooses the interval (1 to 1440 minutes); the
scheduler of every runner (`vault worker`, or the web process's thread with JOBS_RUN=thread) enqueues
one `expiry.remind` job per interval slot, so several hosts run it once. Off (the default), reminders
are left to cron (`vault remind`). The outcome of the last run is kept on the `expiry_scheduler_lease`
row for the settings page. Mails queued by the run go out with the job (vault/notify/jobs.py).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import audit, jobs
from vault.db import utcnow
from vault.expiry.models import SchedulerLease

LEASE_NAME = "remind"  # the row that records the last run (its lease columns are no longer used)


def interval(session: Session) -> timedelta | None:
    """The admin's interval while the in-app reminders are on; None (no slots) while they are off."""
    from vault.expiry.service import get_settings
    settings = get_settings(session)
    return timedelta(minutes=settings.scheduler_interval_minutes) if settings.scheduler_enabled else None


@jobs.handler("expiry.remind", max_attempts=3, timeout_seconds=900)
def remind_job(ctx: jobs.Context, payload: dict) -> dict:
    """Idempotent: the reminder ledger's unique key means a second run of a slot sends nothing again."""
    from vault.expiry.reminders import remind_once
    sess = ctx.session
    now = jobs.slot_or_now(payload)
    report = remind_once(sess, now)
    summary = report.summary()
    if report.due:
        audit.record(sess, "expiry.remind", by=audit.Actor(label="scheduler"), object_type="expiry",
                     detail={"summary": summary, "now": now.isoformat(), "job": ctx.uid})
    _record_run(sess, summary, at=utcnow())
    sess.commit()
    return {"summary": summary}


jobs.periodic("expiry.remind", every=interval, kind="expiry.remind")


def _record_run(session: Session, summary: str, *, at) -> None:
    row = session.get(SchedulerLease, LEASE_NAME)
    if row is None:
        row = SchedulerLease(name=LEASE_NAME, holder="", lease_until=at)
        session.add(row)
    row.last_run_at, row.last_result = at, summary[:2000]


def status(session: Session) -> SchedulerLease | None:
    """The last in-app run (time and summary), for the settings page."""
    return session.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))
