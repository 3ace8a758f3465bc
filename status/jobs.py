"""The status page's periodic work as jobs (every 5 minutes): start and complete maintenance windows,
remind staff of overdue incident updates. The same functions `vault status run-maintenance` and
`vault status remind-overdue-updates` call from cron; both are idempotent (a window changes state once,
an overdue reminder is queued once per promised time)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from status import service
from vault import audit, jobs


def run_maintenance(sess: Session) -> list:
    """Due windows started, finished ones completed, each audited; flushes (the caller commits)."""
    done = service.run_maintenance(sess, now=service.clock())
    for m, action in done:
        audit.record(sess, f"status.maintenance.{action}", actor="system", object_type="status_incident",
                     object_id=m.uid)
    return done


def remind_overdue(sess: Session) -> list:
    """Reminders queued for incidents whose promised update is late, each audited; flushes."""
    reminded = service.remind_overdue_updates(sess, now=service.clock())
    for i in reminded:
        audit.record(sess, "status.incident.overdue", actor="system", object_type="status_incident", object_id=i.uid)
    return reminded


@jobs.handler("status.maintenance", max_attempts=3)
def maintenance_job(ctx: jobs.Context, payload: dict) -> dict:
    done = run_maintenance(ctx.session)
    ctx.session.commit()
    return {"changed": [f"{action}:{m.uid}" for m, action in done]}


@jobs.handler("status.overdue", max_attempts=3)
def overdue_job(ctx: jobs.Context, payload: dict) -> dict:
    reminded = remind_overdue(ctx.session)
    ctx.session.commit()
    return {"reminded": [i.uid for i in reminded]}


jobs.periodic("status.maintenance", every=timedelta(minutes=5))
jobs.periodic("status.overdue", every=timedelta(minutes=5))
