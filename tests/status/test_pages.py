"""Public page, API, feed, badge, widget, caching; staff pages and their access checks."""
from __future__ import annotations

from datetime import timedelta

import defusedxml.ElementTree as DET
import pytest

from status import service
from tests.conftest import make_app
from tests.status import builders
from tests.status.conftest import status_config
from vault import audit, db


@pytest.fixture
def seeded(app, clock):
    with app.app_context():
        sess = db.session()
        region = service.create_group(sess, name_en="Regions", name_zh="区域")
        api = builders.component(sess, "api", now=clock.now - timedelta(days=120), name_en="API")
        east = builders.component(sess, "cn-east", now=clock.now - timedelta(days=120), name_en="East China",
                                  name_zh="华东", group=region)
        builders.component(sess, "sg", now=clock.now - timedelta(days=120), name_en="Singapore", group=region)
        service.set_state(sess, east, "partial_outage", now=clock.now - timedelta(days=3, hours=2), source="staff")
        service.set_state(sess, east, "operational", now=clock.now - timedelta(days=3), source="staff")
        incident = builders.incident(sess, [api], now=clock.now, state="degraded_performance", title="Slow API",
                                     title_zh="API 变慢", body="Investigating latency.")
        sess.commit()
        return {"api": api.uid, "east": east.uid, "incident": incident.uid}


def test_public_page_at_a_glance_with_bars_and_uptime(client, seeded):
    page = client.get("/status/").data.decode()
    assert "Degraded performance" in page and "Slow API" in page and "Investigating latency." in page
    assert "Regions" in page and "East China" in page and "Singapore" in page
    assert page.count('class="uptime-bar"') == 3
    assert "Partial outage" in page  # the tooltip of the day with the outage
    assert "99.9" in page  # 2 h of partial outage in 90 days: 99.97% (never shown as 100)
    zh = client.get("/status/", headers={"Accept-Language": "zh-CN,zh"}).data.decode()
    assert "华东" in zh and 'lang="zh-CN"' in zh and "API 变慢" in zh


def test_public_page_shows_no_drafts(app, client, clock):
    with app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        builders.incident(sess, [api], now=clock.now, title="Secret draft", draft=True)
        sess.commit()
    assert b"Secret draft" not in client.get("/status/").data
    assert b"Secret draft" not in client.get("/status/history").data
    assert client.get("/status/api/v2/incidents.json").json["incidents"] == []


def test_cached_page_follows_every_change(app, client, seeded, clock):
    client.get("/status/")
    client.get("/status/")
    cache = app.extensions["status.cache"]
    assert cache.hits >= 1
    with app.app_context():
        sess = db.session()
        service.set_state(sess, service.get_component(sess, seeded["api"]), "major_outage", now=clock.now,
                          source="staff")
        sess.commit()
    assert "Major system outage" in client.get("/status/").data.decode()
    assert client.get("/status/api/v2/status.json").json["status"] == {"indicator": "critical",
                                                                        "description": "Major System Outage"}


def test_statuspage_shapes(client, seeded):
    s = client.get("/status/api/v2/summary.json")
    assert s.headers["Access-Control-Allow-Origin"] == "*" and s.mimetype == "application/json"
    body = s.json
    assert set(body) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert body["page"]["url"] == "http://vault.test/status/" and body["page"]["time_zone"] == "Etc/UTC"
    comps = {c["name"]: c for c in body["components"]}
    assert comps["API"]["status"] == "degraded_performance" and comps["API"]["group"] is False
    assert comps["Regions"]["group"] is True and len(comps["Regions"]["components"]) == 2
    assert comps["East China"]["group_id"] == comps["Regions"]["id"]
    inc = body["incidents"][0]
    assert {"id", "name", "status", "impact", "shortlink", "incident_updates", "components", "created_at",
            "resolved_at", "monitoring_at", "page_id"} <= set(inc)
    assert inc["incident_updates"][0]["body"] == "Investigating latency."
    assert body["status"]["indicator"] == "minor"
    zh = {c["name"] for c in
          client.get("/status/api/v2/components.json?lang=zh").json["components"]}
    assert "华东" in zh and "区域" in zh
    for name in ("incidents.json", "incidents/unresolved.json", "scheduled-maintenances.json",
                 "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json", "status.json"):
        assert client.get(f"/status/api/v2/{name}").status_code == 200
    assert client.get("/status/api/v2/nope.json").status_code == 404


def test_widget_and_badge_cors_for_get_only(client, seeded):
    w = client.get("/status/widget.json?lang=zh")
    assert w.headers["Access-Control-Allow-Origin"] == "*" and w.headers["Access-Control-Allow-Methods"] == "GET"
    assert w.json["status"]["indicator"] == "minor" and w.json["incidents"][0]["name"] == "API 变慢"
    pre = client.options("/status/widget.json", headers={"Origin": "https://app.example.com",
                                                         "Access-Control-Request-Method": "POST"})
    assert pre.headers["Access-Control-Allow-Methods"] == "GET"
    assert client.post("/status/widget.json").status_code == 405
    js = client.get("/status/widget.js")
    assert js.mimetype == "text/javascript" and b"textContent" in js.data and b"innerHTML" not in js.data
    svg = client.get("/status/badge.svg")
    assert svg.mimetype == "image/svg+xml"
    root = DET.fromstring(svg.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and "Degraded performance" in svg.data.decode()
    assert "华东" in client.get("/status/badge.svg?component=cn-east", headers={"Accept-Language": "zh"}).data.decode()
    assert client.get("/status/badge.svg?component=nope").status_code == 404


def test_feed_per_component(client, seeded, app, clock):
    with app.app_context():
        sess = db.session()
        east = service.get_component(sess, seeded["east"])
        builders.incident(sess, [east], now=clock.advance(minutes=1), title="East down", notify=True)
        sess.commit()
    all_ = DET.fromstring(client.get("/status/feed.atom").data)
    east_only = DET.fromstring(client.get("/status/feed.atom?component=cn-east").data)
    ns = "{http://www.w3.org/2005/Atom}"
    assert [e.find(f"{ns}title").text for e in east_only.findall(f"{ns}entry")] == ["[Investigating] East down"]
    assert len(all_.findall(f"{ns}entry")) == 1  # the seeded incident was not announced


def test_history_search_and_timeline(client, seeded):
    page = client.get("/status/history?q=slow").data.decode()
    assert "1 incident found." in page and "Investigating latency." in page
    assert "0 incidents found." in client.get("/status/history?q=nothing-like-this").data.decode()
    assert client.get("/status/incidents/" + "f" * 16).status_code == 404


def test_staff_pages_render(client_as, seeded):
    staff = client_as("security")
    for path in ("/admin/status/", "/admin/status/components/new", f"/admin/status/components/{seeded['east']}",
                 "/admin/status/incidents/new", f"/admin/status/incidents/{seeded['incident']}",
                 "/admin/status/incidents?q=slow", "/admin/status/maintenance/new", "/admin/status/tokens",
                 "/admin/status/subscribers"):
        assert staff.get(path).status_code == 200, path


def test_staff_flow_component_incident_maintenance(client_as, app, clock):
    staff = client_as("admin")
    assert staff.post("/admin/status/groups", data={"name_en": "Regions", "name_zh": "区域"}).status_code == 302
    r = staff.post("/admin/status/components/new", data={"key": "cn-east", "name_en": "East China", "name_zh": "华东"})
    assert r.status_code == 302
    r = staff.post("/admin/status/components/new", data={"key": "Bad Key!", "name_en": "x"})
    assert r.status_code == 400 and b"lower-case letters" in r.data
    with app.app_context():
        c = service.component_by_key(db.session(), "cn-east")
        uid, cid = c.uid, c.id
    assert staff.post(f"/admin/status/components/{uid}/state", data={"state": "partial_outage"}).status_code == 302
    r = staff.post("/admin/status/incidents/new", data={"title_en": "", "title_zh": "", "impact": "minor",
                                                      "status": "investigating", "body_en": "x"})
    assert r.status_code == 400 and b"Enter a name in English or Chinese" in r.data
    r = staff.post("/admin/status/incidents/new", data={"title_zh": "华东网络抖动", "impact": "minor",
                                                      "status": "investigating", "body_zh": "正在调查。",
                                                      "next_update": "60", f"state-{uid}": "degraded_performance"})
    assert r.status_code == 302
    start = (clock.now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (clock.now + timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M")
    r = staff.post("/admin/status/maintenance/new", data={"title_en": "Network upgrade", "starts_at": start,
                                                        "ends_at": end, "components": [str(cid)],
                                                        "body_en": "Planned.", "auto": "y"})
    assert r.status_code == 302
    r = staff.post("/admin/status/maintenance/new", data={"title_en": "Backwards", "starts_at": end, "ends_at": start,
                                                        "components": [str(cid)], "body_en": "x"})
    assert r.status_code == 400 and b"must end after it starts" in r.data
    with app.app_context():
        actions = [e.action for e in audit.query_events(db.session(), action="status.")]
        assert {"status.group.create", "status.component.create", "status.component.state",
                "status.incident.create", "status.maintenance.create"} <= set(actions)
    upcoming = staff.get("/status/api/v2/scheduled-maintenances/upcoming.json").json["scheduled_maintenances"]
    assert [m["name"] for m in upcoming] == ["Network upgrade"]


@pytest.mark.parametrize("role", ["viewer", "sales", "legal"])
def test_staff_pages_need_status_manage_and_denials_are_audited(client_as, app, role, seeded):
    c = client_as(role)
    assert c.get("/admin/status/").status_code == 403
    assert c.post(f"/admin/status/components/{seeded['api']}/state", data={"state": "major_outage"}).status_code == 403
    with app.app_context():
        events = audit.query_events(db.session(), action="permission.denied")
        assert events and events[0].detail["permission"] == "status.manage"
        assert service.get_component(db.session(), seeded["api"]).state == "degraded_performance"


def test_anonymous_is_sent_to_sign_in(client):
    r = client.get("/admin/status/")
    assert r.status_code in (302, 401)


def test_csrf_on_staff_forms_but_not_on_one_click_unsubscribe(tmp_path, smtp_sink, clock):
    from flask_login import FlaskLoginClient

    from status import subscriptions
    (tmp_path / "csrf").mkdir()
    app = make_app(tmp_path / "csrf", WTF_CSRF_ENABLED=True, **status_config(smtp_sink.port, clock))
    try:
        with app.app_context():
            sess = db.session()
            c = builders.component(sess, "api", now=clock.now)
            from status.models import Subscriber
            sub = Subscriber(channel="email", target="a@example.com", confirmed_at=clock.now, created_at=clock.now)
            sess.add(sub)
            sess.commit()
            uid, url = sub.uid, subscriptions.unsubscribe_url(sub)
            from vault.auth.service import create_user
            user = create_user(sess, email="s@example.com", password="correct horse battery staple 42",
                               role="security", actor="test")
            sess.commit()
            sess.refresh(user)
            sess.expunge(user)
            api_uid = c.uid
        app.test_client_class = FlaskLoginClient
        staff = app.test_client(user=user)
        assert staff.post(f"/admin/status/components/{api_uid}/state", data={"state": "major_outage"}).status_code == 400
        anon = app.test_client()
        assert anon.post("/status/subscribe", data={"channel": "email", "email": "x@example.com"}).status_code == 400
        r = anon.post(url.replace("http://vault.test", ""), data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200
        with app.app_context():
            assert subscriptions.get_subscriber(db.session(), uid) is None
    finally:
        app.extensions["vault.engine"].dispose()


def test_unsubscribe_needs_the_right_token_and_get_changes_nothing(app, client, clock):
    from status import subscriptions
    from status.models import Subscriber
    with app.app_context():
        sess = db.session()
        sub = Subscriber(channel="email", target="a@example.com", confirmed_at=clock.now, created_at=clock.now)
        sess.add(sub)
        sess.commit()
        uid, url = sub.uid, subscriptions.unsubscribe_url(sub).replace("http://vault.test", "")
    assert client.post(f"/status/unsubscribe/{uid}/{'0' * 64}").status_code == 404
    assert client.get(url).status_code == 200
    with app.app_context():
        assert subscriptions.get_subscriber(db.session(), uid) is not None
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 404


def test_subscription_form_errors_and_expired_confirmation(client, app, clock, smtp_sink):
    r = client.post("/status/subscribe", data={"channel": "email", "email": "not-an-address"})
    assert r.status_code == 400 and b"valid email address" in r.data
    r = client.post("/status/subscribe", data={"channel": "webhook", "url": "ftp://x"})
    assert r.status_code == 400 and b"https://" in r.data
    r = client.post("/status/subscribe", data={"channel": "webhook", "url": "http://169.254.169.254/latest"})
    assert r.status_code == 400 and b"cannot receive our messages" in r.data
    with app.app_context():
        app.config["NOTIFY_ALLOW_PRIVATE_TARGETS"] = False
    r = client.post("/status/subscribe", data={"channel": "slack", "url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 400
    r = client.post("/status/subscribe", data={"channel": "email", "email": "late@example.com"})
    assert r.status_code == 200
    from tests.status.builders import deliver
    deliver(app)
    link = [m for m in smtp_sink.messages if m["to"] == ["late@example.com"]][0]["message"]
    import re
    path = re.search(r"/status/subscribe/confirm/\S+", link.get_body(("plain",)).get_content()).group(0)
    clock.advance(hours=49)
    assert client.post(path).status_code == 404


def test_page_and_api_are_served_gzipped_to_clients_that_accept_it(client, seeded):
    import gzip
    for path in ("/status/", "/status/api/v2/summary.json"):
        plain = client.get(path)
        packed = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.data) == plain.data and "Content-Encoding" not in plain.headers


def test_language_switch_returns_to_the_same_status_page(client, seeded):
    page = client.get("/status/history?q=slow").get_data(as_text=True)
    assert "/status/lang/zh?next=/status/history" in page  # the path only: the main page is cached for all
    back = client.get("/status/lang/zh", query_string={"next": "/status/history?q=slow&lang=en"})
    assert back.status_code == 302 and back.headers["Location"].endswith("/status/history?q=slow")
    for elsewhere in ("/admin/users", "//evil.example/status/", "https://evil.example/status/"):
        r = client.get("/status/lang/en", query_string={"next": elsewhere})
        assert r.headers["Location"].endswith("/status/") and "evil" not in r.headers["Location"]
