"""`vault remind`, `vault expiry list`, and the reminders' periodic job."""
import json
from datetime import timedelta

from sqlalchemy import func, select

from tests.expiry.conftest import TODAY, at, document, user
from vault import db
from vault.expiry.models import SentReminder


def _seed(app, tmp_path):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com")
        sess.commit()
        document(app, sess, owner, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=30))
        document(app, sess, owner, tmp_path, "Pen test", expiry=TODAY - timedelta(days=2), frameworks=())


def _ledger(app):
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(SentReminder))


def test_remind_dry_run_then_real_then_nothing(app, tmp_path, smtp_sink):
    _seed(app, tmp_path)
    runner = app.test_cli_runner()
    day = TODAY.isoformat()
    dry = runner.invoke(args=["remind", "--now", day, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remind 2 obligation stages: 1 emails" in dry.output and _ledger(app) == 0
    real = runner.invoke(args=["remind", "--now", f"{day}T09:00:00+00:00", "--deliver"])
    assert real.exit_code == 0, real.output
    assert "before:30" in real.output and "overdue:0" in real.output and "delivered: sent 1" in real.output
    assert _ledger(app) == 2 and len(smtp_sink.messages) == 1
    again = runner.invoke(args=["remind", "--now", day])
    assert "reminded 0 obligation stages" in again.output


def test_remind_refuses_a_bad_date(app):
    result = app.test_cli_runner().invoke(args=["remind", "--now", "next tuesday"])
    assert result.exit_code == 2 and "is not an ISO date" in result.output


def test_expiry_list(app, tmp_path):
    _seed(app, tmp_path)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["expiry", "list", "--horizon", "overdue"])
    assert out.exit_code == 0 and "Pen test" in out.output and "ISO 27001" not in out.output
    data = json.loads(runner.invoke(args=["expiry", "list", "--json", "--owner", "owner@example.com"]).output)
    assert [d["title"] for d in data] == ["Pen test", "ISO 27001 certificate"]
    assert data[1]["days_left"] == 30 and data[1]["frameworks"] == ["iso27001"]
    bad = runner.invoke(args=["expiry", "list", "--owner", "nobody@example.com"])
    assert bad.exit_code == 2 and "no user with the email" in bad.output


def test_in_app_reminders_are_off_by_default_and_run_once_per_interval(app, tmp_path, smtp_sink):
    """The periodic `expiry.remind` job: no slots while off; on, one job per admin interval, and its
    mails go out with it."""
    from vault import jobs
    from vault.expiry import scheduler
    from vault.expiry.service import get_settings
    _seed(app, tmp_path)
    now = at(TODAY)
    assert jobs.schedule_due(app, now=now, names=["expiry.remind"]) == [] and _ledger(app) == 0  # off
    with app.app_context():
        sess = db.session()
        settings = get_settings(sess)
        settings.scheduler_enabled, settings.scheduler_interval_minutes = True, 10
        sess.commit()
    [uid] = jobs.schedule_due(app, now=now, names=["expiry.remind"])  # runs after its commit (inline)
    with app.app_context():
        job = jobs.get(db.session(), uid)
        assert job.status == "done" and job.result["summary"].startswith("reminded 2 obligation stages")
    assert _ledger(app) == 2
    assert len(smtp_sink.messages) == 1  # delivered by a job the reminder job queued
    assert jobs.schedule_due(app, now=now + timedelta(minutes=5), names=["expiry.remind"]) == []  # same slot
    [again] = jobs.schedule_due(app, now=now + timedelta(minutes=11), names=["expiry.remind"])
    with app.app_context():
        assert jobs.get(db.session(), again).result["summary"].startswith("reminded 0")
        assert scheduler.status(db.session()).last_result.startswith("reminded 0")


def test_no_worker_thread_starts_in_tests(app, client_as):
    client_as("legal").get("/expiry/")
    assert app.extensions["vault.jobs"].worker is None and app.extensions["vault.jobs"].settings.run == "inline"
