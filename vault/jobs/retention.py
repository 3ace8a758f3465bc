"""The queue's own retention: finished jobs are kept for reading (`vault jobs show`, the pages that show a
result) and then deleted by a daily job. Waiting and running jobs are never touched."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from vault import audit, jobs
from vault.jobs.models import Job

DONE_DAYS = 14  # a result is read within minutes; two weeks covers a holiday
FAILED_DAYS = 90  # an admin may still want to read why it failed, or retry it


def purge(session: Session, *, now: datetime, done_days: int = DONE_DAYS, failed_days: int = FAILED_DAYS) -> dict:
    """Delete done jobs finished more than `done_days` ago, failed and dead ones after `failed_days`; flushes."""
    done = session.execute(delete(Job).where(Job.status == "done", Job.finished_at < now - timedelta(days=done_days))
                           .execution_options(synchronize_session=False)).rowcount or 0
    failed = session.execute(delete(Job).where(Job.status.in_(("failed", "dead")),
                                               Job.finished_at < now - timedelta(days=failed_days))
                             .execution_options(synchronize_session=False)).rowcount or 0
    return {"done": done, "failed": failed}


@jobs.handler("jobs.purge", max_attempts=3)
def purge_job(ctx: jobs.Context, payload: dict) -> dict:
    config = ctx.app.config
    counts = purge(ctx.session, now=jobs.slot_or_now(payload),
                   done_days=int(config.get("JOBS_RETENTION_DONE_DAYS") or DONE_DAYS),
                   failed_days=int(config.get("JOBS_RETENTION_FAILED_DAYS") or FAILED_DAYS))
    if counts["done"] or counts["failed"]:
        audit.record(ctx.session, "jobs.purge", actor="scheduler", object_type="job", detail=counts)
    ctx.session.commit()
    return counts


jobs.periodic("jobs.purge", every=timedelta(days=1))
