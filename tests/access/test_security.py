"""Each access rule attacked (docs: THREATS.md): wrong person, expired, revoked, replayed and forwarded
links, mail scanners, forged NDA versions, withdrawn versions, blocked domains, HEAD and Range."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.access.builders import (access_link, accept_nda, approve, confirm_link, journey_to_review, new_nda_version,
                                   request_uid, submit_request)


def _db(app):
    from vault import db
    return db.session()


def _audit(app, action: str, outcome: str | None = None) -> list:
    from vault.audit import AuditEvent
    with app.app_context():
        stmt = select(AuditEvent).where(AuditEvent.action == action)
        if outcome:
            stmt = stmt.where(AuditEvent.outcome == outcome)
        return list(_db(app).scalars(stmt))


def _count(app, model) -> int:
    with app.app_context():
        return _db(app).scalar(select(func.count()).select_from(model))


def _version_uid(app, document_uid: str) -> str:
    from vault.documents.service import current_version, get_document
    with app.app_context():
        return current_version(get_document(_db(app), document_uid)).uid


def _granted(app, smtp_sink, seeded, staff, email="alice@buyer.example", documents=None) -> str:
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded, email=email)
    approve(app, staff, request_uid(app, email), documents or [seeded.soc2])
    return access_link(smtp_sink, email)


@pytest.fixture
def staff(client_as):
    return client_as("sales")


# --- grants: wrong person, expired, revoked, second browser ------------------------------------

def test_another_persons_document_is_404_and_logged(app, seeded, smtp_sink, staff):
    alice = _granted(app, smtp_sink, seeded, staff, documents=[seeded.soc2])
    bob = _granted(app, smtp_sink, seeded, staff, email="bob@other.example", documents=[seeded.pentest])
    client = app.test_client()
    pentest_version = _version_uid(app, seeded.pentest)
    assert client.get(f"{bob}/documents/{seeded.pentest}/{pentest_version}").status_code == 200
    # Alice's link, Bob's document: not in her grant.
    r = client.get(f"{alice}/documents/{seeded.pentest}/{pentest_version}")
    assert r.status_code == 404
    # Internal documents are never served, whatever uid is typed.
    assert client.get(f"{alice}/documents/{seeded.internal}/{_version_uid(app, seeded.internal)}").status_code == 404
    refused = _audit(app, "access.denied", "denied")
    assert [e.detail["refused"] for e in refused] == ["not_in_grant_or_not_current", "not_in_grant_or_not_current"]


def test_expired_grant_is_404_and_logged(app, seeded, smtp_sink, staff):
    link = _granted(app, smtp_sink, seeded, staff)
    from vault.access.models import Grant
    from vault.db import utcnow
    with app.app_context():
        sess = _db(app)
        grant = sess.scalar(select(Grant))
        grant.expires_at = utcnow() - timedelta(seconds=1)
        sess.commit()
    # A page saying so, with a way to ask again (410: the link worked once), not a bare 404 (#15).
    page = app.test_client().get(link)
    assert page.status_code == 410 and b"has expired" in page.data and b'href="/trust/request"' in page.data
    assert page.headers["Cache-Control"] == "no-store"
    zh = app.test_client().get(link, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 410 and "已过期" in zh.get_data(as_text=True) and "重新申请访问" in zh.get_data(as_text=True)
    assert app.test_client().get(f"{link}/documents/{seeded.soc2}/{_version_uid(app, seeded.soc2)}").status_code == 410
    assert {e.detail["refused"] for e in _audit(app, "access.denied")} == {"expired"}


def test_revoke_kills_the_link_in_every_browser_at_once(app, seeded, smtp_sink, staff):
    link = _granted(app, smtp_sink, seeded, staff)
    first, second = app.test_client(), app.test_client()
    download = f"{link}/documents/{seeded.soc2}/{_version_uid(app, seeded.soc2)}"
    assert first.get(link).status_code == 200 and first.get(download).status_code == 200
    from vault.access.models import Grant
    with app.app_context():
        grant_uid = _db(app).scalar(select(Grant.uid))
    r = staff.post(f"/admin/access/grants/{grant_uid}/revoke", data={"reason": "Deal lost"})
    assert r.status_code == 302
    for client in (first, second):  # the browser that used it, and a fresh one the link was forwarded to
        page = client.get(link)
        assert page.status_code == 410 and b"has been withdrawn" in page.data and b"Request access again" in page.data
        assert client.get(download).status_code == 410
    assert {e.detail["refused"] for e in _audit(app, "access.denied")} == {"revoked"}
    assert _audit(app, "access.grant.revoke")[0].detail["reason"] == "Deal lost"


def test_blocking_a_domain_ends_its_grants_on_the_next_request(app, seeded, smtp_sink, staff):
    link = _granted(app, smtp_sink, seeded, staff)
    client = app.test_client()
    assert client.get(link).status_code == 200
    with app.app_context():
        from vault.trust.service import get_profile
        sess = _db(app)
        get_profile(sess).blocked_domains = "buyer.example"
        sess.commit()
    assert client.get(link).status_code == 404
    assert {e.detail["refused"] for e in _audit(app, "access.denied")} == {"blocked_domain"}


def test_withdrawn_or_old_versions_are_404(app, seeded, smtp_sink, staff, tmp_path):
    link = _granted(app, smtp_sink, seeded, staff)
    from tests.documents.builders import SMALL_PDF, add_version
    from vault.auth.models import User
    from vault.documents import service as documents
    old_uid = _version_uid(app, seeded.soc2)
    with app.app_context():
        sess = _db(app)
        doc = documents.get_document(sess, seeded.soc2)
        new = add_version(app, sess, doc, sess.get(User, seeded.owner_id), SMALL_PDF)
        new_uid = new.uid
    client = app.test_client()
    assert client.get(f"{link}/documents/{seeded.soc2}/{old_uid}").status_code == 404  # superseded
    assert client.get(f"{link}/documents/{seeded.soc2}/{new_uid}").status_code == 200
    with app.app_context():
        sess = _db(app)
        version = documents.get_version(sess, documents.get_document(sess, seeded.soc2), new_uid)
        documents.withdraw_version(sess, version, by=sess.get(User, seeded.owner_id), reason="Wrong file")
        sess.commit()
    assert client.get(f"{link}/documents/{seeded.soc2}/{new_uid}").status_code == 404
    # The withdrawn version's predecessor is current again and served.
    assert client.get(f"{link}/documents/{seeded.soc2}/{old_uid}").status_code == 200


def test_document_made_internal_is_no_longer_served(app, seeded, smtp_sink, staff):
    link = _granted(app, smtp_sink, seeded, staff)
    from vault.documents.service import get_document
    with app.app_context():
        sess = _db(app)
        get_document(sess, seeded.soc2).visibility = "internal"
        sess.commit()
    client = app.test_client()
    assert client.get(f"{link}/documents/{seeded.soc2}/{_version_uid(app, seeded.soc2)}").status_code == 404
    assert b"SOC 2" not in client.get(link).data


def test_tokens_are_long_random_and_stored_only_as_hashes(app, seeded, smtp_sink, staff):
    link = _granted(app, smtp_sink, seeded, staff)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits in URL-safe base64
    from vault.access.models import EmailConfirmation, Grant
    from vault.tokens import hash_token
    with app.app_context():
        sess = _db(app)
        grant = sess.scalar(select(Grant))
        assert grant.token_hash == hash_token(token) and token not in grant.token_hash
        assert grant.uid not in link and str(grant.id) != token
        for conf in sess.scalars(select(EmailConfirmation)):
            assert len(conf.token_hash) == 64
    assert app.test_client().get(link[:-1] + ("A" if link[-1] != "A" else "B")).status_code == 404
    assert app.test_client().get("/trust/access/" + "x" * 500).status_code == 404


# --- email confirmation: mail scanners, replay, expiry -----------------------------------------

def test_mail_scanner_get_does_not_consume_and_post_is_one_time(app, seeded, smtp_sink):
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2])
    link = confirm_link(smtp_sink, "alice@buyer.example")
    for _ in range(3):  # a scanner, a preview pane, the person
        assert app.test_client().get(link).status_code == 200
    assert client.post(link).status_code == 302
    replay = app.test_client().post(link)
    assert replay.status_code == 404 and b"not valid" in replay.data
    assert app.test_client().get(link).status_code == 404
    assert len(_audit(app, "access.email.confirm", "denied")) == 1


def test_confirmation_link_expires(app, seeded, smtp_sink):
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2])
    link = confirm_link(smtp_sink, "alice@buyer.example")
    from vault.access.models import EmailConfirmation
    from vault.db import utcnow
    with app.app_context():
        sess = _db(app)
        sess.scalar(select(EmailConfirmation)).expires_at = utcnow() - timedelta(seconds=1)
        sess.commit()
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404


def test_nda_page_needs_a_confirmed_request_in_this_browser(app, seeded, smtp_sink):
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2])
    assert client.get("/trust/nda").status_code == 404  # not confirmed yet
    assert accept_nda(client, seeded.nda_version).status_code == 404
    client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    assert app.test_client().get("/trust/nda").status_code == 404  # another browser
    assert client.get("/trust/nda").status_code == 200


# --- NDA tampering ------------------------------------------------------------------------------

@pytest.mark.parametrize("posted", ["", "0" * 32, "missing", "../../etc/passwd", "x" * 300])
def test_forged_or_missing_nda_version_is_refused(app, seeded, smtp_sink, posted):
    from vault.access.models import NdaAcceptance
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2])
    client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    data = {"full_name": "Alice Buyer", "accept": "y"}
    if posted != "missing":
        data["nda_version"] = posted
    r = client.post("/trust/nda", data=data)
    assert r.status_code == 400 and b"The NDA has changed" in r.data
    assert _count(app, NdaAcceptance) == 0
    assert _audit(app, "access.nda.accept", "denied")


def test_old_nda_version_is_refused_and_new_version_needs_new_acceptance(app, seeded, smtp_sink, staff, tmp_path):
    from vault.access.models import NdaAcceptance
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded)  # accepted version 1
    v2 = new_nda_version(app, tmp_path, seeded)
    submit_request(client, documents=[seeded.pentest])
    r = client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    assert r.status_code == 302 and r.headers["Location"].endswith("/trust/nda")  # v1 no longer covers new grants
    page = client.get("/trust/nda")
    assert v2.encode() in page.data and b"Version 2." in page.data
    assert accept_nda(client, seeded.nda_version).status_code == 400  # the old text
    assert accept_nda(client, v2).status_code == 200
    with app.app_context():
        rows = list(_db(app).scalars(select(NdaAcceptance).order_by(NdaAcceptance.id)))
        assert [a.nda_version_uid for a in rows] == [seeded.nda_version, v2]
        from vault.documents.service import get_document, current_version
        current = current_version(get_document(_db(app), seeded.nda_doc))
        assert rows[1].nda_sha256 == current.sha256 and rows[1].ip and rows[1].full_name == "Alice Buyer"


def test_acceptance_needs_the_box_and_a_typed_name(app, seeded, smtp_sink):
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2])
    client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    r = client.post("/trust/nda", data={"nda_version": seeded.nda_version, "full_name": "Alice"})
    assert r.status_code == 400 and b"Tick the box" in r.data
    r = client.post("/trust/nda", data={"nda_version": seeded.nda_version, "full_name": " ", "accept": "y"})
    assert r.status_code == 400 and b"Enter your full name" in r.data


# --- request form ----------------------------------------------------------------------------------

@pytest.mark.parametrize("email,message", [
    ("someone@gmail.com", b"work email address"),
    ("someone@mail.qq.com", b"work email address"),
    ("spy@rival.example", b"not accepted"),
    ("spy@eu.rival.example", b"not accepted"),
    ("not-an-email", b"valid email"),
    ("<img src=x>@x.com", b"valid email"),
])
def test_free_mail_blocked_and_malformed_addresses_are_refused(app, seeded, smtp_sink, email, message):
    from vault.access.models import AccessRequest
    with app.app_context():
        from vault.trust.service import get_profile
        sess = _db(app)
        get_profile(sess).blocked_domains = "rival.example"
        sess.commit()
    r = submit_request(app.test_client(), documents=[seeded.soc2], email=email)
    assert r.status_code == 400 and message in r.data
    assert _count(app, AccessRequest) == 0 and not smtp_sink.messages


def test_only_published_nda_documents_can_be_requested(app, seeded, smtp_sink):
    from vault.access.models import AccessRequest
    client = app.test_client()
    for uid in (seeded.internal, seeded.whitepaper, seeded.nda_doc, "../" + seeded.soc2):
        r = submit_request(client, documents=[uid])
        assert r.status_code == 400 and b"not available" in r.data
    r = submit_request(client, documents=[])
    assert r.status_code == 400 and b"Choose at least one document" in r.data
    assert _count(app, AccessRequest) == 0


def test_request_form_is_rate_limited(app, seeded, smtp_sink):
    app.config["ACCESS_REQUEST_LIMIT"] = "2 per hour"
    client = app.test_client()
    codes = [submit_request(client, documents=[seeded.soc2], email=f"p{i}@buyer.example").status_code
             for i in range(3)]
    assert codes == [200, 200, 429]


def test_host_header_cannot_redirect_emailed_links(app, seeded, smtp_sink):
    app.config["PUBLIC_BASE_URL"] = "https://trust.example.com"
    client = app.test_client()
    client.post("/trust/request", data={"name": "A", "email": "alice@buyer.example", "company": "B",
                                        "documents": [seeded.soc2]}, headers={"Host": "evil.example"})
    from tests.access.builders import last_mail_to, links_in
    links = links_in(last_mail_to(smtp_sink, "alice@buyer.example"), "/trust/confirm/")
    assert links and all(link.startswith("https://trust.example.com/trust/confirm/") for link in links)


# --- downloads: HEAD, Range, formats that cannot be marked, broken files ------------------------

def test_head_and_range_do_not_bypass_the_watermark(app, seeded, smtp_sink, staff):
    from vault.access.models import Download
    link = _granted(app, smtp_sink, seeded, staff)
    url = f"{link}/documents/{seeded.soc2}/{_version_uid(app, seeded.soc2)}"
    client = app.test_client()
    head = client.head(url)
    assert head.status_code == 200 and head.data == b"" and head.headers["Cache-Control"] == "no-store"
    # The marked copy's length is unknown until it is made: HEAD promises none (it said 0 before #18).
    assert "Content-Length" not in head.headers
    assert _count(app, Download) == 0
    assert app.test_client().head(f"{link[:-2]}zz/documents/{seeded.soc2}/x").status_code == 404
    ranged = client.get(url, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 200 and ranged.headers["Accept-Ranges"] == "none"
    assert int(ranged.headers["Content-Length"]) == len(ranged.data) > 100
    assert b"/TrustvaultDownloadId" in ranged.data
    assert _count(app, Download) == 1


def test_unmarkable_format_is_refused_until_staff_allow_it(app, seeded, smtp_sink, client_as, staff):
    from vault.access.models import Download
    link = _granted(app, smtp_sink, seeded, staff, documents=[seeded.spreadsheet])
    url = f"{link}/documents/{seeded.spreadsheet}/{_version_uid(app, seeded.spreadsheet)}"
    client = app.test_client()
    r = client.get(url)
    assert r.status_code == 409 and b"cannot carry a personal mark" in r.data
    assert _count(app, Download) == 0
    editor = client_as("security")
    assert staff.post(f"/admin/access/documents/{seeded.spreadsheet}/unmarked", data={"allow": "y"}).status_code == 403
    assert editor.post(f"/admin/access/documents/{seeded.spreadsheet}/unmarked", data={"allow": "y"}).status_code == 302
    r = client.get(url)
    assert r.status_code == 200 and r.data[:2] == b"PK"
    with app.app_context():
        assert _db(app).scalar(select(Download.marking)) == "unmarked"
    assert _audit(app, "document.unmarked_download")[0].detail == {"allow": True}


def test_watermark_failure_gives_a_clear_409_and_never_the_original(app, seeded, smtp_sink, staff):
    """A PDF that slipped past upload checks (stored directly here) must not be served unmarked."""
    from tests.documents.builders import TRUNCATED_PDF
    from vault.access.models import Download
    from vault.auth.models import User
    from vault.documents.models import DocumentVersion, blob_context, new_uid
    from vault.documents.service import get_document
    from vault.storage.service import save_blob
    broken = TRUNCATED_PDF.read_bytes()
    with app.app_context():
        sess = _db(app)
        doc = get_document(sess, seeded.pentest)
        uid = new_uid()
        blob = save_blob(sess, [broken], context=blob_context(doc.uid, uid))
        sess.add(DocumentVersion(uid=uid, document=doc, number=2, blob=blob, filename="broken.pdf",
                                 media_type="application/pdf", size=blob.size, sha256=blob.sha256,
                                 uploader=sess.get(User, seeded.owner_id)))
        sess.commit()
    link = _granted(app, smtp_sink, seeded, staff, documents=[seeded.pentest])
    r = app.test_client().get(f"{link}/documents/{seeded.pentest}/{uid}")
    assert r.status_code == 409 and b"could not be marked" in r.data
    assert broken[:200] not in r.data
    assert _count(app, Download) == 0
    assert _audit(app, "access.download", "failed")



def test_unreadable_object_gives_503_and_rolls_the_download_back(app, seeded, smtp_sink, staff):
    from pathlib import Path
    from vault.access.models import Download
    from vault.documents.service import current_version, get_document
    link = _granted(app, smtp_sink, seeded, staff)
    with app.app_context():
        for uid in (seeded.soc2, seeded.nda_doc):
            blob = current_version(get_document(_db(app), uid)).blob
            (Path(app.config["STORAGE_PATH"]) / blob.key).unlink()
    version_uid = _version_uid(app, seeded.soc2)
    r = app.test_client().get(f"{link}/documents/{seeded.soc2}/{version_uid}")
    assert r.status_code == 503 and b"could not be read" in r.data
    [event] = _audit(app, "access.download", "failed")
    assert event.object_id == version_uid and event.detail["error"].startswith("ObjectMissing: ")
    assert event.detail["marking"] and event.detail["download_id"] and event.detail["document"] == seeded.soc2
    assert _count(app, Download) == 0
    assert app.test_client().get(f"/trust/nda/{seeded.nda_version}").status_code == 503

# --- CSRF -----------------------------------------------------------------------------------------

def test_csrf_is_required_on_every_state_change(tmp_path, smtp_sink, make_user):
    from flask_login import FlaskLoginClient
    from tests.access.builders import seed, trust_app
    app = trust_app(tmp_path, smtp_sink, WTF_CSRF_ENABLED=True)
    try:
        seeded = seed(app, tmp_path)
        from vault.access.models import AccessRequest, Grant
        anon = app.test_client()
        r = anon.post("/trust/request", data={"name": "A", "email": "a@buyer.example", "company": "B",
                                              "documents": [seeded.soc2]})
        assert r.status_code == 400 and _count(app, AccessRequest) == 0
        assert anon.post("/trust/confirm/" + "a" * 43).status_code == 400
        assert anon.post("/trust/nda", data={"nda_version": seeded.nda_version}).status_code == 400
        from vault import db
        from vault.auth.service import create_user
        with app.app_context():
            sess = db.session()
            user = create_user(sess, email="sales@vault.test", password="correct horse battery staple 42",
                               role="admin", actor="test")
            sess.commit()
            sess.expunge(user)
        app.test_client_class = FlaskLoginClient
        staff = app.test_client(user=user)
        for url in ("/admin/access/requests/x/approve", "/admin/access/requests/x/deny",
                    "/admin/access/grants/x/revoke", f"/admin/access/documents/{seeded.spreadsheet}/unmarked",
                    "/admin/access/ndas", "/admin/access/trace", "/admin/trust"):
            assert staff.post(url, data={"reason": "x", "allow": "y"}).status_code == 400, url
        with app.app_context():
            from vault.documents.service import get_document
            assert not get_document(db.session(), seeded.spreadsheet).allow_unmarked_download
        assert _count(app, Grant) == 0
    finally:
        app.extensions["vault.engine"].dispose()


# --- permissions ----------------------------------------------------------------------------------

def test_staff_pages_need_the_right_permission(app, seeded, smtp_sink, client_as):
    viewer = client_as("viewer")
    for url in ("/admin/access/requests", "/admin/access/grants", "/admin/access/downloads", "/admin/access/trace",
                "/admin/access/ndas", "/admin/trust"):
        assert viewer.get(url).status_code == 403, url
    assert app.test_client().get("/admin/access/requests").status_code in (302, 401)
    security = client_as("security")  # may look, may not decide
    journey_to_review(app.test_client(), smtp_sink, seeded)
    uid = request_uid(app, "alice@buyer.example")
    assert security.get(f"/admin/access/requests/{uid}").status_code == 200
    assert security.post(f"/admin/access/requests/{uid}/approve", data={"documents": [seeded.soc2]}).status_code == 403
    assert _audit(app, "permission.denied", "denied")


def test_sent_access_links_are_not_kept_in_the_notification_outbox(app, smtp_sink):
    """Tokens are stored only as hashes: once the email is sent, its body (with the link) is erased."""
    from sqlalchemy import select

    from vault import db, notify
    from vault.notify.models import Outbox

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.port, MAIL_FROM="vault@example.com")
    with app.app_context():
        sess = db.session()
        notify.send_email(sess, to="p@example.org", subject="Confirm", text="https://x/confirm/SECRET-TOKEN",
                          sensitive=True)
        notify.send_email(sess, to="p@example.org", subject="Hello", text="no secrets here")
        sess.commit()
        notify.deliver_pending(sess)
        bodies = {row.subject: row.body_text for row in sess.scalars(select(Outbox))}
    assert "SECRET-TOKEN" not in bodies["Confirm"] and bodies["Hello"] == "no secrets here"
    assert any("SECRET-TOKEN" in m["message"].get_body(("plain",)).get_content() for m in smtp_sink.messages)


def test_an_nda_past_its_term_no_longer_covers_new_grants(app):
    from datetime import timedelta

    from vault import db
    from vault.access import service
    from vault.access.models import NdaAcceptance, NdaMethod
    from vault.db import utcnow

    with app.app_context():
        sess = db.session()
        now = utcnow()
        sess.add(NdaAcceptance(method=NdaMethod.SIGNED_OFFLINE.value, email="old@corp.example", full_name="Old",
                               company="Corp", accepted_at=now - timedelta(days=800),
                               expires_on=(now - timedelta(days=70)).date()))
        sess.commit()
        assert service.nda_on_file(sess, "old@corp.example", now) is None
        assert service.nda_on_file(sess, "old@corp.example", now - timedelta(days=100)) is not None
