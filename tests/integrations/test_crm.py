"""HubSpot and Salesforce against a local receiver that checks what their APIs document: methods,
paths, bearer auth, field names; retries on 429/503, a 4xx kept as the API's own message."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.access.builders import access_link, approve, journey_to_review, request_uid
from tests.integrations.conftest import outbox_rows

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
SEARCH = "/crm/v3/objects/companies/search"
EVENTS = "/integrators/timeline/v3/events"
SF_QUERY = "/services/data/v60.0/query"
SF_TASK = "/services/data/v60.0/sobjects/Task"
COMPANY = {"total": 1, "results": [{"id": "5150", "properties": {"domain": "buyer.example", "name": "Buyer Ltd"}}]}


def _download(app, client, smtp_sink, seeded):
    from vault import db
    from vault.documents.service import current_version, get_document
    link = access_link(smtp_sink, "alice@buyer.example")
    with app.app_context():
        version_uid = current_version(get_document(db.session(), seeded.soc2)).uid
    r = client.get(f"{link}/documents/{seeded.soc2}/{version_uid}")
    assert r.status_code == 200


def test_hubspot_timeline_events_on_the_company_of_the_email_domain(app, seeded, smtp_sink, client_as, api, connect):
    api.answer(SEARCH, (200, COMPANY))
    api.answer(EVENTS, (200, {"id": "ok"}))
    connect("hubspot", api.base, secret=TOKEN, template_id="1001298")
    client, staff = app.test_client(), client_as("sales")
    journey_to_review(client, smtp_sink, seeded)
    approve(app, staff, request_uid(app, "alice@buyer.example"), [seeded.soc2])
    _download(app, client, smtp_sink, seeded)

    posted = api.on(EVENTS)
    assert [p.json()["tokens"]["event"] for p in posted] == [
        "access.requested", "nda.signed", "access.approved", "document.downloaded"]
    rows = {r.uid: r for r in outbox_rows(app)}
    for search in api.on(SEARCH):
        assert search.method == "POST" and search.headers["authorization"] == f"Bearer {TOKEN}"
        assert search.headers["content-type"].startswith("application/json")
        assert search.json() == {"filterGroups": [{"filters": [
            {"propertyName": "domain", "operator": "EQ", "value": "buyer.example"}]}],
            "properties": ["domain", "name"], "limit": 1}
    for p in posted:
        body = p.json()
        assert p.method == "POST" and p.headers["authorization"] == f"Bearer {TOKEN}"
        assert body["eventTemplateId"] == "1001298" and body["objectId"] == "5150"
        assert body["id"] in rows and rows[body["id"]].status == "sent"  # our delivery id: HubSpot keeps one per id
        assert body["timestamp"].endswith("Z")
        assert body["tokens"]["email"] == "alice@buyer.example" and body["tokens"]["company"] == "Buyer Ltd"
        assert body["extraData"]["requester"]["domain"] == "buyer.example"
    requested = posted[0].json()
    assert requested["tokens"]["link"].startswith("https://trust.example.test/admin/access/requests/")
    assert requested["extraData"]["documents"] == ["SOC 2 Type II report"]
    # The token is sealed in every outbox row, and cleared once sent.
    assert all(TOKEN not in repr(vars(r)) for r in rows.values())
    assert all(r.secret is None for r in rows.values())


def _emit_and_deliver(app, name="access.approved", email="dana@nobody.example", now=None, deliver=True):
    from vault import db, integrations, notify
    facts = {"request": None, "requester": {"name": "Dana", "email": email, "company": "Nobody Inc",
                                            "domain": email.rpartition("@")[2]},
             "grant": {"uid": "g1", "by": "staff", "expires_at": "2027-01-01T00:00:00+00:00", "documents": ["X"]}}
    with app.app_context():  # no request: only this test delivers
        sess = db.session()
        integrations.emit(sess, name, facts, key="k-" + email)
        sess.commit()
        if deliver:
            notify.deliver_pending(sess, now=now)


def test_hubspot_token_stays_sealed_while_queued(app, api, connect):
    connect("hubspot", api.base, secret=TOKEN, template_id="77")
    _emit_and_deliver(app, deliver=False)
    (queued,) = outbox_rows(app)
    assert queued.status == "queued" and queued.secret.startswith("v1:") and TOKEN not in repr(vars(queued))
    with app.app_context():
        from vault import db
        from vault.integrations.models import IntegrationTarget
        row = db.session().scalar(select(IntegrationTarget))
        assert TOKEN not in repr(vars(row)) and "127.0.0.1" not in row.endpoint_sealed


def _deliver_at(app, when):
    from vault import db, notify
    with app.app_context():
        return notify.deliver_pending(db.session(), now=when)


def test_hubspot_no_company_writes_nothing_and_says_so(app, api, connect):
    api.answer(SEARCH, (200, {"total": 0, "results": []}))
    connect("hubspot", api.base, secret=TOKEN, template_id="77")
    _emit_and_deliver(app)
    assert api.on(EVENTS) == []
    (row,) = outbox_rows(app)
    assert row.status == "dead" and row.last_error == "no company for nobody.example" and row.attempts == 1


def test_hubspot_fallback_company_takes_the_unmatched(app, api, connect):
    api.answer(SEARCH, (200, {"total": 0, "results": []}))
    connect("hubspot", api.base, secret=TOKEN, template_id="77", fallback="999")
    _emit_and_deliver(app)
    (posted,) = api.on(EVENTS)
    assert posted.json()["objectId"] == "999"


def test_hubspot_429_and_503_are_retried_with_the_same_event_id(app, api, connect):
    from vault.db import utcnow
    api.answer(SEARCH, (200, COMPANY))
    api.answer(EVENTS, (429, {"status": "error", "errorType": "RATE_LIMIT", "message": "You have reached your "
                              "secondly limit."}, {"Retry-After": "7"}),
               (503, "Service Unavailable"), (200, {"id": "ok"}))
    connect("hubspot", api.base, secret=TOKEN, template_id="77")
    start = utcnow() + timedelta(seconds=1)  # the row is due
    _emit_and_deliver(app, email="alice@buyer.example", now=start)
    (row,) = outbox_rows(app)
    assert row.status == "retry" and "429" in row.last_error and "secondly limit" in row.last_error
    assert timedelta(seconds=6) <= row.next_attempt_at - start <= timedelta(seconds=8)
    _deliver_at(app, start + timedelta(seconds=8))
    (row,) = outbox_rows(app)
    assert row.status == "retry" and "503" in row.last_error
    assert _deliver_at(app, start + timedelta(seconds=9)).sent == 0  # not due yet: the backoff holds
    _deliver_at(app, start + timedelta(minutes=10))
    (row,) = outbox_rows(app)
    assert row.status == "sent" and row.attempts == 3
    ids = {p.json()["id"] for p in api.on(EVENTS)}
    assert len(api.on(EVENTS)) == 3 and ids == {row.uid}
    assert _deliver_at(app, start + timedelta(days=1)).sent == 0 and len(api.on(EVENTS)) == 3  # never again


def test_hubspot_4xx_is_dead_with_the_apis_message(app, api, connect):
    api.answer(SEARCH, (200, COMPANY))
    api.answer(EVENTS, (400, {"status": "error", "message": "Token 'summary' is not defined on template 77",
                              "correlationId": "c0ffee", "category": "VALIDATION_ERROR"}))
    connect("hubspot", api.base, secret=TOKEN, template_id="77")
    _emit_and_deliver(app, email="alice@buyer.example")
    (row,) = outbox_rows(app)
    assert row.status == "dead" and row.attempts == 1
    assert row.last_error.startswith("HubSpot timeline event: 127.0.0.1 answered HTTP 400")
    assert "Token 'summary' is not defined on template 77" in row.last_error


def test_salesforce_task_on_the_account_whose_website_is_the_domain(app, api, connect):
    api.answer(SF_QUERY, (200, {"totalSize": 2, "done": True, "records": [
        {"attributes": {"type": "Account"}, "Id": "001000000000AAA", "Name": "Not Buyer", "Website": "notbuyer.example"},
        {"attributes": {"type": "Account"}, "Id": "001000000000BBBAAA", "Name": "Buyer",
         "Website": "https://www.Buyer.example/"}]}))
    api.answer(SF_TASK, (201, {"id": "00T000000000001", "success": True, "errors": []}))
    connect("salesforce", api.base, secret="00D!AQ4AQFake.Session.Token")
    _emit_and_deliver(app, email="alice@buyer.example")
    (query,) = api.on(SF_QUERY)
    assert query.method == "GET" and query.headers["authorization"] == "Bearer 00D!AQ4AQFake.Session.Token"
    assert query.query["q"] == ["SELECT Id, Name, Website FROM Account WHERE Website LIKE '%buyer.example%' "
                                "ORDER BY CreatedDate LIMIT 20"]
    (task,) = api.on(SF_TASK)
    body = task.json()
    assert task.method == "POST" and task.headers["content-type"].startswith("application/json")
    assert body["WhatId"] == "001000000000BBBAAA" and body["Subject"] == "Access approved: Nobody Inc"
    assert body["Status"] == "Completed" and body["Priority"] == "Normal"
    assert len(body["ActivityDate"]) == 10 and body["ActivityDate"][4] == "-"
    (row,) = outbox_rows(app)
    assert row.status == "sent" and f"trustvault delivery {row.uid}" in body["Description"]


def test_salesforce_expired_session_is_dead_with_its_error_code(app, api, connect):
    api.answer(SF_QUERY, (401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]))
    connect("salesforce", api.base, secret="expired", api_version="60.0")
    _emit_and_deliver(app, email="alice@buyer.example")
    (row,) = outbox_rows(app)
    assert row.status == "dead" and "INVALID_SESSION_ID" in row.last_error and api.on(SF_TASK) == []


def test_salesforce_no_account_writes_nothing(app, api, connect):
    api.answer(SF_QUERY, (200, {"totalSize": 0, "done": True, "records": []}))
    connect("salesforce", api.base, secret="tok")
    _emit_and_deliver(app)
    (row,) = outbox_rows(app)
    assert row.status == "dead" and row.last_error == "no account for nobody.example" and api.on(SF_TASK) == []
