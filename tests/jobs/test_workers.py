"""Several `vault worker` processes on one PostgreSQL: no job runs twice, and a worker killed with
SIGKILL mid-job loses nothing (another worker takes the job over once the lease runs out). Short leases
and poll intervals keep this quick; the side effects are counted in tables (tests/jobs/handlers.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.jobs import handlers
from tests.jobs.conftest import count
from vault import db, jobs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_app(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url, JOBS_RUN="worker")
    handlers.create_effect_tables(app.extensions["vault.engine"])
    (Path(app.instance_path) / "secret_key").write_text("test-secret-key-not-for-production")
    yield app
    app.extensions["vault.engine"].dispose()


class Workers:
    """`vault worker` processes (tests/jobs/worker_main.py) on the app's instance and database."""

    def __init__(self, app):
        self.env = {**os.environ, "VAULT_INSTANCE_PATH": app.instance_path,
                    "VAULT_DATABASE_URL": app.config["DATABASE_URL"], "VAULT_JOBS_RUN": "worker",
                    "VAULT_JOBS_LEASE_SECONDS": "1.5", "VAULT_JOBS_POLL_SECONDS": "0.1",
                    "VAULT_JOBS_PROGRESS_INTERVAL": "0.05", "VAULT_LOG_LEVEL": "WARNING"}
        self.procs: list[subprocess.Popen] = []

    def start(self, n: int, *args: str) -> list[subprocess.Popen]:
        new = [subprocess.Popen([sys.executable, "-m", "tests.jobs.worker_main", "worker", "--no-scheduler", *args],
                                cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(n)]
        for proc in new:  # each prints one line once it is ready to claim
            line = proc.stdout.readline()
            assert line.startswith("worker "), line + proc.stdout.read()
        self.procs += new
        return new

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def workers(pg_app):
    w = Workers(pg_app)
    yield w
    w.stop()


def _enqueue(app, n: int, payload: dict) -> list[str]:
    with app.app_context():
        sess = db.session()
        uids = [jobs.enqueue(sess, "test.effect", payload).uid for _ in range(n)]
        sess.commit()
    return uids


def _wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _statuses(app) -> dict[str, int]:
    from sqlalchemy import text
    with app.extensions["vault.engine"].connect() as conn:
        return dict(conn.execute(text("SELECT status, count(*) FROM jobs GROUP BY status")).all())


def test_worker_processes_never_run_a_job_twice_and_a_killed_one_loses_nothing(pg_app, workers):
    first, second = workers.start(2, "--concurrency", "3")
    # Two processes of three threads share 60 jobs: each starts exactly once.
    uids = _enqueue(pg_app, 60, {"sleep": 0.05})
    _wait_until(lambda: _statuses(pg_app) == {"done": 60})
    assert count(pg_app, "SELECT count(*) FROM job_runs") == 60
    assert count(pg_app, "SELECT count(DISTINCT job_uid) FROM job_effects") == 60
    assert count(pg_app, "SELECT count(DISTINCT pid) FROM job_runs") == 2  # the work was shared
    with pg_app.app_context():
        assert {jobs.get(db.session(), uid).attempts for uid in uids} == {1}

    # kill -9 of the worker running a long job: the other takes it over once the lease runs out.
    [uid] = _enqueue(pg_app, 1, {"sleep": 60, "steps": 60})  # long on its first attempt only
    _wait_until(lambda: count(pg_app, "SELECT count(*) FROM job_runs WHERE job_uid = :u", u=uid) == 1)
    holder = count(pg_app, "SELECT pid FROM job_runs WHERE job_uid = :u", u=uid)
    victim, survivor = (first, second) if holder == first.pid else (second, first)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    more = _enqueue(pg_app, 5, {})  # queued while one worker is gone: the other runs them
    _wait_until(lambda: _statuses(pg_app) == {"done": 66}, timeout=30)
    with pg_app.app_context():
        job = jobs.get(db.session(), uid)
        assert job.attempts == 2 and job.result == {"pid": survivor.pid}
        assert job.progress_done == job.progress_total == 60
    runs = count(pg_app, "SELECT count(DISTINCT pid) FROM job_runs WHERE job_uid = :u", u=uid)
    assert runs == 2  # started by the killed worker, run again by the survivor...
    assert count(pg_app, "SELECT count(*) FROM job_effects") == 66  # ...and its effect happened once
    assert count(pg_app, "SELECT count(*) FROM job_runs") == 67 and len(more) == 5


def test_two_schedulers_enqueue_each_periodic_slot_once(pg_app, tmp_path, postgres_url):
    """Two app servers (two engines) call the scheduler at the same instant for five slots."""
    (tmp_path / "other").mkdir()
    other = make_app(tmp_path / "other", postgres_url, JOBS_RUN="worker")
    jobs.periodic("test.tick", every=timedelta(hours=1), kind="test.flaky", payload={"succeed_on": 1})
    try:
        start = jobs.policy.slot_start(db.utcnow(), timedelta(hours=1))
        for hour in range(5):
            at = start + timedelta(hours=hour, minutes=1)
            results: list[list[str]] = []
            barrier = threading.Barrier(2)

            def tick(app, barrier=barrier, results=results, at=at):
                barrier.wait()
                results.append(jobs.schedule_due(app, now=at, names=["test.tick"]))

            threads = [threading.Thread(target=tick, args=(a,)) for a in (pg_app, other)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(len(r) for r in results) == [0, 1]
            assert jobs.schedule_due(pg_app, now=at + timedelta(minutes=30), names=["test.tick"]) == []  # same slot later: nothing
            assert jobs.run_pending(pg_app).done == 1
        assert count(pg_app, "SELECT count(*) FROM jobs WHERE kind = 'test.flaky'") == 5
    finally:
        jobs.PERIODIC.pop("test.tick", None)
        other.extensions["vault.engine"].dispose()
