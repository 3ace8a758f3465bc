"""The resources through the API do what the pages do, through the same services: documents and versions,
access decisions (with the requester's mail), the library with If-Match, questionnaires end to end,
subprocessors and incidents; pagination, ETags and problem documents for every kind of error."""
from __future__ import annotations

import io

import pytest

from tests.access.builders import (journey_to_review, last_mail_to, request_uid, seed as seed_access,
                                   trust_app)
from tests.api.builders import HIGH_LIMIT, api_app, bearer, user_with_token
from tests.documents.builders import SMALL_PDF, add_document, new_user
from vault import audit, db

PROBLEM = "application/problem+json"


@pytest.fixture
def app(tmp_path):
    app = api_app(tmp_path, MAX_UPLOAD_BYTES=1024 * 1024, PROPAGATE_EXCEPTIONS=False)
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def admin(app):
    return bearer(user_with_token(app, "admin")[2])


def _docs(app, n: int) -> list[str]:
    with app.app_context():
        sess = db.session()
        owner = new_user(sess, "legal")
        return [add_document(app, sess, owner, title=f"Policy {i}").uid for i in range(n)]


def test_documents_list_pages_with_signed_cursors(app, admin):
    uids = _docs(app, 3)
    c = app.test_client()
    first = c.get("/api/v1/documents?limit=2", headers=admin).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = c.get(f"/api/v1/documents?limit=2&cursor={first['next_cursor']}", headers=admin).json
    assert second["next_cursor"] is None
    assert sorted(d["id"] for d in first["items"] + second["items"]) == sorted(uids)
    tampered = first["next_cursor"][:-2] + ("AA" if not first["next_cursor"].endswith("AA") else "BB")
    for bad in (tampered, "not-a-cursor"):
        resp = c.get(f"/api/v1/documents?limit=2&cursor={bad}", headers=admin)
        assert resp.status_code == 422 and resp.content_type == PROBLEM and resp.json["field"] == "cursor"
    other_list = c.get(f"/api/v1/documents?limit=2&type=policy&cursor={first['next_cursor']}", headers=admin)
    assert other_list.status_code == 422  # a cursor belongs to its filters


def test_document_detail_has_an_etag_and_answers_304(app, admin):
    [uid] = _docs(app, 1)
    c = app.test_client()
    resp = c.get(f"/api/v1/documents/{uid}", headers=admin)
    assert resp.status_code == 200 and resp.json["versions"][0]["filename"] == SMALL_PDF.name
    assert resp.json["status"]["kind"] and resp.json["current_version"] == resp.json["versions"][0]["id"]
    again = c.get(f"/api/v1/documents/{uid}", headers={**admin, "If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


def test_document_metadata_update_needs_if_match_and_keeps_the_pages_rules_and_audit(app, admin):
    [uid] = _docs(app, 1)
    c = app.test_client()
    url = f"/api/v1/documents/{uid}"
    etag = c.get(url, headers=admin).headers["ETag"]
    change = {"visibility": "nda", "texts": {"zh": {"title": "信息安全策略", "description": "年度审阅"},
                                             "en": {"description": "Reviewed every year"}},
              "frameworks": ["iso27001", "Internal baseline"]}
    assert c.patch(url, headers=admin, json=change).status_code == 428
    done = c.patch(url, headers={**admin, "If-Match": etag}, json=change)
    assert done.status_code == 200, done.json
    assert done.json["visibility"] == "nda" and done.json["texts"]["zh"]["title"] == "信息安全策略"
    assert done.json["texts"]["en"] == {"title": "Policy 0", "description": "Reviewed every year"}  # title kept
    assert done.json["frameworks"] == sorted(["iso27001", "Internal baseline"])
    assert done.headers["ETag"] == c.get(url, headers=admin).headers["ETag"] != etag
    stale = c.patch(url, headers={**admin, "If-Match": etag}, json={"visibility": "public"})
    assert stale.status_code == 412 and stale.headers["ETag"] == done.headers["ETag"]
    assert c.get(url, headers=admin).json["visibility"] == "nda"  # not overwritten
    fresh = {**admin, "If-Match": done.headers["ETag"]}
    refusals = [({"texts": {"en": {"title": "Two\nlines"}}}, "texts.en.title"),
                ({"texts": {"en": {"title": "", "description": ""}, "zh": {"title": "", "description": ""}}},
                 "texts.en.title"),  # no title left
                ({"texts": {"zh": {"title": ""}}}, "texts.zh.title"),  # a description needs its title
                ({"type": "novel"}, "type"), ({"visibility": "everyone"}, "visibility")]
    for body, field in refusals:  # the service's checks, named by the API's field names
        resp = c.patch(url, headers=fresh, json=body)
        assert resp.status_code == 422 and resp.content_type == PROBLEM, (body, resp.json)
        assert resp.json["field"] == field, (body, resp.json)
    reader = bearer(user_with_token(app, "viewer")[2])
    assert c.patch(url, headers={**reader, "If-Match": fresh["If-Match"]}, json={"visibility": "public"}).status_code == 403
    with app.app_context():
        updates = [e for e in audit.query_events(db.session(), action="document.update") if e.object_id == uid]
    assert len(updates) == 1 and updates[0].detail["via"] == "api"  # refusals change and record nothing
    changes = updates[0].detail["changes"]
    assert changes["visibility"] == ["public", "nda"] and changes["title_zh"] == ["", "信息安全策略"]


def test_upload_a_new_version_with_the_pages_checks(app, admin):
    [uid] = _docs(app, 1)
    c = app.test_client()
    resp = c.post(f"/api/v1/documents/{uid}/versions", headers=admin, content_type="multipart/form-data",
                  data={"file": (SMALL_PDF.open("rb"), "SOC 2 报告.pdf"), "expiry_date": "2027-12-31",
                        "issuer": "Auditor LLP"})
    assert resp.status_code == 201, resp.json
    assert resp.json["number"] == 2 and resp.json["expiry_date"] == "2027-12-31"
    assert resp.headers["Location"].endswith(resp.json["id"])
    planted = c.post(f"/api/v1/documents/{uid}/versions", headers=admin, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "report.pdf")})
    assert planted.status_code == 422 and planted.content_type == PROBLEM and planted.json["field"] == "file"
    bad_dates = c.post(f"/api/v1/documents/{uid}/versions", headers=admin, content_type="multipart/form-data",
                       data={"file": (SMALL_PDF.open("rb"), "x.pdf"), "effective_date": "2027-01-02",
                             "expiry_date": "2026-01-01"})
    assert bad_dates.status_code == 422 and bad_dates.json["field"] == "expiry_date"
    assert c.get(f"/api/v1/documents/{uid}/versions", headers=admin).json["items"][-1]["number"] == 2
    with app.app_context():
        kinds = [(e.outcome, e.detail.get("refused")) for e in audit.query_events(db.session(), action="version.create")]
    assert ("failed", "executable") in kinds


def test_errors_are_problem_documents(app, admin):
    c = app.test_client()
    cases = [
        (c.get("/api/v1/no-such-thing", headers=admin), 404),
        (c.get("/api/v1/documents/nope", headers=admin), 404),
        (c.put("/api/v1/documents", headers=admin), 405),
        (c.post("/api/v1/library/entries", headers=admin, data="question=x",
                content_type="application/x-www-form-urlencoded"), 415),
        (c.post("/api/v1/library/entries", headers=admin, json={"question": ""}), 422),
        (c.post("/api/v1/library/entries", headers=admin, json={"question": "x", "surprise": 1}), 422),
        (c.get("/api/v1/documents?limit=1000", headers=admin), 422),
        (c.get("/api/v1/documents"), 401),
        (c.post("/api/v1/questionnaires", headers=admin, content_type="multipart/form-data",
                data={"customer": "Big", "file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.csv")}), 413),
    ]
    for resp, status in cases:
        assert resp.status_code == status, (status, resp.data[:300])
        body = resp.json if resp.is_json else __import__("json").loads(resp.data)
        assert resp.content_type == PROBLEM and body["status"] == status and body["type"].startswith("/api/v1/docs#problem-")
        assert body["title"] and body["detail"]
    assert cases[2][0].headers["Allow"]


def test_an_unexpected_failure_is_a_500_problem_and_saves_nothing(app, admin, monkeypatch):
    from answers.library import service
    monkeypatch.setattr(service, "list_entries", lambda *a, **k: 1 / 0)
    resp = app.test_client().get("/api/v1/library/entries", headers=admin)
    assert resp.status_code == 500 and resp.content_type == PROBLEM
    assert "ZeroDivision" not in resp.data.decode()


def test_library_search_create_update_with_if_match_and_history(app, admin):
    c = app.test_client()
    made = c.post("/api/v1/library/entries", headers=admin,
                  json={"question": "Do you encrypt backups?", "answer_short": "Yes", "tags": ["crypto"]})
    assert made.status_code == 201
    uid, etag = made.json["id"], made.headers["ETag"]
    assert c.get("/api/v1/library/entries?q=backups", headers=admin).json["items"][0]["id"] == uid
    assert c.get("/api/v1/library/entries?q=nothing-like-this", headers=admin).json["items"] == []
    got = c.get(f"/api/v1/library/entries/{uid}", headers=admin)
    assert got.headers["ETag"] == etag
    missing = c.patch(f"/api/v1/library/entries/{uid}", headers=admin, json={"answer_short": "No"})
    assert missing.status_code == 428
    ok = c.patch(f"/api/v1/library/entries/{uid}", headers={**admin, "If-Match": etag},
                 json={"answer_full": "AES-256-GCM, keys in a KMS."})
    assert ok.status_code == 200 and ok.json["revision"] == 2 and ok.headers["ETag"] != etag
    stale = c.patch(f"/api/v1/library/entries/{uid}", headers={**admin, "If-Match": etag}, json={"answer_short": "No"})
    assert stale.status_code == 412 and stale.headers["ETag"] == ok.headers["ETag"]
    assert c.get(f"/api/v1/library/entries/{uid}", headers=admin).json["answer_short"] == "Yes"  # not overwritten
    history = c.get(f"/api/v1/library/entries/{uid}/history", headers=admin).json["items"]
    assert [h["number"] for h in history] == [2, 1] and history[0]["changed_fields"] == ["answer_full"]
    bad = c.patch(f"/api/v1/library/entries/{uid}", headers={**admin, "If-Match": ok.headers["ETag"]},
                  json={"status": "nonsense"})
    assert bad.status_code == 422 and "status must be one of" in bad.json["detail"]


def test_questionnaire_upload_match_report_and_export(app, admin):
    c = app.test_client()
    c.post("/api/v1/library/entries", headers=admin, json={
        "question": "Do you encrypt customer data at rest?", "answer_short": "Yes", "status": "approved",
        "answer_full": "All customer data is encrypted at rest with AES-256."})
    csv = "ID,Question,Answer\nQ1,Do you encrypt customer data at rest?,\nQ2,What is the airspeed of a swallow?,\n"
    up = c.post("/api/v1/questionnaires", headers=admin, content_type="multipart/form-data",
                data={"customer": "Buyer Ltd", "file": (io.BytesIO(csv.encode()), "buyer.csv")})
    assert up.status_code == 201, up.json
    uid = up.json["id"]
    assert up.json["state"] == "detected" and up.json["question_count"] == 2
    report = c.get(f"/api/v1/questionnaires/{uid}/report", headers=admin).json
    assert report["summary"]["total"] == 2 and {q["question_id"] for q in report["questions"]} == {"Q1", "Q2"}
    assert all(set(q) >= {"status", "confidence", "candidates", "flags", "reason", "answer_cell"}
               for q in report["questions"])
    matched = c.post(f"/api/v1/questionnaires/{uid}/match", headers=admin)
    assert matched.status_code == 202 and matched.json["status"] == "queued", matched.json
    followed = c.get(matched.headers["Location"], headers=admin)  # JOBS_RUN=inline: it ran when the call ended
    assert followed.json["id"] == matched.json["id"] and followed.json["status"] == "done"
    assert followed.json["result"]["questions"] == 2
    assert c.get(f"/api/v1/questionnaires/{uid}", headers=admin).json["state"] == "review"
    assert c.post(f"/api/v1/questionnaires/{uid}/match", headers=admin).status_code == 409
    again = c.post(f"/api/v1/questionnaires/{uid}/match?again=true", headers=admin)
    assert again.status_code == 202
    assert c.get(again.headers["Location"], headers=admin).json["result"]["again"] is True
    other = c.post("/api/v1/questionnaires", headers=admin, content_type="multipart/form-data",
                   data={"customer": "Other Ltd", "file": (io.BytesIO(csv.encode()), "other.csv")}).json["id"]
    assert c.get(f"/api/v1/questionnaires/{other}/match/{matched.json['id']}", headers=admin).status_code == 404
    filled = c.post(f"/api/v1/questionnaires/{uid}/export", headers=admin, json={"include_suggested": True})
    assert filled.status_code == 200 and "buyer-answered" in filled.headers["Content-Disposition"]
    assert b"Q1" in filled.data
    refused = c.post("/api/v1/questionnaires", headers=admin, content_type="multipart/form-data",
                     data={"customer": "Buyer Ltd", "file": (io.BytesIO(b"\x00\x01garbage"), "x.xlsx")})
    assert refused.status_code == 422 and refused.content_type == PROBLEM


def test_subprocessors_and_incidents(app, admin):
    c = app.test_client()
    made = c.post("/api/v1/subprocessors", headers=admin, json={
        "name": "Mail Relay Inc", "purpose_en": "Sends mail", "location": "US", "website": "https://mail.example.com"})
    assert made.status_code == 201
    bad = c.post("/api/v1/subprocessors", headers=admin, json={"name": "X", "website": "javascript:alert(1)"})
    assert bad.status_code == 422 and bad.json["field"] == "website"
    uid = made.json["id"]
    assert [s["id"] for s in c.get("/api/v1/subprocessors", headers=admin).json["items"]] == [uid]
    removed = c.post(f"/api/v1/subprocessors/{uid}/remove", headers=admin)
    assert removed.status_code == 200 and removed.json["removed_on"]
    assert c.post(f"/api/v1/subprocessors/{uid}/remove", headers=admin).status_code == 422
    viewer = bearer(user_with_token(app, "viewer")[2])
    assert c.post("/api/v1/subprocessors", headers=viewer, json={"name": "Nope"}).status_code == 403
    from status import service as status_service
    from vault.db import utcnow
    with app.app_context():
        sess = db.session()
        incident = status_service.open_incident(sess, title_en="Slow API", impact="minor", now=utcnow(), author="t",
                                                update_=status_service.UpdateInput(status="investigating",
                                                                                   body_en="Looking into it"))
        sess.commit()
        incident_uid = incident.uid
    listed = c.get("/api/v1/status/incidents?unresolved=true", headers=viewer).json["items"]
    assert [i["id"] for i in listed] == [incident_uid] and listed[0]["incident_updates"][0]["body"]
    assert c.get(f"/api/v1/status/incidents/{incident_uid}", headers=viewer).json["name"] == "Slow API"


def test_access_requests_approve_deny_and_revoke_mail_as_the_pages_do(tmp_path, smtp_sink):
    app = trust_app(tmp_path, smtp_sink, API_RATE_LIMIT=HIGH_LIMIT)
    seeded = seed_access(app, tmp_path)
    _uid, sales_email, secret, _tuid = user_with_token(app, "sales")
    sales = bearer(secret)
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded, email="alice@buyer.example")
    journey_to_review(app.test_client(), smtp_sink, seeded, email="bob@buyer.example", name="Bob Buyer")
    c = app.test_client()
    pending = c.get("/api/v1/access/requests?status=pending", headers=sales).json["items"]
    assert {r["email"] for r in pending} == {"alice@buyer.example", "bob@buyer.example"}
    alice, bob = request_uid(app, "alice@buyer.example"), request_uid(app, "bob@buyer.example")
    approved = c.post(f"/api/v1/access/requests/{alice}/approve", headers=sales, json={"days": 14})
    assert approved.status_code == 201, approved.json
    grant = approved.json["grant"]
    assert grant["documents"] == [seeded.soc2] and grant["active"] and approved.json["request"]["status"] == "approved"
    assert "/trust/access/" in last_mail_to(smtp_sink, "alice@buyer.example").get_body(("plain",)).get_content()
    assert c.post(f"/api/v1/access/requests/{alice}/approve", headers=sales, json={}).status_code == 409
    denied = c.post(f"/api/v1/access/requests/{bob}/deny", headers=sales, json={"reason": "Not a customer yet"})
    assert denied.status_code == 200 and denied.json["request"]["decision_reason"] == "Not a customer yet"
    revoked = c.post(f"/api/v1/access/grants/{grant['id']}/revoke", headers=sales, json={"reason": "Deal lost"})
    assert revoked.status_code == 200 and not revoked.json["active"]
    assert c.post(f"/api/v1/access/grants/{grant['id']}/revoke", headers=sales, json={}).status_code == 409
    assert c.get("/api/v1/access/grants?active=false", headers=sales).json["items"][0]["revoke_reason"] == "Deal lost"
    with app.app_context():
        actions = {(e.action, e.actor) for e in audit.query_events(db.session(), action="access.", limit=None)}
    assert {("access.request.approve", sales_email), ("access.request.deny", sales_email),
            ("access.grant.revoke", sales_email)} <= actions
    app.extensions["vault.engine"].dispose()


def test_status_incident_opened_updated_and_closed_through_the_api(app):
    from status import service as status_service
    with app.app_context():
        sess = db.session()
        api = status_service.create_component(sess, key="api", name_en="API", now=status_service.clock())
        sess.commit()
        component = api.uid
    security = bearer(user_with_token(app, "security")[2])
    c = app.test_client()
    opened = c.post("/api/v1/status/incidents", headers=security, json={
        "title_en": "Elevated errors", "impact": "minor", "status": "investigating", "body_en": "Looking into it",
        "next_update_minutes": 30, "notify": False, "components": {component: "partial_outage"}})
    assert opened.status_code == 201, opened.json
    uid = opened.json["id"]
    assert opened.json["components"][0]["status"] == "partial_outage"
    unknown = c.post(f"/api/v1/status/incidents/{uid}/updates", headers=security,
                     json={"status": "identified", "body_en": "x", "components": {"nope": "operational"}})
    assert unknown.status_code == 422 and unknown.json["field"] == "components"
    bad = c.post(f"/api/v1/status/incidents/{uid}/updates", headers=security, json={"status": "identified"})
    assert bad.status_code == 422 and bad.json["field"] == "body_en"
    done = c.post(f"/api/v1/status/incidents/{uid}/updates", headers=security, json={
        "status": "resolved", "body_en": "Fixed", "notify": False, "components": {component: "operational"}})
    assert done.status_code == 201 and done.json["status"] == "resolved" and done.json["resolved_at"]
    again = c.post(f"/api/v1/status/incidents/{uid}/updates", headers=security, json={"status": "monitoring",
                                                                                      "body_en": "x"})
    assert again.status_code == 409
    sales = bearer(user_with_token(app, "sales")[2])
    assert c.post("/api/v1/status/incidents", headers=sales, json={"status": "investigating"}).status_code == 403


@pytest.mark.postgres
def test_two_changes_sent_at_once_with_one_etag_the_second_is_refused_on_postgresql(tmp_path, postgres_url):
    """The PATCH locks the row before comparing: while another change holds it, the PATCH waits, then sees
    the document changed (412) instead of overwriting it."""
    import threading
    from sqlalchemy import select, text
    from sqlalchemy.orm import Session
    from vault.documents import service
    from vault.documents.models import Document

    app = api_app(tmp_path, postgres_url, PROPAGATE_EXCEPTIONS=False)
    admin = bearer(user_with_token(app, "admin")[2])
    [uid] = _docs(app, 1)
    url = f"/api/v1/documents/{uid}"
    etag = app.test_client().get(url, headers=admin).headers["ETag"]
    engine = app.extensions["vault.engine"]
    answers = {}

    def patch():
        try:
            answers["patch"] = app.test_client().patch(url, headers={**admin, "If-Match": etag},
                                                       json={"visibility": "nda"})
        except BaseException as exc:  # noqa: BLE001 (shown by the assertion below)
            answers["error"] = repr(exc)

    with Session(engine) as first:
        document = first.scalar(select(Document).where(Document.uid == uid).with_for_update())
        waiter = threading.Thread(target=patch)
        waiter.start()
        with engine.connect() as conn:  # until the PATCH is waiting on the row lock (or has answered)
            waiting = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")  # a row lock is waited for on the holder's transaction id
            for _ in range(2400):  # at most a minute on a loaded machine; it breaks as soon as it waits
                blocked = conn.execute(text(waiting)).scalar()
                if blocked or not waiter.is_alive():
                    break
                threading.Event().wait(0.025)
        assert blocked and waiter.is_alive(), (blocked, waiter.is_alive(), answers)  # it waits for the row
        fields = service.DocumentFields(doc_type=document.type, visibility="internal",
                                        texts={t.language: (t.title, t.description) for t in document.texts},
                                        frameworks=list(document.frameworks))
        assert service.update_document(first, document, fields)
        first.commit()
    waiter.join(timeout=30)
    assert answers["patch"].status_code == 412, answers["patch"].json
    assert app.test_client().get(url, headers=admin).json["visibility"] == "internal"
    engine.dispose()
