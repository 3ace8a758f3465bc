"""JOBS_RUN=thread (the one-command default): a request's commit wakes a worker thread in the web process;
`vault worker --once` runs what is due and exits; a job whose runners keep dying ends dead."""
import time
from datetime import timedelta

from tests.conftest import make_app
from tests.jobs import handlers
from tests.jobs.conftest import count
from vault import db, jobs
from vault.db import utcnow


def test_thread_mode_runs_a_requests_job_in_the_background(tmp_path):
    app = make_app(tmp_path, JOBS_RUN="thread", JOBS_POLL_SECONDS=0.1, JOBS_SCHEDULER_SECONDS=3600)
    handlers.create_effect_tables(app.extensions["vault.engine"])
    try:
        @app.route("/_test/enqueue", methods=["POST"])
        def _enqueue():
            sess = db.session()
            uid = jobs.enqueue(sess, "test.gate", {}).uid
            sess.commit()
            return uid

        handlers.GATE.clear()
        uid = app.test_client().post("/_test/enqueue").get_data(as_text=True)
        state = app.extensions["vault.jobs"]
        assert state.worker is not None and state.settings.run == "thread"
        with app.app_context():  # the request returned while its job cannot have finished
            assert jobs.get(db.session(), uid).status in ("queued", "running")
        handlers.GATE.set()
        deadline = time.monotonic() + 20
        while True:
            with app.app_context():
                job = jobs.get(db.session(), uid)
            if job.status == "done":
                break
            assert time.monotonic() < deadline, "the worker thread never ran the job"
            time.sleep(0.05)
        assert job.result == {"opened": True} and job.worker.count(":") == 2  # host:pid:thread
    finally:
        worker = app.extensions["vault.jobs"].worker
        if worker is not None:
            worker.stop.set()
            worker.wake.set()
        app.extensions["vault.engine"].dispose()


def test_worker_once_runs_what_is_due_and_exits(app):
    handlers.create_effect_tables(app.extensions["vault.engine"])
    import dataclasses
    state = app.extensions["vault.jobs"]
    state.settings = dataclasses.replace(state.settings, run="worker")
    with app.app_context():
        sess = db.session()
        for _ in range(3):
            jobs.enqueue(sess, "test.effect", {})
        sess.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--no-scheduler", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    assert "done 3, retrying 0, failed 0" in result.output
    assert count(app, "SELECT count(*) FROM job_effects") == 3


def test_a_job_whose_runners_keep_dying_ends_dead(app):
    from vault.jobs import store
    import dataclasses
    state = app.extensions["vault.jobs"]
    state.settings = dataclasses.replace(state.settings, run="worker")
    with app.app_context():
        sess = db.session()
        uid = jobs.enqueue(sess, "test.flaky", {"succeed_on": 1}).uid  # max_attempts=3
        sess.commit()
        now = utcnow()
        for n in range(3):  # three runners claim it and die (their lease runs out)
            assert store.claim_one(sess, now=now + timedelta(minutes=2 * n), lease=timedelta(minutes=1),
                                   worker=f"lost-{n}") is not None
    assert jobs.run_pending(app, now=now + timedelta(minutes=7)).failed == 1
    with app.app_context():
        job = jobs.get(db.session(), uid)
        assert (job.status, job.attempts) == ("dead", 4) and "its runner was lost 3 times" in job.error
