"""Job handlers for the queue's tests. Side effects go to two tables the tests create, so a test can count
them across processes: `job_runs` (one row per start of a handler, committed at once) and `job_effects`
(the job's one real effect, unique per job: the handler is idempotent, as every handler must be)."""
from __future__ import annotations

import os
import threading
import time

from sqlalchemy import text

from vault import jobs

EFFECT_TABLES = (
    "CREATE TABLE job_runs (job_uid VARCHAR(32) NOT NULL, pid INTEGER NOT NULL, attempt INTEGER NOT NULL)",
    "CREATE TABLE job_effects (job_uid VARCHAR(32) PRIMARY KEY, pid INTEGER NOT NULL)",
)


def create_effect_tables(engine) -> None:
    with engine.begin() as conn:
        for sql in EFFECT_TABLES:
            conn.exec_driver_sql(sql)


@jobs.handler("test.effect", max_attempts=3, timeout_seconds=60)
def effect(ctx: jobs.Context, payload: dict) -> dict:
    sess = ctx.session
    sess.execute(text("INSERT INTO job_runs (job_uid, pid, attempt) VALUES (:u, :p, :a)"),
                 {"u": ctx.job.uid, "p": os.getpid(), "a": ctx.job.attempts})
    sess.commit()
    steps = int(payload.get("steps", 1))
    sleep = float(payload.get("sleep", 0) if ctx.job.attempts == 1 else payload.get("sleep_again", 0))
    for step in range(steps):
        time.sleep(sleep / steps)
        ctx.progress(step + 1, steps, f"step {step + 1}")
    done = sess.execute(text("SELECT 1 FROM job_effects WHERE job_uid = :u"), {"u": ctx.job.uid}).first()
    if done is None:  # idempotent: a second run after a lost runner does not do it again
        sess.execute(text("INSERT INTO job_effects (job_uid, pid) VALUES (:u, :p)"),
                     {"u": ctx.job.uid, "p": os.getpid()})
    sess.commit()
    return {"pid": os.getpid()}


@jobs.handler("test.flaky", max_attempts=3)
def flaky(ctx: jobs.Context, payload: dict) -> dict:
    if ctx.job.attempts < int(payload.get("succeed_on", 99)):
        raise RuntimeError(f"flaky failure on attempt {ctx.job.attempts}")
    return {"attempt": ctx.job.attempts}


@jobs.handler("test.refused")
def refused(ctx: jobs.Context, payload: dict) -> None:
    raise jobs.JobFailed("the payload names nothing to do")


@jobs.handler("test.enqueue_child")
def enqueue_child(ctx: jobs.Context, payload: dict) -> dict:
    child = jobs.enqueue(ctx.session, "test.flaky", {"succeed_on": 1})
    ctx.session.commit()
    return {"child": child.uid}


GATE = threading.Event()  # test.gate waits for it: a test decides when an in-process job may finish


@jobs.handler("test.gate", max_attempts=1, timeout_seconds=30)
def gate(ctx: jobs.Context, payload: dict) -> dict:
    ctx.progress(0, 1, "waiting at the gate")
    return {"opened": GATE.wait(timeout=20)}
