"""The prospect's journey through the test client: request, confirm, NDA, review, approve, download."""
from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from tests.access.builders import (access_link, accept_nda, approve, confirm_link, journey_to_review, last_mail_to,
                                   mail_text, request_uid, submit_request)


def test_request_confirm_nda_review_approve_download(app, seeded, smtp_sink, client_as):
    client = app.test_client()
    staff = client_as("sales", email="sales@vault.test")
    r = submit_request(client, documents=[seeded.soc2, seeded.pentest])
    assert r.status_code == 200 and b"Check your email" in r.data
    confirm_mail = last_mail_to(smtp_sink, "alice@buyer.example")
    assert "Confirm your email address" in confirm_mail["Subject"]

    link = confirm_link(smtp_sink, "alice@buyer.example")
    page = client.get(link)
    assert page.status_code == 200 and b"Confirm my email address" in page.data
    r = client.post(link)
    assert r.status_code == 302 and r.headers["Location"].endswith("/trust/nda")
    nda_page = client.get("/trust/nda")
    assert b"MUTUAL NON-DISCLOSURE AGREEMENT" in nda_page.data
    assert seeded.nda_version.encode() in nda_page.data

    r = accept_nda(client, seeded.nda_version)
    assert r.status_code == 200 and b"waits for review" in r.data
    assert "needs review" in last_mail_to(smtp_sink, "sales@vault.test")["Subject"]
    assert "received your request" in last_mail_to(smtp_sink, "alice@buyer.example")["Subject"]

    uid = request_uid(app, "alice@buyer.example")
    queue = staff.get("/admin/access/requests")
    assert b"Alice Buyer" in queue.data
    detail = staff.get(f"/admin/access/requests/{uid}")
    assert detail.status_code == 200 and b"Accepted online" in detail.data
    assert b"click_through" not in detail.data and b"\xc2\xb7 review<" not in detail.data  # human labels (#15)
    r = approve(app, staff, uid, [seeded.soc2, seeded.pentest], days=14)
    assert r.status_code == 302

    grant_mail = last_mail_to(smtp_sink, "alice@buyer.example")
    assert "Your access" in grant_mail["Subject"]
    assert "SOC 2 Type II report" in mail_text(grant_mail)
    link = access_link(smtp_sink, "alice@buyer.example")
    page = client.get(link)
    assert page.status_code == 200 and b"SOC 2 Type II report" in page.data
    assert page.headers["Cache-Control"] == "no-store"

    with app.app_context():
        from vault import db
        from vault.documents.service import current_version, get_document
        doc = get_document(db.session(), seeded.soc2)
        version_uid, original_size = current_version(doc).uid, current_version(doc).size
    r = client.get(f"{link}/documents/{seeded.soc2}/{version_uid}")
    assert r.status_code == 200, r.data[:500]
    assert r.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''SOC%202%20%E6%8A%A5%E5%91%8A%202025.pdf" in r.headers["Content-Disposition"]
    assert int(r.headers["Content-Length"]) == len(r.data) != original_size
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(r.data)).pages)
    assert "alice@buyer.example" in text and "Buyer Ltd" in text

    with app.app_context():
        from vault import db
        from vault.access.models import Download
        dl = db.session().scalar(select(Download))
        assert dl.email == "alice@buyer.example" and dl.marking == "pdf" and dl.grant is not None
        assert dl.download_id in text
        assert dl.ip and dl.user_agent is not None


def test_allow_listed_domain_is_approved_automatically(app, seeded, smtp_sink, client_as):
    admin = client_as("admin")
    with app.app_context():
        from vault import db
        from vault.trust.service import get_profile
        sess = db.session()
        get_profile(sess).allowed_domains = "customer.example"
        sess.commit()
    client = app.test_client()
    r = journey_to_review(client, smtp_sink, seeded, email="bob@eu.customer.example")
    assert b"Access approved" in r.data
    assert access_link(smtp_sink, "bob@eu.customer.example")
    assert admin  # staff are not asked: no review mail went out
    assert not [m for m in smtp_sink.messages if "review" in m["message"]["Subject"]]


def test_existing_grant_auto_approves_and_known_nda_skips_the_step(app, seeded, smtp_sink, client_as):
    staff = client_as("legal")
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded)
    approve(app, staff, request_uid(app, "alice@buyer.example"), [seeded.soc2])
    # Second request: NDA for the current version already accepted and an active grant -> approved at once.
    submit_request(client, documents=[seeded.pentest])
    r = client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    assert r.status_code == 200 and b"Access approved" in r.data


def test_staff_deny_emails_the_reason(app, seeded, smtp_sink, client_as):
    staff = client_as("sales")
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded)
    uid = request_uid(app, "alice@buyer.example")
    r = staff.post(f"/admin/access/requests/{uid}/deny", data={"reason": "We do not share with resellers."})
    assert r.status_code == 302
    mail = last_mail_to(smtp_sink, "alice@buyer.example")
    assert "We do not share with resellers." in mail_text(mail)
    again = staff.post(f"/admin/access/requests/{uid}/approve", data={"documents": [seeded.soc2], "days": 30})
    assert again.status_code == 400 and b"already been decided" in again.data


def test_deny_without_reason_is_refused_with_a_message(app, seeded, smtp_sink, client_as):
    staff = client_as("sales")
    journey_to_review(app.test_client(), smtp_sink, seeded)
    uid = request_uid(app, "alice@buyer.example")
    r = staff.post(f"/admin/access/requests/{uid}/deny", data={"reason": "  "})
    assert r.status_code == 400 and b"Enter your reason." in r.data


def test_all_nda_documents_request_lists_each_document(app, seeded, smtp_sink, client_as):
    client = app.test_client()
    submit_request(client, all_nda=True)
    with app.app_context():
        from vault import db
        from vault.access.models import AccessRequest
        req = db.session().scalar(select(AccessRequest))
        assert req.all_nda and {link.document.uid for link in req.documents} == {
            seeded.soc2, seeded.pentest, seeded.spreadsheet}


def test_emails_follow_the_requesters_language(app, seeded, smtp_sink):
    client = app.test_client()
    client.set_cookie("vault_lang", "zh", domain="vault.test")
    submit_request(client, documents=[seeded.soc2], email="wang@buyer.example")
    with app.app_context():
        from vault import db
        from vault.access.models import AccessRequest
        assert db.session().scalar(select(AccessRequest.language)) == "zh"
    from tests.access.builders import mail_html
    assert '<html lang="zh-CN">' in mail_html(last_mail_to(smtp_sink, "wang@buyer.example"))
    page = client.get(confirm_link(smtp_sink, "wang@buyer.example"))
    assert b'<html lang="zh-CN">' in page.data
