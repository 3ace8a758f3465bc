"""The periodic work every runner schedules (reminders, outbox sweep and purge, status maintenance and
overdue updates, engagement purge): declared once, each slot enqueued once, every job runs on a fresh instance."""
from datetime import timedelta

from vault import db, jobs
from vault.db import utcnow

EXPECTED = {"notify.sweep", "notify.purge", "expiry.remind", "status.maintenance", "status.overdue", "jobs.purge",
            "engagement.purge"}


def test_every_periodic_job_has_a_handler_and_runs(any_db_app, smtp_sink):
    assert EXPECTED <= set(jobs.PERIODIC)
    assert all(entry.kind in jobs.HANDLERS for entry in jobs.PERIODIC.values())
    from vault.expiry.service import get_settings
    with any_db_app.app_context():
        sess = db.session()
        get_settings(sess).scheduler_enabled = True  # reminders in the app are the admin's choice
        sess.commit()
    now = utcnow()
    uids = jobs.schedule_due(any_db_app, now=now, names=EXPECTED)  # run inline after each commit
    assert len(uids) == len(EXPECTED)
    with any_db_app.app_context():
        sess = db.session()
        ran = {job.kind: job for job in (jobs.get(sess, uid) for uid in uids)}
    assert set(ran) == EXPECTED
    assert {kind: job.status for kind, job in ran.items()} == dict.fromkeys(EXPECTED, "done")
    # The same slot again: nothing; the next slot of the minute sweep: one more.
    assert jobs.schedule_due(any_db_app, now=now, names=EXPECTED) == []
    assert len(jobs.schedule_due(any_db_app, now=now + timedelta(minutes=1), names=["notify.sweep"])) == 1


def test_reminders_follow_the_admins_interval(app):
    from vault.expiry import scheduler
    from vault.expiry.service import get_settings
    with app.app_context():
        sess = db.session()
        assert scheduler.interval(sess) is None  # off by default: cron's `vault remind`
        settings = get_settings(sess)
        settings.scheduler_enabled, settings.scheduler_interval_minutes = True, 45
        sess.commit()
        assert scheduler.interval(sess) == timedelta(minutes=45)


def test_finished_jobs_are_purged_after_their_retention(app):
    from datetime import datetime, timezone
    import dataclasses
    from vault.jobs import retention
    from sqlalchemy import select

    from vault.jobs.models import Job
    state = app.extensions["vault.jobs"]
    state.settings = dataclasses.replace(state.settings, run="worker")
    now = datetime.now(timezone.utc)
    with app.app_context():
        sess = db.session()
        for name, status, age in (("old-done", "done", 15), ("new-done", "done", 13), ("old-dead", "dead", 91),
                                  ("new-failed", "failed", 89), ("waiting", "queued", 400)):
            job = jobs.enqueue(sess, "test.nothing", {"name": name})
            job.status = status
            job.finished_at = None if status == "queued" else now - timedelta(days=age)
        sess.commit()
        assert retention.purge(sess, now=now) == {"done": 1, "failed": 1}
        sess.commit()
        left = {j.payload["name"] for j in sess.scalars(select(Job))}
    assert left == {"new-done", "new-failed", "waiting"}
    assert "jobs.purge" in jobs.PERIODIC
