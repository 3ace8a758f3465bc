"""The journey of issue 7: monitoring push degrades a component, an incident is opened, updated twice,
resolved, the report published. Email subscribers (real SMTP sink), a webhook receiver and the Atom
feed each see exactly the right messages; unsubscribing from the email link works."""
from __future__ import annotations

import re
import time

import defusedxml.ElementTree as DET

from status import service
from tests.status import builders
from vault import db
from vault.notify.channels.webhook import verify

ATOM = "{http://www.w3.org/2005/Atom}"


def _mails_to(sink, address):
    return [m["message"] for m in sink.messages if address in m["to"]]


def _link(message, pattern):
    text = message.get_body(("plain",)).get_content()
    return re.search(pattern, text).group(0)


def _subscribe_email(client, smtp_sink, email, **extra):
    resp = client.post("/status/subscribe", data={"channel": "email", "email": email, **extra})
    assert resp.status_code == 200 and b"Check your inbox" in resp.data
    confirm_mail = _mails_to(smtp_sink, email)[-1]
    assert "Confirm your subscription" in confirm_mail["Subject"]
    return _link(confirm_mail, r"http://vault\.test/status/subscribe/confirm/\S+")


def test_push_incident_updates_resolution_report_reach_exactly_the_right_subscribers(
        app, client, client_as, smtp_sink, receiver, clock):
    staff = client_as("security")
    with app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now, name_en="API")
        east = builders.component(sess, "cn-east", now=clock.now, name_en="East China", name_zh="华东")
        sg = builders.component(sess, "sg", now=clock.now, name_en="Singapore")
        sess.commit()
        api_id, api_uid, sg_id = api.id, api.uid, sg.id

    # --- subscribers: alice (everything), bob (Singapore only), carol never confirms, one webhook (API)
    link = _subscribe_email(client, smtp_sink, "alice@example.com", everything="y")
    assert client.get(link.replace("http://vault.test", "")).status_code == 200  # GET: a button, no change
    with app.app_context():
        assert service.version(db.session()) >= 0
        from status.subscriptions import list_subscribers
        assert [s.confirmed_at for s in list_subscribers(db.session()) if s.target == "alice@example.com"] == [None]
    assert client.post(link.replace("http://vault.test", "")).status_code == 200
    assert client.post(link.replace("http://vault.test", "")).status_code == 404  # single use
    bob = _subscribe_email(client, smtp_sink, "bob@example.com", components=[str(sg_id)])
    client.post(bob.replace("http://vault.test", ""))
    _subscribe_email(client, smtp_sink, "carol@example.com", everything="y")
    resp = client.post("/status/subscribe", data={"channel": "webhook", "url": receiver.url("/hook"),
                                                  "components": [str(api_id)]})
    assert resp.status_code == 200
    secret = re.search(rb"<code>([A-Za-z0-9_\-]{40,})</code>", resp.data).group(1).decode()

    # --- monitoring gets a scoped token and pushes a major outage, which opens a draft incident
    resp = staff.post("/admin/status/tokens", data={"name": "Prometheus", "components": [str(api_id)],
                                                    "may_open_incidents": "y"})
    token = re.search(rb"tvs_[A-Za-z0-9_\-]+", resp.data).group(0).decode()
    clock.advance(minutes=1)
    resp = client.post("/status/api/push/v1/components", headers={"Authorization": f"Bearer {token}"},
                       json={"component": "api", "state": "major_outage", "open_incident": True,
                             "title": "API error rate above 5%"})
    assert resp.status_code == 200, resp.json
    draft_uid = resp.json["results"][0]["incident"]
    summary = client.get("/status/api/v2/summary.json").json
    assert {c["id"]: c["status"] for c in summary["components"]}[api_uid] == "major_outage"
    assert summary["status"]["indicator"] == "critical" and summary["incidents"] == []  # the draft is not public
    assert client.get(f"/status/incidents/{draft_uid}").status_code == 404

    # --- staff publish it (investigating), then identified, then monitoring without notifying, then resolved
    def update(status, text, notify=True, publish=False, **extra):
        clock.advance(minutes=10)
        data = {"status": status, "body_en": text, "next_update": "30", **extra}
        if notify:
            data["notify"] = "y"
        if publish:
            data["publish"] = "y"
        r = staff.post(f"/admin/status/incidents/{draft_uid}/updates", data=data)
        assert r.status_code == 302, r.data

    update("investigating", "We are investigating elevated API errors.", publish=True,
           body_zh="我们正在调查 API 错误率升高的问题。")
    update("identified", "A faulty deploy was identified; rolling back.")
    update("monitoring", "Rollback done; watching error rates.", notify=False)
    update("resolved", "Error rates are back to normal.", **{f"state-{api_uid}": ""})
    assert client.get("/status/api/v2/summary.json").json["status"]["indicator"] == "none"

    resp = staff.post(f"/admin/status/incidents/{draft_uid}/report",
                      data={"root_cause": "A config change without a canary.\n\n<img src=x onerror=alert(1)>",
                            "actions": "- Canary every config change\n- [Runbook](javascript:alert(1))",
                            "publish": "y", "notify": "y"})
    assert resp.status_code == 302
    builders.deliver(app)

    # --- email: alice gets exactly 4 messages after her confirmation; bob and carol none
    subjects = [m["Subject"] for m in _mails_to(smtp_sink, "alice@example.com")]
    assert subjects == ["Confirm your subscription to Example Cloud Ltd. status updates",
                        "[Investigating] API error rate above 5%", "[Identified] API error rate above 5%",
                        "[Resolved] API error rate above 5%", "Post-incident report: API error rate above 5%"]
    assert len(_mails_to(smtp_sink, "bob@example.com")) == 1  # the confirmation only: he follows Singapore
    assert len(_mails_to(smtp_sink, "carol@example.com")) == 1  # never confirmed
    last = _mails_to(smtp_sink, "alice@example.com")[-1]
    assert last["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsub = re.fullmatch(r"<(http://vault\.test/status/unsubscribe/\S+)>", last["List-Unsubscribe"]).group(1)
    assert unsub in last.get_body(("plain",)).get_content()
    html = last.get_body(("html",)).get_content()
    assert "<img" not in html and 'href="javascript' not in html

    # --- webhook: the same 4 messages, signed
    hooks = receiver.on("/hook")
    assert [h.json()["subject"] for h in hooks] == subjects[1:]
    for h in hooks:
        assert verify(secret, h.headers["x-trustvault-timestamp"], h.body, h.headers["x-trustvault-signature"],
                      now=time.time())
    first = hooks[0].json()["data"]
    assert first["event"] == "incident_update" and first["incident"]["id"] == draft_uid
    assert first["incident"]["incident_updates"][0]["status"] == "investigating"
    assert hooks[-1].json()["data"]["event"] == "report_published"
    assert "Canary" in hooks[-1].json()["data"]["incident"]["postmortem_body"]["corrective_actions"]

    # --- Atom feed: the 3 announced updates and the report, newest first; the silent one is absent
    feed = DET.fromstring(client.get("/status/feed.atom").data)
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert titles == list(reversed(subjects[1:]))
    assert all(e.find(f"{ATOM}link").get("href") == f"http://vault.test/status/incidents/{draft_uid}"
               for e in feed.findall(f"{ATOM}entry"))

    # --- the public incident page: full timeline and the sanitised report
    page = client.get(f"/status/incidents/{draft_uid}").data.decode()
    assert "Rollback done; watching error rates." in page  # silent updates are still on the page
    assert "A config change without a canary." in page and "<img" not in page and 'href="javascript' not in page
    zh_page = client.get(f"/status/incidents/{draft_uid}", headers={"Accept-Language": "zh-CN"}).data.decode()
    assert "我们正在调查 API 错误率升高的问题。" in zh_page

    # --- one-click unsubscribe (RFC 8058), then a new incident reaches nobody at that address
    resp = client.post(unsub.replace("http://vault.test", ""), data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200 and b"will receive no more" in resp.data
    with app.app_context():
        sess = db.session()
        builders.incident(sess, [sess.get(type(api), api_id)], now=clock.advance(hours=1), title="Again", notify=True)
        sess.commit()
    builders.deliver(app)
    assert len(_mails_to(smtp_sink, "alice@example.com")) == 5
    assert [h.json()["subject"] for h in receiver.on("/hook")][-1] == "[Investigating] Again"
