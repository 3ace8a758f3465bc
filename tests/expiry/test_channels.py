"""Every channel through vault.notify: a real local HTTP receiver and the real SMTP sink; SSRF refusals."""
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.expiry.conftest import TODAY, at, deliver, document, mails_to, run, user
from vault import db, notify
from vault.inputs import InvalidInput
from vault.notify.channels import webhook
from vault.notify.models import Outbox

CHAT = {  # channel -> (path, secret, the vendor's "ok" answer)
    "webhook": ("/hook", "whsec-123", b"ok"),
    "slack": ("/slack", None, b"ok"),
    "teams": ("/teams", None, b"1"),
    "dingtalk": ("/dingtalk", "SEC-ding", json.dumps({"errcode": 0, "errmsg": "ok"}).encode()),
    "feishu": ("/feishu", "fs-secret", json.dumps({"code": 0, "msg": "success"}).encode()),
    "wecom": ("/wecom", None, json.dumps({"errcode": 0, "errmsg": "ok"}).encode()),
}


def _add_destinations(app, receiver):
    from vault.expiry import service
    with app.app_context():
        sess = db.session()
        for channel, (path, secret, answer) in CHAT.items():
            receiver.answer(path, 200, answer)
            service.add_destination(sess, channel=channel, target=receiver.url(path), secret=secret,
                                    label=f"{channel} room", notify_settings=notify.Settings.from_config(app.config))
        sess.commit()


def _seed(app, tmp_path):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com")
        sess.commit()
        document(app, sess, owner, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=30))
        document(app, sess, owner, tmp_path, "SOC 2 report", expiry=TODAY - timedelta(days=1), frameworks=("soc2",))


def test_every_channel_gets_one_digest(app, tmp_path, receiver, smtp_sink):
    _add_destinations(app, receiver)
    _seed(app, tmp_path)
    report = run(app, at(TODAY))
    assert len(report.destinations) == 6 and list(report.emails) == ["owner@example.com"]
    result = deliver(app)
    assert result == notify.DeliveryReport(sent=7)
    assert len(mails_to(smtp_sink, "owner@example.com")) == 1
    for channel, (path, _secret, _answer) in CHAT.items():
        assert len(receiver.on(path)) == 1, channel

    [hook] = receiver.on("/hook")
    assert webhook.verify("whsec-123", hook.headers["x-trustvault-timestamp"], hook.body,
                          hook.headers["x-trustvault-signature"], now=time.time())
    data = hook.json()["data"]
    assert data["type"] == "expiry.digest"
    assert [i["title"] for i in data["items"]] == ["SOC 2 report", "ISO 27001 certificate"]
    assert [i["stage"] for i in data["items"]] == ["overdue:0", "before:30"]
    assert data["items"][0]["url"].startswith("https://vault.example.com/documents/")
    assert "ISO 27001 certificate" in json.dumps(receiver.on("/slack")[0].json())
    assert "ISO 27001 certificate" in receiver.on("/wecom")[0].json()["markdown"]["content"]
    assert receiver.on("/dingtalk")[0].query.get("sign")  # signed with the DingTalk secret
    assert receiver.on("/feishu")[0].json()["sign"]

    # Once only, on every channel.
    assert run(app, at(TODAY, hour=12)).due == []
    deliver(app)
    assert all(len(receiver.on(path)) == 1 for path, _s, _a in CHAT.values())


def test_a_failing_channel_never_stops_the_others(app, tmp_path, receiver, smtp_sink):
    _add_destinations(app, receiver)
    receiver.answer("/slack", 500, b"server error")
    receiver.answer("/dingtalk", 200, json.dumps({"errcode": 310000, "errmsg": "sign not match"}))
    _seed(app, tmp_path)
    run(app, at(TODAY))
    result = deliver(app)
    # The email and four webhooks went out; DingTalk's 310000 (security check) is dead at once.
    assert result == notify.DeliveryReport(sent=5, failed=1, retrying=1)
    assert len(mails_to(smtp_sink, "owner@example.com")) == 1
    with app.app_context():
        rows = {r.channel: r for r in db.session().scalars(select(Outbox))}
    assert rows["slack"].status == "retry" and rows["dingtalk"].status == "dead"
    assert rows["teams"].status == rows["wecom"].status == rows["webhook"].status == "sent"


def test_private_webhook_targets_are_refused_unless_allowed(app, tmp_path, receiver):
    from vault.expiry import service
    app.config["NOTIFY_ALLOW_PRIVATE_TARGETS"] = False
    with app.app_context():
        sess = db.session()
        settings = notify.Settings.from_config(app.config)
        for target in (receiver.url("/hook"), "http://169.254.169.254/latest/meta-data/",
                       "http://[::ffff:127.0.0.1]:8080/x", "http://10.0.0.5/hook"):
            with pytest.raises(InvalidInput, match="refused"):
                service.add_destination(sess, channel="slack", target=target, secret=None, label="",
                                        notify_settings=settings)
        assert service.list_destinations(sess) == []


def test_a_target_that_turned_private_is_refused_at_delivery(app, tmp_path, receiver):
    """Allowed when saved, refused when sent: the check happens again, at delivery, through notify."""
    _add_destinations(app, receiver)
    _seed(app, tmp_path)
    run(app, at(TODAY))
    app.config["NOTIFY_ALLOW_PRIVATE_TARGETS"] = False
    result = deliver(app)
    assert result.sent == 1 and result.failed == 6  # the email; every loopback webhook refused for good
    assert receiver.requests == []
    with app.app_context():
        dead = db.session().scalars(select(Outbox).where(Outbox.status == "dead")).all()
    assert all("127.0.0.1" in r.last_error or "refused" in r.last_error.lower() for r in dead)


def test_destination_form_rules(app):
    from vault.expiry import service
    with app.app_context():
        sess = db.session()
        settings = notify.Settings.from_config(app.config)
        cases = [(dict(channel="webhook", target="http://127.0.0.1:9/x", secret=None), "signing secret"),
                 (dict(channel="slack", target="http://127.0.0.1:9/x", secret="s"), "no signing secret"),
                 (dict(channel="sms", target="http://127.0.0.1:9/x", secret=None), "Choose a channel"),
                 (dict(channel="slack", target="ftp://example.com/x", secret=None), "not acceptable|refused"),
                 (dict(channel="slack", target="http://user:pw@example.com/x", secret=None), "refused")]
        for kwargs, message in cases:
            with pytest.raises(InvalidInput, match=message):
                service.add_destination(sess, label="", notify_settings=settings, **kwargs)
