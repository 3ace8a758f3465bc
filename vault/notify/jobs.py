"""Outbox delivery as jobs: a `notify.deliver` job for the rows a request (or a job) commits, a sweep every
minute for what is due again (retries after backoff, rows a lost runner left `sending`), and the daily purge.

Nothing is sent twice: `deliver_pending` claims each row with a token and a lease, so two jobs (or a job
and `vault notify deliver` from cron) never send the same row; a rerun of a job finds the sent rows gone
from the queue.
"""
from __future__ import annotations

from datetime import timedelta

from vault import jobs
from vault.notify import service
from vault.notify.settings import Settings


def _settings(ctx: jobs.Context) -> Settings:
    return Settings.from_config(ctx.app.config)


@jobs.handler("notify.deliver", max_attempts=3, timeout_seconds=600)
def deliver_job(ctx: jobs.Context, payload: dict) -> dict:
    """The rows named in the payload (just committed): a short timeout, as the sender may be waiting
    (inline mode); what fails stays in the outbox with its own backoff, for the sweep."""
    settings = _settings(ctx)
    ids = [int(i) for i in payload.get("ids", [])]
    report = service.deliver_pending(ctx.session, ids=ids, limit=len(ids), settings=settings,
                                     timeout=settings.inline_timeout)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@jobs.handler("notify.sweep", max_attempts=1, timeout_seconds=1800)
def sweep_job(ctx: jobs.Context, payload: dict) -> dict:
    """Everything due in the outbox (what `vault notify deliver` does from cron), unless NOTIFY_DELIVERY
    is "cli" (then only that command sends)."""
    settings = _settings(ctx)
    if settings.delivery == "cli":
        return {"skipped": "NOTIFY_DELIVERY is cli"}
    report = service.deliver_pending(ctx.session, limit=500, settings=settings)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@jobs.handler("notify.purge", max_attempts=3)
def purge_job(ctx: jobs.Context, payload: dict) -> dict:
    """Retention: cut-offs on UTC midnight, so a second run the same day deletes (and audits) nothing."""
    report = service.purge_and_record(ctx.session, actor="scheduler", settings=_settings(ctx),
                                      now=jobs.slot_or_now(payload), record_nothing=False)
    ctx.session.commit()
    return {"sent": report.sent, "dead": report.dead}


jobs.periodic("notify.sweep", every=timedelta(minutes=1))
jobs.periodic("notify.purge", every=timedelta(hours=6))
