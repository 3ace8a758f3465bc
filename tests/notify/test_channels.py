"""Every channel against a real local receiver (and email through the real SMTP sink): payload shapes,
signatures, and the vendors' way of saying no."""
import base64
import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from tests.notify.conftest import T0
from vault import db, notify
from vault.notify.channels import webhook
from vault.notify.models import Outbox


def _send_and_deliver(app, *, now=T0, **kw):
    with app.app_context():
        sess = db.session()
        row = notify.send(sess, **kw)
        sess.commit()
        report = notify.deliver_pending(sess, now=now)
        sess.refresh(row)
        return row, report


def _msg(**kw):
    base = dict(subject="证书即将到期 SOC 2", text="The SOC 2 report expires in 30 days.",
                url="https://vault.test/documents/7")
    base.update(kw)
    return notify.Message(**base)


def test_email_chinese_subject_and_names_html_alternative_and_headers(app, smtp_sink):
    with app.app_context():
        sess = db.session()
        rows = notify.send_email(sess, to=["张三 <zhang@example.com>", "li@EXAMPLE.com"],
                                 subject="访问申请已批准：SOC 2 报告", text="您好，您的申请已批准。",
                                 html="<p>您好，您的申请<b>已批准</b>。</p>",
                                 headers={"List-Unsubscribe": "<https://vault.test/unsubscribe/abc>",
                                          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        sess.commit()
        report = notify.deliver_pending(sess, now=T0)
    assert report == notify.DeliveryReport(sent=2)
    assert [m["to"] for m in smtp_sink.messages] == [["zhang@example.com"], ["li@example.com"]]
    first = smtp_sink.messages[0]
    assert first["from"] == "noreply@example.com"
    msg = first["message"]
    assert msg["Subject"] == "访问申请已批准：SOC 2 报告"
    assert msg["From"].addresses[0].display_name == "信任中心"
    assert msg["To"].addresses[0].display_name == "张三"
    assert msg["Message-ID"] == f"<notify.{rows[0].id}.{rows[0].uid}@example.com>"
    assert msg["Date"].datetime == T0
    assert msg["List-Unsubscribe"] == "<https://vault.test/unsubscribe/abc>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().strip() == "您好，您的申请已批准。"
    assert "<b>已批准</b>" in msg.get_body(("html",)).get_content()


def test_email_refuses_header_injection_and_bad_addresses(app):
    with app.app_context():
        sess = db.session()
        for bad in ("not-an-address", "a@b.c, d@e.f", "x@example.com\r\nBcc: evil@example.com", ""):
            with pytest.raises(notify.NotifyError):
                notify.send_email(sess, to=bad, subject="s", text="t")
        with pytest.raises(notify.NotifyError, match="cannot be set"):
            notify.send_email(sess, to="a@example.com", subject="s", text="t", headers={"Bcc": "e@example.com"})
        with pytest.raises(notify.NotifyError, match="line break"):
            notify.send_email(sess, to="a@example.com", subject="s", text="t",
                              headers={"X-Tag": "a\r\nBcc: e@example.com"})
        assert sess.scalars(select(Outbox)).all() == []


def test_email_subject_line_breaks_are_flattened(app, smtp_sink):
    with app.app_context():
        sess = db.session()
        notify.send_email(sess, to="a@example.com", subject="Hello\r\nBcc: evil@example.com", text="t")
        sess.commit()
        notify.deliver_pending(sess, now=T0)
    msg = smtp_sink.messages[0]["message"]
    assert msg["Subject"] == "Hello Bcc: evil@example.com" and msg["Bcc"] is None
    assert smtp_sink.messages[0]["to"] == ["a@example.com"]


def test_generic_webhook_is_signed_and_verifiable(app, receiver):
    message = _msg(data={"type": "document.expiring", "document_id": 7, "名称": "报告"})
    row, report = _send_and_deliver(app, channel="webhook", target=receiver.url("/generic"), message=message,
                                    secret="s3cret")
    assert report.sent == 1 and row.status == "sent" and row.secret is None  # secret dropped once sent
    req = receiver.on("/generic")[0]
    ts, sig = req.headers["x-trustvault-timestamp"], req.headers["x-trustvault-signature"]
    assert ts == str(int(T0.timestamp()))
    expected = "sha256=" + hmac.new(b"s3cret", ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
    assert sig == expected
    assert webhook.verify("s3cret", ts, req.body, sig, now=T0.timestamp())
    assert not webhook.verify("wrong", ts, req.body, sig, now=T0.timestamp())
    assert not webhook.verify("s3cret", ts, req.body + b" ", sig, now=T0.timestamp())
    assert not webhook.verify("s3cret", ts, req.body, sig, now=T0.timestamp() + 3600)  # replayed later
    assert req.headers["x-trustvault-delivery"] == row.uid
    assert req.headers["content-type"].startswith("application/json")
    assert req.json() == {"id": row.uid, "subject": message.subject, "text": message.text, "url": message.url,
                          "data": message.data}


def test_generic_webhook_needs_a_secret(app, receiver):
    with app.app_context(), pytest.raises(notify.NotifyError, match="secret"):
        notify.send(db.session(), channel="webhook", target=receiver.url(), message=_msg())


def test_slack_payload_and_escaping(app, receiver):
    message = _msg(text="Company <https://evil.example|click me> & co")
    row, report = _send_and_deliver(app, channel="slack", target=receiver.url("/slack"), message=message)
    assert report.sent == 1
    body = receiver.on("/slack")[0].json()
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": message.subject}}
    assert body["blocks"][1]["text"] == {"type": "mrkdwn",
                                         "text": "Company &lt;https://evil.example|click me&gt; &amp; co"}
    assert body["blocks"][2]["elements"][0]["url"] == message.url
    assert body["text"].startswith(message.subject)


def test_slack_error_status_is_a_permanent_failure(app, receiver):
    receiver.answer("/slack", 404, "channel_not_found")
    row, report = _send_and_deliver(app, channel="slack", target=receiver.url("/slack"), message=_msg())
    assert report == notify.DeliveryReport(failed=1)
    assert row.status == "dead" and "404" in row.last_error and "channel_not_found" in row.last_error


def test_teams_adaptive_card(app, receiver):
    receiver.answer("/teams", 202, "")
    message = _msg(text="see [here](https://evil.example)")
    row, report = _send_and_deliver(app, channel="teams", target=receiver.url("/teams"), message=message)
    assert report.sent == 1
    body = receiver.on("/teams")[0].json()
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == message.subject
    assert card["body"][1]["text"] == "see [here] (https://evil.example)"  # no hidden link
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open", "url": message.url}]


def test_teams_legacy_error_sentence_on_200_is_a_failure(app, receiver):
    receiver.answer("/teams", 200, "Webhook message delivery failed with error: Microsoft Teams endpoint "
                                   "returned HTTP error 429")
    row, report = _send_and_deliver(app, channel="teams", target=receiver.url("/teams"), message=_msg())
    assert report.retrying == 1 and row.status == "retry"


def test_dingtalk_markdown_signed_in_query(app, receiver):
    receiver.answer("/robot/send", 200, {"errcode": 0, "errmsg": "ok"})
    url = receiver.url("/robot/send", "access_token=tok123")
    row, report = _send_and_deliver(app, channel="dingtalk", target=url, message=_msg(), secret="SECabc")
    assert report.sent == 1
    req = receiver.on("/robot/send")[0]
    assert req.query["access_token"] == ["tok123"]
    ts = req.query["timestamp"][0]
    assert ts == str(int(T0.timestamp() * 1000))  # milliseconds
    expected = base64.b64encode(hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()).decode()
    assert req.query["sign"] == [expected]  # parse_qs undoes the URL encoding
    body = req.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "证书即将到期 SOC 2"
    assert body["markdown"]["text"].startswith("### 证书即将到期 SOC 2")
    assert "[https://vault.test/documents/7](https://vault.test/documents/7)" in body["markdown"]["text"]


def test_dingtalk_errcode_on_http_200_is_a_failure(app, receiver):
    receiver.answer("/robot/send", 200, {"errcode": 310000, "errmsg": "sign not match"})
    row, report = _send_and_deliver(app, channel="dingtalk", target=receiver.url("/robot/send"), message=_msg(),
                                    secret="SECabc")
    assert report.failed == 1  # the robot's security check: retrying the same message cannot pass
    assert row.status == "dead" and "310000" in row.last_error and "sign not match" in row.last_error


def test_feishu_post_signed_in_body(app, receiver):
    receiver.answer("/open-apis/bot/v2/hook/x", 200, {"code": 0, "msg": "success", "data": {}})
    row, report = _send_and_deliver(app, channel="feishu", target=receiver.url("/open-apis/bot/v2/hook/x"),
                                    message=_msg(), secret="fsecret")
    assert report.sent == 1
    body = receiver.on("/open-apis/bot/v2/hook/x")[0].json()
    assert body["timestamp"] == str(int(T0.timestamp()))  # seconds
    key = f"{body['timestamp']}\nfsecret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "证书即将到期 SOC 2"
    assert post["content"][0] == [{"tag": "text", "text": "The SOC 2 report expires in 30 days."}]
    assert post["content"][1] == [{"tag": "a", "text": "https://vault.test/documents/7",
                                   "href": "https://vault.test/documents/7"}]


def test_feishu_code_on_http_200_is_a_failure(app, receiver):
    receiver.answer("/hook", 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour",
                                   "data": {}})
    row, report = _send_and_deliver(app, channel="feishu", target=receiver.url("/hook"), message=_msg(),
                                    secret="fsecret")
    assert row.status == "dead" and "19021" in row.last_error


def test_wecom_markdown_and_byte_limit(app, receiver):
    receiver.answer("/cgi-bin/webhook/send", 200, {"errcode": 0, "errmsg": "ok"})
    long_text = "到期提醒。" * 2000  # far past 4096 bytes
    row, report = _send_and_deliver(app, channel="wecom", target=receiver.url("/cgi-bin/webhook/send", "key=k1"),
                                    message=_msg(text=long_text, url=None))
    assert report.sent == 1
    body = receiver.on("/cgi-bin/webhook/send")[0].json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("### 证书即将到期 SOC 2") and len(content.encode("utf-8")) <= 4096


def test_wecom_errcode_is_a_failure(app, receiver):
    receiver.answer("/send", 200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    row, report = _send_and_deliver(app, channel="wecom", target=receiver.url("/send"), message=_msg())
    assert row.status == "dead" and "93000" in row.last_error


def test_vendor_answer_that_is_not_json_is_a_failure(app, receiver):
    receiver.answer("/send", 200, "<html>proxy error</html>")
    row, _ = _send_and_deliver(app, channel="wecom", target=receiver.url("/send"), message=_msg())
    assert row.status == "retry" and "not JSON" in row.last_error


def test_server_error_is_retried_not_dead(app, receiver):
    receiver.answer("/hook", 503, "busy")
    row, report = _send_and_deliver(app, channel="slack", target=receiver.url("/hook"), message=_msg())
    assert report.retrying == 1 and row.status == "retry" and "503" in row.last_error


def test_secrets_only_for_signing_channels_and_known_channels_only(app, receiver):
    with app.app_context():
        sess = db.session()
        with pytest.raises(notify.NotifyError, match="no signing secret"):
            notify.send(sess, channel="slack", target=receiver.url(), message=_msg(), secret="x")
        with pytest.raises(notify.NotifyError, match="unknown channel"):
            notify.send(sess, channel="sms", target="+100", message=_msg())
        with pytest.raises(notify.NotifyError, match="only http and https"):
            notify.send(sess, channel="slack", target="ftp://files.example.com/x", message=_msg())


def test_json_body_is_utf8_not_escaped(app, receiver):
    _send_and_deliver(app, channel="slack", target=receiver.url("/u"), message=_msg())
    raw = receiver.on("/u")[0].body
    assert "证书即将到期".encode("utf-8") in raw and json.loads(raw)
