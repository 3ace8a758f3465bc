"""The library's background job: `library.index` stores the matching state of changed entries.

Every transaction that changes a library entry queues it when it commits (idempotent by key: one job
waits at a time, and one that is running runs once more). An import of thousands of rows therefore
returns at once; a worker embeds the new entries once for every host, and the library page shows its
progress. A host that matches before the job is done computes the few entries it lacks itself.
"""
from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from vault import jobs
from vault.jobs.models import Job

KIND = "library.index"
CHANGED = "library.index.changed"  # session.info flag set by index_store's flush hook


@jobs.handler(KIND, max_attempts=5, timeout_seconds=900)
def build_index(ctx: jobs.Context, payload: dict) -> dict:
    from answers.library.index import store_missing
    return store_missing(ctx.session, progress=lambda done, total: ctx.progress(done, total))


@event.listens_for(Session, "before_commit")
def _queue_after_change(session: Session) -> None:
    if not (has_app_context() and "vault.jobs" in current_app.extensions):
        return  # a session outside the app (migrations, scripts): the next host computes what it lacks
    session.flush()  # the flag is set by the flush hook: flush what is pending first
    if session.info.pop(CHANGED, False):
        jobs.enqueue(session, KIND, {"reason": "library changed"}, key=KIND)


@event.listens_for(Session, "after_rollback")
def _forget_change(session: Session) -> None:
    session.info.pop(CHANGED, None)


def index_progress(session: Session) -> dict | None:
    """{"done", "total"} while a `library.index` job waits or runs; None when the index is current."""
    job = session.scalar(select(Job).where(Job.live_key == KIND))
    if job is None:
        return None
    return {"done": job.progress_done, "total": job.progress_total}
