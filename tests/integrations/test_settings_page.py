"""/admin/integrations: admins only, CSRF, URLs checked by the SSRF guard, secrets never shown back,
a test send through the outbox that says how it went, everything audited."""
from __future__ import annotations

from sqlalchemy import select

from tests.integrations.conftest import outbox_rows

TOKEN = "pat-na1-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def _audit(app, action):
    from vault import db
    from vault.audit import AuditEvent
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _targets(app):
    from vault import db
    from vault.integrations import service
    with app.app_context():
        rows = service.list_targets(db.session())
        return [(r.uid, r.kind, r.enabled, r.events, r.language) for r in rows]


def test_only_admins_open_it_and_the_hub_links_it(app, client_as):
    assert client_as("sales").get("/admin/integrations").status_code == 403
    assert client_as("security").get("/admin/integrations").status_code == 403
    admin = client_as("admin")
    assert "/admin/integrations" in admin.get("/staff/admin").get_data(as_text=True)
    page = admin.get("/admin/integrations")
    assert page.status_code == 200 and "Nothing is connected yet." in page.get_data(as_text=True)
    assert app.test_client().get("/admin/integrations").status_code == 302  # to the sign-in page


def test_add_hubspot_the_token_is_never_shown_back_and_a_test_searches_only(app, client_as, api):
    api.answer("/crm/v3/objects/companies/search", (200, {"total": 0, "results": []}))
    admin = client_as("admin", email="admin@buyer.example")
    r = admin.post("/admin/integrations", data={
        "kind": "hubspot", "label": "HubSpot EU", "url": api.base, "secret": TOKEN, "language": "zh",
        "events": ["access.requested", "access.approved"], "template_id": "1001298"})
    assert r.status_code == 302
    ((uid, kind, enabled, events, language),) = _targets(app)
    assert (kind, enabled, events, language) == ("hubspot", True, ["access.requested", "access.approved"], "zh")
    page = admin.get("/admin/integrations").get_data(as_text=True)
    assert TOKEN not in page and "secret stored, encrypted" in page and "http://127.0.0.1:" in page
    assert str(api.port) in page and "/crm" not in page
    (added,) = _audit(app, "integration.add")
    assert TOKEN not in str(added.detail)

    r = admin.post(f"/admin/integrations/{uid}/test", data={"domain": "buyer.example"}, follow_redirects=True)
    assert "Test sent to HubSpot EU." in r.get_data(as_text=True)
    (search,) = api.requests
    assert search.headers["authorization"] == f"Bearer {TOKEN}"
    assert search.json()["filterGroups"][0]["filters"][0]["value"] == "buyer.example"
    assert [r.status for r in outbox_rows(app)] == ["sent"]
    assert _audit(app, "integration.test")


def test_a_failed_test_says_why_with_the_apis_message(app, client_as, api, connect):
    api.answer("/crm/v3/objects/companies/search", (401, {"status": "error", "message": "Authentication credentials "
                                                          "not found.", "category": "INVALID_AUTHENTICATION"}))
    uid = connect("hubspot", api.base, secret="wrong", template_id="5")
    r = client_as("admin").post(f"/admin/integrations/{uid}/test", data={"domain": "x.example"}, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "The test failed" in text and "Authentication credentials not found." in text


def test_chat_test_message_arrives_and_switch_off_and_remove(app, client_as, api):
    admin = client_as("admin")
    r = admin.post("/admin/integrations", data={"kind": "slack", "label": "#sales", "url": f"{api.base}/T1/B1/s3cr3t",
                                               "events": ["access.requested"], "language": "en"})
    assert r.status_code == 302
    ((uid, *_),) = _targets(app)
    page = admin.get("/admin/integrations").get_data(as_text=True)
    assert "s3cr3t" not in page and "/T1/B1" not in page  # a Slack webhook URL is itself the secret
    admin.post(f"/admin/integrations/{uid}/test", data={})
    (sent,) = api.on("/T1/B1/s3cr3t")
    assert sent.json()["blocks"][0]["text"]["text"] == "Test message from trustvault"
    admin.post(f"/admin/integrations/{uid}/toggle")
    assert _targets(app)[0][2] is False and _audit(app, "integration.disable")
    admin.post(f"/admin/integrations/{uid}/delete")
    assert _targets(app) == [] and _audit(app, "integration.delete")


def test_refusals_name_the_field_and_store_nothing(app, client_as, api):
    admin = client_as("admin")
    cases = [
        ({"kind": "slack", "url": "http://169.254.169.254/latest/meta-data", "events": ["access.requested"]},
         "The URL is refused"),
        ({"kind": "webhook", "url": f"{api.base}/h", "events": ["access.requested"]}, "needs a signing secret"),
        ({"kind": "hubspot", "url": api.base, "secret": "t", "events": ["access.requested"], "template_id": "abc"},
         "event template id"),
        ({"kind": "hubspot", "url": api.base, "secret": "t", "template_id": "1",
          "events": ["questionnaire.matched"]}, "Choose at least one event"),
        ({"kind": "salesforce", "url": api.base, "events": ["nda.signed"]}, "Enter the API access token."),
        ({"kind": "teams", "url": f"{api.base}/t", "secret": "x", "events": ["nda.signed"]}, "takes no secret"),
    ]
    for data, message in cases:
        r = admin.post("/admin/integrations", data={"language": "en", "label": "x", **data})
        text = r.get_data(as_text=True)
        assert r.status_code == 400 and message in text, (data, text[-3000:])
    assert _targets(app) == []


def test_a_refused_form_does_not_echo_the_secret(app, client_as):
    r = client_as("admin").post("/admin/integrations", data={
        "kind": "webhook", "url": "http://169.254.169.254/", "secret": "whsec-do-not-echo-me", "events": ["nda.signed"],
        "language": "en"})
    assert r.status_code == 400 and "whsec-do-not-echo-me" not in r.get_data(as_text=True)


def test_private_addresses_follow_the_admin_switch(app, client_as, api):
    app.config["NOTIFY_ALLOW_PRIVATE_TARGETS"] = False
    r = client_as("admin").post("/admin/integrations", data={
        "kind": "slack", "url": f"{api.base}/x", "events": ["access.requested"], "language": "en"})
    assert r.status_code == 400 and "127.0.0.1" in r.get_data(as_text=True) and _targets(app) == []


def test_csrf_is_required(app, client_as, api):
    app.config["WTF_CSRF_ENABLED"] = True
    admin = client_as("admin")
    r = admin.post("/admin/integrations", data={"kind": "slack", "url": f"{api.base}/x",
                                               "events": ["access.requested"], "language": "en"})
    assert r.status_code == 400 and _targets(app) == []


def test_the_page_in_chinese(app, client_as):
    admin = client_as("admin")
    admin.set_cookie("vault_lang", "zh", domain="vault.test")
    text = admin.get("/admin/integrations").get_data(as_text=True)
    assert "集成" in text and "连接" in text and "消息语言" in text


def test_edit_keeps_the_stored_token_unless_a_new_one_is_given(app, client_as, api, connect):
    from vault import db
    from vault.integrations import secrets, service
    from vault.storage import get_keyring
    api.answer("/crm/v3/objects/companies/search", (200, {"total": 0, "results": []}))
    uid = connect("hubspot", api.base, secret=TOKEN, template_id="5", events=["access.requested"])
    admin = client_as("admin")
    page = admin.get(f"/admin/integrations/{uid}").get_data(as_text=True)
    assert TOKEN not in page and 'value="5"' in page and "leave empty to keep" in page
    r = admin.post(f"/admin/integrations/{uid}", data={"label": "HubSpot APAC", "events": ["nda.signed"],
                                                      "language": "zh", "template_id": "6", "secret": ""})
    assert r.status_code == 302
    with app.app_context():
        row = service.get_target(db.session(), uid)
        assert (row.label, row.events, row.language, row.options["template_id"]) == ("HubSpot APAC", ["nda.signed"],
                                                                                     "zh", "6")
        assert secrets.open_value(get_keyring(), uid, "secret", row.secret_sealed) == TOKEN
    admin.post(f"/admin/integrations/{uid}", data={"label": "x", "events": ["nda.signed"], "language": "en",
                                                  "template_id": "6", "secret": "pat-new-token"})
    (event,) = _audit(app, "integration.update")[-1:]
    assert event.detail["changed"] == ["label", "language", "secret"] and "pat-new-token" not in str(event.detail)
    with app.app_context():
        row = service.get_target(db.session(), uid)
        assert secrets.open_value(get_keyring(), uid, "secret", row.secret_sealed) == "pat-new-token"
    r = admin.post(f"/admin/integrations/{uid}", data={"label": "x", "events": ["questionnaire.matched"],
                                                      "language": "en", "template_id": "6"})
    assert r.status_code == 400 and "Choose at least one event" in r.get_data(as_text=True)
    assert client_as("sales").get(f"/admin/integrations/{uid}").status_code == 403
    assert admin.get("/admin/integrations/" + "0" * 32).status_code == 404
