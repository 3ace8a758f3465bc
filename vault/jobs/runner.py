"""Running claimed jobs: the handler's context (session, progress), the heartbeat, the outcome.

The same code runs a job in every mode (inline after a commit, the in-process thread, `vault worker`),
so a job behaves the same in tests and in production.
"""
from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from flask import Flask, g
from sqlalchemy.orm import Session

from vault import logs
from vault.db import side_write, utcnow
from vault.jobs import policy, store
from vault.jobs.models import Job
from vault.jobs.settings import Settings

log = logging.getLogger("vault.jobs")
_current_job: contextvars.ContextVar[str | None] = contextvars.ContextVar("vault_current_job", default=None)


def current_job_uid() -> str | None:
    """The uid of the job this code runs in, if any (e.g. notify: mail queued by a job goes out at once)."""
    return _current_job.get()


# The request id (vault/logs.py) of the request that enqueued a job is stored on it and bound again while
# the job runs, so the job's log lines carry it.
current_request_id = logs.current_request_id


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident() % 100000}"


# --- the handler's view of its job -------------------------------------------------------------------

class Context:
    """What a handler gets: `session` (commit your own work), `job` (the row as claimed), `progress()`."""

    def __init__(self, app: Flask, session: Session, job: Job, token: str, settings: Settings):
        self.app, self.session, self.job = app, session, job
        self._token, self._settings = token, settings
        self._last_write = 0.0

    @property
    def uid(self) -> str:
        return self.job.uid

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress for the pages. Cheap: at most one write per JOBS_PROGRESS_INTERVAL (the
        last step always writes), on its own connection, so it shows while the job's transaction is open."""
        total = self.job.progress_total if total is None else int(total)
        done = max(0, int(done))
        self.job.progress_done, self.job.progress_total, self.job.message = done, total, message
        now = time.monotonic()
        if now - self._last_write < self._settings.progress_interval and not (total and done >= total):
            return
        self._last_write = now
        try:  # never waits long on the job's own open write transaction (SQLite)
            with side_write(self.app.extensions["vault.engine"]) as conn:
                store.write_progress(conn, self.job.id, self._token, done=done, total=total, message=message,
                                     now=utcnow())
        except Exception:  # noqa: BLE001 - progress is for display; the job goes on
            log.debug("progress write skipped for job %s", self.job.uid, exc_info=True)


class _Heartbeat:
    """Renews the lease every third of it while the handler runs, until the handler's timeout: a job
    that runs longer loses its lease and another runner takes it over (its outcome is then ignored)."""

    def __init__(self, app: Flask, job: Job, token: str, settings: Settings, timeout: float):
        self._engine = app.extensions["vault.engine"]
        self._job_id, self._uid, self._token = job.id, job.uid, token
        self._lease, self._deadline = settings.lease_seconds, time.monotonic() + timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"vault-job-heartbeat-{job.uid[:8]}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._lease / 3):
            if time.monotonic() > self._deadline:
                log.warning("job %s ran past its timeout; its lease is left to run out", self._uid)
                return
            try:
                with self._engine.begin() as conn:
                    if not store.renew_lease(conn, self._job_id, self._token,
                                             until=utcnow() + timedelta(seconds=self._lease)):
                        log.warning("job %s: lease lost (taken over or retried by an admin)", self._uid)
                        return
            except Exception:  # noqa: BLE001 - the database may be back before the lease runs out
                log.warning("job %s: heartbeat failed", self._uid, exc_info=True)


# --- running ------------------------------------------------------------------------------------------

@dataclass
class RunReport:
    done: int = 0
    retrying: int = 0
    failed: int = 0  # failed or dead: no more automatic tries

    @property
    def ran(self) -> int:
        return self.done + self.retrying + self.failed


def settings_of(app: Flask) -> Settings:
    state = app.extensions.get("vault.jobs")
    return state.settings if state else Settings.from_config(app.config, testing=app.testing)


def run_job(app: Flask, job: Job, token: str, *, settings: Settings, now: datetime | None = None) -> str:
    """Run one claimed job with its handler and record the outcome; returns the new status."""
    maker = app.extensions["vault.sessionmaker"]
    control = maker()  # writes the outcome; the handler's session may be in any state by then
    spec = policy.HANDLERS.get(job.kind)
    binding = logs.bind_request_id(job.request_id)
    try:
        if spec is None:
            return store.record_failure(control, job, token, now=now or utcnow(), permanent=True,
                                        error=f"no handler for job kind {job.kind!r}", base_seconds=0, cap_seconds=0)
        if job.attempts > job.max_attempts:  # its runners kept dying (lease ran out each time)
            return store.record_failure(control, job, token, now=now or utcnow(), permanent=False,
                                        error=f"dead: its runner was lost {job.attempts - 1} times",
                                        base_seconds=0, cap_seconds=0)  # attempts used up: dead
        log.info("job %s %s: attempt %d/%d", job.uid, job.kind, job.attempts, job.max_attempts,
                 extra={"job": job.uid})
        error, permanent, result = None, False, None
        with app.app_context():
            session = maker()
            g.db_session = session  # code the handler calls that uses vault.db.session() shares its session
            current = _current_job.set(job.uid)
            try:
                with _Heartbeat(app, job, token, settings, spec.timeout_seconds):
                    result = spec.func(Context(app, session, job, token, settings), dict(job.payload or {}))
                    session.commit()
            except policy.JobFailed as exc:
                session.rollback()
                error, permanent = str(exc) or type(exc).__name__, True
            except Exception as exc:  # noqa: BLE001 - any failure is an attempt; the queue retries it
                session.rollback()
                error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
            finally:
                _current_job.reset(current)
        at = now or utcnow()
        if error is None:
            if result is not None and not isinstance(result, dict):
                result = {"value": result}
            return store.record_done(control, job, token, now=at, result=result)
        status = store.record_failure(control, job, token, now=at, error=error, permanent=permanent,
                                      base_seconds=settings.backoff_seconds, cap_seconds=settings.backoff_cap_seconds)
        level = logging.ERROR if status in ("failed", "dead") else logging.WARNING
        log.log(level, "job %s %s %s: %s", job.uid, job.kind, status, error.splitlines()[0], extra={"job": job.uid})
        return status
    finally:
        binding.reset()
        control.close()


def run_pending(app: Flask, limit: int | None = None, *, now: datetime | None = None,
                ids: Sequence[int] | None = None, queues: Iterable[str] | None = None,
                worker: str | None = None, stop: threading.Event | None = None) -> RunReport:
    """Claim and run due jobs in this process until none is due (or `limit` ran, or `stop` is set)."""
    settings = settings_of(app)
    maker = app.extensions["vault.sessionmaker"]
    report = RunReport()
    name = worker or worker_name()
    session = maker()
    try:
        while limit is None or report.ran < limit:
            if stop is not None and stop.is_set():
                break
            claimed = store.claim_one(session, now=now or utcnow(), lease=timedelta(seconds=settings.lease_seconds),
                                      worker=name, ids=ids, queues=queues)
            if claimed is None:
                break
            status = run_job(app, *claimed, settings=settings, now=now)
            if status == "retry":
                report.retrying += 1
            elif status in ("failed", "dead"):
                report.failed += 1
            else:
                report.done += 1
    finally:
        session.close()
    return report


def schedule_due(app: Flask, *, now: datetime | None = None, names: Iterable[str] | None = None) -> list[str]:
    """Enqueue each periodic job (of `names`, default all) whose current slot nobody has enqueued yet;
    returns the job uids. Every runner calls this; the slot's compare-and-set lets exactly one of them
    enqueue it. The payload gets `slot` (ISO time of the slot's start: the job's "now")."""
    maker = app.extensions["vault.sessionmaker"]
    enqueued = []
    wanted = set(names) if names is not None else None
    for entry in list(policy.PERIODIC.values()):
        if wanted is not None and entry.name not in wanted:
            continue
        session = maker()
        try:
            at = now or utcnow()
            every = entry.every(session) if callable(entry.every) else entry.every
            if not every:
                session.rollback()
                continue
            slot = policy.slot_start(at, every)
            if not store.take_slot(session, entry.name, slot, now=at):
                session.rollback()
                continue
            job = store.enqueue(session, entry.kind, {**entry.payload, "slot": slot.isoformat()},
                                key=f"periodic:{entry.name}")
            session.commit()
            enqueued.append(job.uid)
        except Exception:  # noqa: BLE001 - one broken schedule never stops the others
            session.rollback()
            log.exception("periodic job %s could not be scheduled", entry.name)
        finally:
            session.close()
    return enqueued
