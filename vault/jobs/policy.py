"""The rules of the queue as plain Python (no Flask, no database): handlers and periodic jobs as
registered by the features, the retry schedule, and the periodic slots.

Kept apart from the storage so the rules read in one place and tests can check them as a table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)  # slots are counted from here (any fixed instant works)
STATUSES = ("queued", "running", "retry", "done", "failed", "dead")
WAITING = ("queued", "retry")  # due once run_after has passed
FINISHED = ("done", "failed", "dead")


class JobFailed(Exception):
    """Raised by a handler for a failure that another attempt cannot fix (bad payload, object gone):
    the job ends `failed` at once, with this message shown to whoever looks at it."""


@dataclass(frozen=True)
class Handler:
    kind: str
    func: Callable[..., Any]
    max_attempts: int = 5
    timeout_seconds: int = 900  # the heartbeat stops renewing the lease after this: another runner retries
    queue: str = "default"


@dataclass(frozen=True)
class Periodic:
    name: str
    kind: str
    # A fixed interval, or a function of the job session giving it (None: switched off), so an admin
    # setting can drive it (expiry's reminder interval).
    every: timedelta | Callable[[Any], timedelta | None]
    payload: dict = field(default_factory=dict)


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, Periodic] = {}


def handler(kind: str, *, max_attempts: int = 5, timeout_seconds: int = 900, queue: str = "default"):
    """Decorator: `fn(ctx, payload) -> dict | None` runs jobs of `kind`. Handlers must be idempotent:
    a job whose runner dies is run again from the start by another runner."""
    if max_attempts < 1 or timeout_seconds < 1:
        raise ValueError("max_attempts and timeout_seconds must be at least 1")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        known = HANDLERS.get(kind)
        if known is not None and known.func is not fn and _where(known.func) != _where(fn):
            raise ValueError(f"two handlers for job kind {kind!r}: {_where(known.func)} and {_where(fn)}")
        HANDLERS[kind] = Handler(kind, fn, max_attempts, timeout_seconds, queue)
        return fn

    return register


def periodic(name: str, *, every, kind: str | None = None, payload: dict | None = None) -> Periodic:
    """Declare a periodic job: the scheduler of every runner enqueues `kind` once per slot of `every`."""
    if isinstance(every, timedelta) and every <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")
    entry = Periodic(name=name, kind=kind or name, every=every, payload=dict(payload or {}))
    PERIODIC[name] = entry
    return entry


def _where(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"


def retry_delay(attempts: int, *, base_seconds: float, cap_seconds: float = 3600.0) -> timedelta:
    """Exponential backoff: base, 2*base, 4*base ... after the 1st, 2nd, 3rd failed attempt, capped."""
    return timedelta(seconds=min(cap_seconds, base_seconds * (2 ** max(0, attempts - 1))))


def after_failure(attempts: int, max_attempts: int, now: datetime, *, base_seconds: float,
                  cap_seconds: float = 3600.0) -> tuple[str, datetime | None]:
    """The status after a failed attempt: ("retry", when) or ("dead", None) once attempts are used up."""
    if attempts >= max_attempts:
        return "dead", None
    return "retry", now + retry_delay(attempts, base_seconds=base_seconds, cap_seconds=cap_seconds)


def slot_start(now: datetime, every: timedelta) -> datetime:
    """The start of the slot of length `every` holding `now` (slots are aligned on EPOCH, so every
    scheduler on every host computes the same one)."""
    if every <= timedelta(0):
        raise ValueError("a slot needs a positive length")
    slots = (now - EPOCH) // every
    return EPOCH + slots * every


def periodic_key(name: str, slot: datetime) -> str:
    return f"periodic:{name}@{slot.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S}Z"
