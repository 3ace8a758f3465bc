"""The advisory mailing list through the real SMTP sink: double opt-in, exactly one mail per confirmed
subscriber on publish (in their language, with one-click unsubscribe), never a second one, CSRF and rate
limit on the public form, no enumeration."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.access.builders import mail_text, mails_to
from tests.conftest import make_app, mail_config
from vault import db, notify
from vault.advisories import service
from vault.advisories.models import AdvisorySubscriber
from vault.notify.models import Outbox

BASE = "http://vault.test"


def _subscribe(client, sink, email, lang="en"):
    before = len(mails_to(sink, email))
    resp = client.post("/trust/advisories/subscribe", data={"email": email},
                       headers={"Accept-Language": "zh-CN" if lang == "zh" else "en"})
    assert resp.status_code == 200
    mails = mails_to(sink, email)
    assert len(mails) == before + 1
    return re.search(r"http://vault\.test/trust/advisories/confirm/\S+", mail_text(mails[-1])).group(0)


def _confirm(client, link):
    assert client.get(link.removeprefix(BASE)).status_code == 200  # GET: a button, nothing changes
    assert client.post(link.removeprefix(BASE)).status_code == 200


def test_double_opt_in_then_exactly_one_mail_per_subscriber_on_publish(app, client, staff, smtp_sink,
                                                                        make_advisory):
    _confirm(client, _subscribe(client, smtp_sink, "ciso@customer.example"))
    _confirm(client, _subscribe(client, smtp_sink, "anquan@kehu.example", lang="zh"))
    _subscribe(client, smtp_sink, "never@customer.example")  # never confirms: gets nothing
    draft = make_advisory()
    assert staff.post(f"/admin/advisories/{draft}/publish").status_code == 302

    [en] = [m for m in mails_to(smtp_sink, "ciso@customer.example") if draft in m["Subject"]]
    [zh] = [m for m in mails_to(smtp_sink, "anquan@kehu.example") if draft in m["Subject"]]
    assert [m for m in mails_to(smtp_sink, "never@customer.example") if draft in m["Subject"]] == []
    assert "Stored XSS in document titles" in en["Subject"] and "Critical" in mail_text(en)
    assert "文档标题中的存储型 XSS" in zh["Subject"] and "严重" in mail_text(zh) and "精心构造的" in mail_text(zh)
    assert f"{BASE}/trust/advisories/{draft}" in mail_text(en)
    # the unsubscribe header the way status mails do it: <https://...> plus RFC 8058 one-click
    unsub = en["List-Unsubscribe"]
    assert re.fullmatch(r"<http://vault\.test/trust/advisories/unsubscribe/[0-9a-f]+/[0-9a-f]+>", unsub)
    assert en["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # a second publish is refused; even queued again, the dedupe key stops a second mail
    assert staff.post(f"/admin/advisories/{draft}/publish").status_code == 302
    with app.app_context():
        sess = db.session()
        from vault.advisories import emails
        emails.announce_advisory(sess, service.get_advisory(sess, draft))
        sess.commit()
        notify.deliver_pending(sess)
        assert len(sess.scalars(select(Outbox).where(Outbox.subject.contains(draft))).all()) == 2
    assert len([m for m in mails_to(smtp_sink, "ciso@customer.example") if draft in m["Subject"]]) == 1

    # one-click unsubscribe (no CSRF token, the URL is the proof): no mail for the next advisory
    one_click = unsub.strip("<>").removeprefix(BASE)
    assert client.post(one_click, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.get(one_click).status_code == 404
    second = make_advisory(publish=True, title_en="Session fixation", cve_ids="")  # outside a request: queued
    with app.app_context():
        notify.deliver_pending(db.session())  # what `vault notify deliver` does
    assert [m for m in mails_to(smtp_sink, "ciso@customer.example") if second in m["Subject"]] == []
    assert len([m for m in mails_to(smtp_sink, "anquan@kehu.example") if second in m["Subject"]]) == 1


def test_the_answer_is_the_same_for_known_and_new_addresses(client, smtp_sink):
    link = _subscribe(client, smtp_sink, "dup@customer.example")
    _confirm(client, link)
    again = client.post("/trust/advisories/subscribe", data={"email": "dup@customer.example"})
    new = client.post("/trust/advisories/subscribe", data={"email": "other@customer.example"})
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "")  # noqa: E731
    assert again.status_code == new.status_code == 200
    assert strip(again, "dup@customer.example") == strip(new, "other@customer.example")
    assert client.post(link.removeprefix(BASE)).status_code == 404  # used up


def test_a_bad_address_is_named_on_the_field(client, app):
    resp = client.post("/trust/advisories/subscribe", data={"email": "not-an-address"})
    assert resp.status_code == 400 and "name@example.com" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalars(select(AdvisorySubscriber)).all() == []


def test_subscribe_is_rate_limited(tmp_path, smtp_sink):
    app = make_app(tmp_path, **mail_config(smtp_sink.port, ADVISORY_SUBSCRIBE_LIMIT="3 per hour"))
    client = app.test_client()
    codes = [client.post("/trust/advisories/subscribe", data={"email": f"p{n}@customer.example"}).status_code
             for n in range(4)]
    assert codes == [200, 200, 200, 429]
    app.extensions["vault.engine"].dispose()


def test_subscribe_needs_the_csrf_token(tmp_path, smtp_sink):
    app = make_app(tmp_path, **mail_config(smtp_sink.port, WTF_CSRF_ENABLED=True))
    resp = app.test_client().post("/trust/advisories/subscribe", data={"email": "x@customer.example"})
    assert resp.status_code == 400
    assert smtp_sink.messages == []
    app.extensions["vault.engine"].dispose()
