"""Permanent or transient, per protocol: SMTP 5yz/4yz replies from the real sink, HTTP statuses and
Retry-After from the real receiver, and the vendors' error codes inside HTTP 200 answers."""
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from tests.notify.conftest import T0
from vault import db, notify
from vault.notify.channels.http import MAX_RETRY_AFTER, retry_after

MSG = notify.Message(subject="Expiring", text="The SOC 2 report expires in 30 days.")
FIRST_BACKOFF = notify.BACKOFF[0]


def _deliver(app, **send):
    with app.app_context():
        sess = db.session()
        if send.get("channel", "email") == "email":
            row = notify.send_email(sess, to=send.get("to", "ops@example.com"), subject="s", text="t")[0]
        else:
            row = notify.send(sess, message=MSG, **send)
        sess.commit()
        report = notify.deliver_pending(sess, now=T0)
        sess.refresh(row)
        return row, report


# --- SMTP -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage, reply, status", [
    ("rcpt:ops@example.com", "550 5.1.1 mailbox unavailable", "dead"),
    ("rcpt:ops@example.com", "553 5.1.3 mailbox name not allowed", "dead"),
    ("rcpt:ops@example.com", "554 5.7.1 relay access denied", "dead"),
    ("rcpt:ops@example.com", "450 4.2.0 mailbox busy", "retry"),
    ("rcpt:ops@example.com", "451 4.7.1 greylisted, try again later", "retry"),
    ("rcpt:ops@example.com", "452 4.2.2 insufficient storage", "retry"),
    ("mail", "553 5.7.1 sender address rejected", "dead"),
    ("mail", "451 4.3.0 sender check failed, try later", "retry"),
    ("data:ops@example.com", "554 5.7.1 message refused as spam", "dead"),
    ("data:ops@example.com", "451 4.3.0 queue full", "retry"),
])
def test_smtp_5yz_is_permanent_and_4yz_transient(app, smtp_sink, stage, reply, status):
    smtp_sink.replies[stage] = reply
    row, report = _deliver(app)
    assert row.status == status and reply.split()[0] in row.last_error
    assert report == (notify.DeliveryReport(failed=1) if status == "dead" else notify.DeliveryReport(retrying=1))
    if status == "retry":
        assert row.next_attempt_at == T0 + FIRST_BACKOFF
    assert smtp_sink.messages == []


def test_smtp_4yz_then_accepted_is_sent_on_the_retry(app, smtp_sink):
    smtp_sink.replies["rcpt:ops@example.com"] = "451 4.7.1 greylisted"
    row, _ = _deliver(app)
    del smtp_sink.replies["rcpt:ops@example.com"]
    with app.app_context():
        sess = db.session()
        assert notify.deliver_pending(sess, now=T0 + FIRST_BACKOFF).sent == 1
    assert smtp_sink.messages[0]["to"] == ["ops@example.com"]


def test_smtp_server_that_never_answers_times_out_and_is_retried(app, settings_of):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never sends the 220 greeting
    try:
        with app.app_context():
            sess = db.session()
            row = notify.send_email(sess, to="ops@example.com", subject="s", text="t")[0]
            sess.commit()
            settings = settings_of(app, smtp_port=silent.getsockname()[1])
            assert notify.deliver_pending(sess, now=T0, settings=settings, timeout=0.5).retrying == 1
            sess.refresh(row)
    finally:
        silent.close()
    assert row.status == "retry" and "timed out" in row.last_error.lower()


# --- HTTP -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, status", [
    (400, "dead"), (401, "dead"), (403, "dead"), (404, "dead"), (410, "dead"), (413, "dead"),
    (408, "retry"), (425, "retry"), (429, "retry"), (500, "retry"), (502, "retry"), (503, "retry"),
    (504, "retry"),
])
def test_http_4xx_is_permanent_except_408_425_429(app, receiver, code, status):
    receiver.answer("/hook", code, "nope")
    row, _ = _deliver(app, channel="webhook", target=receiver.url("/hook"), secret="k")
    assert row.status == status and f"HTTP {code}" in row.last_error
    if status == "retry":
        assert row.next_attempt_at == T0 + FIRST_BACKOFF  # no Retry-After: our own schedule


def test_429_retry_after_seconds_sets_the_next_attempt(app, receiver):
    receiver.answer("/hook", 429, "slow down", **{"Retry-After": "120"})
    row, report = _deliver(app, channel="slack", target=receiver.url("/hook"))
    assert report.retrying == 1 and row.next_attempt_at == T0 + timedelta(seconds=120)
    with app.app_context():  # not due a second early
        assert notify.deliver_pending(db.session(), now=T0 + timedelta(seconds=119)) == notify.DeliveryReport()


def test_429_retry_after_http_date_is_measured_against_the_answers_date(app, receiver):
    # The receiver's Date header is the real time (T0 is an hour ahead): the wait is what counts.
    when = datetime.now(timezone.utc) + timedelta(minutes=10)
    receiver.answer("/hook", 429, "slow down", **{"Retry-After": format_datetime(when, usegmt=True)})
    row, _ = _deliver(app, channel="teams", target=receiver.url("/hook"))
    wait = row.next_attempt_at - T0
    assert timedelta(minutes=9, seconds=55) <= wait <= timedelta(minutes=10, seconds=1)


def test_retry_after_is_capped_and_honoured_on_503_too(app, receiver):
    receiver.answer("/far", 429, "", **{"Retry-After": str(30 * 24 * 3600)})
    receiver.answer("/busy", 503, "", **{"Retry-After": "30"})
    far, _ = _deliver(app, channel="slack", target=receiver.url("/far"))
    busy, _ = _deliver(app, channel="slack", target=receiver.url("/busy"))
    assert far.next_attempt_at == T0 + MAX_RETRY_AFTER
    assert busy.next_attempt_at == T0 + timedelta(seconds=30)


def test_unreadable_retry_after_falls_back_to_the_backoff(app, receiver):
    receiver.answer("/hook", 429, "", **{"Retry-After": "soon"})
    row, _ = _deliver(app, channel="slack", target=receiver.url("/hook"))
    assert row.status == "retry" and row.next_attempt_at == T0 + FIRST_BACKOFF


def test_429_on_the_last_attempt_is_dead_whatever_retry_after_says(app, receiver):
    receiver.answer("/hook", 429, "", **{"Retry-After": "5"})
    with app.app_context():
        sess = db.session()
        row = notify.send(sess, channel="slack", target=receiver.url("/hook"), message=MSG)
        sess.commit()
        now = T0
        for _ in range(notify.MAX_ATTEMPTS):
            notify.deliver_pending(sess, now=now)
            now += timedelta(seconds=5)
        sess.refresh(row)
    assert row.status == "dead" and row.attempts == notify.MAX_ATTEMPTS


NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, date, expected", [
    ("120", None, timedelta(seconds=120)),
    (" 7 ", None, timedelta(seconds=7)),
    ("0", None, timedelta(seconds=1)),  # never "now": no hot loop
    ("99999999999999", None, MAX_RETRY_AFTER),
    ("Fri, 04 Dec 2026 12:05:00 GMT", "Fri, 04 Dec 2026 12:00:00 GMT", timedelta(minutes=5)),
    ("Fri, 04 Dec 2026 12:05:00 GMT", None, timedelta(minutes=5)),  # no Date header: our clock
    ("Fri, 04 Dec 2026 11:00:00 GMT", None, timedelta(seconds=1)),  # in the past
    ("Sat, 05 Dec 2026 20:00:00 GMT", "garbage", MAX_RETRY_AFTER),
    ("soon", None, None), ("-5", None, None), ("", None, None), (None, None, None),
])
def test_retry_after_parsing(value, date, expected):
    assert retry_after(value, date, now=NOW) == expected


# --- vendor codes in HTTP 200 ---------------------------------------------------------------------

@pytest.mark.parametrize("channel, body, status, wait", [
    ("dingtalk", {"errcode": 310000, "errmsg": "keywords not in content"}, "dead", None),
    ("dingtalk", {"errcode": 310000, "errmsg": "sign not match"}, "dead", None),
    ("dingtalk", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, "retry",
     timedelta(minutes=10)),
    ("dingtalk", {"errcode": 300001, "errmsg": "token is not exist"}, "retry", FIRST_BACKOFF),  # undocumented
    ("dingtalk", {"errcode": "310000", "errmsg": "a string code"}, "retry", FIRST_BACKOFF),
    ("feishu", {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, "dead", None),
    ("feishu", {"code": 19024, "msg": "Key Words Not Found"}, "dead", None),
    ("feishu", {"code": 11232, "msg": "frequency limited"}, "retry", FIRST_BACKOFF),
    ("feishu", {"code": 9499, "msg": "Bad Request"}, "retry", FIRST_BACKOFF),
    ("feishu", {"StatusCode": 19021, "StatusMessage": "sign match fail"}, "dead", None),  # older shape
    ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}, "dead", None),
    ("wecom", {"errcode": 93004, "errmsg": "robot is disabled"}, "dead", None),
    ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}, "retry", FIRST_BACKOFF),
    ("wecom", {"errcode": -1, "errmsg": "system busy"}, "retry", FIRST_BACKOFF),
])
def test_vendor_codes_in_http_200(app, receiver, channel, body, status, wait):
    receiver.answer("/robot", 200, body)
    secret = "s" if channel in ("dingtalk", "feishu") else None
    row, report = _deliver(app, channel=channel, target=receiver.url("/robot"), secret=secret)
    assert row.status == status
    code = body.get("errcode", body.get("code", body.get("StatusCode")))
    assert str(code) in row.last_error
    if status == "retry":
        assert report.retrying == 1 and row.next_attempt_at == T0 + wait
    else:
        assert report.failed == 1 and row.attempts == 1  # dead at once, no five pointless retries


def test_vendor_http_429_with_retry_after_wins_over_the_body(app, receiver):
    receiver.answer("/robot", 429, {"errcode": 130101, "errmsg": "send too fast"}, **{"Retry-After": "42"})
    row, _ = _deliver(app, channel="dingtalk", target=receiver.url("/robot"))
    assert row.status == "retry" and row.next_attempt_at == T0 + timedelta(seconds=42)


def test_a_dead_permanent_failure_is_not_retried_by_later_runs(app, receiver):
    receiver.answer("/robot", 200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    _deliver(app, channel="wecom", target=receiver.url("/robot"))
    with app.app_context():
        assert notify.deliver_pending(db.session(), now=T0 + timedelta(days=1)) == notify.DeliveryReport()
    assert len(receiver.on("/robot")) == 1


def test_each_recipient_gets_its_own_smtp_outcome(app, smtp_sink):
    # One recipient refused for good, one greylisted, one accepted: each row gets its own outcome.
    smtp_sink.replies["rcpt:gone@example.com"] = "550 5.1.1 no such user"
    smtp_sink.replies["rcpt:grey@example.com"] = "451 4.7.1 greylisted"
    with app.app_context():
        sess = db.session()
        rows = notify.send_email(sess, to=["gone@example.com", "grey@example.com", "ok@example.com"],
                                 subject="s", text="t")
        sess.commit()
        report = notify.deliver_pending(sess, now=T0)
        statuses = {}
        for row in rows:
            sess.refresh(row)
            statuses[row.target] = row.status
    assert report == notify.DeliveryReport(sent=1, failed=1, retrying=1)
    assert statuses == {"gone@example.com": "dead", "grey@example.com": "retry", "ok@example.com": "sent"}
    assert [m["to"] for m in smtp_sink.messages] == [["ok@example.com"]]
