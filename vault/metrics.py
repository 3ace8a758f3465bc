"""Prometheus metrics at `/metrics`: request latency per route, the job queue, the outbox, legal's next dates.

Two kinds of series:
- measured in the process: the request latency histogram (per route = Flask endpoint, method, status
  class). Under gunicorn every worker process writes its own file in PROMETHEUS_MULTIPROC_DIR (set in the
  environment before start; deploy/gunicorn.conf.py empties it at start and drops a dead worker's gauges)
  and a scrape adds them up, so any worker answering sees the whole server;
- read from the database at scrape time (the same on every host): queue depth per kind and status, the
  age of the oldest due job, failed jobs, the outbox backlog, and from the providers features register
  (`source`), e.g. days to the next expiry. Each is one or two queries on an index, or cached (`ttl`).

Access: a bearer token, METRICS_TOKEN (at least 32 characters). Without one, /metrics is off (404) rather
than open to loopback: behind nginx on the same host every request comes from loopback. docs/deployment.md.
"""
from __future__ import annotations

import hmac
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
MIN_TOKEN_LENGTH = 32

# Seconds; the tail reaches the slow paths (a watermarked download, a questionnaire upload).
REQUEST_SECONDS = Histogram(
    "trustvault_http_request_duration_seconds", "Time from the request's arrival to its last byte, per route",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0))


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """A vault.logs.RequestLog observer: one observation per finished response."""
    REQUEST_SECONDS.labels(route, method, f"{status // 100}xx").observe(seconds)


# --- series read from the database at scrape time -----------------------------------------------------

Source = Callable[[Session, datetime], Iterable[Metric]]


@dataclass(frozen=True)
class _Registered:
    fn: Source
    ttl: float  # seconds a result is reused by this app in this process (0: every scrape)


SOURCES: dict[str, _Registered] = {}


def source(name: str, *, ttl: float = 0.0) -> Callable[[Source], Source]:
    """Decorator: `fn(session, now) -> metric families`, asked at every scrape (or every `ttl` seconds).
    Features register theirs from a provider module (vault/features.py) as they do obligations."""

    def decorator(fn: Source) -> Source:
        SOURCES[name] = _Registered(fn, ttl)
        return fn

    return decorator


OUTBOX_OPEN = ("queued", "sending", "retry", "dead")  # every status but "sent": what still needs attention


@source("outbox")
def outbox_metrics(session: Session, now: datetime):
    from vault.notify.models import Outbox
    counts = dict(session.execute(select(Outbox.status, func.count()).where(Outbox.status.in_(OUTBOX_OPEN))
                                  .group_by(Outbox.status)).all())
    backlog = GaugeMetricFamily("trustvault_outbox_messages", "Notifications not sent yet (dead: given up)",
                                labels=["status"])
    for status in OUTBOX_OPEN:
        backlog.add_metric([status], counts.get(status, 0))
    yield backlog
    yield _oldest_due(session, Outbox.status, Outbox.next_attempt_at, now, "trustvault_outbox_oldest_due_seconds",
                      "How long the oldest due notification has waited (0: none waiting)")


FAILED_WINDOW = timedelta(hours=24)


@source("jobs")
def job_metrics(session: Session, now: datetime):
    from vault.jobs.models import Job
    depth = GaugeMetricFamily("trustvault_jobs", "Jobs waiting or running per kind and status",
                              labels=["kind", "status"])
    rows = session.execute(select(Job.kind, Job.status, func.count())
                           .where(Job.status.in_(("queued", "running", "retry"))).group_by(Job.kind, Job.status))
    for kind, status, count in rows:
        depth.add_metric([kind, status], count)
    yield depth
    failed = GaugeMetricFamily("trustvault_jobs_failed", f"Jobs that gave up (failed or dead) in the last "
                               f"{int(FAILED_WINDOW.total_seconds() // 3600)} hours, per kind", labels=["kind"])
    rows = session.execute(select(Job.kind, func.count())  # few rows: the status index narrows to them
                           .where(Job.status.in_(("failed", "dead")), Job.finished_at >= now - FAILED_WINDOW)
                           .group_by(Job.kind))
    for kind, count in rows:
        failed.add_metric([kind], count)
    yield failed
    yield _oldest_due(session, Job.status, Job.run_after, now, "trustvault_jobs_oldest_due_seconds",
                      "How long the oldest due job has waited for a worker (0: none waiting)")
    yield from _periodic_metrics(session, now)


def _periodic_metrics(session: Session, now: datetime):
    """The schedulers' heartbeat: every `vault worker` enqueues each periodic job once per slot, so a slot
    older than twice its interval means no scheduler is running (job_schedules: one row per periodic job)."""
    from vault.jobs import PERIODIC
    from vault.jobs.models import JobSchedule
    age = GaugeMetricFamily("trustvault_periodic_slot_age_seconds",
                            "Seconds since the start of the last slot a scheduler enqueued, per periodic job",
                            labels=["name"])
    for name, last_slot in session.execute(select(JobSchedule.name, JobSchedule.last_slot)):
        if last_slot is not None:
            age.add_metric([name], _age(last_slot, now))
    yield age
    interval = GaugeMetricFamily("trustvault_periodic_interval_seconds", "The interval of each periodic job "
                                 "(alert when the slot age exceeds twice this)", labels=["name"])
    for name, entry in sorted(PERIODIC.items()):
        try:  # an interval from an admin setting is a small read of its own
            every = entry.every(session) if callable(entry.every) else entry.every
        except Exception:  # noqa: BLE001 - that one series is left out; the queue's series stay
            session.rollback()
            log.warning("interval of periodic job %s unreadable", name, exc_info=True)
            continue
        if every:
            interval.add_metric([name], every.total_seconds())
    yield interval


def _oldest_due(session: Session, status, due_at, now: datetime, name: str, documentation: str):
    """Seconds the oldest row waiting (queued or retry, due by now) has waited: one read on the
    (status, due time) index both tables have."""
    oldest = session.scalar(select(func.min(due_at)).where(status.in_(("queued", "retry")), due_at <= now))
    return GaugeMetricFamily(name, documentation, value=_age(oldest, now))


def _age(moment: datetime | None, now: datetime) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # SQLite's min() returns the raw text the type decorator never sees
        from vault.db import UTCDateTime
        moment = UTCDateTime().process_result_value(moment, None)
    return max(0.0, (now - moment).total_seconds())


class _DatabaseCollector:
    """Asks every source at collection time, in the scraping request's session; a failing source is left
    out and reported as `trustvault_metrics_source_up{source} 0` (the log says why)."""

    def __init__(self, session: Session, now: datetime, cache: dict) -> None:
        self.session, self.now, self.cache = session, now, cache

    def collect(self):
        up = GaugeMetricFamily("trustvault_metrics_source_up", "1 if the source answered at this scrape",
                               labels=["source"])
        for name, entry in sorted(SOURCES.items()):
            try:
                yield from self._families(name, entry)
                up.add_metric([name], 1)
            except Exception:  # noqa: BLE001 - one broken source never hides the others
                self.session.rollback()
                log.exception("metrics source %s failed", name)
                up.add_metric([name], 0)
        yield up

    def _families(self, name: str, entry: _Registered) -> list:
        clock = time.monotonic()
        at, families = self.cache.get(name, (None, None))
        if entry.ttl and at is not None and clock - at < entry.ttl:
            return families
        families = list(entry.fn(self.session, self.now))
        if entry.ttl:
            self.cache[name] = (clock, families)
        return families


class _Forward:
    def __init__(self, registry) -> None:
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(session: Session, now: datetime, cache: dict | None = None) -> bytes:
    """The text exposition: the process series (every gunicorn worker's, in multiprocess mode) and the
    database series (`cache`: where sources with a ttl keep their last result; one per app)."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(_DatabaseCollector(session, now, {} if cache is None else cache))
    return generate_latest(registry)


# --- the endpoint ---------------------------------------------------------------------------------------

bp = Blueprint("metrics", __name__)


def token_problem(token: str | None) -> str | None:
    """Why METRICS_TOKEN cannot protect /metrics, or None when it can."""
    if not token:
        return "METRICS_TOKEN is not set"
    if len(token) < MIN_TOKEN_LENGTH:
        return f"METRICS_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters"
    return None


@bp.get("/metrics")
def metrics():
    """Bearer-token only; 404 when no usable token is configured (never open by accident)."""
    from vault import db
    from vault.db import utcnow

    token = current_app.config.get("METRICS_TOKEN")
    if token_problem(token):
        abort(404)
    offered = request.headers.get("Authorization", "")
    scheme, _, value = offered.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), str(token).encode()):
        return Response("A bearer token is required.\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"',
                                                              "Content-Type": "text/plain; charset=utf-8"})
    body = exposition(db.session(), utcnow(), current_app.extensions.setdefault("vault.metrics.cache", {}))
    # the 0.0.4 text format: every Prometheus release reads it (our names need none of 1.0's escaping)
    return Response(body, 200, {"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "Cache-Control": "no-store"})


def init_app(app) -> None:
    """The endpoint, and the request observer on vault.logs' request line (call after vault.logs)."""
    app.register_blueprint(bp)
    app.extensions["vault.request_log"].observers.append(observe_request)
    problem = token_problem(app.config.get("METRICS_TOKEN"))
    if problem and app.config.get("METRICS_TOKEN"):
        log.error("/metrics is off: %s", problem)
