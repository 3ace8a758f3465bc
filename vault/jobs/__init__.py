"""Background jobs in the application database (docs/jobs.md says why not Redis).

    from vault import jobs
    job = jobs.enqueue(session, "library.index", {"reason": "import"}, key="library.index")
        # in the caller's transaction; runs after it commits (nothing runs if it rolls back)
    @jobs.handler("library.index", max_attempts=5, timeout_seconds=900)
    def build(ctx: jobs.Context, payload: dict) -> dict | None: ...   # idempotent!
    jobs.periodic("expiry.remind", every=timedelta(hours=1), kind="expiry.remind")
    jobs.get(session, uid)            # status, progress_done/total, message, result, error
    jobs.live(session, key)           # the waiting or running job with that key, if any
    jobs.run_pending(app)             # run due jobs here (tests, `vault jobs run`)
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from vault.jobs import store
from vault.jobs.hooks import init_app
from vault.jobs.models import Job
from vault.jobs.policy import HANDLERS, PERIODIC, JobFailed, handler, periodic
from vault.jobs.runner import Context, RunReport, current_job_uid, current_request_id, run_pending, schedule_due
from vault.jobs.store import JobError, get, get_for, list_jobs, live, retry


def enqueue(session: Session, kind: str, payload: dict | None = None, *, key: str | None = None,
            run_after: datetime | None = None, request_id: str | None = None, queue: str | None = None,
            max_attempts: int | None = None) -> Job:
    """Add a job in the caller's transaction (see vault.jobs.store.enqueue); the request id defaults
    to the current request's (or job's), so the job's logs carry it."""
    return store.enqueue(session, kind, payload, key=key, run_after=run_after, queue=queue,
                         request_id=request_id or current_request_id(), max_attempts=max_attempts)


def slot_or_now(payload: dict) -> datetime:
    """A periodic job's "now": the start of its slot (so a test, or a late run, acts for that instant)."""
    from vault.db import utcnow
    slot = (payload or {}).get("slot")
    return datetime.fromisoformat(slot) if slot else utcnow()


__all__ = ["HANDLERS", "PERIODIC", "Context", "current_job_uid", "Job", "JobError", "JobFailed", "RunReport", "enqueue", "get", "get_for",
           "handler", "init_app", "list_jobs", "live", "periodic", "retry", "run_pending", "schedule_due", "slot_or_now"]
