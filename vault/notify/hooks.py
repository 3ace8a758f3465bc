"""After-commit delivery in the web app (NOTIFY_DELIVERY = "after_commit", the default).

Rows enqueued in a request's session are noted on the session; when that session commits, their ids
move to the request, and when the request ends they are sent synchronously with a fresh session and a
short timeout. A rollback forgets them (the rows are gone anyway). Whatever fails stays queued for
`vault notify deliver` (cron). No threads: a test sees the message as soon as the request returns.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import event

from vault.notify.service import SESSION_KEY, deliver_pending
from vault.notify.settings import Settings

log = logging.getLogger(__name__)
_G_KEY = "_notify_committed_ids"


def init_app(app: Flask) -> None:
    if app.extensions.get("vault.notify"):
        return
    app.extensions["vault.notify"] = True
    maker = app.extensions["vault.sessionmaker"]
    event.listen(maker, "after_commit", _after_commit)
    event.listen(maker, "after_rollback", _after_rollback)
    app.teardown_request(_deliver_committed)


def _after_commit(session) -> None:
    ids = session.info.pop(SESSION_KEY, None)
    if ids and has_request_context():
        g.setdefault(_G_KEY, []).extend(ids)


def _after_rollback(session) -> None:
    session.info.pop(SESSION_KEY, None)


def _deliver_committed(_exc) -> None:
    ids = g.pop(_G_KEY, None)
    if not ids:
        return
    settings = Settings.from_config(current_app.config)
    if settings.delivery != "after_commit":
        return
    session = current_app.extensions["vault.sessionmaker"]()
    try:
        deliver_pending(session, ids=sorted(set(ids)), limit=len(set(ids)), settings=settings,
                        timeout=settings.inline_timeout)
    except Exception:  # noqa: BLE001 - the request is done; cron delivers what is left
        log.exception("after-commit notification delivery failed; rows stay queued")
        session.rollback()
    finally:
        session.close()
