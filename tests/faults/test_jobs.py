"""Faults under a real job: the custom trust report (an export: a PDF written into the vault) on
PostgreSQL. The database connection is cut mid-job (the job is retried and completes once), and a
`vault worker` process is killed with SIGKILL mid-export (another worker takes the job over when the
lease runs out and the report is written once; an object the dead worker stored before its commit is
an orphan that `vault storage check` lists as in flight and deletes after the grace period)."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from tests.access.builders import seed
from tests.conftest import mail_config, make_app
from tests.faults.conftest import close_app, proxied_url, staff_client
from tests.trustreports.builders import add_content, grant_for
from vault import audit, db, jobs
from vault.db import utcnow

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_proxy(postgres_url, proxy_to):
    return proxy_to(postgres_url)


@pytest.fixture
def report_app(tmp_path, smtp_sink, postgres_url, pg_proxy):
    """A grant with content to report on; the app reaches PostgreSQL through the fault proxy. Jobs run
    inline while the grant is made (its mails), then only when asked (as with JOBS_RUN=worker)."""
    app = make_app(tmp_path, proxied_url(postgres_url, pg_proxy), JOBS_BACKOFF_SECONDS=1,
                   **mail_config(smtp_sink.port, "trust@vault.test"))
    seeded = seed(app, tmp_path)
    add_content(app)
    grant, _link = grant_for(app, smtp_sink, seeded, staff_client(app, "admin"))
    state = app.extensions["vault.jobs"]
    state.settings = dataclasses.replace(state.settings, run="worker")
    yield app, grant
    close_app(app)


def _enqueue_report(app, grant_uid: str) -> str:
    from vault.access import service as access
    from vault.trustreports import jobs as report_jobs
    from vault.trustreports import service
    with app.app_context():
        sess = db.session()
        grant = access.get_grant(sess, grant_uid)
        user = staff_client(app, "admin").user
        choice = service.Choice(language="en", sections=["encryption"], documents=[], answers=["ENC-01"], status=True)
        job = report_jobs.enqueue_report(sess, grant, choice, by=audit.Actor(id=user.id, label=user.email))
        sess.commit()
        return job.uid


def _job(app, uid: str):
    with app.app_context():
        return jobs.get(db.session(), uid)


def _reports(app) -> tuple[int, int]:
    """(trust reports, their document versions)."""
    from vault.documents.models import DocumentVersion
    from vault.trustreports.models import TrustReport
    with app.app_context():
        sess = db.session()
        return (sess.scalar(select(func.count()).select_from(TrustReport)),
                sess.scalar(select(func.count()).select_from(DocumentVersion)
                            .where(DocumentVersion.id.in_(select(TrustReport.version_id)))))


def _storage(app, *, later: timedelta = timedelta(0), delete: bool = False):
    from vault.storage.service import check_storage
    with app.app_context():
        return check_storage(db.session(), keyring_path=None, now=utcnow() + later, delete_orphans=delete)


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _start_workers(app, n: int) -> list[subprocess.Popen]:
    """`vault worker` processes on the app's instance folder and database (through the proxy)."""
    env = {**os.environ, "VAULT_INSTANCE_PATH": app.instance_path, "VAULT_DATABASE_URL": app.config["DATABASE_URL"],
           "VAULT_JOBS_RUN": "worker", "VAULT_JOBS_LEASE_SECONDS": "1.5", "VAULT_JOBS_POLL_SECONDS": "0.1",
           "VAULT_JOBS_PROGRESS_INTERVAL": "0", "VAULT_SERVER_NAME": "vault.test", "VAULT_LOG_LEVEL": "WARNING"}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.jobs.worker_main", "worker", "--no-scheduler"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(n)]
    for proc in procs:  # each prints one line once it claims
        line = proc.stdout.readline()
        assert line.startswith("worker "), line + proc.stdout.read()
    return procs


def test_report_job_under_a_database_restart_and_a_killed_worker(report_app, pg_proxy):
    app, grant = report_app

    # 1. The database restarts as the job records the report: the attempt fails, the job is retried and
    #    completes once, and every stored object has its row.
    uid = _enqueue_report(app, grant)
    cuts = []

    @event.listens_for(app.extensions["vault.engine"], "before_cursor_execute")
    def _restart(conn, cursor, statement, parameters, context, executemany):
        if not cuts and statement.startswith("INSERT INTO trust_reports"):
            cuts.append(pg_proxy.cut())

    jobs.run_pending(app)  # the claim holds no connection while the job runs, so the cut reaches the job only
    job = _job(app, uid)
    assert cuts and job.status == "retry" and "OperationalError" in job.error
    assert _reports(app) == (0, 0)
    assert jobs.run_pending(app, now=utcnow() + timedelta(minutes=5)).done == 1
    job = _job(app, uid)
    assert job.status == "done" and job.attempts == 2 and _reports(app) == (1, 1)
    report = _storage(app)
    assert report.ok and not report.orphans and not report.recent_orphans

    # 2. A `vault worker` process is killed with SIGKILL mid-export. Another runner (this process, with the
    #    worker's own run_pending) takes the job over once the lease runs out; the report is written once.
    (Path(app.instance_path) / "secret_key").write_text(app.config["SECRET_KEY"])
    [victim] = _start_workers(app, 1)
    try:
        pg_proxy.slow(chunk=0.02)  # from now every query is slow: the export takes seconds, time to kill it
        uid = _enqueue_report(app, grant)
        _wait_for(lambda: (_job(app, uid).progress_done or 0) >= 1)  # it is writing the report
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()
    holder = _job(app, uid).worker
    assert _job(app, uid).status == "running" and _reports(app) == (1, 1)
    pg_proxy.recover()
    _wait_for(lambda: jobs.run_pending(app).done == 1, timeout=15)  # claimable once the dead worker's lease ran out
    job = _job(app, uid)
    assert job.status == "done" and job.attempts == 2 and job.result["report"] and job.worker != holder
    assert _reports(app) == (2, 2)  # this job's report, written once
    report = _storage(app)
    assert report.ok and not report.missing and not report.orphans  # every row has its object
    cleaned = _storage(app, later=timedelta(hours=2), delete=True)  # an object of the dead attempt, if any
    assert cleaned.deleted_orphans == report.recent_orphans and _storage(app).recent_orphans == []
