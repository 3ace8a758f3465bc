"""How jobs start in this process after the transaction that enqueued them commits (JOBS_RUN).

inline: run at once in this thread (inside a request: when the request ends, as vault/notify/hooks.py
        does for mail), so tests and CLI commands see the result as soon as the call returns;
thread: wake this process's worker thread, started with the first request (a CLI command, which has
        no thread, runs its jobs inline);
worker: nothing here; `vault worker` processes poll the table.
A rollback forgets the ids (the rows are gone anyway).
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, g, has_request_context
from sqlalchemy import event

from vault.jobs import runner
from vault.jobs.settings import Settings
from vault.jobs.store import SESSION_KEY

log = logging.getLogger("vault.jobs")
_G_KEY = "_jobs_committed_ids"


class State:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.worker = None  # the in-process Worker (thread mode), once started
        self.lock = threading.Lock()
        self.local = threading.local()  # .pending: ids waiting while this thread already runs jobs inline


def init_app(app: Flask) -> None:
    if app.extensions.get("vault.jobs"):
        return
    state = State(Settings.from_config(app.config, testing=app.testing))
    app.extensions["vault.jobs"] = state
    maker = app.extensions["vault.sessionmaker"]
    event.listen(maker, "after_commit", lambda session: _after_commit(app, state, session))
    event.listen(maker, "after_rollback", lambda session: session.info.pop(SESSION_KEY, None))
    app.teardown_request(lambda _exc: _run_committed(app, state))
    if state.settings.run == "thread" and not app.testing:
        app.before_request(lambda: _ensure_thread(app, state) and None)


def _after_commit(app: Flask, state: State, session) -> None:
    ids = session.info.pop(SESSION_KEY, None)
    if not ids:
        return
    mode = state.settings.run
    if mode == "worker":
        return
    pending = getattr(state.local, "pending", None)
    if pending is not None:  # committed by a job this thread runs inline: the same loop runs these next
        pending.extend(ids)
        return
    if mode == "thread" and (has_request_context() or state.worker is not None):
        _ensure_thread(app, state).wake.set()
        return
    if has_request_context():
        g.setdefault(_G_KEY, []).extend(ids)
        return
    run_inline(app, state, ids)


def _run_committed(app: Flask, state: State) -> None:
    ids = g.pop(_G_KEY, None)
    if ids:
        request_session = g.get("db_session")
        if request_session is not None:  # the request is over: what it did not commit must lock nothing
            request_session.rollback()
        run_inline(app, state, ids)


def run_inline(app: Flask, state: State, ids: list[int]) -> None:
    """Run these jobs now; jobs they enqueue join the same loop (no recursion, no thread)."""
    if getattr(state.local, "pending", None) is not None:  # already running jobs in this thread
        state.local.pending.extend(ids)
        return
    state.local.pending = list(ids)
    try:
        while state.local.pending:
            batch, state.local.pending = sorted(set(state.local.pending)), []
            try:
                runner.run_pending(app, ids=batch)
            except Exception:  # noqa: BLE001 - the caller's work is committed; a worker retries the job
                log.exception("inline job run failed; the jobs stay queued")
    finally:
        state.local.pending = None


def _ensure_thread(app: Flask, state: State):
    from vault.jobs.worker import Worker
    with state.lock:
        if state.worker is None:
            state.worker = Worker(app, concurrency=1)
            state.worker.start_threads()
            log.info("jobs: in-process worker thread started (JOBS_RUN=thread)")
        return state.worker
