"""Subscriptions to subprocessor changes, end to end through the real SMTP sink: double opt-in, one
notice per create/remove/restore in the subscriber's language, nothing for edits, one-click unsubscribe,
CSRF, rate limit, no user enumeration, clear pages for bad links."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import select

from tests.access.builders import mail_text, mails_to
from tests.conftest import mail_config, make_app
from vault import db
from vault.db import utcnow
from vault.notify.models import Outbox
from vault.trust import notices
from vault.trust.models import SubprocessorSubscriber

BASE = "http://vault.test"


@pytest.fixture
def app(tmp_path, smtp_sink):
    app = make_app(tmp_path, **mail_config(smtp_sink.port, COMPANY_NAME="Example Cloud Ltd."))
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def admin(app, make_user):
    app.test_client_class = FlaskLoginClient
    return app.test_client(user=make_user("admin"))


def _subscribe(client, sink, email, lang="en"):
    before = len(mails_to(sink, email))
    resp = client.post("/trust/subprocessors/subscribe", data={"email": email},
                       headers={"Accept-Language": "zh-CN" if lang == "zh" else "en"})
    assert resp.status_code == 200
    mails = mails_to(sink, email)
    assert len(mails) == before + 1
    return resp, re.search(r"http://vault\.test/trust/subprocessors/confirm/\S+", mail_text(mails[-1])).group(0)


def _confirm(client, link):
    assert client.get(link.removeprefix(BASE)).status_code == 200  # GET: a button, no change
    resp = client.post(link.removeprefix(BASE))
    assert resp.status_code == 200
    return resp


def _add(admin, name, **extra):
    data = {"name": name, "purpose_en": f"{name} does hosting", "purpose_zh": f"{name} 提供托管",
            "location": "Frankfurt, Germany", "location_zh": "德国法兰克福", "data_categories": "Usage metrics",
            "data_categories_zh": "使用指标", **extra}
    assert admin.post("/admin/trust/subprocessors/new", data=data).status_code == 302


def _uid(app, name):
    from vault.trust import subprocessors as subs
    with app.app_context():
        return next(sp.uid for sp in subs.staff_list(db.session()) if sp.name == name)


def test_subscribe_confirm_notice_unsubscribe_then_silence(app, client, admin, smtp_sink):
    _, link = _subscribe(client, smtp_sink, "dpo@customer.example")
    _, pending_link = _subscribe(client, smtp_sink, "never@customer.example")  # never confirms
    resp = _confirm(client, link)
    assert b"dpo@customer.example" in resp.data
    assert client.post(link.removeprefix(BASE)).status_code == 404  # single use

    effective = (utcnow() + timedelta(days=30)).date()
    _add(admin, "Snowflake Inc.", effective_from=effective.isoformat())
    mails = mails_to(smtp_sink, "dpo@customer.example")
    assert len(mails) == 2  # the confirmation, then exactly one notice
    notice = mails[-1]
    assert "Snowflake Inc." in notice["Subject"] and "new subprocessor" in notice["Subject"]
    body = mail_text(notice)
    for expected in ("Snowflake Inc. does hosting", "Frankfurt, Germany", "Usage metrics", effective.isoformat(),
                     f"{BASE}/trust/subprocessors"):
        assert expected in body
    assert "德国法兰克福" not in body and "使用指标" not in body
    assert len(mails_to(smtp_sink, "never@customer.example")) == 1  # unconfirmed: only its confirmation

    unsub = re.search(r"http://vault\.test/trust/subprocessors/unsubscribe/\S+", body).group(0)
    assert notice["List-Unsubscribe"] == f"<{unsub}>"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # An edit (a typo fix) tells nobody; removal and restore do.
    uid = _uid(app, "Snowflake Inc.")
    admin.post(f"/admin/trust/subprocessors/{uid}", data={"name": "Snowflake Inc.", "purpose_en": "Data warehouse",
                                                          "location": "Frankfurt, Germany"})
    assert len(mails_to(smtp_sink, "dpo@customer.example")) == 2
    admin.post(f"/admin/trust/subprocessors/{uid}/remove")
    admin.post(f"/admin/trust/subprocessors/{uid}/restore")
    subjects = [m["Subject"] for m in mails_to(smtp_sink, "dpo@customer.example")[2:]]
    assert subjects == ["Example Cloud Ltd.: subprocessor Snowflake Inc. removed",
                        "Example Cloud Ltd.: subprocessor Snowflake Inc. in use again"]

    # One-click unsubscribe (RFC 8058: a POST without our CSRF token), then nothing more.
    assert client.get(unsub.removeprefix(BASE)).status_code == 200
    resp = client.post(unsub.removeprefix(BASE), data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200 and b"no more notices" in resp.data
    assert client.post(unsub.removeprefix(BASE)).status_code == 404
    _add(admin, "Datadog, Inc.")
    assert len(mails_to(smtp_sink, "dpo@customer.example")) == 4
    with app.app_context():
        assert notices.confirmed_subscribers(db.session()) == []


def test_notice_in_the_language_chosen_at_subscription(app, client, admin, smtp_sink):
    _, link = _subscribe(client, smtp_sink, "legal@kunde.example", lang="zh")
    _confirm(client, link)
    _add(admin, "阿里云")
    notice = mails_to(smtp_sink, "legal@kunde.example")[-1]
    assert notice["Subject"] == "Example Cloud Ltd.：新增子处理者 阿里云"
    body = mail_text(notice)
    assert "阿里云 提供托管" in body and "退订" in body
    assert "德国法兰克福" in body and "使用指标" in body and "Frankfurt" not in body and "Usage metrics" not in body


def test_same_answer_whether_subscribed_or_not_and_one_row_per_address(app, client, admin, smtp_sink):
    first, link = _subscribe(client, smtp_sink, "a@customer.example")
    _confirm(client, link)
    again, link2 = _subscribe(client, smtp_sink, "a@customer.example")
    assert again.data == first.data  # the page does not tell that the address already follows the list
    _confirm(client, link2)
    _add(admin, "Mailgun")
    assert len(mails_to(smtp_sink, "a@customer.example")) == 3  # two confirmations, one notice (not two)


def test_confirmation_link_is_sensitive_in_the_outbox(app, client, smtp_sink):
    _subscribe(client, smtp_sink, "b@customer.example")
    with app.app_context():
        row = db.session().scalars(select(Outbox)).one()
        assert row.status == "sent" and "/confirm/" not in row.body_text


@pytest.mark.parametrize("path", ["/trust/subprocessors/confirm/nonsense",
                                  "/trust/subprocessors/confirm/" + "x" * 300,
                                  "/trust/subprocessors/unsubscribe/abc/def",
                                  "/trust/subprocessors/unsubscribe/" + "a" * 40 + "/" + "b" * 200])
def test_bad_links_give_a_clear_page(client, path):
    for method in (client.get, client.post):
        resp = method(path)
        assert resp.status_code == 404
        assert b"not valid" in resp.data or b"does not exist" in resp.data


def test_expired_link_and_forged_unsubscribe(app, client, smtp_sink):
    _, link = _subscribe(client, smtp_sink, "late@customer.example")
    with app.app_context():
        sess = db.session()
        sub = sess.scalars(select(SubprocessorSubscriber)).one()
        sub.confirm_expires_at = utcnow() - timedelta(minutes=1)
        sess.commit()
        forged = notices.unsubscribe_url(sub)  # pending: cannot be "unsubscribed" either
    resp = client.post(link.removeprefix(BASE))
    assert resp.status_code == 404 and b"expired" in resp.data
    assert client.post(forged.removeprefix(BASE)).status_code == 404
    with app.app_context():
        assert notices.purge_expired(db.session(), now=utcnow()) == 1


def test_bad_address_is_refused_with_the_reason(client, smtp_sink):
    for bad in ("", "not-an-email", "Eve <eve@example.com>", "a@b.c\r\nBcc: x@example.com"):
        resp = client.post("/trust/subprocessors/subscribe", data={"email": bad})
        assert resp.status_code == 400 and b"Enter a valid email address" in resp.data
    assert smtp_sink.messages == []


def test_form_needs_csrf_and_is_rate_limited(tmp_path, smtp_sink):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, TRUST_SUBSCRIBE_LIMIT="3 per hour",
                   **mail_config(smtp_sink.port))
    client = app.test_client()
    page = client.get("/trust/subprocessors")
    assert b"Get notified of changes" in page.data
    assert client.post("/trust/subprocessors/subscribe", data={"email": "c@customer.example"}).status_code == 400
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    codes = [client.post("/trust/subprocessors/subscribe",
                         data={"email": f"c{i}@customer.example", "csrf_token": token}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(smtp_sink.messages) == 3
    app.extensions["vault.engine"].dispose()


def test_repeated_requests_for_one_address_send_one_confirmation(app, client, smtp_sink):
    """Issue #18: a third party's address typed in again and again gets one pending confirmation per
    window; the page answers the same every time and pending rows do not pile up."""
    first, link = _subscribe(client, smtp_sink, "victim@customer.example")
    for i, email in enumerate(["victim@customer.example"] * 10 + ["Victim@CUSTOMER.example"]):
        again = client.post("/trust/subprocessors/subscribe", data={"email": email},
                            environ_base={"REMOTE_ADDR": f"198.51.100.{i}"})
        assert again.status_code == 200 and again.data == first.data
    assert len(mails_to(smtp_sink, "victim@customer.example")) == 1
    with app.app_context():
        sess = db.session()
        assert len(sess.scalars(select(SubprocessorSubscriber)).all()) == 1
        assert len(sess.scalars(select(Outbox)).all()) == 1
        # an hour later a new request replaces the pending one (the mail may have been lost)
        sub = sess.scalars(select(SubprocessorSubscriber)).one()
        sub.created_at = utcnow() - timedelta(minutes=61)
        sess.commit()
    _, link2 = _subscribe(client, smtp_sink, "victim@customer.example")
    with app.app_context():
        assert len(db.session().scalars(select(SubprocessorSubscriber)).all()) == 1
    assert client.post(link.removeprefix(BASE)).status_code == 404
    _confirm(client, link2)
