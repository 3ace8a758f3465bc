"""Custom trust reports, staff side to prospect download: choose, generate, the grant lists it, the
download is watermarked and traced, no other grant and no public page reaches it, and only who may
approve grants may make one."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.access.builders import request_uid
from tests.trustreports.builders import add_content, grant_for

TITLE = "Security and trust report for Buyer Ltd"


@pytest.fixture
def staff(client_as):
    return client_as("admin", email="boss@vault.test")


@pytest.fixture
def granted(app, seeded, smtp_sink, staff):
    add_content(app)
    return grant_for(app, smtp_sink, seeded, staff)


def _report(app):
    from vault import db
    from vault.trustreports.models import TrustReport
    with app.app_context():
        report = db.session().scalar(select(TrustReport).order_by(TrustReport.id.desc()))
        return report.document.uid, report.version.uid


def generate(staff, uid, **data):
    form = {"language": "en", "sections": ["encryption"], "documents": [], "answers": ["ENC-01"], "status": "y",
            "action": "generate"}
    form.update(data)
    return staff.post(f"/admin/access/grants/{uid}/report", data=form)


def text_of(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_choose_page_offers_published_content_only(app, seeded, granted, staff):
    uid, _link = granted
    page = staff.get(f"/admin/access/grants/{uid}/report").get_data(as_text=True)
    assert "Alice Buyer" in page and "alice@buyer.example" in page
    assert "SOC 2 Type II report" in page and "Security whitepaper" in page and "Encryption" in page
    assert "Internal risk register" not in page and "Mutual NDA" not in page  # internal, NDA template
    assert 'value="soc2' not in page  # documents are picked by uid
    found = staff.post(f"/admin/access/grants/{uid}/report", data={"action": "search", "q": "encrypt",
                                                                      "language": "en"}).get_data(as_text=True)
    assert "ENC-01" in found and "DRAFT-9" not in found  # approved answers only
    grants = staff.get("/admin/access/grants").get_data(as_text=True)
    assert f"/admin/access/grants/{uid}/report" in grants


def test_generate_adds_a_watermarked_traced_report_to_the_grant(app, seeded, granted, staff, tmp_path):
    uid, link = granted
    r = generate(staff, uid, documents=[seeded.soc2, seeded.iso])
    assert r.status_code == 302, r.data
    assert "Reports on this access" in staff.get(r.headers["Location"]).get_data(as_text=True)
    document_uid, version_uid = _report(app)
    client = app.test_client()
    page = client.get(link).get_data(as_text=True)
    assert TITLE in page
    got = client.get(f"{link}/documents/{document_uid}/{version_uid}")
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    text = text_of(got.data)
    for expected in ("Security and trust report", "Alice Buyer", "Buyer Ltd", "At rest: AES-256",
                     "SOC 2 Type II report", "ISO 27001 certificate", "Do you encrypt customer data at rest?",
                     "AES-256-GCM", "Public API", "Elevated API errors", "42 min"):
        assert expected in text, expected
    from vault import db
    from vault.access.models import Download
    with app.app_context():
        dl = db.session().scalar(select(Download).order_by(Download.id.desc()))
        assert (dl.email, dl.marking, dl.version.uid) == ("alice@buyer.example", "pdf", version_uid)
        download_id = dl.download_id
    leaked = tmp_path / "leaked-report.pdf"
    leaked.write_bytes(got.data)
    result = app.test_cli_runner().invoke(args=["trace", str(leaked)])
    assert result.exit_code == 0, result.output
    assert download_id in result.output and "alice@buyer.example" in result.output
    # A second report is a new version of the same document: the grant serves the newest only.
    assert generate(staff, uid, answers=[]).status_code == 302
    new_doc, new_version = _report(app)
    assert new_doc == document_uid and new_version != version_uid
    assert client.get(f"{link}/documents/{document_uid}/{version_uid}").status_code == 404
    assert client.get(f"{link}/documents/{document_uid}/{new_version}").status_code == 200


def test_chinese_report(app, seeded, granted, staff):
    uid, link = granted
    assert generate(staff, uid, language="zh").status_code == 302
    document_uid, version_uid = _report(app)
    text = text_of(app.test_client().get(f"{link}/documents/{document_uid}/{version_uid}").data).replace("\n", "")
    assert "静态加密：AES-256" in text and "开放接口" in text and "接口错误率升高" in text


def test_no_other_grant_and_no_public_page_reaches_the_report(app, seeded, granted, staff, smtp_sink):
    uid, _link = granted
    assert generate(staff, uid).status_code == 302
    document_uid, version_uid = _report(app)
    _bob, bob_link = grant_for(app, smtp_sink, seeded, staff, email="bob@other.example", name="Bob",
                               company="Other Co")
    bob = app.test_client()
    assert TITLE not in bob.get(bob_link).get_data(as_text=True)
    assert bob.get(f"{bob_link}/documents/{document_uid}/{version_uid}").status_code == 404
    anon = app.test_client()
    assert anon.get(f"/trust/documents/{document_uid}/download").status_code == 404
    for path in ("/trust/", "/trust/request"):
        assert TITLE not in anon.get(path).get_data(as_text=True), path
    # Staff cannot add it to another approval either (an internal document is refused there).
    from tests.access.builders import journey_to_review
    journey_to_review(app.test_client(), smtp_sink, seeded, email="carol@buyer.example")
    carol = request_uid(app, "carol@buyer.example")
    assert TITLE not in staff.get(f"/admin/access/requests/{carol}").get_data(as_text=True)
    r = staff.post(f"/admin/access/requests/{carol}/approve", data={"documents": [document_uid], "days": 30})
    assert r.status_code == 400


def test_refusals_name_the_field_and_store_nothing(app, seeded, granted, staff):
    uid, _link = granted
    r = generate(staff, uid, documents=[seeded.internal])
    assert r.status_code == 400 and "no longer published" in r.get_data(as_text=True)
    r = generate(staff, uid, answers=["DRAFT-9"])
    assert r.status_code == 400 and "DRAFT-9" in r.get_data(as_text=True)
    r = generate(staff, uid, sections=[], answers=[], status="")
    assert r.status_code == 400 and "Choose something" in r.get_data(as_text=True)
    from vault import db
    from vault.documents.models import Document
    from vault.trustreports.models import TrustReport
    with app.app_context():
        assert db.session().scalar(select(func.count(TrustReport.id))) == 0
        assert db.session().scalar(select(func.count(Document.id)).where(Document.type == "other")) == 2
        assert db.session().scalar(select(func.count(Document.id)).where(Document.type == "trust_report")) == 0
    staff.post(f"/admin/access/grants/{uid}/revoke", data={})
    r = generate(staff, uid)
    assert r.status_code == 400 and "revoked or has expired" in r.get_data(as_text=True)


def test_a_report_document_stays_internal_and_keeps_its_type(app, seeded, granted, staff):
    uid, _link = granted
    assert generate(staff, uid).status_code in (200, 302, 303)
    from vault import db
    from vault.documents import service as documents
    from vault.documents.models import Document
    from vault.inputs import InvalidInput
    with app.app_context():
        sess = db.session()
        report = sess.scalar(select(Document).where(Document.type == "trust_report"))
        texts = {t.language: (t.title, t.description) for t in report.texts}
        for doc_type, visibility in (("trust_report", "public"), ("trust_report", "nda"), ("other", "internal")):
            with pytest.raises(InvalidInput) as refused:
                documents.update_document(sess, report, documents.DocumentFields(
                    doc_type=doc_type, visibility=visibility, texts=texts, frameworks=[]))
            assert refused.value.code == "trust_report"
        sess.rollback()
        assert sess.get(Document, report.id).visibility == "internal"


@pytest.mark.parametrize("role", ["security", "viewer"])
def test_only_who_may_approve_grants_makes_reports(app, seeded, granted, client_as, role):
    uid, _link = granted
    other = client_as(role)
    assert other.get(f"/admin/access/grants/{uid}/report").status_code == 403
    assert generate(other, uid).status_code == 403
    assert app.test_client().get(f"/admin/access/grants/{uid}/report").status_code in (302, 401)


def test_unknown_grant_is_404(staff, seeded):
    assert staff.get("/admin/access/grants/" + "0" * 32 + "/report").status_code == 404


def test_csrf_is_required(tmp_path, smtp_sink):
    from flask_login import FlaskLoginClient
    from tests.access.builders import trust_app
    app = trust_app(tmp_path, smtp_sink, WTF_CSRF_ENABLED=True)
    try:
        from vault import db
        from vault.auth.service import create_user
        with app.app_context():
            sess = db.session()
            user = create_user(sess, email="sales@vault.test", password="correct horse battery staple 42",
                               role="admin", actor="test")
            sess.commit()
            sess.expunge(user)
        app.test_client_class = FlaskLoginClient
        r = app.test_client(user=user).post("/admin/access/grants/x/report", data={"action": "generate"})
        assert r.status_code in (400, 404)  # unknown grant first or the missing token: nothing happens
    finally:
        app.extensions["vault.engine"].dispose()
