"""The events layer: one outbox row per event and integration, in the action's transaction; signed
generic webhooks with the documented JSON; nothing sent twice, nothing sent for a rolled-back action."""
from __future__ import annotations

import time

import pytest

from tests.access.builders import approve, confirm_link, journey_to_review, request_uid, submit_request
from tests.integrations.conftest import BASE_URL, outbox_rows

SECRET = "whsec-test-1234567890"


def _received(api, path="/hooks/trustvault"):
    return [(r, r.json()) for r in api.on(path)]


def test_signed_webhook_carries_each_event_with_its_documented_json(app, seeded, smtp_sink, client_as, api, connect):
    from vault.notify.channels import webhook
    connect("webhook", f"{api.base}/hooks/trustvault", secret=SECRET)
    client, staff = app.test_client(), client_as("sales")
    journey_to_review(client, smtp_sink, seeded)
    uid = request_uid(app, "alice@buyer.example")
    approve(app, staff, uid, [seeded.soc2])
    got = _received(api)
    assert [body["data"]["event"] for _, body in got] == ["access.requested", "nda.signed", "access.approved"]
    for sent, body in got:
        headers = sent.headers
        assert webhook.verify(SECRET, headers["x-trustvault-timestamp"], sent.body,
                              headers["x-trustvault-signature"], now=time.time())
        assert not webhook.verify("another-secret", headers["x-trustvault-timestamp"], sent.body,
                                  headers["x-trustvault-signature"], now=time.time())
        assert headers["x-trustvault-delivery"] == body["id"]
        data = body["data"]
        assert set(data) >= {"event", "event_id", "occurred_at", "requester", "request"}
        assert data["requester"] == {"name": "Alice Buyer", "email": "alice@buyer.example", "company": "Buyer Ltd",
                                     "domain": "buyer.example"}
        assert data["request"]["url"] == f"{BASE_URL}/admin/access/requests/{uid}"
    requested, signed, approved = (body["data"] for _, body in got)
    assert requested["event_id"] == f"access.requested:{uid}" and requested["documents"] == ["SOC 2 Type II report"]
    assert signed["nda"]["method"] == "click_through" and len(signed["nda"]["sha256"]) == 64
    assert approved["grant"]["by"] == "staff" and approved["grant"]["documents"] == ["SOC 2 Type II report"]


def test_a_rolled_back_action_sends_nothing(app, api, connect):
    from vault import db, integrations, notify
    connect("webhook", f"{api.base}/hooks/trustvault", secret=SECRET)
    with app.app_context():
        sess = db.session()
        assert integrations.emit(sess, "questionnaire.matched", {"questionnaire": {"uid": "q1"}, "counts": {}},
                                 key="q1") == 1
        sess.rollback()
        assert notify.deliver_pending(sess).sent == 0
    assert outbox_rows(app) == [] and api.requests == []


def test_a_refused_request_or_nda_step_sends_nothing(app, seeded, smtp_sink, api, connect):
    """A form the service refuses rolls back; the event it would have carried goes with it."""
    connect("slack", f"{api.base}/slack")
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2])
    client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    before = len(api.requests)
    r = client.post("/trust/nda", data={"nda_version": seeded.nda_version, "full_name": "Alice"})  # box not ticked
    assert r.status_code == 400 and len(api.requests) == before


def test_the_same_event_is_delivered_once_per_integration(app, api, connect):
    from vault import db, integrations, notify
    connect("webhook", f"{api.base}/hooks/trustvault", secret=SECRET)
    connect("webhook", f"{api.base}/hooks/other", secret=SECRET)
    facts = {"questionnaire": {"uid": "q1", "customer": "Acme", "filename": "q.xlsx", "url": None},
             "counts": {"filled": 1, "for_review": 2, "unanswered": 3, "total": 6}}
    with app.app_context():
        sess = db.session()
        for _ in range(3):  # a double submit, a retried request, a re-run job
            integrations.emit(sess, "questionnaire.matched", facts, key="q1")
            sess.commit()
        notify.deliver_pending(sess)
        notify.deliver_pending(sess)
    assert len(outbox_rows(app)) == 2
    assert len(api.on("/hooks/trustvault")) == 1 and len(api.on("/hooks/other")) == 1
    assert api.on("/hooks/trustvault")[0].json()["data"]["counts"] == facts["counts"]


def test_only_enabled_integrations_that_take_the_event_receive_it(app, api, connect):
    from vault import db, integrations
    from vault.integrations import service
    connect("slack", f"{api.base}/slack-a", events=["access.requested"])
    off = connect("slack", f"{api.base}/slack-b")
    connect("hubspot", api.base, secret="tok", template_id="7")  # a CRM never takes questionnaire events
    with app.app_context():
        sess = db.session()
        service.set_enabled(sess, service.get_target(sess, off), False)
        n = integrations.emit(sess, "questionnaire.matched", {"questionnaire": {}, "counts": {}}, key="q2")
        sess.commit()
    assert n == 0 and outbox_rows(app) == []


def test_an_integration_whose_secrets_no_longer_open_is_skipped_not_fatal(app, seeded, smtp_sink, api, connect):
    from vault import db
    from vault.integrations import service
    broken = connect("slack", f"{api.base}/broken")
    connect("slack", f"{api.base}/fine")
    with app.app_context():
        sess = db.session()
        row = service.get_target(sess, broken)
        good = service.get_target(sess, [t.uid for t in service.list_targets(sess) if t.uid != broken][0])
        row.endpoint_sealed = good.endpoint_sealed  # a value moved from another row does not open here
        sess.commit()
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2])
    assert client.post(confirm_link(smtp_sink, "alice@buyer.example")).status_code == 302  # the action went on
    assert len(api.on("/fine")) == 1 and api.on("/broken") == []


def test_unknown_event_or_missing_facts_are_a_programming_error(app):
    from vault import db, integrations
    with app.app_context():
        with pytest.raises(integrations.UnknownEvent):
            integrations.emit(db.session(), "access.exploded", {}, key="x")
        with pytest.raises(integrations.UnknownEvent, match="counts"):
            integrations.emit(db.session(), "questionnaire.matched", {"questionnaire": {}}, key="x")


def test_once_per_integration_and_rollback_on_postgresql(tmp_path, postgres_url, api):
    """The dedupe (INSERT ... ON CONFLICT DO NOTHING) and the rollback on the real PostgreSQL server."""
    from tests.conftest import make_app
    from vault import db, integrations, notify
    from vault.integrations import service
    from vault.storage import get_keyring
    app = make_app(tmp_path, postgres_url, NOTIFY_ALLOW_PRIVATE_TARGETS=True)
    try:
        facts = {"questionnaire": {"uid": "q9"}, "counts": {"filled": 1}}
        with app.app_context():
            sess = db.session()
            service.add_target(sess, get_keyring(), notify.Settings.from_config(app.config), kind="webhook",
                               label="pg", url=f"{api.base}/pg", secret=SECRET, events=["questionnaire.matched"],
                               language="en", languages=["en", "zh"])
            sess.commit()
            integrations.emit(sess, "questionnaire.matched", facts, key="rolled-back")
            sess.rollback()
            for _ in range(2):
                integrations.emit(sess, "questionnaire.matched", facts, key="q9")
                sess.commit()
            assert notify.deliver_pending(sess).sent == 1 and notify.deliver_pending(sess).sent == 0
        assert [r.json()["data"]["event_id"] for r in api.on("/pg")] == ["questionnaire.matched:q9"]
    finally:
        app.extensions["vault.engine"].dispose()


def test_key_rotation_reseals_integration_secrets_and_retire_waits_for_them(app, api, connect):
    """`vault keys rotate` re-seals the integrations' URLs and tokens (and a queued CRM delivery's token);
    `vault keys retire` refuses the old key while any of them still uses it; delivery works after."""
    from vault import db, integrations, notify
    from vault.integrations import service
    api.answer("/crm/v3/objects/companies/search", (200, {"total": 1, "results": [{"id": "42"}]}))
    connect("hubspot", api.base, secret="pat-rotate-me", template_id="3")
    with app.app_context():
        sess = db.session()
        integrations.emit(sess, "access.approved", {"request": None, "requester": {
            "name": "A", "email": "a@buyer.example", "company": "B", "domain": "buyer.example"},
            "grant": {"uid": "g", "by": "rules", "expires_at": "", "documents": []}}, key="rot")
        sess.commit()
        (old_key,) = service.key_usage(sess)
        (row,) = service.list_targets(sess)
        uid, old_secret = row.uid, row.secret_sealed
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from vault.storage import get_keyring
        sess = db.session()
        new_key = get_keyring().active
        assert new_key != old_key and service.key_usage(sess) == {new_key: 3}  # endpoint, token, queued row
        service.get_target(sess, uid).secret_sealed = old_secret  # as if a rewrap had not finished
        sess.commit()
    refused = runner.invoke(args=["keys", "retire", old_key, "--yes"])
    assert refused.exit_code != 0 and "1 integration secrets are still sealed by" in refused.output
    assert runner.invoke(args=["keys", "rewrap"]).exit_code == 0
    assert runner.invoke(args=["keys", "retire", old_key, "--yes"]).exit_code == 0
    with app.app_context():
        assert notify.deliver_pending(db.session()).sent == 1
    (event,) = api.on("/integrators/timeline/v3/events")
    assert event.headers["authorization"] == "Bearer pat-rotate-me" and event.json()["objectId"] == "42"
