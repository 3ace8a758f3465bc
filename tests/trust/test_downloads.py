"""The trust center's files through vault.downloads: a stored object that cannot be read answers with
a page and an audit record (no download counted); the logo is public and cacheable; staff pages keep
their URLs under the trust_staff blueprint."""
from __future__ import annotations

import io
from pathlib import Path

from flask import url_for
from sqlalchemy import select


def _lose_object(app, blob) -> None:
    (Path(app.config["STORAGE_PATH"]) / blob.key).unlink()


def _audit(app, action):
    from vault import db
    from vault.audit import AuditEvent
    with app.app_context():
        return db.session().scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_public_download_of_an_unreadable_object_is_a_logged_503(app, seeded):
    from vault import db
    from vault.access.models import Download
    from vault.documents.service import current_version, get_document
    with app.app_context():
        version = current_version(get_document(db.session(), seeded.whitepaper))
        _lose_object(app, version.blob)
        version_uid = version.uid
    r = app.test_client().get(f"/trust/documents/{seeded.whitepaper}/download")
    assert r.status_code == 503 and b"%PDF" not in r.data
    [event] = _audit(app, "trust.download")
    assert event.outcome == "failed" and event.object_id == version_uid
    assert event.detail["document"] == seeded.whitepaper and event.detail["error"]
    assert "download_id" not in event.detail
    with app.app_context():
        assert db.session().scalar(select(Download)) is None
    # HEAD reads nothing, so it still answers with the headers.
    assert app.test_client().head(f"/trust/documents/{seeded.whitepaper}/download").status_code == 200


def test_logo_is_public_inline_and_sandboxed_and_404_when_unreadable(app, seeded, client_as):
    from PIL import Image
    from vault import db
    from vault.trust.service import get_profile
    png = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 90, 200)).save(png, "PNG")
    r = client_as("admin").post("/admin/trust", content_type="multipart/form-data", data={
        "company_name": "X", "free_mail_domains": "", "blocked_domains": "", "allowed_domains": "",
        "default_grant_days": "30", "logo": (io.BytesIO(png.getvalue()), "logo.png")})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/trust")
    logo = app.test_client().get("/trust/logo")
    assert logo.status_code == 200 and logo.data == png.getvalue()
    assert logo.headers["Cache-Control"] == "public, max-age=300" and "Pragma" not in logo.headers
    assert logo.headers["Content-Disposition"].startswith("inline; ")
    assert logo.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert logo.headers["Accept-Ranges"] == "none"
    with app.app_context():
        _lose_object(app, get_profile(db.session()).logo_blob)
    assert app.test_client().get("/trust/logo").status_code == 404


def test_staff_pages_keep_their_urls(app):
    with app.test_request_context():
        assert url_for("trust_staff.settings") == "/admin/trust"
        assert url_for("trust_staff.subprocessor_admin") == "/admin/trust/subprocessors"
        assert url_for("trust_staff.new_subprocessor") == "/admin/trust/subprocessors/new"
        for name, tail in (("edit_subprocessor", ""), ("remove_subprocessor", "/remove"),
                           ("restore_subprocessor", "/restore"), ("move_subprocessor", "/move")):
            assert url_for(f"trust_staff.{name}", uid="u1") == f"/admin/trust/subprocessors/u1{tail}"
        assert url_for("trust.index") == "/trust/" and url_for("trust.logo") == "/trust/logo"
