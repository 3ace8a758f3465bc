"""The queue in one process (JOBS_RUN=inline, the tests' default) on SQLite and PostgreSQL: enqueue in the
caller's transaction, idempotent keys, retries with backoff, dead and failed jobs, progress, the CLI."""
from datetime import timedelta

import pytest

from tests.jobs import handlers  # noqa: F401 - registers the test kinds
from tests.jobs.conftest import count
from vault import db, jobs
from vault.db import utcnow


def _job(app, uid):
    with app.app_context():
        return jobs.get(db.session(), uid)


def test_a_job_runs_after_its_transaction_commits_and_not_after_a_rollback(jobs_app):
    with jobs_app.app_context():
        sess = db.session()
        rolled_back = jobs.enqueue(sess, "test.effect", {})
        sess.rollback()
        job = jobs.enqueue(sess, "test.effect", {"steps": 3})
        assert count(jobs_app, "SELECT count(*) FROM job_effects") == 0  # not before the commit
        sess.commit()
        uid = job.uid
    assert count(jobs_app, "SELECT count(*) FROM job_effects") == 1
    done = _job(jobs_app, uid)
    assert (done.status, done.attempts, done.progress_done, done.progress_total, done.message) == \
        ("done", 1, 3, 3, "step 3")
    assert done.result["pid"] > 0 and done.finished_at is not None and done.live_key is None
    assert _job(jobs_app, rolled_back.uid) is None


def test_enqueue_by_key_returns_the_waiting_job(jobs_app):
    jobs_app.extensions["vault.jobs"].settings = _settings(jobs_app, run="worker")  # nothing runs by itself
    with jobs_app.app_context():
        sess = db.session()
        first = jobs.enqueue(sess, "test.effect", {"n": 1}, key="report:42")
        sess.commit()
        again = jobs.enqueue(sess, "test.effect", {"n": 2}, key="report:42")
        other = jobs.enqueue(sess, "test.effect", {"n": 3}, key="report:43")
        sess.commit()
        assert again.uid == first.uid and other.uid != first.uid
        assert jobs.run_pending(jobs_app).done == 2
        # Once done, the key is free: new work under it is a new job.
        later = jobs.enqueue(sess, "test.effect", {}, key="report:42")
        sess.commit()
        assert later.uid != first.uid and later.key == "report:42"
    assert count(jobs_app, "SELECT count(*) FROM job_effects") == 2


def test_enqueue_by_key_while_it_runs_runs_it_once_more(jobs_app):
    """The change that asked for the job came after the running job read its data: it runs again."""
    runs = []

    @jobs.handler("test.rerun")
    def rerun(ctx, payload):
        runs.append(ctx.job.result)
        if len(runs) == 1:
            twin = jobs.enqueue(ctx.session, "test.rerun", {}, key="rerun")
            assert twin.uid == ctx.job.uid
            ctx.session.commit()
        return {"run": len(runs)}

    with jobs_app.app_context():
        sess = db.session()
        job = jobs.enqueue(sess, "test.rerun", {}, key="rerun")
        sess.commit()
        uid = job.uid
    done = _job(jobs_app, uid)
    assert runs == [None, {"run": 1}]  # the second run sees the first one's result
    assert (done.status, done.result, done.live_key, done.rerun) == ("done", {"run": 2}, None, False)


def _settings(app, **changes):
    import dataclasses
    return dataclasses.replace(app.extensions["vault.jobs"].settings, **changes)


def test_retry_with_backoff_then_done(jobs_app):
    jobs_app.extensions["vault.jobs"].settings = _settings(jobs_app, backoff_seconds=60)
    with jobs_app.app_context():
        sess = db.session()
        uid = jobs.enqueue(sess, "test.flaky", {"succeed_on": 2}).uid
        sess.commit()  # attempt 1 runs inline and fails
    job = _job(jobs_app, uid)
    assert job.status == "retry" and job.attempts == 1 and "flaky failure on attempt 1" in job.error
    first_wait = job.run_after - job.updated_at
    assert first_wait == timedelta(seconds=60)
    assert jobs.run_pending(jobs_app).ran == 0  # not due yet
    report = jobs.run_pending(jobs_app, now=job.run_after)
    assert report.done == 1
    job = _job(jobs_app, uid)
    assert job.status == "done" and job.result == {"attempt": 2} and job.error == ""


def test_dead_after_max_attempts_and_retry_by_an_admin(jobs_app, runner_for):
    jobs_app.extensions["vault.jobs"].settings = _settings(jobs_app, backoff_seconds=10)
    with jobs_app.app_context():
        sess = db.session()
        uid = jobs.enqueue(sess, "test.flaky", {}, key="flaky").uid
        sess.commit()
    waits = []
    for _ in range(2):
        job = _job(jobs_app, uid)
        waits.append(job.run_after - job.updated_at)
        jobs.run_pending(jobs_app, now=job.run_after)
    job = _job(jobs_app, uid)
    assert waits == [timedelta(seconds=10), timedelta(seconds=20)]  # doubles
    assert (job.status, job.attempts, job.live_key) == ("dead", 3, None)
    assert "attempt 3" in job.error

    cli = runner_for(jobs_app)
    listed = cli.invoke(args=["jobs", "list", "--status", "dead"])
    assert uid in listed.output and "attempts 3/3" in listed.output
    shown = cli.invoke(args=["jobs", "show", uid])
    assert "status: dead" in shown.output and "RuntimeError: flaky failure on attempt 3" in shown.output
    result = cli.invoke(args=["jobs", "retry", uid])
    assert result.exit_code == 0, result.output
    job = _job(jobs_app, uid)  # retried inline at once: fails again, waiting for its 2nd attempt
    assert job.status == "retry" and job.attempts == 1 and job.live_key == "flaky"
    refused = cli.invoke(args=["jobs", "retry", uid])
    assert refused.exit_code != 0 and "only failed or dead jobs" in refused.output
    assert "no job nope" in cli.invoke(args=["jobs", "show", "nope"]).output
    with jobs_app.app_context():
        from vault.audit import AuditEvent
        from sqlalchemy import select
        event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "jobs.retry"))
        assert event.object_id == uid and event.detail == {"kind": "test.flaky"}


def test_a_refused_job_fails_at_once_and_an_unknown_kind_fails(jobs_app):
    with jobs_app.app_context():
        sess = db.session()
        refused = jobs.enqueue(sess, "test.refused", {})
        unknown = jobs.enqueue(sess, "test.nobody-handles-this", {})
        sess.commit()
        refused_uid, unknown_uid = refused.uid, unknown.uid
    job = _job(jobs_app, refused_uid)
    assert (job.status, job.attempts, job.error) == ("failed", 1, "the payload names nothing to do")
    job = _job(jobs_app, unknown_uid)
    assert job.status == "failed" and "no handler for job kind 'test.nobody-handles-this'" in job.error


def test_jobs_enqueued_by_a_job_run_too(jobs_app):
    with jobs_app.app_context():
        sess = db.session()
        uid = jobs.enqueue(sess, "test.enqueue_child", {}).uid
        sess.commit()
    child_uid = _job(jobs_app, uid).result["child"]
    assert _job(jobs_app, child_uid).status == "done"


def test_in_a_request_the_job_runs_when_the_request_ends(jobs_app):
    """Like after-commit mail: the response is built first, the job runs before the test client returns."""
    seen = {}

    @jobs_app.route("/_test/enqueue", methods=["POST"])
    def _enqueue():
        sess = db.session()
        job = jobs.enqueue(sess, "test.effect", {}, request_id="req-123")
        sess.commit()
        seen["count_in_request"] = count(jobs_app, "SELECT count(*) FROM job_effects")
        return job.uid

    uid = jobs_app.test_client().post("/_test/enqueue").get_data(as_text=True)
    assert seen["count_in_request"] == 0
    assert count(jobs_app, "SELECT count(*) FROM job_effects") == 1
    assert _job(jobs_app, uid).request_id == "req-123"


def test_in_a_request_jobs_enqueued_by_its_jobs_run_too(jobs_app):
    @jobs_app.route("/_test/parent", methods=["POST"])
    def _parent():
        sess = db.session()
        job = jobs.enqueue(sess, "test.enqueue_child", {})
        sess.commit()
        return job.uid

    uid = jobs_app.test_client().post("/_test/parent").get_data(as_text=True)
    child_uid = _job(jobs_app, uid).result["child"]
    assert _job(jobs_app, child_uid).status == "done"


def test_a_runner_that_lost_its_lease_changes_nothing(jobs_app):
    """The heartbeat stopped (runner frozen): another runner takes the job over; the first one's late
    outcome is ignored because it no longer holds the claim."""
    from vault.jobs import store
    jobs_app.extensions["vault.jobs"].settings = _settings(jobs_app, run="worker")
    with jobs_app.app_context():
        sess = db.session()
        uid = jobs.enqueue(sess, "test.effect", {}).uid
        sess.commit()
        now = utcnow()
        job, token = store.claim_one(sess, now=now, lease=timedelta(seconds=30), worker="frozen")
        assert store.claim_one(sess, now=now, lease=timedelta(seconds=30), worker="other") is None
    report = jobs.run_pending(jobs_app, now=now + timedelta(seconds=31))
    assert report.done == 1
    with jobs_app.app_context():
        sess = db.session()
        assert store.record_failure(sess, job, token, now=utcnow(), error="late", permanent=True,
                                    base_seconds=1, cap_seconds=1)
        after = jobs.get(sess, uid)
        assert (after.status, after.attempts, after.error) == ("done", 2, "")


@pytest.fixture
def runner_for():
    return lambda app: app.test_cli_runner()
