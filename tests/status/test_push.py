"""The monitoring push API: token auth, scope, revocation, the generic and Alertmanager formats; and the CLI."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from status import push, service
from status.models import Incident, PushToken
from tests.status import builders
from vault import audit, db

ALERTMANAGER = {
    "version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "status": "firing", "receiver": "status",
    "groupLabels": {"alertname": "HighErrorRate"}, "commonLabels": {}, "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093", "truncatedAlerts": 0,
    "alerts": [
        {"status": "firing", "labels": {"alertname": "HighErrorRate", "status_component": "api", "severity": "critical"},
         "annotations": {"summary": "API 5xx above 5%", "description": "Error ratio 7% for 5 minutes."},
         "startsAt": "2025-03-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "a1"},
        {"status": "resolved", "labels": {"alertname": "Latency", "component": "api", "severity": "warning"},
         "annotations": {}, "startsAt": "2025-03-01T09:00:00Z", "endsAt": "2025-03-01T09:30:00Z", "fingerprint": "a2"},
        {"status": "firing", "labels": {"alertname": "Disk", "component": "cn-east", "severity": "warning"},
         "annotations": {}, "startsAt": "2025-03-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "a3"},
        {"status": "firing", "labels": {"alertname": "NoComponent"}, "annotations": {}, "fingerprint": "a4"},
    ],
}


@pytest.fixture
def components(app, clock):
    with app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        east = builders.component(sess, "cn-east", now=clock.now, name_zh="华东")
        sess.commit()
        return api.id, east.id


def _token(app, clock, *, ids=(), all_components=False, may_open=False):
    with app.app_context():
        sess = db.session()
        token, raw = push.create_token(sess, name="Prometheus", component_ids=ids, all_components=all_components,
                                       may_open_incidents=may_open, actor="t", now=clock.now)
        sess.commit()
        return token.uid, raw


def _state(app, key):
    with app.app_context():
        return service.component_by_key(db.session(), key).state


def test_token_is_stored_only_as_sha256(app, clock, components):
    uid, raw = _token(app, clock, ids=[components[0]])
    with app.app_context():
        row = db.session().scalar(select(PushToken).where(PushToken.uid == uid))
        assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert raw not in (row.prefix + row.name) and len(raw) >= 40 and raw.startswith("tvs_")


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "Bearer tvs_wrong", "Bearer " + "x" * 500])
def test_bad_tokens_are_refused_and_audited(client, app, components, header):
    headers = {"Authorization": header} if header else {}
    r = client.post("/status/api/push/v1/components", headers=headers, json={"component": "api", "state": "major_outage"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert _state(app, "api") == "operational"
    with app.app_context():
        assert audit.query_events(db.session(), action="status.push")[0].outcome == "denied"


def test_scope_and_revocation(client, app, clock, components):
    uid, raw = _token(app, clock, ids=[components[0]])
    auth = {"Authorization": f"Bearer {raw}"}
    r = client.post("/status/api/push/v1/components", headers=auth, json={"component": "cn-east", "state": "major_outage"})
    assert r.status_code == 403 and _state(app, "cn-east") == "operational"
    r = client.post("/status/api/push/v1/components", headers=auth, json={"updates": [
        {"component": "api", "state": "partial_outage"}, {"component": "cn-east", "state": "major_outage"}]})
    assert r.status_code == 207 and [x["ok"] for x in r.json["results"]] == [True, False]
    assert _state(app, "api") == "partial_outage" and _state(app, "cn-east") == "operational"
    r = client.post("/status/api/push/v1/components", headers=auth, json={"component": "nope", "state": "major_outage"})
    assert r.status_code == 422
    with app.app_context():
        sess = db.session()
        push.revoke_token(sess, push.get_token(sess, uid), now=clock.now)
        sess.commit()
    r = client.post("/status/api/push/v1/components", headers=auth, json={"component": "api", "state": "operational"})
    assert r.status_code == 401 and _state(app, "api") == "partial_outage"


@pytest.mark.parametrize("body,message", [
    ([], "JSON object"), ({"state": "major_outage"}, "'component'"), ({"component": "api", "state": "on fire"}, "'state'"),
    ({"updates": []}, "list of 1 to"), ({"updates": [{"component": "api", "state": "x"}] * 101}, "list of 1 to"),
])
def test_malformed_generic_payloads(client, app, clock, components, body, message):
    _, raw = _token(app, clock, all_components=True)
    r = client.post("/status/api/push/v1/components", headers={"Authorization": f"Bearer {raw}"}, json=body)
    assert r.status_code == 400 and message in r.json["error"]


def test_not_json_at_all(client, app, clock, components):
    _, raw = _token(app, clock, all_components=True)
    r = client.post("/status/api/push/v1/components", headers={"Authorization": f"Bearer {raw}"}, data=b"\xff{{")
    assert r.status_code == 400


def test_alertmanager_webhook_sets_worst_state_and_opens_one_draft(client, app, clock, components):
    _, raw = _token(app, clock, all_components=True, may_open=True)
    auth = {"Authorization": f"Bearer {raw}"}
    r = client.post("/status/api/push/v1/alertmanager?open_incident=1", headers=auth, json=ALERTMANAGER)
    assert r.status_code == 200, r.json
    assert r.json["ignored"] == 1
    assert _state(app, "api") == "major_outage"  # critical firing beats the resolved warning
    assert _state(app, "cn-east") == "degraded_performance"
    client.post("/status/api/push/v1/alertmanager?open_incident=1", headers=auth, json=ALERTMANAGER)  # repeats
    with app.app_context():
        drafts = db.session().scalars(select(Incident)).all()
        assert sorted((i.title_en, i.draft) for i in drafts) == [("API 5xx above 5%", True), ("Disk", True)]
        api_draft = next(i for i in drafts if i.title_en == "API 5xx above 5%")
        assert api_draft.updates[0].body_en == "Error ratio 7% for 5 minutes." and not api_draft.updates[0].notified
    resolved = {**ALERTMANAGER, "status": "resolved",
                "alerts": [{**a, "status": "resolved"} for a in ALERTMANAGER["alerts"]]}
    assert client.post("/status/api/push/v1/alertmanager", headers=auth, json=resolved).status_code == 200
    assert _state(app, "api") == "operational" and _state(app, "cn-east") == "operational"


def test_token_without_incident_right_only_sets_state(client, app, clock, components):
    _, raw = _token(app, clock, all_components=True, may_open=False)
    r = client.post("/status/api/push/v1/components", headers={"Authorization": f"Bearer {raw}"},
                    json={"component": "api", "state": "major_outage", "open_incident": True})
    assert r.status_code == 200 and r.json["results"][0]["incident"] is None
    with app.app_context():
        assert db.session().scalars(select(Incident)).all() == []


def test_alertmanager_not_a_payload(client, app, clock, components):
    _, raw = _token(app, clock, all_components=True)
    r = client.post("/status/api/push/v1/alertmanager", headers={"Authorization": f"Bearer {raw}"}, json={"x": 1})
    assert r.status_code == 400 and "alerts" in r.json["error"]


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_jobs_and_tokens(app, clock, smtp_sink, make_user):
    from datetime import timedelta

    make_user("admin", email="boss@example.com")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["status", "add-component", "db", "--name", "Database", "--name-zh", "数据库"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["status", "add-component", "db"])
    assert r.exit_code != 0 and "already exists" in r.output
    r = runner.invoke(args=["status", "create-token", "Zabbix", "--component", "db"])
    raw = r.output.strip()
    assert r.exit_code == 0 and raw.startswith("tvs_")
    assert runner.invoke(args=["status", "create-token", "X", "--component", "nope"]).exit_code != 0
    with app.app_context():
        sess = db.session()
        c = service.component_by_key(sess, "db")
        service.schedule_maintenance(sess, title_en="DB upgrade", component_ids=[c.id],
                                     starts_at=clock.now + timedelta(minutes=5), ends_at=clock.now + timedelta(hours=1),
                                     body_en="Planned.", notify=False, now=clock.now, author="t")
        builders.incident(sess, [c], now=clock.now, next_minutes=15)
        sess.commit()
    clock.advance(minutes=20)
    r = runner.invoke(args=["status", "run-maintenance"])
    assert r.exit_code == 0 and "started: DB upgrade" in r.output
    r = runner.invoke(args=["status", "remind-overdue-updates"])
    assert r.exit_code == 0 and "1 reminder(s) queued." in r.output
    assert "0 reminder(s)" in runner.invoke(args=["status", "remind-overdue-updates"]).output
    builders.deliver(app)
    assert [m["to"] for m in smtp_sink.messages] == [["boss@example.com"]]
    assert "/admin/status/incidents/" in smtp_sink.messages[0]["message"].get_body(("plain",)).get_content()
    with app.app_context():
        uid = db.session().scalar(select(PushToken.uid))
    assert runner.invoke(args=["status", "revoke-token", uid]).exit_code == 0
