"""Staff pages: permissions per role, IDOR, bad input on the form, downloads, audit."""
import io
import re
from urllib.parse import unquote

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.documents.builders import (ENCRYPTED_PDFS, SMALL_PDF, TRUNCATED_PDF, VALID_PDF, add_document, new_user,
                                      stored_keys)
from vault import audit, db
from vault.auth.models import User
from vault.documents import service
from vault.documents.models import Document, DocumentVersion


@pytest.fixture
def doc(app):
    """A committed document with one version (SMALL_PDF), owned by a security user."""
    with app.app_context():
        sess = db.session()
        owner = new_user(sess)
        d = add_document(app, sess, owner, title_zh="ISO 27001 证书", filename="证书 2025.pdf")
        return {"uid": d.uid, "version": d.versions[0].uid}


def events(app, action):
    with app.app_context():
        return audit.query_events(db.session(), action=action)


def form_data(**overrides):
    data = {"title_en": "SOC 2 Type II report", "title_zh": "", "description_en": "", "description_zh": "",
            "doc_type": "audit_report", "visibility": "nda", "frameworks": ["soc2"], "custom_frameworks": "",
            "issuer": "Example Assurance LLP", "notes": "", "effective_date": "2025-01-01",
            "expiry_date": "2026-01-01", "audit_period_start": "", "audit_period_end": ""}
    data.update(overrides)
    return data


def upload(path=SMALL_PDF, name=None, data=None):
    return (io.BytesIO(data if data is not None else path.read_bytes()), name or path.name)


# --- permissions ------------------------------------------------------------------------------

@pytest.mark.parametrize("role, can_edit, can_download", [
    ("admin", True, True), ("security", True, True), ("legal", True, True), ("sales", False, True),
    ("viewer", False, False)])
def test_permissions_per_role(client_as, doc, role, can_edit, can_download):
    c = client_as(role)
    assert c.get("/documents/").status_code == 200
    assert c.get(f"/documents/{doc['uid']}").status_code == 200
    assert c.get("/documents/new").status_code == (200 if can_edit else 403)
    assert c.get(f"/documents/{doc['uid']}/edit").status_code == (200 if can_edit else 403)
    assert c.get(f"/documents/{doc['uid']}/versions/new").status_code == (200 if can_edit else 403)
    resp = c.get(f"/documents/{doc['uid']}/versions/{doc['version']}/download")
    assert resp.status_code == (200 if can_download else 403)


def test_anonymous_is_sent_to_login(client, doc):
    resp = client.get(f"/documents/{doc['uid']}")
    assert resp.status_code in (302, 401)
    assert client.get(f"/documents/{doc['uid']}/versions/{doc['version']}/download").status_code in (302, 401)


def test_viewer_cannot_upload_and_is_audited(app, client_as, doc):
    c = client_as("viewer")
    resp = c.post(f"/documents/{doc['uid']}/versions/new", data={"file": upload()},
                  content_type="multipart/form-data")
    assert resp.status_code == 403
    denied = events(app, "permission.denied")
    assert denied and denied[0].actor == c.user.email and denied[0].detail["permission"] == "documents.edit"
    assert len(stored_keys(app)) == 1


@pytest.mark.parametrize("path", [
    "/documents/{nothing}", "/documents/{nothing}/edit", "/documents/{nothing}/versions/new",
    "/documents/{uid}/versions/{nothing}/download", "/documents/{nothing}/versions/{version}/download"])
def test_unknown_uids_are_404(client_as, doc, path):
    c = client_as("admin")
    assert c.get(path.format(nothing="0" * 32, **doc)).status_code == 404


def test_version_of_another_document_is_404(app, client_as, doc):
    with app.app_context():
        sess = db.session()
        other = add_document(app, sess, sess.scalars(select(User)).first(), title="Other")
        other_version = other.versions[0].uid
    c = client_as("admin")
    assert c.get(f"/documents/{doc['uid']}/versions/{other_version}/download").status_code == 404
    assert c.post(f"/documents/{doc['uid']}/versions/{other_version}/withdraw",
                  data={"reason": "x"}).status_code == 404
    assert c.post(f"/documents/{doc['uid']}/versions/{other_version}/pin").status_code == 404


# --- create, upload, bad input ------------------------------------------------------------------

def test_create_document_with_first_version(app, client_as):
    c = client_as("security")
    resp = c.post("/documents/new", data=form_data(file=upload(VALID_PDF, "SOC 2 报告.pdf"),
                                                    custom_frameworks="NIST CSF，Cyber Essentials"),
                  content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    uid = resp.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    with app.app_context():
        d = service.get_document(db.session(), uid)
        assert d.visibility == "nda" and set(d.frameworks) == {"soc2", "NIST CSF", "Cyber Essentials"}
        v = d.versions[0]
        assert (v.number, v.filename, v.page_count, v.issuer) == (1, "SOC 2 报告.pdf", 77, "Example Assurance LLP")
        assert d.owner.email == c.user.email
    assert [e.object_id for e in events(app, "document.create")] == [uid]
    assert events(app, "version.create")[0].detail["sha256"] == v.sha256
    page = c.get(f"/documents/{uid}").get_data(as_text=True)
    assert "SOC 2 报告.pdf" in page and v.sha256[:12] in page


def test_upload_new_version(app, client_as, doc):
    c = client_as("legal")
    resp = c.post(f"/documents/{doc['uid']}/versions/new",
                  data={"file": upload(VALID_PDF), "expiry_date": "2030-01-01"}, content_type="multipart/form-data")
    assert resp.status_code == 302
    with app.app_context():
        d = service.get_document(db.session(), doc["uid"])
        assert service.current_version(d).number == 2


EXE = b"MZ\x90\x00" + b"\x00" * 300


@pytest.mark.parametrize("file, extra, message", [
    (lambda: upload(data=b"", name="empty.pdf"), {}, "The file is empty"),
    (lambda: upload(data=b"PK\x03\x04" + b"\x00" * 50, name="report.pdf"), {}, "content looks like"),
    (lambda: upload(data=EXE, name="report.pdf"), {}, "programs are not accepted"),
    (lambda: upload(name="../../etc/cron.d/x.pdf"), {}, "folder path"),
    (lambda: upload(name="a\x01b.pdf"), {}, "control character"),
    (lambda: upload(ENCRYPTED_PDFS[0]), {}, "encrypted"),
    (lambda: upload(TRUNCATED_PDF), {}, "cannot be read"),
    (lambda: upload(), {"effective_date": "2025-06-01", "expiry_date": "2025-05-01"}, "before the effective date"),
    (lambda: upload(), {"audit_period_start": "2025-06-01", "audit_period_end": "2025-05-01"}, "ends (2025-05-01) before"),
    (lambda: None, {}, "Choose a file"),
])
def test_bad_uploads_show_a_message_and_store_nothing(app, client_as, doc, file, extra, message):
    c = client_as("security")
    data = {"file": file()} if file() is not None else {}
    data.update(extra)
    resp = c.post(f"/documents/{doc['uid']}/versions/new", data=data, content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in body.replace("&#34;", '"').replace("&#39;", "'")
    assert len(stored_keys(app)) == 1
    with app.app_context():
        assert len(db.session().scalars(select(DocumentVersion)).all()) == 1


def test_refused_upload_is_audited(app, client_as, doc):
    c = client_as("security")
    c.post(f"/documents/{doc['uid']}/versions/new", data={"file": upload(data=EXE, name="invoice.pdf")},
           content_type="multipart/form-data")
    failed = [e for e in events(app, "version.create") if e.outcome == "failed"]
    assert failed and failed[0].detail == {"refused": "executable", "filename": "invoice.pdf"}


def test_bad_new_document_stores_nothing(app, client_as):
    c = client_as("security")
    resp = c.post("/documents/new", data=form_data(title_en="", file=upload()), content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "title in at least one language" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalars(select(Document)).all() == []
    assert stored_keys(app) == []


def test_file_over_the_limit(tmp_path):
    from tests.conftest import make_app
    from flask_login import FlaskLoginClient
    app = make_app(tmp_path, MAX_UPLOAD_BYTES=1000)
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        sess = db.session()
        user = new_user(sess, "admin")
        d = add_document(app, sess, user, path=_tiny_text(tmp_path))
        uid = d.uid
        sess.expunge(user)
    c = app.test_client(user=user)
    # Over MAX_UPLOAD_BYTES but under Flask's request limit: our streaming check.
    resp = c.post(f"/documents/{uid}/versions/new", data={"file": upload(data=b"a" * 5000, name="big.txt")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400 and "larger than the limit of 1000 bytes" in resp.get_data(as_text=True)
    # Over Flask's MAX_CONTENT_LENGTH: werkzeug's 413, answered with the same message.
    resp = c.post(f"/documents/{uid}/versions/new", data={"file": upload(data=b"a" * (2 * 1024 * 1024), name="big.txt")},
                  content_type="multipart/form-data")
    assert resp.status_code == 413 and "larger than the limit of 1000 bytes" in resp.get_data(as_text=True)
    assert len(stored_keys(app)) == 1
    app.extensions["vault.engine"].dispose()


def _tiny_text(tmp_path):
    p = tmp_path / "tiny.txt"
    p.write_text("hello")
    return p


# --- withdraw, pin, edit ------------------------------------------------------------------------

def test_withdraw_pin_unpin(app, client_as, doc):
    c = client_as("security")
    c.post(f"/documents/{doc['uid']}/versions/new", data={"file": upload()}, content_type="multipart/form-data")
    resp = c.post(f"/documents/{doc['uid']}/versions/{doc['version']}/pin")
    assert resp.status_code == 302
    with app.app_context():
        d = service.get_document(db.session(), doc["uid"])
        assert service.current_version(d).uid == doc["version"]
    assert events(app, "version.pin")[0].detail["pinned"] is True

    resp = c.post(f"/documents/{doc['uid']}/versions/{doc['version']}/withdraw", data={"reason": ""},
                  follow_redirects=True)
    assert "Say why" in resp.get_data(as_text=True)
    resp = c.post(f"/documents/{doc['uid']}/versions/{doc['version']}/withdraw",
                  data={"reason": "Wrong scope <script>alert(1)</script>"}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Wrong scope &lt;script&gt;" in page and "<script>alert" not in page
    with app.app_context():
        d = service.get_document(db.session(), doc["uid"])
        assert d.pinned_version_id is None and service.current_version(d).number == 2
    withdrawn = events(app, "version.withdraw")[0]
    assert withdrawn.object_id == doc["version"] and withdrawn.detail["unpinned"] is True

    # A withdrawn original stays downloadable for staff, and the audit says it was withdrawn.
    resp = c.get(f"/documents/{doc['uid']}/versions/{doc['version']}/download")
    assert resp.status_code == 200 and resp.data == SMALL_PDF.read_bytes()
    assert events(app, "document.download")[0].detail["withdrawn"] is True
    assert "Download withdrawn original" in page


def test_state_changes_need_post(client_as, doc):
    c = client_as("admin")
    assert c.get(f"/documents/{doc['uid']}/versions/{doc['version']}/withdraw").status_code == 405
    assert c.get(f"/documents/{doc['uid']}/versions/{doc['version']}/pin").status_code == 405
    assert c.get(f"/documents/{doc['uid']}/unpin").status_code == 405


def test_edit_metadata(app, client_as, doc):
    c = client_as("legal")
    page = c.get(f"/documents/{doc['uid']}/edit").get_data(as_text=True)
    assert 'value="ISO 27001 证书"' in page
    resp = c.post(f"/documents/{doc['uid']}/edit", data=form_data(title_en="ISO 27001 certificate",
                                                                  title_zh="ISO 27001 证书", doc_type="certification",
                                                                  visibility="internal", frameworks=["iso27001"]))
    assert resp.status_code == 302
    change = events(app, "document.update")[0]
    assert change.detail["changes"]["visibility"] == ["public", "internal"]
    resp = c.post(f"/documents/{doc['uid']}/edit", data=form_data(visibility="secret"))
    assert resp.status_code == 400


def test_list_filters(app, client_as, doc):
    c = client_as("viewer")
    page = c.get("/documents/").get_data(as_text=True)
    assert "ISO 27001 certificate" in page and "badge" in page
    assert "ISO 27001 certificate" not in c.get("/documents/?type=policy").get_data(as_text=True)
    assert "ISO 27001 certificate" in c.get("/documents/?framework=iso27001").get_data(as_text=True)
    assert "ISO 27001 certificate" not in c.get("/documents/?visibility=nda").get_data(as_text=True)
    assert "ISO 27001 certificate" in c.get("/documents/?status=no_expiry&type=bogus").get_data(as_text=True)
    zh = c.get("/documents/?lang=zh", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "ISO 27001 证书" in zh


# --- download -----------------------------------------------------------------------------------

def test_download_streams_the_original_with_safe_headers(app, client_as, doc):
    c = client_as("sales")
    resp = c.get(f"/documents/{doc['uid']}/versions/{doc['version']}/download")
    assert resp.status_code == 200
    assert resp.is_streamed
    assert resp.data == SMALL_PDF.read_bytes()
    h = resp.headers
    assert h["Content-Type"] == "application/pdf"
    assert h["Content-Length"] == str(SMALL_PDF.stat().st_size)
    assert h["Cache-Control"] == "no-store"
    assert h["X-Content-Type-Options"] == "nosniff"
    cd = h["Content-Disposition"]
    assert cd.startswith("attachment; ")
    star = re.search(r"filename\*=UTF-8''(\S+)", cd).group(1)
    assert unquote(star) == "证书 2025.pdf"
    assert all(ord(ch) < 128 for ch in cd)
    ev = events(app, "document.download")[0]
    assert (ev.object_id, ev.actor, ev.outcome) == (doc["version"], c.user.email, "ok")
    assert PdfReader(io.BytesIO(resp.data)).pages


def _tamper(app, version_uid, offset):
    from pathlib import Path
    with app.app_context():
        blob = db.session().scalar(select(DocumentVersion).where(DocumentVersion.uid == version_uid)).blob
        obj = Path(app.config["STORAGE_PATH"]) / blob.key
        raw = bytearray(obj.read_bytes())
        raw[offset] ^= 1
        obj.write_bytes(bytes(raw))


def test_tampered_object_is_not_served(app, client_as, doc):
    _tamper(app, doc["version"], 200)  # inside the first segment: refused before any byte is sent
    c = client_as("admin")
    resp = c.get(f"/documents/{doc['uid']}/versions/{doc['version']}/download")
    assert resp.status_code == 500
    assert "integrity check" in resp.get_data(as_text=True)
    assert events(app, "document.download")[0].outcome == "failed"


def test_tampering_late_in_a_large_file_stops_the_stream(app, client_as, doc):
    from vault.crypto import IntegrityError
    c = client_as("admin")
    c.post(f"/documents/{doc['uid']}/versions/new", data={"file": upload(VALID_PDF)}, content_type="multipart/form-data")
    with app.app_context():
        version = service.current_version(service.get_document(db.session(), doc["uid"]))
        version_uid = version.uid
    _tamper(app, version_uid, -100)
    resp = c.get(f"/documents/{doc['uid']}/versions/{version_uid}/download", buffered=False)
    assert resp.status_code == 200  # headers were sent; the tampered segment is never delivered
    with pytest.raises(IntegrityError):
        b"".join(resp.response)


def test_csrf_is_required(tmp_path):
    """With CSRF on (as in production): a cross-site POST without the token changes nothing."""
    from flask_login import FlaskLoginClient
    from tests.conftest import make_app
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        sess = db.session()
        user = new_user(sess, "admin")
        d = add_document(app, sess, user)
        uid, vuid = d.uid, d.versions[0].uid
        sess.expunge(user)
    c = app.test_client(user=user)
    assert c.post(f"/documents/{uid}/versions/{vuid}/withdraw", data={"reason": "csrf"}).status_code == 400
    assert c.post(f"/documents/{uid}/versions/{vuid}/pin").status_code == 400
    resp = c.post(f"/documents/{uid}/versions/new", data={"file": upload()}, content_type="multipart/form-data")
    assert resp.status_code == 400
    # The page's own form carries a token that works.
    page = c.get(f"/documents/{uid}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert c.post(f"/documents/{uid}/versions/{vuid}/pin", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        d = service.get_document(db.session(), uid)
        assert not d.versions[0].withdrawn and d.pinned_version_id == d.versions[0].id
        assert len(d.versions) == 1
    app.extensions["vault.engine"].dispose()


def test_missing_frameworks_and_missing_chinese_title_are_said_not_left_blank(app, client_as):
    with app.app_context():
        sess = db.session()
        d = add_document(app, sess, new_user(sess), frameworks=(), title="Mutual NDA template")
        uid = d.uid
    c = client_as("viewer")
    listing = c.get("/documents/?lang=en").get_data(as_text=True)
    assert '<span class="muted">none</span>' in listing
    page = c.get(f"/documents/{uid}?lang=en").get_data(as_text=True)
    assert "Not written yet; the trust center shows the other language." in page
