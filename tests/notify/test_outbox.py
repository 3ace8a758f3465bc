"""The outbox: transactional enqueue, dedupe, backoff and dead letters, isolation between rows, and
claiming that survives crashes and concurrent runners (SQLite and PostgreSQL)."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.notify.conftest import T0
from vault import db, notify
from vault.notify.models import Outbox
from vault.notify.service import BACKOFF, claim_one

MSG = notify.Message(subject="Status update", text="All systems operational.")


def _rows(sess):
    return sess.scalars(select(Outbox).order_by(Outbox.id)).all()


def test_enqueue_is_part_of_the_callers_transaction(notify_db_app, smtp_sink):
    with notify_db_app.app_context():
        sess = db.session()
        notify.send_email(sess, to="a@example.com", subject="s", text="t")
        sess.rollback()
        assert _rows(sess) == []
        assert notify.deliver_pending(sess, now=T0) == notify.DeliveryReport()
    assert smtp_sink.messages == []


def test_dedupe_key_makes_enqueueing_idempotent(notify_db_app, receiver):
    with notify_db_app.app_context():
        sess = db.session()
        first = notify.send_email(sess, to=["a@example.com", "b@example.com"], subject="Expiring", text="t",
                                  dedupe_key="expiry:doc7:30d")
        sess.commit()
        again = notify.send_email(sess, to=["A@Example.com", "c@example.com"], subject="Expiring", text="t",
                                  dedupe_key="expiry:doc7:30d")
        sess.commit()
        assert again[0].id == first[0].id  # same recipient, same key: the existing row
        assert {r.target for r in _rows(sess)} == {"a@example.com", "b@example.com", "c@example.com"}
        # The key is per recipient + channel: a webhook with the same key is its own row.
        hook = notify.send(sess, channel="slack", target=receiver.url(), message=MSG, dedupe_key="expiry:doc7:30d")
        hook_again = notify.send(sess, channel="slack", target=receiver.url(), message=MSG,
                                 dedupe_key="expiry:doc7:30d")
        sess.commit()
        assert hook.id == hook_again.id and len(_rows(sess)) == 4
        # Still idempotent after the first one was sent.
        notify.deliver_pending(sess, now=T0)
        notify.send_email(sess, to="a@example.com", subject="Expiring", text="t", dedupe_key="expiry:doc7:30d")
        sess.commit()
        assert len(_rows(sess)) == 4


def test_same_recipient_twice_in_one_call_is_one_row(app):
    with app.app_context():
        sess = db.session()
        rows = notify.send_email(sess, to=["a@example.com", "a@EXAMPLE.com"], subject="s", text="t")
        assert len(rows) == 1


def test_failure_backs_off_then_dies(notify_db_app, receiver):
    receiver.answer("/hook", 500, "down")
    with notify_db_app.app_context():
        sess = db.session()
        row = notify.send(sess, channel="slack", target=receiver.url("/hook"), message=MSG)
        sess.commit()
        now = T0
        for attempt, wait in enumerate(BACKOFF, start=1):
            assert notify.deliver_pending(sess, now=now) == notify.DeliveryReport(retrying=1)
            sess.refresh(row)
            assert (row.status, row.attempts, row.next_attempt_at) == ("retry", attempt, now + wait)
            # Not due a second before its time.
            assert notify.deliver_pending(sess, now=now + wait - timedelta(seconds=1)) == notify.DeliveryReport()
            now = now + wait
        assert notify.deliver_pending(sess, now=now) == notify.DeliveryReport(failed=1)
        sess.refresh(row)
        assert row.status == "dead" and row.attempts == notify.MAX_ATTEMPTS and "500" in row.last_error
        assert notify.deliver_pending(sess, now=now + timedelta(days=30)) == notify.DeliveryReport()
    assert len(receiver.on("/hook")) == notify.MAX_ATTEMPTS
    assert [b.total_seconds() for b in BACKOFF] == [60, 300, 1800, 7200, 43200]


def test_a_retry_that_succeeds_is_sent(app, receiver):
    receiver.answer("/hook", 503, "busy")
    with app.app_context():
        sess = db.session()
        row = notify.send(sess, channel="slack", target=receiver.url("/hook"), message=MSG)
        sess.commit()
        notify.deliver_pending(sess, now=T0)
        receiver.answer("/hook", 200, "ok")
        assert notify.deliver_pending(sess, now=T0 + timedelta(minutes=1)).sent == 1
        sess.refresh(row)
        assert row.status == "sent" and row.attempts == 2 and row.last_error == "" and row.sent_at is not None


def test_one_failing_channel_does_not_stop_the_others(app, receiver, smtp_sink):
    receiver.answer("/broken", 500, "boom")
    receiver.answer("/ding", 200, {"errcode": 0, "errmsg": "ok"})
    with app.app_context():
        sess = db.session()
        notify.send(sess, channel="slack", target=receiver.url("/broken"), message=MSG)
        notify.send(sess, channel="webhook", target="http://127.0.0.1:1/closed?key=TOKEN", message=MSG,
                    secret="k")
        notify.send(sess, channel="teams", target="http://169.254.169.254/", message=MSG)  # refused
        notify.send_email(sess, to="ops@example.com", subject="s", text="t")
        notify.send(sess, channel="dingtalk", target=receiver.url("/ding"), message=MSG)
        sess.commit()
        report = notify.deliver_pending(sess, now=T0)
        statuses = {r.channel: r.status for r in _rows(sess)}
        errors = " ".join(r.last_error for r in _rows(sess))
    assert report == notify.DeliveryReport(sent=2, failed=1, retrying=2)
    assert statuses == {"slack": "retry", "webhook": "retry", "teams": "dead", "email": "sent", "dingtalk": "sent"}
    assert len(smtp_sink.messages) == 1 and len(receiver.on("/ding")) == 1
    assert "127.0.0.1:1" in errors and "TOKEN" not in errors


def test_smtp_down_is_retried(app, settings_of):
    with app.app_context():
        sess = db.session()
        row = notify.send_email(sess, to="a@example.com", subject="s", text="t")[0]
        sess.commit()
        settings = settings_of(app, smtp_port=1)
        assert notify.deliver_pending(sess, now=T0, settings=settings).retrying == 1
        sess.refresh(row)
        assert row.status == "retry" and "127.0.0.1:1" in row.last_error


def test_starttls_required_but_not_offered_sends_nothing_in_clear(app, settings_of, smtp_sink):
    with app.app_context():
        sess = db.session()
        row = notify.send_email(sess, to="a@example.com", subject="s", text="t")[0]
        sess.commit()
        notify.deliver_pending(sess, now=T0, settings=settings_of(app, smtp_starttls=True))
        sess.refresh(row)
    assert row.status == "retry" and "STARTTLS" in row.last_error.upper()
    assert smtp_sink.messages == []


def test_missing_mail_from_is_a_clear_error(app, settings_of):
    with app.app_context():
        sess = db.session()
        row = notify.send_email(sess, to="a@example.com", subject="s", text="t")[0]
        sess.commit()
        notify.deliver_pending(sess, now=T0, settings=settings_of(app, mail_from=None))
        sess.refresh(row)
    assert row.status == "retry" and "MAIL_FROM" in row.last_error


def test_crash_after_claim_is_resumed_after_the_lease_exactly_once(notify_db_app, receiver):
    with notify_db_app.app_context():
        sess = db.session()
        row = notify.send(sess, channel="webhook", target=receiver.url("/hook"), message=MSG, secret="k")
        sess.commit()
        lease = timedelta(seconds=300)
        claimed = claim_one(sess, now=T0, lease=lease)  # ... and the runner dies here, before sending
        assert claimed is not None and claimed[0].id == row.id
        sess.refresh(row)
        assert row.status == "sending" and row.lease_until == T0 + lease
        # Another run while the lease holds: nothing to do.
        assert notify.deliver_pending(sess, now=T0 + timedelta(seconds=299)) == notify.DeliveryReport()
        assert receiver.requests == []
        # After the lease: picked up and sent once; later runs send nothing more.
        assert notify.deliver_pending(sess, now=T0 + lease).sent == 1
        assert notify.deliver_pending(sess, now=T0 + lease + timedelta(hours=1)) == notify.DeliveryReport()
        sess.refresh(row)
        assert row.status == "sent" and row.attempts == 2 and row.claim_token is None
    assert len(receiver.on("/hook")) == 1


def test_a_runner_whose_lease_ran_out_does_not_overwrite_the_new_claim(app, receiver):
    from vault.notify.service import _record
    with app.app_context():
        sess = db.session()
        row = notify.send(sess, channel="slack", target=receiver.url(), message=MSG)
        sess.commit()
        _, old_token = claim_one(sess, now=T0, lease=timedelta(seconds=10))
        _, new_token = claim_one(sess, now=T0 + timedelta(seconds=11), lease=timedelta(seconds=300))
        _record(sess, row.id, old_token, now=T0, attempts=1, error=notify.DeliveryError("late failure"))
        sess.refresh(row)
        assert row.status == "sending" and row.claim_token == new_token


def test_concurrent_runners_send_each_row_once(notify_db_app, receiver):
    n = 12
    with notify_db_app.app_context():
        sess = db.session()
        for i in range(n):
            notify.send(sess, channel="webhook", target=receiver.url(f"/hook{i}"), message=MSG, secret="k")
        sess.commit()
    maker = notify_db_app.extensions["vault.sessionmaker"]
    reports, errors = [], []

    def runner():
        with notify_db_app.app_context():
            own = maker()
            try:
                reports.append(notify.deliver_pending(own, now=T0))
            except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
                errors.append(exc)
            finally:
                own.close()

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.sent for r in reports) == n
    ids = [r.headers["x-trustvault-delivery"] for r in receiver.requests]
    assert len(ids) == n and len(set(ids)) == n


def test_postgres_runner_skips_rows_locked_by_another(notify_db_app, receiver):
    if notify_db_app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's; SQLite serialises writers instead")
    maker = notify_db_app.extensions["vault.sessionmaker"]
    with notify_db_app.app_context():
        sess = db.session()
        a = notify.send(sess, channel="slack", target=receiver.url("/a"), message=MSG)
        b = notify.send(sess, channel="slack", target=receiver.url("/b"), message=MSG)
        sess.commit()
        holder = maker()  # another runner, mid-claim: holds the lock on row a
        holder.execute(select(Outbox).where(Outbox.id == a.id).with_for_update())
        try:
            report = notify.deliver_pending(sess, now=T0)  # would block here without SKIP LOCKED
        finally:
            holder.rollback()
            holder.close()
        assert report.sent == 1 and [r.path for r in receiver.requests] == ["/b"]
        assert notify.deliver_pending(sess, now=T0).sent == 1
    assert sorted(r.path for r in receiver.requests) == ["/a", "/b"]


def test_limit_caps_one_run(app, receiver):
    with app.app_context():
        sess = db.session()
        for i in range(5):
            notify.send(sess, channel="slack", target=receiver.url(f"/h{i}"), message=MSG)
        sess.commit()
        assert notify.deliver_pending(sess, now=T0, limit=2).sent == 2
        assert notify.deliver_pending(sess, now=T0).sent == 3
        assert sess.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "sent")) == 5


def test_retry_puts_a_dead_row_back(app, receiver):
    from vault.notify import service
    with app.app_context():
        sess = db.session()
        row = notify.send(sess, channel="slack", target=receiver.url("/x"), message=MSG)
        sess.commit()
        sess.execute(update(Outbox).values(status="dead", attempts=6, last_error="gone"))
        sess.commit()
        sess.refresh(row)
        service.retry(sess, row, now=T0)
        sess.commit()
        assert (row.status, row.attempts) == ("queued", 0)
        with pytest.raises(notify.NotifyError):
            service.retry(sess, row)  # queued rows are not "failed"
        assert notify.deliver_pending(sess, now=T0).sent == 1
