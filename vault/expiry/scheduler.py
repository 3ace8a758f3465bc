"""The optional in-app scheduler: a daemon thread that calls the same `remind_once` as `vault remind`.

Off by default (cron is the recommended way); an admin turns it on in the reminder settings. Every
process of the web app runs the thread, but a lease row in the database lets only one of them run the
job at a time, and `last_run_at` spaces runs by the configured interval across all processes.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault.db import utcnow
from vault.expiry.models import SchedulerLease

LEASE_NAME = "remind"
LEASE_SECONDS = 15 * 60  # longer than any run; a process that dies mid-run frees the job after this
TICK_SECONDS = 60


def process_holder() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _ensure_row(session: Session, now: datetime) -> None:
    if session.get(SchedulerLease, LEASE_NAME) is not None:
        return
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=LEASE_NAME, holder="", lease_until=now - timedelta(seconds=1)))
    except IntegrityError:  # another process created it first
        pass


def acquire(session: Session, *, holder: str, now: datetime, interval: timedelta) -> bool:
    """Take the lease if it is free and a run is due (compare-and-set); commits."""
    _ensure_row(session, now)
    result = session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.lease_until <= now,
               or_(SchedulerLease.last_run_at.is_(None), SchedulerLease.last_run_at <= now - interval))
        .values(holder=holder, lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def release(session: Session, *, holder: str, now: datetime, result: str) -> None:
    session.execute(update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
                    .values(lease_until=now, last_run_at=now, last_result=result[:2000])
                    .execution_options(synchronize_session=False))
    session.commit()


def status(session: Session) -> SchedulerLease | None:
    return session.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))


def tick(app: Flask, *, holder: str, now: datetime | None = None, deliver: bool = True) -> str | None:
    """One scheduler step: if enabled, due and the lease is ours, run reminders (and deliver the
    outbox). Returns the run's summary, or None when it did nothing."""
    from vault import db, notify
    from vault.expiry.reminders import remind_once
    from vault.expiry.service import get_settings

    with app.app_context():
        sess = db.session()
        now = now or utcnow()
        settings = get_settings(sess)
        enabled, interval = settings.scheduler_enabled, timedelta(minutes=settings.scheduler_interval_minutes)
        sess.commit()
        if not enabled or not acquire(sess, holder=holder, now=now, interval=interval):
            return None
        try:
            summary = remind_once(sess, now).summary()
        except Exception as exc:  # noqa: BLE001 - recorded for admins; the next tick tries again
            sess.rollback()
            summary = f"failed: {type(exc).__name__}: {exc}"
        release(sess, holder=holder, now=now, result=summary)
        if deliver:
            notify.deliver_pending(sess)
            notify.purge_and_record(sess, actor="scheduler", record_nothing=False)  # deletes once a day
            sess.commit()
        return summary


_started: set[int] = set()
_lock = threading.Lock()


def start(app: Flask) -> threading.Thread | None:
    """Start this process's scheduler thread once (it idles while the admin setting is off)."""
    with _lock:
        if id(app) in _started:
            return None
        _started.add(id(app))
    holder = process_holder()
    stop = threading.Event()
    app.extensions["vault.expiry.scheduler_stop"] = stop

    def loop() -> None:
        while not stop.wait(TICK_SECONDS):
            try:
                tick(app, holder=holder)
            except Exception:  # noqa: BLE001 - keep the thread alive; the database may be back next time
                logging.getLogger(__name__).exception("expiry scheduler tick failed")

    thread = threading.Thread(target=loop, name="vault-expiry-scheduler", daemon=True)
    thread.start()
    return thread


def init_app(app: Flask) -> None:
    """Start the thread with the first request of a serving process (never in tests or CLI commands)."""
    if app.testing or not app.config.get("EXPIRY_SCHEDULER_THREAD", True):
        return

    @app.before_request
    def _start_scheduler() -> None:
        if id(app) not in _started:
            start(app)
