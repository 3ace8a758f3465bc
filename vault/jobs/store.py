"""The job rows: enqueue in the caller's transaction, claim with a token and a lease, record the outcome.

Claiming is the outbox's way (vault/notify/service.py): pick the oldest due row with
`SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite ignores the clause and serialises writers), then
a compare-and-set UPDATE that writes a fresh claim token and a lease, committed at once. Only the
holder of the token writes the outcome, so a runner whose lease ran out (and whose job another runner
took over) changes nothing when it finally returns.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault.db import utcnow
from vault.jobs import policy
from vault.jobs.models import Job, JobSchedule

SESSION_KEY = "vault.jobs.enqueued"  # ids enqueued in a session: run after it commits (inline / thread)


class JobError(ValueError):
    """Bad input to enqueue or an admin action: a clear message, nothing written."""


def enqueue(session: Session, kind: str, payload: dict | None = None, *, key: str | None = None,
            run_after: datetime | None = None, request_id: str | None = None, queue: str | None = None,
            max_attempts: int | None = None) -> Job:
    """Add a job in the caller's transaction (flushes; the caller commits). With `key`, a job with the
    same key that is still waiting or running is returned instead (one that is running is marked to run
    once more when it ends, so the change that asked for it is not missed)."""
    spec = policy.HANDLERS.get(kind)
    if not kind or len(kind) > 100:
        raise JobError("a job kind is 1 to 100 characters")
    if key is not None and not 1 <= len(key) <= 200:
        raise JobError("a job key is 1 to 200 characters")
    now = utcnow()
    values = dict(uid=secrets.token_hex(16), kind=kind, queue=queue or (spec.queue if spec else "default"),
                  payload=dict(payload or {}), key=key, live_key=key, rerun=False, status="queued", attempts=0,
                  max_attempts=max_attempts or (spec.max_attempts if spec else 5), run_after=run_after or now,
                  worker="", progress_done=0, progress_total=0, message="", error="",
                  request_id=(request_id or None), created_at=now, updated_at=now)
    if key is None:
        job = Job(**values)
        session.add(job)
        session.flush()
    else:
        job = _insert_once(session, values)
    if job.uid == values["uid"]:
        session.info.setdefault(SESSION_KEY, []).append(job.id)
    return job


def _insert_once(session: Session, values: dict) -> Job:
    """INSERT ... ON CONFLICT (live_key) DO NOTHING, then read the live row: safe against a concurrent twin."""
    session.flush()
    key = values["live_key"]
    existing = session.scalar(select(Job).where(Job.live_key == key))
    if existing is None:
        dialect = session.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            session.execute(insert(Job).values(**values).on_conflict_do_nothing(index_elements=["live_key"]))
        else:  # other engines: the unique index still stops a twin, as an error
            session.add(Job(**values))
            session.flush()
        existing = session.scalars(select(Job).where(Job.live_key == key)
                                   .execution_options(populate_existing=True)).one()
    if existing.status == "running" and existing.uid != values["uid"]:
        session.execute(update(Job).where(Job.id == existing.id, Job.status == "running").values(rerun=True)
                        .execution_options(synchronize_session=False))
    return existing


def get(session: Session, uid: str) -> Job | None:
    if not isinstance(uid, str) or not uid:
        return None
    return session.scalar(select(Job).where(Job.uid == uid))


def get_for(session: Session, job_uid: str | None, kind: str, **payload) -> Job | None:
    """The job `job_uid` only if it is of `kind` and its payload holds these values: a page that takes a
    job uid from its URL shows that job only on the page of the object it was started for."""
    job = get(session, job_uid or "")
    if job is None or job.kind != kind or any((job.payload or {}).get(k) != v for k, v in payload.items()):
        return None
    return job


def live(session: Session, key: str) -> Job | None:
    """The job with this key that is still waiting or running, if any (pages show its progress)."""
    return session.scalar(select(Job).where(Job.live_key == key))


def list_jobs(session: Session, *, status: str | None = None, kind: str | None = None, limit: int = 50) -> list[Job]:
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if status:
        query = query.where(Job.status == status)
    if kind:
        query = query.where(Job.kind == kind)
    return list(session.scalars(query))


def retry(session: Session, job: Job, *, now: datetime | None = None) -> Job:
    """Put a failed or dead job back in the queue for a fresh round of attempts; flushes."""
    if job.status not in ("failed", "dead"):
        raise JobError(f"job {job.uid} is {job.status}; only failed or dead jobs can be retried")
    now = now or utcnow()
    if job.key:
        twin = session.scalar(select(Job).where(Job.live_key == job.key))
        if twin is not None:
            raise JobError(f"job {twin.uid} with the same key is already {twin.status}")
    result = session.execute(update(Job).where(Job.id == job.id, Job.status.in_(("failed", "dead")))
                             .values(status="queued", attempts=0, run_after=now, updated_at=now, error="",
                                     live_key=job.key, finished_at=None)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise JobError(f"job {job.uid} changed meanwhile; look again")
    session.refresh(job)
    session.info.setdefault(SESSION_KEY, []).append(job.id)
    return job


# --- claiming and outcomes (runners) -------------------------------------------------------------

def _due(now: datetime):
    return or_(and_(Job.status.in_(policy.WAITING), Job.run_after <= now),
               and_(Job.status == "running", Job.lease_until <= now))


def claim_one(session: Session, *, now: datetime, lease: timedelta, worker: str,
              ids: Sequence[int] | None = None, queues: Iterable[str] | None = None,
              kinds: Iterable[str] | None = None) -> tuple[Job, str] | None:
    """Claim the oldest due job and commit the claim; None when nothing is due."""
    queue_list = list(queues) if queues else None
    kind_list = list(kinds) if kinds is not None else None
    for _ in range(5):  # a lost race (SQLite, or a row taken between the SELECT and the UPDATE): next row
        query = select(Job.id).where(_due(now)).order_by(Job.run_after, Job.id).limit(1)
        if ids is not None:
            query = query.where(Job.id.in_(list(ids)))
        if queue_list:
            query = query.where(Job.queue.in_(queue_list))
        if kind_list is not None:
            query = query.where(Job.kind.in_(kind_list))
        job_id = session.scalar(query.with_for_update(skip_locked=True))
        if job_id is None:
            session.commit()
            return None
        token = secrets.token_hex(16)
        result = session.execute(
            update(Job).where(Job.id == job_id, _due(now))
            .values(status="running", claim_token=token, lease_until=now + lease, attempts=Job.attempts + 1,
                    worker=worker[:100], started_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
        session.commit()
        if result.rowcount == 1:
            job = session.get(Job, job_id, populate_existing=True)
            session.expunge(job)  # the runner's copy: its progress is written by the runner alone
            session.commit()  # hold no connection while the job runs (a database restart mid-job must not break the next claim)
            return job, token
    return None


def _finish(session: Session, job_id: int, token: str, now: datetime, **values) -> bool:
    result = session.execute(update(Job).where(Job.id == job_id, Job.claim_token == token)
                             .values(claim_token=None, lease_until=None, updated_at=now, **values)
                             .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def record_done(session: Session, job: Job, token: str, *, now: datetime, result: dict | None) -> str:
    """Done; or, if it was enqueued again by key while running, queued for one more run."""
    current = session.scalar(select(Job.rerun).where(Job.id == job.id, Job.claim_token == token))
    if current:
        _finish(session, job.id, token, now, status="queued", rerun=False, attempts=0, run_after=now,
                result=result, error="")
        return "queued"
    total = job.progress_total
    _finish(session, job.id, token, now, status="done", result=result, live_key=None, finished_at=now, error="",
            **({"progress_done": total} if total else {}))
    return "done"


def record_failure(session: Session, job: Job, token: str, *, now: datetime, error: str, permanent: bool,
                   base_seconds: float, cap_seconds: float) -> str:
    if permanent:
        status, when = "failed", None
    else:
        status, when = policy.after_failure(job.attempts, job.max_attempts, now, base_seconds=base_seconds,
                                            cap_seconds=cap_seconds)
    values: dict = dict(status=status, error=error[:4000])
    if status == "retry":
        values["run_after"] = when
    else:
        values.update(live_key=None, finished_at=now, rerun=False)
    _finish(session, job.id, token, now, **values)
    return status


def renew_lease(connection, job_id: int, token: str, *, until: datetime) -> bool:
    result = connection.execute(update(Job).where(Job.id == job_id, Job.claim_token == token)
                                .values(lease_until=until))
    return result.rowcount == 1


def write_progress(connection, job_id: int, token: str, *, done: int, total: int, message: str,
                   now: datetime) -> bool:
    result = connection.execute(update(Job).where(Job.id == job_id, Job.claim_token == token)
                                .values(progress_done=done, progress_total=total, message=message[:500],
                                        updated_at=now))
    return result.rowcount == 1


# --- periodic slots --------------------------------------------------------------------------------

def take_slot(session: Session, name: str, slot: datetime, *, now: datetime) -> bool:
    """Compare-and-set `last_slot` forward to `slot`; True for exactly one scheduler per slot. In the
    caller's transaction (the job is enqueued in the same one, so a crash between the two loses neither)."""
    if session.get(JobSchedule, name) is None:
        try:
            with session.begin_nested():
                session.add(JobSchedule(name=name, last_slot=None, updated_at=now))
        except IntegrityError:  # another scheduler created it first
            pass
    result = session.execute(
        update(JobSchedule).where(JobSchedule.name == name,
                                  or_(JobSchedule.last_slot.is_(None), JobSchedule.last_slot < slot))
        .values(last_slot=slot, updated_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1
