"""The `jobs` table (background work) and `job_schedules` (the last enqueued slot of each periodic job).

A job is written in the caller's transaction, claimed by one runner at a time with a token and a lease
that the runner's heartbeat keeps extending, and re-claimed by another runner when the lease runs out
(the runner died). `live_key` is the idempotency key while the job is waiting or running (NULL once it
is finished), so a unique index makes "enqueue by key" safe against a concurrent twin on any engine.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import Base, UTCDateTime, utcnow


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)  # random: the id in URLs and logs
    kind: Mapped[str] = mapped_column(String(100))  # the handler's name, e.g. "library.index"
    queue: Mapped[str] = mapped_column(String(50), default="default")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    key: Mapped[str | None] = mapped_column(String(200), nullable=True)  # kept after the job ends, for reading
    live_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    # A job enqueued again by key while it runs: run it once more when this run ends (nothing is missed).
    rerun: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str] = mapped_column(String(100), default="")  # host:pid of the last runner
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "dead")

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return max(0, min(100, int(100 * self.progress_done / self.progress_total)))

    def __repr__(self) -> str:
        return f"<Job {self.uid} {self.kind} {self.status} attempts={self.attempts}>"


class JobSchedule(Base):
    """One row per periodic job: the start of the last slot enqueued (compare-and-set by every scheduler)."""

    __tablename__ = "job_schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_slot: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
