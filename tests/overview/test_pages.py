"""The public overview page (en, zh, fallback, evidence links, renewing evidence), the trust center's
front-page block and contact line, and the staff pages: who may use them, what they audit, CSRF."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.overview.builders import add_item, set_facts, set_settings
from vault import db
from vault.audit import AuditEvent
from vault.overview import service


def _main(html: str) -> str:
    return html.split('<main id="content">', 1)[1].split("</main>", 1)[0]


@pytest.fixture
def overview(app, seeded):
    set_settings(app, "We keep customer data in the region the customer chose.", "客户数据保存在客户所选的区域。",
                 "security@example.com")
    set_facts(app, "backups", {"rto_amount": "4", "rto_unit": "hours", "rpo_amount": "15", "rpo_unit": "minutes"})
    set_facts(app, "pentest", {"cadence": "annual"})
    add_item(app, "residency", "eu-central (Frankfurt)", "eu-central（法兰克福）", "EU customers' data.", "欧盟客户的数据。")
    add_item(app, "residency", "cn-north (Beijing)", "", "PIPL data stays in China.", "")
    add_item(app, "encryption", "AES-256 at rest", "静态加密：AES-256", "", "", evidence=seeded.whitepaper)
    add_item(app, "pentest", "Annual penetration test", "年度渗透测试", "", "", evidence=seeded.pentest)
    add_item(app, "pentest", "PCI scan", "PCI 扫描", "", "", evidence=seeded.expired_cert)
    return seeded


def test_public_page_in_english_with_evidence_links(app, overview):
    html = _main(app.test_client().get("/trust/overview").get_data(as_text=True))
    assert "<h1>Security and privacy overview</h1>" in html
    assert html.index("Data residency") < html.index("Encryption") < html.index("Backups and disaster recovery")
    assert "Access control" not in html  # empty sections are not shown
    assert "4 hours" in html and "15 minutes" in html and "Annual" in html
    # a public document downloads; one under NDA goes through the access request form
    assert f'href="/trust/documents/{overview.whitepaper}/download">Security whitepaper</a>' in html
    assert f'href="/trust/request?document={overview.pentest}"' in html
    # the expired one: the item stays, without a link, marked as being renewed
    pci = html.split("PCI scan", 1)[1].split("</li>", 1)[0]
    assert "Evidence being renewed" in pci and overview.expired_cert not in html
    assert 'href="mailto:security@example.com"' in html


def test_public_page_in_chinese_falls_back_to_english(app, overview):
    html = _main(app.test_client().get("/trust/overview?lang=zh").get_data(as_text=True))
    assert "安全与隐私概览" in html and "数据驻留" in html and "eu-central（法兰克福）" in html
    assert "cn-north (Beijing)" in html and "PIPL data stays in China." in html  # no Chinese text: English
    assert "4 小时" in html and "15 分钟" in html and "客户数据保存在客户所选的区域。" in html
    assert "证据正在更新" in html


def test_empty_overview(app, seeded):
    html = _main(app.test_client().get("/trust/overview").get_data(as_text=True))
    assert "No security and privacy overview is published yet." in html
    front = app.test_client().get("/trust/").get_data(as_text=True)
    assert "overview-summary" not in front and "/trust/overview" not in front


def test_front_page_shows_the_overview_block_and_the_security_contact(app, overview):
    html = app.test_client().get("/trust/").get_data(as_text=True)
    block = html.split('class="card overview-summary"', 1)[1].split("</section>", 1)[0]
    assert "We keep customer data in the region the customer chose." in block
    assert "eu-central (Frankfurt), cn-north (Beijing)" in block
    assert "RTO 4 hours · RPO 15 minutes" in block and "Annual" in block
    assert 'href="/trust/overview"' in block
    assert 'href="mailto:security@example.com"' in html
    zh = app.test_client().get("/trust/?lang=zh").get_data(as_text=True)
    assert "客户数据保存在客户所选的区域。" in zh and "RTO 4 小时 · RPO 15 分钟" in zh and "报告安全问题" in zh
    # the company name comes from the profile (else the instance's), as before
    assert "Example Cloud Ltd. trust center" in html


def test_security_contact_falls_back_to_the_configuration(tmp_path, smtp_sink):
    from tests.access.builders import trust_app
    app = trust_app(tmp_path, smtp_sink, SECURITY_CONTACT="https://example.com/.well-known/security.txt")
    html = app.test_client().get("/trust/").get_data(as_text=True)
    assert 'href="https://example.com/.well-known/security.txt"' in html
    app.extensions["vault.engine"].dispose()


def test_public_pages_write_nothing(app, seeded):
    """A visitor's GET creates no overview rows (on a database without them, e.g. before any staff visit)."""
    from vault.overview.models import OverviewSection, OverviewSettings
    client = app.test_client()
    assert client.get("/trust/overview").status_code == 200 and client.get("/trust/").status_code == 200
    with app.app_context():
        sess = db.session()
        assert sess.scalars(select(OverviewSection)).all() == []
        assert sess.scalars(select(OverviewSettings)).all() == []


@pytest.mark.parametrize("role, status", [("admin", 200), ("security", 200), ("sales", 403), ("legal", 403),
                                          ("viewer", 403)])
def test_staff_pages_need_overview_manage(app, seeded, client_as, role, status):
    client = client_as(role)
    assert client.get("/admin/overview").status_code == status
    assert client.get("/admin/overview/sections/backups").status_code == status
    resp = client.post("/admin/overview/sections/backups/items/new", data={"title_en": "x"})
    assert resp.status_code == (302 if status == 200 else 403)
    if status == 403:
        with app.app_context():
            denied = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "permission.denied")).all()
            assert denied and denied[-1].detail["permission"] == "overview.manage"


def test_anonymous_is_sent_to_sign_in(app, seeded):
    resp = app.test_client().get("/admin/overview")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert app.test_client().post("/admin/overview/items/abc/delete").status_code == 302


def test_unknown_section_and_item_are_404(app, seeded, client_as):
    client = client_as("security")
    assert client.get("/admin/overview/sections/nope").status_code == 404
    assert client.get("/admin/overview/items/0123456789abcdef0123456789abcdef").status_code == 404
    assert client.post("/admin/overview/items/nope/move", data={"direction": "up"}).status_code == 404


def _events(app, prefix="overview."):
    with app.app_context():
        return [(e.action, e.object_id, e.detail, e.actor) for e in db.session().scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id))]


def test_staff_edit_journey_is_audited(app, seeded, client_as):
    client = client_as("security")
    resp = client.post("/admin/overview/sections/backups", data={
        "title_en": "", "title_zh": "", "rto_amount": "4", "rto_unit": "hours", "rpo_amount": "15",
        "rpo_unit": "minutes"})
    assert resp.status_code == 302
    bad = client.post("/admin/overview/sections/backups", data={"rto_amount": "4", "rto_unit": "weeks"})
    assert bad.status_code == 400 and "choose minutes, hours or days" in bad.get_data(as_text=True)
    bad = client.post("/admin/overview/sections/backups", data={"rto_amount": "100", "rto_unit": "days"})
    assert "longer than 90 days" in bad.get_data(as_text=True)
    resp = client.post("/admin/overview/sections/pentest/items/new", data={
        "title_en": "Annual test", "title_zh": "年度测试", "text_en": "Yearly.", "evidence": seeded.pentest})
    assert resp.status_code == 302
    second = client.post("/admin/overview/sections/pentest/items/new", data={"title_en": "Retest"})
    assert second.status_code == 302
    with app.app_context():
        sess = db.session()
        first, other = sorted(service.get_section(sess, "pentest").items, key=lambda i: i.position)
        uid, other_uid = first.uid, other.uid
        assert first.evidence.uid == seeded.pentest
    refused = client.post(f"/admin/overview/items/{uid}", data={"title_en": "Annual test",
                                                                "evidence": seeded.internal})
    assert refused.status_code == 400 and "Only documents published on the trust center" in refused.get_data(
        as_text=True)
    assert client.post(f"/admin/overview/items/{uid}", data={"title_en": "Annual external test", "title_zh": "年度测试",
                                                             "text_en": "Yearly.", "evidence": ""}).status_code == 302
    assert client.post(f"/admin/overview/items/{other_uid}/move", data={"direction": "up"}).status_code == 302
    assert client.post(f"/admin/overview/items/{other_uid}/move", data={"direction": "sideways"}).status_code == 400
    assert client.post("/admin/overview/sections/privacy/move", data={"direction": "up"}).status_code == 302
    assert client.post(f"/admin/overview/items/{uid}/delete").status_code == 302
    assert client.post("/admin/overview/settings", data={"summary_en": "Hello", "security_contact":
                                                         "security@example.com"}).status_code == 302
    events = _events(app)
    actions = [e[0] for e in events]
    assert actions == ["overview.section.update", "overview.item.create", "overview.item.create",
                       "overview.item.update", "overview.item.reorder", "overview.section.reorder",
                       "overview.item.delete", "overview.settings.update"]
    assert all(e[3] == client.user.email for e in events)
    assert events[0][2]["changes"]["facts"][1] == {"rto": {"amount": 4, "unit": "hours"},
                                                    "rpo": {"amount": 15, "unit": "minutes"}}
    assert events[3][2]["changes"]["evidence"] == [seeded.pentest, ""]
    assert events[3][2]["changes"]["title_en"] == ["Annual test", "Annual external test"]
    assert events[6][2]["fields"]["title_en"] == "Annual external test"


def test_staff_page_marks_stale_evidence_with_the_reason(app, overview, client_as):
    html = client_as("admin").get("/admin/overview").get_data(as_text=True)
    since = (date.today() - timedelta(days=3) + timedelta(days=1)).isoformat()  # the PCI attestation's expiry + 1
    assert "1 item cites evidence that no longer holds" in html
    assert f"Evidence expired since {since}" in html and "Stale" in html
    zh = client_as("security").get("/admin/overview?lang=zh").get_data(as_text=True)
    assert f"证据自 {since} 起已过期" in zh


def test_staff_forms_refuse_a_post_without_csrf(tmp_path, smtp_sink):
    from flask_login import FlaskLoginClient

    from tests.access.builders import trust_app
    from tests.conftest import TEST_PASSWORD
    from vault.auth.service import create_user
    app = trust_app(tmp_path, smtp_sink, WTF_CSRF_ENABLED=True)
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        sess = db.session()
        user = create_user(sess, email="sec@example.com", password=TEST_PASSWORD, role="security", name="S", actor="t")
        sess.commit()
        sess.expunge(user)
    client = app.test_client(user=user)
    assert client.post("/admin/overview/sections/backups/items/new", data={"title_en": "x"}).status_code == 400
    assert client.post("/admin/overview/sections/backups/move", data={"direction": "up"}).status_code == 400
    with app.app_context():
        assert all(not s.items for s in service.sections(db.session()))
    app.extensions["vault.engine"].dispose()


def test_typed_text_is_escaped_everywhere(app, seeded, client_as):
    payload = '<img src=x onerror=alert(1)>'
    add_item(app, "sdlc", payload, payload, f"[x](javascript:alert(1)) {payload}", payload)
    set_settings(app, payload, payload, "security@example.com")
    for html in (app.test_client().get("/trust/overview").get_data(as_text=True),
                 app.test_client().get("/trust/?lang=zh").get_data(as_text=True),
                 client_as("admin").get("/admin/overview").get_data(as_text=True)):
        assert payload not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert 'href="javascript:' not in html


def test_section_form_shows_the_stored_facts(app, seeded, client_as):
    set_facts(app, "backups", {"rto_amount": "4", "rto_unit": "hours", "rpo_amount": "15", "rpo_unit": "minutes"})
    set_facts(app, "privacy", {"gdpr_role": "processor", "transfer_basis": ["gdpr_sccs"]})
    client = client_as("security")
    html = client.get("/admin/overview/sections/backups").get_data(as_text=True)
    assert 'name="rto_amount" type="text" value="4"' in html and '<option selected value="hours">' in html
    assert '<option selected value="minutes">' in html
    html = client.get("/admin/overview/sections/privacy").get_data(as_text=True)
    assert '<option selected value="processor">' in html and re.search(r'<input checked[^>]*value="gdpr_sccs"', html)
