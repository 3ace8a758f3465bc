"""The sales channel: a message on a new access request (an "Approve" link to the staff page, which
needs a staff sign-in) and when a questionnaire has been matched, in the payload each chat tool
documents, in the integration's language."""
from __future__ import annotations

import base64
import hashlib
import hmac

from tests.access.builders import confirm_link, request_uid, submit_request
from tests.integrations.conftest import BASE_URL, outbox_rows
from tests.questionnaires.builders import add_library, upload_and_match, workbook

OK_ERRCODE = {"errcode": 0, "errmsg": "ok"}


def _request_and_confirm(app, smtp_sink, seeded):
    client = app.test_client()
    assert submit_request(client, documents=[seeded.soc2, seeded.pentest]).status_code == 200
    assert client.post(confirm_link(smtp_sink, "alice@buyer.example")).status_code == 302
    uid = request_uid(app, "alice@buyer.example")
    return uid, f"{BASE_URL}/admin/access/requests/{uid}"


def test_slack_gets_the_request_with_an_approve_button_to_the_staff_page(app, seeded, smtp_sink, api, connect):
    connect("slack", f"{api.base}/services/T000/B000/XXXX")
    client = app.test_client()
    assert submit_request(client, documents=[seeded.soc2]).status_code == 200
    assert api.requests == []  # an unconfirmed address tells nobody
    assert client.post(confirm_link(smtp_sink, "alice@buyer.example")).status_code == 302
    uid = request_uid(app, "alice@buyer.example")
    (sent,) = api.on("/services/T000/B000/XXXX")
    body = sent.json()
    assert sent.method == "POST" and sent.headers["content-type"].startswith("application/json")
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "New access request: Buyer Ltd"}}
    assert "Alice Buyer &lt;alice@buyer.example&gt; asks for: SOC 2 Type II report." in body["blocks"][1]["text"]["text"]
    assert "waiting for the NDA" in body["text"]
    assert body["blocks"][2] == {"type": "actions", "elements": [{"type": "button", "text": {
        "type": "plain_text", "text": "Approve"}, "url": f"{BASE_URL}/admin/access/requests/{uid}"}]}
    # The link is the staff page itself: without a staff session it leads to the sign-in page.
    anonymous = app.test_client().get(f"/admin/access/requests/{uid}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    # A second confirmation POST (double click) sends nothing more.
    client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    assert len(api.on("/services/T000/B000/XXXX")) == 1


def test_teams_feishu_and_dingtalk_in_chinese_as_each_documents(app, seeded, smtp_sink, api, connect):
    """One request, three channels set to Chinese, each in its own payload shape and signature."""
    api.answer("/open-apis/bot/v2/hook/abc", (200, {"code": 0, "msg": "success", "data": {}}))
    api.answer("/robot/send", (200, OK_ERRCODE))
    connect("teams", f"{api.base}/workflows/teams", language="zh")
    connect("feishu", f"{api.base}/open-apis/bot/v2/hook/abc", secret="feishu-sign-secret", language="zh")
    connect("dingtalk", f"{api.base}/robot/send?access_token=dt-token", secret="SECdingtalk", language="zh")
    uid, link = _request_and_confirm(app, smtp_sink, seeded)

    (sent,) = api.on("/workflows/teams")  # Teams: an Adaptive Card in a message envelope
    card = sent.json()["attachments"][0]["content"]
    assert sent.json()["type"] == "message"
    assert sent.json()["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == "新的访问申请：Buyer Ltd"
    assert "等待签署保密协议" in card["body"][1]["text"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "批准", "url": link}]

    body = api.on("/open-apis/bot/v2/hook/abc")[0].json()  # Feishu: post, signed in the body
    key = f"{body['timestamp']}\nfeishu-sign-secret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    post = body["content"]["post"]["zh_cn"]
    assert body["msg_type"] == "post" and post["title"] == "新的访问申请：Buyer Ltd"
    assert post["content"][-1] == [{"tag": "a", "text": f"批准: {link}", "href": link}]

    (sent,) = api.on("/robot/send")  # DingTalk: markdown, signed in the query string
    ts, sign = sent.query["timestamp"][0], sent.query["sign"][0]  # parse_qs decoded it
    expected = hmac.new(b"SECdingtalk", f"{ts}\nSECdingtalk".encode(), hashlib.sha256).digest()
    assert sent.query["access_token"] == ["dt-token"] and sign == base64.b64encode(expected).decode()
    body = sent.json()
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "新的访问申请：Buyer Ltd"
    assert f"[批准: {link}]({link})" in body["markdown"]["text"]


def test_wecom_markdown_and_questionnaire_matched_counts(app, seeded, smtp_sink, api, connect, client_as):
    api.answer("/cgi-bin/webhook/send", (200, OK_ERRCODE))
    connect("wecom", f"{api.base}/cgi-bin/webhook/send?key=wc-key")
    add_library(app)
    uid = upload_and_match(client_as("sales"), workbook(), customer="Acme Corp")
    from vault import db, notify
    with app.app_context():  # matching may run as a job: its rows go out with the next delivery run if not yet
        notify.deliver_pending(db.session())
    (sent,) = api.on("/cgi-bin/webhook/send")
    content = sent.json()["markdown"]["content"]
    assert sent.json()["msgtype"] == "markdown" and sent.query["key"] == ["wc-key"]
    assert content.startswith("### Questionnaire matched: Acme Corp")
    filled = content.split("q.xlsx: ")[1].split(" filled")[0]
    assert "for review" in content and "1 unanswered (4 questions)" in content and int(filled) >= 1
    review = f"{BASE_URL}/questionnaires/{uid}"
    assert f"[Review: {review}]({review})" in content
    (row,) = [r for r in outbox_rows(app) if r.channel == "wecom"]
    assert row.status == "sent"
