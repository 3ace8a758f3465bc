"""Delivery right after the commit that queued the messages (NOTIFY_DELIVERY = "after_commit", the default).

Rows enqueued in a session are noted on the session; just before a request's (or a job's) session
commits, one `notify.deliver` job naming them is added to the same transaction (vault/notify/jobs.py),
and the job queue runs it after the commit: at the end of the request with JOBS_RUN=inline (the tests),
in the web process's worker thread or a `vault worker` otherwise. A rollback forgets them (the rows are
gone anyway). Commits elsewhere (CLI commands, scripts) leave delivery to the sweep job or
`vault notify deliver`. Whatever fails stays queued for the sweep.
"""
from __future__ import annotations

from flask import Flask, has_request_context
from sqlalchemy import event

from vault import jobs
from vault.notify.service import SESSION_KEY
from vault.notify.settings import Settings


def init_app(app: Flask) -> None:
    if app.extensions.get("vault.notify"):
        return
    app.extensions["vault.notify"] = True
    maker = app.extensions["vault.sessionmaker"]
    event.listen(maker, "before_commit", lambda session: _kick_delivery(app, session))
    event.listen(maker, "after_rollback", lambda session: session.info.pop(SESSION_KEY, None))


def _kick_delivery(app: Flask, session) -> None:
    ids = session.info.pop(SESSION_KEY, None)
    if not ids or not (has_request_context() or jobs.current_job_uid()):
        return
    if Settings.from_config(app.config).delivery != "after_commit":
        return
    jobs.enqueue(session, "notify.deliver", {"ids": sorted(set(ids))})
