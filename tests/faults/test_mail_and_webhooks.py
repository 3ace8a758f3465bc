"""The mail server and a webhook receiver down, refusing, slow or losing their answer, behind the fault
proxy: outbox rows go to retry with nothing lost, and once the fault clears each message is sent once
(counted at the real SMTP sink and the real HTTP receiver), or, when only the answer was lost, sent again
under the same Message-ID / delivery id so the receiver can drop the copy."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.conftest import mail_config, make_app
from tests.expiry.conftest import document, user
from tests.faults.conftest import close_app
from tests.notify.receiver import Receiver
from vault import db, jobs, notify
from vault.expiry.models import SentReminder
from vault.notify.channels import webhook
from vault.notify.models import Outbox

NOW = datetime.now(timezone.utc).replace(microsecond=0)
FAST = {"NOTIFY_TIMEOUT": 1, "NOTIFY_INLINE_TIMEOUT": 1}


def _outbox(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = db.session().scalars(select(Outbox).order_by(Outbox.target)).all()
        return [(r.target, r.status, r.attempts) for r in rows]


def _sweep(app, later: timedelta = timedelta(0)) -> notify.DeliveryReport:
    """What the sweep job (and `vault notify deliver`) does, `later` from now (past the backoffs so far)."""
    with app.app_context():
        return notify.deliver_pending(db.session(), now=datetime.now(timezone.utc) + later)


# --- SMTP down during a reminder run ------------------------------------------------------------

@pytest.fixture
def remind_app(tmp_path, smtp_sink, proxy_to):
    proxy = proxy_to(smtp_sink.port)
    app = make_app(tmp_path, **mail_config(proxy.port, PUBLIC_BASE_URL="https://vault.example.com", **FAST))
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com", name="Olivia Owner")
        user(sess, "legal", email="legal@example.com", name="Lee Legal")
        sess.commit()
        document(app, sess, owner, tmp_path, "ISO 27001 certificate", expiry=NOW.date() + timedelta(days=30))
    yield app, proxy
    close_app(app)


def _remind(app, at: datetime) -> dict:
    """One run of the periodic reminder job for the slot at `at` (inline: its delivery job runs too)."""
    with app.app_context():
        sess = db.session()
        job = jobs.enqueue(sess, "expiry.remind", {"slot": at.isoformat()}, key=f"faults.remind:{at.isoformat()}")
        sess.commit()
        sess.expire_all()
        done = jobs.get(sess, job.uid)
        return {"status": done.status, "ledger": db.session().scalar(select(func.count()).select_from(SentReminder))}


@pytest.mark.parametrize("fault", ["refused", "stalled"])
def test_smtp_down_during_a_reminder_run(remind_app, smtp_sink, fault):
    app, proxy = remind_app
    {"refused": lambda: proxy.down("close"),
     "stalled": lambda: proxy.slow(connect=5)}[fault]()  # stalled: no greeting within the 1 s timeout
    assert _remind(app, NOW) == {"status": "done", "ledger": 1}  # the run itself succeeds ...
    assert _outbox(app) == [("legal@example.com", "retry", 1), ("owner@example.com", "retry", 1)]  # ... mail waits
    assert smtp_sink.messages == []

    assert _remind(app, NOW + timedelta(hours=1)) == {"status": "done", "ledger": 1}  # a later run adds nothing
    assert len(_outbox(app)) == 2

    proxy.cut()
    proxy.recover()
    assert _sweep(app, timedelta(minutes=2)).sent == 2
    assert _sweep(app, timedelta(hours=3)).sent == 0
    assert sorted(m["to"][0] for m in smtp_sink.messages) == ["legal@example.com", "owner@example.com"]
    assert _outbox(app) == [("legal@example.com", "sent", 2), ("owner@example.com", "sent", 2)]


def test_mail_whose_final_answer_is_lost_is_sent_again_under_the_same_message_id(tmp_path, smtp_sink, proxy_to):
    """The sink stores the message, but its "250 OK" after DATA never arrives: the sender cannot tell, so
    the row is retried and the copy carries the same Message-ID for the receiving side to drop."""
    proxy = proxy_to(smtp_sink.port)
    app = make_app(tmp_path, **mail_config(proxy.port, **FAST))
    with app.app_context():
        sess = db.session()
        for to in ("first@example.com", "second@example.com"):
            notify.send_email(sess, to=to, subject="Certificate expires", text="ISO 27001 in 30 days")
        sess.commit()
        first = notify.deliver_pending(sess, limit=1)
    assert first.sent == 1
    # The same conversation for the second mail, held just before "250 OK" and "221 Bye" (the sink's replies)
    proxy.stall(after=proxy.answered[-1] - len(b"250 OK\r\n221 Bye\r\n"))
    assert _sweep(app).retrying == 1
    proxy.cut()
    proxy.recover()
    assert _sweep(app, timedelta(minutes=2)).sent == 1
    copies = [m["message"] for m in smtp_sink.messages if m["to"] == ["second@example.com"]]
    assert len(copies) == 2 and copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert [m["message"]["Message-ID"] for m in smtp_sink.messages].count(copies[0]["Message-ID"]) == 2


# --- a webhook receiver refusing, slow, or losing its answer -------------------------------------

SECRET = "whsec-fault-tests-0123456789"


@pytest.fixture
def hook(tmp_path, proxy_to):
    receiver = Receiver().start()
    proxy = proxy_to(receiver.port)
    app = make_app(tmp_path, **mail_config(1, **FAST))
    yield app, proxy, receiver
    close_app(app)
    receiver.stop()


def _send(app, proxy, text: str) -> None:
    with app.app_context():
        sess = db.session()
        notify.send(sess, channel="webhook", target=f"http://127.0.0.1:{proxy.port}/hook", secret=SECRET,
                    message=notify.Message(subject="Certificate expires", text=text, data={"text": text}))
        sess.commit()


def _signed(recorded) -> bool:
    h = recorded.headers
    return webhook.verify(SECRET, h["x-trustvault-timestamp"], recorded.body, h["x-trustvault-signature"],
                          now=int(h["x-trustvault-timestamp"]))


def _received(receiver, text: str) -> list:
    return [r for r in receiver.on("/hook") if r.json()["data"] == {"text": text}]


def test_webhook_receiver_failing_then_recovered(hook):
    app, proxy, receiver = hook
    faults = {"refused": lambda: proxy.down("close"), "reset": lambda: proxy.down("reset"),
              "stalled": lambda: proxy.slow(connect=5), "answers 503": lambda: receiver.answer("/hook", 503, "busy")}
    for fault, start in faults.items():
        _send(app, proxy, fault)
        start()
        report = _sweep(app)
        assert (report.sent, report.retrying) == (0, 1), fault

        proxy.cut()
        proxy.recover()
        receiver.answers.clear()
        assert _sweep(app, timedelta(minutes=2)).sent == 1, fault
        assert _sweep(app, timedelta(hours=3)).sent == 0, fault
        got = _received(receiver, fault)
        assert _signed(got[-1]), fault
        assert len(got) == (2 if fault == "answers 503" else 1), fault  # the 503 was a refused delivery
    assert {status for _t, status, _a in _outbox(app)} == {"sent"}


def test_webhook_slow_receiver_within_the_timeout_gets_it_once(hook):
    app, proxy, receiver = hook
    _send(app, proxy, "slow")
    proxy.slow(chunk=0.2)
    assert _sweep(app).sent == 1
    assert len(_received(receiver, "slow")) == 1 and _signed(receiver.on("/hook")[0])


def test_webhook_answer_lost_is_sent_again_under_the_same_delivery_id(hook):
    """The receiver got the POST but its 200 never came back: at-least-once, so the retry carries the
    same X-Trustvault-Delivery for the receiver to drop (docs/notifications.md)."""
    app, proxy, receiver = hook
    _send(app, proxy, "answer lost")
    proxy.stall(after=0)
    assert _sweep(app).retrying == 1
    proxy.cut()
    proxy.recover()
    assert _sweep(app, timedelta(minutes=2)).sent == 1
    first, second = receiver.on("/hook")
    assert first.headers["x-trustvault-delivery"] == second.headers["x-trustvault-delivery"]
    assert first.json() == second.json() and _signed(second)
