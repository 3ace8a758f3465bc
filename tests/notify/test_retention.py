"""Retention: `vault notify purge`, the periodic purge job, dedupe keys that must outlive
it, and the admin page around it."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from tests.notify.conftest import T0
from vault import db, notify
from vault.audit import AuditEvent
from vault.notify import service
from vault.notify.models import Outbox

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)  # cut-offs fall on 00:00 UTC of this day
MIDNIGHT = datetime(2026, 12, 4, tzinfo=timezone.utc)


def _row(sess, status: str, at: datetime, key: str | None = None, to: str | None = None) -> int:
    """An outbox row in `status` whose last change (and sending, if sent) was at `at`."""
    row = notify.send_email(sess, to=to or f"r{sess.scalar(select(func.count()).select_from(Outbox))}@example.com",
                            subject=f"{status} {at:%Y-%m-%d %H:%M}", text="t", dedupe_key=key)[0]
    sess.execute(update(Outbox).where(Outbox.id == row.id).values(
        status=status, created_at=at, updated_at=at, next_attempt_at=at, sent_at=at if status == "sent" else None,
        lease_until=at if status == "sending" else None))
    sess.commit()
    return row.id


def _ids(sess) -> set[int]:
    return set(sess.scalars(select(Outbox.id)))


def _purge_events(sess) -> list[AuditEvent]:
    return list(sess.scalars(select(AuditEvent).where(AuditEvent.action == "notify.purge").order_by(AuditEvent.id)))


def test_purge_deletes_old_sent_and_dead_rows_only(notify_db_app):
    with notify_db_app.app_context():
        sess = db.session()
        old_sent = _row(sess, "sent", NOW - timedelta(days=31))
        just_before = _row(sess, "sent", MIDNIGHT - timedelta(days=30, seconds=1))
        at_cutoff = _row(sess, "sent", MIDNIGHT - timedelta(days=30))
        recent_sent = _row(sess, "sent", NOW - timedelta(days=29))
        old_dead = _row(sess, "dead", NOW - timedelta(days=181))
        dead_kept = _row(sess, "dead", NOW - timedelta(days=179))  # past the sent period, not the dead one
        waiting = {_row(sess, s, NOW - timedelta(days=400)) for s in ("queued", "sending", "retry")}
        report = service.purge(sess, sent_days=30, dead_days=180, now=NOW)
        sess.commit()
        assert (report.sent, report.dead) == (2, 1)
        assert report.sent_before == MIDNIGHT - timedelta(days=30)
        assert report.dead_before == MIDNIGHT - timedelta(days=180)
        assert _ids(sess) == {at_cutoff, recent_sent, dead_kept} | waiting
        assert old_sent not in _ids(sess) and just_before not in _ids(sess) and old_dead not in _ids(sess)
        # Later the same day: nothing more to delete (the scheduler audits once a day, not every run).
        later = service.purge(sess, sent_days=30, dead_days=180, now=NOW + timedelta(hours=8))
        assert (later.sent, later.dead) == (0, 0)


def test_purge_refuses_zero_days(app):
    with app.app_context(), pytest.raises(notify.NotifyError, match="at least 1"):
        service.purge(db.session(), sent_days=0, dead_days=180)


def test_a_dedupe_key_outlives_a_short_retention(notify_db_app, smtp_sink):
    """Deleting a sent row frees its dedupe key: the same reminder could be queued and sent again.
    So keyed rows are kept at least DEDUPE_MIN_DAYS whatever --older-than says."""
    with notify_db_app.app_context():
        sess = db.session()
        first = notify.send_email(sess, to="legal@example.com", subject="Reminder", text="t", dedupe_key="k:1")[0]
        plain = notify.send_email(sess, to="legal@example.com", subject="Plain", text="t")[0]
        sess.commit()
        assert notify.deliver_pending(sess, now=T0).sent == 2
        first_id, plain_id = first.id, plain.id
        three_days_on = T0 + timedelta(days=3)
        report = service.purge(sess, sent_days=1, dead_days=1, now=three_days_on)
        sess.commit()
        assert report.sent == 1 and _ids(sess) == {first_id} and plain_id != first_id  # unkeyed went, keyed stayed
        # The caller queues the same reminder again (a re-run, a double click): still the old row.
        again = notify.send_email(sess, to="legal@example.com", subject="Reminder", text="t", dedupe_key="k:1")[0]
        sess.commit()
        assert again.id == first_id and notify.deliver_pending(sess, now=three_days_on) == notify.DeliveryReport()
        assert len(smtp_sink.messages) == 2
        # After the floor the row goes too; from then on the key is free again, which is why
        # callers whose keys can recur after a week keep their own ledger.
        floor = T0 + timedelta(days=service.DEDUPE_MIN_DAYS + 1)
        assert service.purge(sess, sent_days=1, dead_days=1, now=floor).sent == 1
        sess.commit()
        assert _ids(sess) == set()


def test_expiry_reminders_are_not_sent_again_after_their_rows_are_purged(app, tmp_path, smtp_sink):
    from tests.expiry.conftest import TODAY, document, user
    app.config["PUBLIC_BASE_URL"] = "https://vault.example.com"
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com")
        sess.commit()
        document(app, sess, owner, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=30))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["remind", "--now", TODAY.isoformat(), "--deliver"])
    assert "delivered: sent 1" in first.output, first.output
    with app.app_context():
        sess = db.session()
        later = datetime.now(timezone.utc) + timedelta(days=60)
        assert service.purge(sess, sent_days=30, dead_days=180, now=later).sent == 1
        sess.commit()
        assert _ids(sess) == set()
    # The reminder ledger (expiry_sent_reminders), not the outbox, stops a second send.
    again = runner.invoke(args=["remind", "--now", TODAY.isoformat(), "--deliver"])
    assert "reminded 0 obligation stages" in again.output, again.output
    assert len(smtp_sink.messages) == 1


def test_cli_purge_uses_the_configured_periods_and_is_audited(app, runner):
    app.config.update(NOTIFY_RETENTION_SENT_DAYS=10, NOTIFY_RETENTION_DEAD_DAYS=20)
    now = datetime.now(timezone.utc)
    with app.app_context():
        sess = db.session()
        _row(sess, "sent", now - timedelta(days=12))
        kept_sent = _row(sess, "sent", now - timedelta(days=5))
        _row(sess, "dead", now - timedelta(days=25))
        kept_dead = _row(sess, "dead", now - timedelta(days=15))
    result = runner.invoke(args=["notify", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("deleted 1 sent (before ") and "and 1 failed (before " in result.output
    with app.app_context():
        sess = db.session()
        assert _ids(sess) == {kept_sent, kept_dead}
        [event] = _purge_events(sess)
        assert event.actor.startswith("cli:") and event.object_type == "notification"
        assert event.detail["sent"] == 1 and event.detail["dead"] == 1
        assert event.detail["sent_before"].startswith((now - timedelta(days=10)).date().isoformat())
    # --older-than overrides the sent period for one run; the dead period stays.
    result = runner.invoke(args=["notify", "purge", "--older-than", "3"])
    assert "deleted 1 sent" in result.output and "and 0 failed" in result.output
    with app.app_context():
        sess = db.session()
        assert _ids(sess) == {kept_dead} and len(_purge_events(sess)) == 2  # by hand: audited even if small
    result = runner.invoke(args=["notify", "purge", "--dead-older-than", "7"])
    assert "deleted 0 sent" in result.output and "and 1 failed" in result.output
    for bad in (["--older-than", "0"], ["--older-than", "x"], ["--dead-older-than", "-1"]):
        assert runner.invoke(args=["notify", "purge", *bad]).exit_code == 2


def test_the_purge_job_deletes_once_a_day_and_audits_only_what_it_deleted(app):
    """The periodic `notify.purge` job (every 6 hours; cut-offs on UTC midnight)."""
    from tests.expiry.conftest import TODAY, at
    from vault import jobs
    with app.app_context():
        sess = db.session()
        old = _row(sess, "sent", datetime.now(timezone.utc) - timedelta(days=40))
        queued = _row(sess, "queued", datetime.now(timezone.utc) - timedelta(days=40))
    assert jobs.schedule_due(app, now=at(TODAY), names=["notify.purge"])  # runs after its commit (inline)
    with app.app_context():
        sess = db.session()
        assert old not in _ids(sess) and queued in _ids(sess)
        [event] = _purge_events(sess)
        assert event.actor == "scheduler" and event.detail["sent"] == 1
    assert jobs.schedule_due(app, now=at(TODAY) + timedelta(hours=6), names=["notify.purge"])
    with app.app_context():
        assert len(_purge_events(db.session())) == 1  # nothing deleted: no empty event every run


def test_admin_page_states_the_retention_in_both_languages(app, client_as):
    app.config.update(NOTIFY_RETENTION_SENT_DAYS=14, NOTIFY_RETENTION_DEAD_DAYS=90)
    html = client_as("admin").get("/admin/notifications").get_data(as_text=True)
    assert "Sent messages are deleted after 14 days, failed ones after 90 days." in html
    html = client_as("admin").get("/admin/notifications?lang=zh").get_data(as_text=True)
    assert "已发送的消息保留 14 天后删除，发送失败的保留 90 天后删除。" in html


def test_admin_page_and_retry_after_a_purge(app, client_as):
    now = datetime.now(timezone.utc)
    with app.app_context():
        sess = db.session()
        gone = _row(sess, "dead", now - timedelta(days=200))
        kept = _row(sess, "dead", now - timedelta(days=2))
    admin = client_as("admin")
    before = admin.get("/admin/notifications").get_data(as_text=True)
    assert f"/admin/notifications/{gone}/retry" in before
    assert app.test_cli_runner().invoke(args=["notify", "purge"]).exit_code == 0
    page = admin.get("/admin/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"/{kept}/retry" in html and f"/{gone}/retry" not in html
    assert admin.post(f"/admin/notifications/{gone}/retry").status_code == 404  # a stale page's button


def test_retry_of_a_row_purged_after_it_was_read_is_refused(app):
    with app.app_context():
        sess = db.session()
        row_id = _row(sess, "dead", datetime.now(timezone.utc) - timedelta(days=200))
        row = service.get_outbox(sess, row_id)
        other = app.extensions["vault.sessionmaker"]()
        try:
            service.purge(other, sent_days=30, dead_days=180)
            other.commit()
        finally:
            other.close()
        with pytest.raises(notify.NotifyError):
            service.retry(sess, row)
        sess.rollback()
        assert _ids(sess) == set()
