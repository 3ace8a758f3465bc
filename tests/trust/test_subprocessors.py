"""The subprocessor list: checks, the public page and JSON (current / announced / recently removed),
staff editing with CSRF, who may edit, the audit trail, Chinese purposes and the demo rows."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import select

from tests.conftest import make_app
from vault import db
from vault.audit import AuditEvent
from vault.db import utcnow
from vault.inputs import InvalidInput
from vault.trust import subprocessors as subs
from vault.trust.models import Subprocessor

F = subs.SubprocessorFields


def _today():
    return utcnow().date()  # the views' "today"


def _add(app, name="Amazon Web Services", *, removed_days_ago=None, **values):
    values.setdefault("purpose_en", f"{name} purpose")
    with app.app_context():
        sess = db.session()
        sp = subs.create_subprocessor(sess, F(name=name, **values))
        if removed_days_ago is not None:
            subs.remove_subprocessor(sess, sp, today=_today() - timedelta(days=removed_days_ago))
        sess.commit()
        return sp.uid


def _rows(app) -> dict[str, Subprocessor]:
    with app.app_context():
        sess = db.session()
        rows = {sp.name: sp for sp in subs.staff_list(sess)}
        sess.expunge_all()
        return rows


def _events(app, prefix="trust.subprocessor"):
    with app.app_context():
        return [(e.action, e.object_id, e.detail, e.actor) for e in
                db.session().scalars(select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                     .order_by(AuditEvent.seq))]


# --- checks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, code, field", [
    (F(name="", purpose_en="Hosting"), "name", "name"),
    (F(name="   ", purpose_en="Hosting"), "name", "name"),
    (F(name="x" * 201, purpose_en="Hosting"), "too_long", "name"),
    (F(name="AWS"), "purpose", "purpose_en"),
    (F(name="AWS", purpose_en="x" * 1001), "too_long", "purpose_en"),
    (F(name="AWS", purpose_zh="字" * 1001), "too_long", "purpose_zh"),
    (F(name="AWS", purpose_en="Hosting", data_categories="x" * 1001), "too_long", "data_categories"),
    (F(name="AWS", purpose_en="Hosting", location="x" * 201), "too_long", "location"),
    (F(name="AWS", purpose_en="Hosting", data_categories_zh="字" * 1001), "too_long", "data_categories_zh"),
    (F(name="AWS", purpose_en="Hosting", location_zh="字" * 201), "too_long", "location_zh"),
    (F(name="AWS", purpose_en="Hosting", location_zh="爱尔兰\u200b"), "invisible", "location_zh"),
    (F(name="AWS", purpose_en="Hosting", website="javascript:alert(1)"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="JavaScript:alert(1)//https://x.example"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="data:text/html,<script>alert(1)</script>"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="ftp://files.example.com"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="//evil.example"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="https://"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="https://[::1"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="https://aws.amazon.com evil"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="https://aws.amazon.com@evil.example/"), "website", "website"),
    (F(name="AWS", purpose_en="Hosting", website="https://x.example/" + "a" * 2048), "website", "website"),
    (F(name="A\x00WS", purpose_en="Hosting"), "control", "name"),
    (F(name="AWS\u202e", purpose_en="Hosting"), "invisible", "name"),
    (F(name="AWS", purpose_en="Host\x07ing"), "control", "purpose_en"),
])
def test_bad_fields_are_refused_with_the_field_and_reason(app, fields, code, field):
    with app.app_context():
        with pytest.raises(InvalidInput) as exc:
            subs.create_subprocessor(db.session(), fields)
        assert (exc.value.code, exc.value.field) == (code, field)
        assert str(exc.value)  # a readable message, not an empty one
        assert db.session().scalar(select(Subprocessor)) is None


def test_values_are_cleaned_and_kept(app):
    with app.app_context():
        sp = subs.create_subprocessor(db.session(), F(
            name="  Amazon   Web Services ", purpose_en=" Hosting\r\nand backups ", purpose_zh="", location=" Ireland ",
            website=" https://aws.amazon.com/ "))
        assert (sp.name, sp.purpose_en, sp.location, sp.website) == (
            "Amazon Web Services", "Hosting\nand backups", "Ireland", "https://aws.amazon.com/")
        assert len(sp.uid) == 32 and sp.position == 1


# --- public page and JSON -----------------------------------------------------------------------

def _seed_every_state(app):
    today = _today()
    _add(app, "AWS", purpose_zh="云托管", location="Ireland (eu-west-1)", website="https://aws.amazon.com/",
         data_categories="All customer data", data_categories_zh="全部客户数据", location_zh="爱尔兰（eu-west-1）")
    _add(app, "Sentry", effective_from=today)  # starts today: current
    _add(app, "Cloudflare", effective_from=today + timedelta(days=30))
    _add(app, "Mailgun", removed_days_ago=10)
    _add(app, "Ancient mailer", removed_days_ago=subs.RECENTLY_REMOVED_DAYS + 1)
    _add(app, "Withdrawn before start", effective_from=today + timedelta(days=5), removed_days_ago=0)


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start:html.index("</section>", start)]


def test_public_lists_current_announced_and_recently_removed(any_db_app):
    app = any_db_app
    _seed_every_state(app)
    with app.app_context():
        listing = subs.public_list(db.session(), _today())
        assert [sp.name for sp in listing.current] == ["AWS", "Sentry"]
        assert [sp.name for sp in listing.announced] == ["Cloudflare"]
        assert [sp.name for sp in listing.removed] == ["Withdrawn before start", "Mailgun"]

    client = app.test_client()
    html = client.get("/trust/subprocessors").get_data(as_text=True)
    current, announced, removed = (_section(html, h) for h in ("current-title", "announced-title", "removed-title"))
    assert "AWS" in current and "Sentry" in current and "Cloudflare" not in current and "Mailgun" not in current
    assert "Cloudflare" in announced and (_today() + timedelta(days=30)).isoformat() in announced
    assert "Mailgun" in removed and (_today() - timedelta(days=10)).isoformat() in removed
    assert "Ancient mailer" not in html
    assert '<a href="https://aws.amazon.com/" rel="noopener noreferrer nofollow"' in current
    assert "Ireland (eu-west-1)" in current and "All customer data" in current
    assert 'name="viewport"' in html and 'class="responsive subprocessors"' in html and 'data-label="Purpose"' in html

    index = client.get("/trust/").get_data(as_text=True)
    section = _section(index, "subprocessors-title")
    assert "AWS" in section and "Sentry" in section and "Cloudflare" not in section and "Mailgun" not in section
    assert 'href="/trust/subprocessors"' in section and 'href="/trust/subprocessors.json"' in section


def test_json_publishes_only_public_fields(app):
    _seed_every_state(app)
    r = app.test_client().get("/trust/subprocessors.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Cache-Control"] == "public, max-age=300"
    body = r.get_json()
    assert body["as_of"] == _today().isoformat()
    assert [s["name"] for s in body["current"]] == ["AWS", "Sentry"]
    assert [s["name"] for s in body["announced"]] == ["Cloudflare"]
    assert [s["name"] for s in body["recently_removed"]] == ["Withdrawn before start", "Mailgun"]
    aws = body["current"][0]
    assert set(aws) == {"uid", "name", "purpose_en", "purpose_zh", "data_categories", "data_categories_zh",
                        "location", "location_zh", "website", "effective_from", "removed_on"}
    assert (aws["data_categories"], aws["data_categories_zh"]) == ("All customer data", "全部客户数据")
    assert (aws["location"], aws["location_zh"]) == ("Ireland (eu-west-1)", "爱尔兰（eu-west-1）")
    assert aws["purpose_zh"] == "云托管" and aws["website"] == "https://aws.amazon.com/" and aws["removed_on"] is None
    assert body["announced"][0]["effective_from"] == (_today() + timedelta(days=30)).isoformat()
    assert body["recently_removed"][1]["removed_on"] == (_today() - timedelta(days=10)).isoformat()


def test_purpose_in_the_visitors_language(app):
    _add(app, "AWS", purpose_en="Cloud hosting", purpose_zh="云托管")
    _add(app, "Sentry", purpose_en="Error monitoring")  # no Chinese text: English rather than nothing
    zh = app.test_client().get("/trust/subprocessors?lang=zh").get_data(as_text=True)
    assert "云托管" in zh and "Cloud hosting" not in zh and "Error monitoring" in zh
    assert "子处理者" in zh
    index = app.test_client().get("/trust/?lang=zh").get_data(as_text=True)
    assert "云托管" in _section(index, "subprocessors-title")
    en = app.test_client().get("/trust/subprocessors").get_data(as_text=True)
    assert "Cloud hosting" in en and "云托管" not in en


def test_data_categories_and_location_in_the_visitors_language(app):
    _add(app, "AWS", data_categories="All customer data", data_categories_zh="全部客户数据",
         location="Ireland", location_zh="爱尔兰")
    _add(app, "Sentry", data_categories="Error reports", location="Germany")  # no Chinese: English instead
    _add(app, "Aliyun", data_categories_zh="客户文档", location_zh="中国杭州")  # no English: Chinese instead
    zh = app.test_client().get("/trust/subprocessors?lang=zh").get_data(as_text=True)
    assert "全部客户数据" in zh and "爱尔兰" in zh and "All customer data" not in zh and "Ireland" not in zh
    assert "Error reports" in zh and "Germany" in zh
    index = _section(app.test_client().get("/trust/?lang=zh").get_data(as_text=True), "subprocessors-title")
    assert "全部客户数据" in index and "爱尔兰" in index and "Ireland" not in index
    en = app.test_client().get("/trust/subprocessors").get_data(as_text=True)
    assert "All customer data" in en and "Ireland" in en and "全部客户数据" not in en and "爱尔兰" not in en
    assert "客户文档" in en and "中国杭州" in en
    rows = _rows(app)
    assert rows["Sentry"].location_for("zh") == "Germany" and rows["Aliyun"].data_categories_for("en") == "客户文档"


def test_empty_list_says_so(app):
    html = app.test_client().get("/trust/subprocessors").get_data(as_text=True)
    assert "No subprocessors are listed yet." in html and "No new subprocessors are announced." in html
    assert app.test_client().get("/trust/subprocessors.json").get_json()["current"] == []


# --- staff pages --------------------------------------------------------------------------------

@pytest.fixture
def csrf_admin(tmp_path, make_user):
    """An admin's client on an app that checks CSRF tokens (as in production)."""
    (tmp_path / "csrf").mkdir()
    app = make_app(tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    with app.app_context():
        from vault.auth.service import create_user
        sess = db.session()
        admin = create_user(sess, email="admin@example.com", password="correct horse battery staple 42",
                            role="admin", name="Admin", actor="test")
        sess.commit()
        sess.refresh(admin)
        sess.expunge(admin)
    app.test_client_class = FlaskLoginClient
    yield app, app.test_client(user=admin)
    app.extensions["vault.engine"].dispose()


def _token(client, url="/admin/trust/subprocessors") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


FORM = {"name": "Amazon Web Services", "purpose_en": "Cloud hosting", "purpose_zh": "云托管",
        "data_categories": "All customer data", "data_categories_zh": "全部客户数据", "location": "Ireland",
        "location_zh": "爱尔兰", "website": "https://aws.amazon.com/", "effective_from": ""}


def test_admin_adds_edits_reorders_removes_and_restores_with_csrf_and_audit(csrf_admin):
    app, admin = csrf_admin
    assert admin.post("/admin/trust/subprocessors/new", data=FORM).status_code == 400  # no token
    assert _rows(app) == {}

    token = _token(admin, "/admin/trust/subprocessors/new")
    r = admin.post("/admin/trust/subprocessors/new", data={**FORM, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/trust/subprocessors")
    later = (_today() + timedelta(days=14)).isoformat()
    r = admin.post("/admin/trust/subprocessors/new", data={**FORM, "name": "Zendesk", "website": "",
                                                           "effective_from": later, "csrf_token": token})
    assert r.status_code == 302
    rows = _rows(app)
    aws, zendesk = rows["Amazon Web Services"], rows["Zendesk"]
    assert aws.purpose_zh == "云托管" and zendesk.effective_from.isoformat() == later
    assert (aws.data_categories, aws.data_categories_zh, aws.location, aws.location_zh) == (
        "All customer data", "全部客户数据", "Ireland", "爱尔兰")
    edit = admin.get(f"/admin/trust/subprocessors/{aws.uid}?lang=zh").get_data(as_text=True)
    assert "数据类别（中文）" in edit and "地点（中文）" in edit and "全部客户数据</textarea>" in edit

    page = admin.get("/admin/trust/subprocessors").get_data(as_text=True)
    assert "Amazon Web Services" in page and f"Announced: in use from {later}" in page

    r = admin.post(f"/admin/trust/subprocessors/{aws.uid}", data={**FORM, "location": "Germany",
                                                                  "location_zh": "德国", "csrf_token": token})
    assert r.status_code == 302 and _rows(app)["Amazon Web Services"].location == "Germany"
    assert _rows(app)["Amazon Web Services"].location_zh == "德国"

    r = admin.post(f"/admin/trust/subprocessors/{zendesk.uid}/move", data={"direction": "up", "csrf_token": token})
    assert r.status_code == 302
    assert [sp.name for sp in sorted(_rows(app).values(), key=lambda s: s.position)] == ["Zendesk", "Amazon Web Services"]

    assert admin.post(f"/admin/trust/subprocessors/{aws.uid}/remove").status_code == 400  # no token
    assert _rows(app)["Amazon Web Services"].removed_on is None
    r = admin.post(f"/admin/trust/subprocessors/{aws.uid}/remove", data={"csrf_token": token})
    assert r.status_code == 302 and _rows(app)["Amazon Web Services"].removed_on == _today()
    assert "Amazon Web Services" in _section(admin.get("/trust/subprocessors").get_data(as_text=True), "removed-title")
    r = admin.post(f"/admin/trust/subprocessors/{aws.uid}/remove", data={"csrf_token": token}, follow_redirects=True)
    assert "already removed" in r.get_data(as_text=True)  # twice: a message, not a 500

    r = admin.post(f"/admin/trust/subprocessors/{aws.uid}/restore", data={"csrf_token": token})
    assert r.status_code == 302 and _rows(app)["Amazon Web Services"].removed_on is None

    events = _events(app)
    assert [e[0] for e in events] == ["trust.subprocessor.create", "trust.subprocessor.create",
                                      "trust.subprocessor.update", "trust.subprocessor.reorder",
                                      "trust.subprocessor.remove", "trust.subprocessor.restore"]
    assert all(e[3] == "admin@example.com" for e in events)
    assert events[0][1] == aws.uid and events[0][2]["fields"]["website"] == "https://aws.amazon.com/"
    assert events[2][2]["changes"] == {"location": ["Ireland", "Germany"], "location_zh": ["爱尔兰", "德国"]}
    assert events[4][2]["removed_on"] == _today().isoformat()


def test_staff_form_refuses_a_script_website_and_stores_nothing(app, client_as):
    admin = client_as("admin")
    r = admin.post("/admin/trust/subprocessors/new", data={**FORM, "website": "javascript:alert(1)"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "must be a full address starting with https://" in page
    assert 'id="website-errors"' in page
    assert _rows(app) == {} and _events(app) == []
    r = admin.post("/admin/trust/subprocessors/new", data={**FORM, "name": ""})
    assert r.status_code == 400 and "Enter the subprocessor&#39;s name." in r.get_data(as_text=True)
    r = admin.post("/admin/trust/subprocessors/new", data={**FORM, "effective_from": "next tuesday"})
    assert r.status_code == 400 and _rows(app) == {}


def test_unknown_subprocessor_and_bad_direction(app, client_as):
    admin = client_as("admin")
    assert admin.get("/admin/trust/subprocessors/nope").status_code == 404
    assert admin.post("/admin/trust/subprocessors/nope/remove").status_code == 404
    uid = _add(app, "AWS")
    assert admin.post(f"/admin/trust/subprocessors/{uid}/move", data={"direction": "sideways"}).status_code == 400
    r = admin.post(f"/admin/trust/subprocessors/{uid}/restore", follow_redirects=True)
    assert r.status_code == 200 and "is not removed" in r.get_data(as_text=True)


@pytest.mark.parametrize("role", ["security", "legal", "sales", "viewer"])
def test_other_staff_cannot_edit(app, client_as, role):
    uid = _add(app, "AWS")
    staff = client_as(role)
    assert staff.get("/admin/trust/subprocessors").status_code == 403
    assert staff.post("/admin/trust/subprocessors/new", data=FORM).status_code == 403
    assert staff.post(f"/admin/trust/subprocessors/{uid}", data={**FORM, "name": "Evil"}).status_code == 403
    assert staff.post(f"/admin/trust/subprocessors/{uid}/remove").status_code == 403
    assert list(_rows(app)) == ["AWS"] and _rows(app)["AWS"].removed_on is None
    denied = _events(app, "permission.denied")
    assert len(denied) == 4 and all(e[2]["permission"] == "settings.manage" for e in denied)


def test_anonymous_visitors_are_sent_to_sign_in(app):
    uid = _add(app, "AWS")
    client = app.test_client()
    for method, url in [("get", "/admin/trust/subprocessors"), ("post", "/admin/trust/subprocessors/new"),
                        ("post", f"/admin/trust/subprocessors/{uid}/remove"),
                        ("post", f"/admin/trust/subprocessors/{uid}/move")]:
        r = getattr(client, method)(url, data={"direction": "up"} if method == "post" else None)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    assert _rows(app)["AWS"].removed_on is None and _events(app) == []


def test_settings_page_links_to_the_staff_list(app, client_as):
    page = client_as("admin").get("/admin/trust").get_data(as_text=True)
    assert 'href="/admin/trust/subprocessors"' in page


# --- demo ---------------------------------------------------------------------------------------

def test_demo_subprocessors_fill_every_section_once(app, make_user):
    from vault.auth.models import User
    from vault.demo import load_demo_subprocessors
    owner_id = make_user("security").id
    with app.app_context():
        sess = db.session()
        owner = sess.get(User, owner_id)
        assert load_demo_subprocessors(sess, owner, _today()) == 6
        sess.commit()
        assert load_demo_subprocessors(sess, owner, _today()) == 0
        listing = subs.public_list(sess, _today())
        assert (len(listing.current), len(listing.announced), len(listing.removed)) == (4, 1, 1)
        assert all(sp.purpose_zh and sp.data_categories_zh and sp.location_zh and sp.website.startswith("https://")
                   for sp in subs.staff_list(sess))
