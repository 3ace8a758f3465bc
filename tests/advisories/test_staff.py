"""Staff pages: only advisories.manage (admin, security); create, edit, timeline, publish, announce, audited."""
from __future__ import annotations

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import select

from vault import db
from vault.advisories import service
from vault.audit import AuditEvent

FORM = {"title_en": "Path traversal in export", "title_zh": "导出中的路径遍历", "body_en": "Fixed.", "body_zh": "已修复。",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "cve_ids": "CVE-2026-4242",
        "affected": "TrustVault Server: 4.0 - 4.1.3", "fixed_in": "TrustVault Server: 4.1.4"}


@pytest.mark.parametrize("role", ["sales", "legal", "viewer"])
def test_other_roles_get_403(app, make_user, make_advisory, role):
    advisory_id = make_advisory()
    app.test_client_class = FlaskLoginClient
    client = app.test_client(user=make_user(role))
    for method, path in (("get", "/admin/advisories"), ("get", "/admin/advisories/new"),
                         ("post", "/admin/advisories/new"), ("get", f"/admin/advisories/{advisory_id}"),
                         ("post", f"/admin/advisories/{advisory_id}/publish"),
                         ("post", f"/admin/advisories/{advisory_id}/timeline"),
                         ("post", "/admin/advisories/announcements/new")):
        assert getattr(client, method)(path, data=FORM).status_code == 403, path
    with app.app_context():
        assert service.get_advisory(db.session(), advisory_id).state == "draft"


def test_anonymous_is_sent_to_sign_in(client, make_advisory):
    advisory_id = make_advisory()
    for path in ("/admin/advisories", f"/admin/advisories/{advisory_id}"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.post(f"/admin/advisories/{advisory_id}/publish").status_code == 302
    assert client.get(f"/trust/advisories/{advisory_id}").status_code == 404  # still a draft


@pytest.mark.parametrize("role", ["admin", "security"])
def test_create_edit_timeline_publish(app, make_user, client, role):
    app.test_client_class = FlaskLoginClient
    staff = app.test_client(user=make_user(role))
    resp = staff.post("/admin/advisories/new", data=FORM)
    assert resp.status_code == 302
    advisory_id = resp.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/trust/advisories/{advisory_id}").status_code == 404  # a draft
    page = staff.get(f"/admin/advisories/{advisory_id}").get_data(as_text=True)
    assert "Path traversal in export" in page and "TrustVault Server: 4.0 - 4.1.3" in page
    assert staff.post(f"/admin/advisories/{advisory_id}/timeline",
                      data={"happened_on": "2026-02-01", "text_en": "Reported by a customer",
                            "text_zh": "客户报告"}).status_code == 302
    assert staff.post(f"/admin/advisories/{advisory_id}/publish").status_code == 302
    public = client.get(f"/trust/advisories/{advisory_id}").get_data(as_text=True)
    assert "Reported by a customer" in public and "6.5" in public
    # editing the published advisory needs a summary of the change
    bad = staff.post(f"/admin/advisories/{advisory_id}", data={**FORM, "body_en": "Fixed in 4.1.4."})
    assert bad.status_code == 400 and "Say what changed" in bad.get_data(as_text=True)
    ok = staff.post(f"/admin/advisories/{advisory_id}", data={**FORM, "body_en": "Fixed in 4.1.4.",
                                                                "change_summary": "Named the fixed release"})
    assert ok.status_code == 302
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.object_id == advisory_id)).all()
    assert actions == ["advisory.create", "advisory.timeline.add", "advisory.publish", "advisory.update"]


def test_bad_input_is_named_on_its_field_and_nothing_is_saved(staff, app):
    resp = staff.post("/admin/advisories/new", data={**FORM, "cve_ids": "CVE-2026-12"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="cve_ids-errors"' in html and "CVE-2026-12" in html
    resp = staff.post("/admin/advisories/new", data={**FORM, "cvss_vector": "CVSS:3.1/AV:Q"})
    assert resp.status_code == 400 and 'id="cvss_vector-errors"' in resp.get_data(as_text=True)
    with app.app_context():
        assert service.all_advisories(db.session()) == []


def test_announcement(staff, client):
    resp = staff.post("/admin/advisories/announcements/new",
                      data={"title_en": "We joined the CVE program", "body_en": "We are now a CNA."})
    assert resp.status_code == 302
    assert "We joined the CVE program" in client.get("/trust/advisories").get_data(as_text=True)
    assert staff.post("/admin/advisories/announcements/new", data={"title_en": "No body"}).status_code == 400
