"""Confirmation mail flooding (issue #18 item 2): anyone can type a third party's address into
/status/subscribe; that address gets at most one pending confirmation per window, whoever asks, and the
answer is the same every time."""
import re

from sqlalchemy import func, select

from status.models import Subscriber
from tests.status.builders import deliver
from vault import db
from vault.notify.models import Outbox


def _post(client, email, ip="198.51.100.1"):
    return client.post("/status/subscribe", data={"channel": "email", "email": email},
                       environ_base={"REMOTE_ADDR": ip})


def _pending(app):
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Subscriber)
                                   .where(Subscriber.confirmed_at.is_(None)))


def _queued(app, address):
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Outbox)
                                   .where(func.lower(Outbox.target) == address.lower()))


def _links(smtp_sink, address):
    return [re.search(r"/status/subscribe/confirm/\S+", m["message"].get_body(("plain",)).get_content()).group(0)
            for m in smtp_sink.messages if m["to"] == [address]]


def test_twelve_requests_queue_one_mail_and_one_pending_row(app, client, clock, smtp_sink):
    answers = [_post(client, "victim@example.org", ip=f"198.51.100.{i % 3}") for i in range(12)]
    answers.append(_post(client, "VICTIM@Example.org"))  # the same mailbox in other letters
    assert {r.status_code for r in answers} == {200}
    assert len({r.data for r in answers}) == 1  # no enumeration: every answer is the same page
    assert _queued(app, "victim@example.org") == 1 and _pending(app) == 1
    deliver(app)
    links = _links(smtp_sink, "victim@example.org")
    assert len(links) == 1
    # the one link still confirms
    assert client.post(links[0]).status_code == 200 and _pending(app) == 0


def test_after_the_window_a_request_replaces_the_pending_one(app, client, clock, smtp_sink):
    assert _post(client, "late@example.org").status_code == 200
    clock.advance(minutes=30)
    assert _post(client, "late@example.org").status_code == 200
    assert _queued(app, "late@example.org") == 1
    clock.advance(minutes=31)  # an hour after the first mail
    assert _post(client, "late@example.org").status_code == 200
    assert _queued(app, "late@example.org") == 2 and _pending(app) == 1  # rows never pile up
    deliver(app)
    first, second = _links(smtp_sink, "late@example.org")
    assert client.post(first).status_code == 404  # replaced
    assert client.post(second).status_code == 200


def test_the_window_is_per_address_and_per_list(app, client, clock, smtp_sink):
    for address in ("a@example.org", "b@example.org", "a@example.org"):
        assert _post(client, address).status_code == 200
    assert _queued(app, "a@example.org") == 1 and _queued(app, "b@example.org") == 1
    # the subprocessor list is another list: its own confirmation still goes
    app.config["PUBLIC_BASE_URL"] = "http://vault.test"
    assert client.post("/trust/subprocessors/subscribe", data={"email": "a@example.org"}).status_code == 200
    assert _queued(app, "a@example.org") == 2
