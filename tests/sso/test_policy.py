"""SSO only and the break-glass admin, the settings page, the replay guard across hosts, the mapping rules."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.auth.helpers import code, events, login
from tests.conftest import TEST_PASSWORD, _close, make_app
from tests.sso.conftest import BREAK_GLASS, configure
from tests.sso.flows import saml_sign_in
from vault import db
from vault.inputs import InvalidInput
from vault.sso import mapping, service
from vault.sso.errors import SsoRefused
from vault.sso.models import SsoSettings
from vault.db import utcnow


def test_sso_only_refuses_passwords_but_the_break_glass_admin_signs_in_with_password_and_code(
        sso_app, saml_idp, break_glass_admin, make_user):
    other = make_user("admin", email="second-admin@example.com")
    configure(sso_app, saml_idp=saml_idp, sso_only=True, break_glass=BREAK_GLASS)
    page = sso_app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with SSO (SAML)" in page and "Break-glass administrator sign-in" in page

    refused = login(sso_app.test_client(), other.email)
    assert refused.status_code == 403 and "Password sign-in is turned off" in refused.get_data(as_text=True)
    assert events(sso_app, "auth.login_failed")[-1].detail["reason"] == "sso_only"
    # a wrong password reads the same for the break-glass account and any other: it is not given away
    wrong = [login(sso_app.test_client(), email, password="not the password")
             for email in (other.email, BREAK_GLASS, "nobody@example.com")]
    assert {(w.status_code, "Wrong email or password" in w.get_data(as_text=True)) for w in wrong} == {(200, True)}

    client = sso_app.test_client()
    step = login(client, BREAK_GLASS)
    assert step.status_code == 302 and step.headers["Location"].endswith("/login/code")
    done = client.post("/login/code", data={"code": code(break_glass_admin.totp)})
    assert done.status_code == 302 and client.get("/account").status_code == 200
    loud = events(sso_app, "auth.break_glass")[-1]
    assert loud.outcome == "ok" and loud.detail["email"] == BREAK_GLASS
    assert events(sso_app, "auth.login")[-1].detail["method"] == "password+totp"
    # SSO still works for everyone else
    assert saml_sign_in(sso_app.test_client(), saml_idp).status_code == 302


def test_passwords_cannot_be_turned_off_unless_the_break_glass_admin_has_two_factor(sso_app, saml_idp, make_user):
    make_user("admin", email=BREAK_GLASS)  # two-factor off
    with pytest.raises(InvalidInput) as refused:
        configure(sso_app, saml_idp=saml_idp, sso_only=True, break_glass=BREAK_GLASS)
    assert refused.value.field == "break_glass_email" and "two-factor" in str(refused.value)
    with pytest.raises(InvalidInput) as nobody:
        configure(sso_app, saml_idp=saml_idp, sso_only=True, break_glass="")
    assert nobody.value.field == "break_glass_email"
    assert login(sso_app.test_client(), BREAK_GLASS).status_code == 302  # nothing was turned off


def test_the_break_glass_password_is_refused_once_its_two_factor_is_gone(sso_app, saml_idp, break_glass_admin):
    configure(sso_app, saml_idp=saml_idp, sso_only=True, break_glass=BREAK_GLASS)
    with sso_app.app_context():
        from vault.auth.models import User
        sess = db.session()
        sess.get(User, break_glass_admin.id).totp_enabled = False
        sess.commit()
    assert login(sso_app.test_client(), BREAK_GLASS).status_code == 200  # the form again, "wrong email or password"
    assert events(sso_app, "auth.break_glass")[-1].outcome == "denied"


def test_settings_page_is_for_admins_with_csrf_and_keeps_the_secret_sealed(tmp_path, oidc_provider):
    from flask_login import FlaskLoginClient
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, SSO_ALLOW_HTTP_PROVIDERS=True)
    app.test_client_class = FlaskLoginClient
    try:
        with app.app_context():
            from vault.auth import service as accounts
            sess = db.session()
            admin = accounts.create_user(sess, email="root@example.com", password=TEST_PASSWORD, role="admin",
                                         actor="test")
            sales = accounts.create_user(sess, email="sales@example.com", password=TEST_PASSWORD, role="sales",
                                         actor="test")
            sess.commit()
        assert app.test_client(user=sales).get("/staff/admin/sso/").status_code == 403
        client = app.test_client(user=admin)
        page = client.get("/staff/admin/sso/")
        body = page.get_data(as_text=True)
        assert page.status_code == 200 and "http://vault.test/sso/oidc/callback" in body
        fields = {"oidc_enabled": "y", "oidc_issuer": oidc_provider.issuer, "oidc_client_id": "cid",
                  "oidc_client_secret": "s3cret-value", "group_roles": "sales = sales"}
        assert client.post("/staff/admin/sso/", data=fields).status_code == 400  # no CSRF token
        token = body.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        bad = client.post("/staff/admin/sso/", data={**fields, "csrf_token": token, "group_roles": "sales = boss"})
        assert bad.status_code == 400 and "“boss” is not a role" in bad.get_data(as_text=True)
        saved = client.post("/staff/admin/sso/", data={**fields, "csrf_token": token})
        assert saved.status_code == 302
        with app.app_context():
            stored = db.session().scalar(text("SELECT oidc_client_secret FROM sso_settings"))
            assert "s3cret-value" not in stored and stored.startswith("v1:")
            assert service.client_secret(db.session().get(SsoSettings, 1)) == "s3cret-value"
        change = events(app, "sso.settings_change")[-1]
        assert "oidc_client_secret" in change.detail["changed"] and "s3cret" not in str(change.detail)
        assert "Sign in with SSO (OpenID Connect)" in app.test_client().get("/login").get_data(as_text=True)
    finally:
        _close(app)


@pytest.mark.postgres
def test_a_used_assertion_is_refused_on_another_host(tmp_path, postgres_url):
    """Two app servers on one PostgreSQL database: what one accepted, the other refuses."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    host_a, host_b = make_app(tmp_path / "a", postgres_url), make_app(tmp_path / "b", postgres_url)
    try:
        with host_a.app_context():
            sess = db.session()
            service.remember_assertion(sess, "k" * 64, utcnow() + timedelta(minutes=5))
            sess.commit()
        with host_b.app_context():
            sess = db.session()
            with pytest.raises(SsoRefused) as replay:
                service.remember_assertion(sess, "k" * 64, utcnow() + timedelta(minutes=5))
            assert replay.value.reason == "replay"
            sess.rollback()
            sess.execute(text("UPDATE sso_used_assertions SET expires_at = :t"), {"t": utcnow() - timedelta(1)})
            assert service.purge_used_assertions(sess) == 1
            sess.commit()
    finally:
        _close(host_a), _close(host_b)


@pytest.mark.parametrize("typed, expected", [
    ("admins = admin\nsales-team = sales", [["admins", "admin"], ["sales-team", "sales"]]),
    ("# comment\n\nCN=Sec,OU=Groups = Security", [["CN=Sec,OU=Groups", "security"]]),
    ("", []),
])
def test_mapping_lines(typed, expected):
    assert mapping.parse(typed) == expected


@pytest.mark.parametrize("typed, where", [("admins admin", "Line 1"), ("x = admin\ny = root", "Line 2"),
                                          (" = admin", "Line 1")])
def test_mapping_errors_name_the_line(typed, where):
    with pytest.raises(InvalidInput) as refused:
        mapping.parse(typed)
    assert where in str(refused.value) and refused.value.field == "group_roles"


def test_first_matching_line_wins_and_no_match_is_none():
    rules = [["admins", "admin"], ["staff", "viewer"]]
    assert mapping.role_for(rules, ["staff", "admins"]) == "admin"
    assert mapping.role_for(rules, ["staff"]) == "viewer"
    assert mapping.role_for(rules, ["Admins"]) is None and mapping.role_for([], ["admins"]) is None


def test_only_refused_sign_ins_count_against_an_address(tmp_path, oidc_provider):
    app = make_app(tmp_path, SSO_ALLOW_HTTP_PROVIDERS=True, LOGIN_LIMIT_PER_ADDRESS="3 per 5 minutes")
    try:
        configure(app, oidc_provider=oidc_provider)
        client = app.test_client()
        assert [client.get("/sso/oidc/start").status_code for _ in range(5)] == [302] * 5  # an office at nine
        refused = [client.get("/sso/oidc/callback?state=forged&code=x").status_code for _ in range(4)]
        assert refused == [403, 403, 403, 429]
    finally:
        _close(app)


def test_without_a_public_address_sso_refuses_rather_than_trust_the_host_header(tmp_path):
    """Our entity id, ACS and redirect URI come from PUBLIC_BASE_URL / SERVER_NAME only: a forged Host
    header must not move them."""
    from flask_login import FlaskLoginClient
    app = make_app(tmp_path, SERVER_NAME=None)
    app.test_client_class = FlaskLoginClient
    try:
        metadata = app.test_client().get("/sso/saml/metadata", headers={"Host": "evil.example"})
        assert metadata.status_code == 503 and "VAULT_PUBLIC_BASE_URL" in metadata.get_data(as_text=True)
        with app.app_context():
            from vault.auth import service as accounts
            admin = accounts.create_user(db.session(), email="root@example.com", password=TEST_PASSWORD,
                                         role="admin", actor="test")
            db.session().commit()
        page = app.test_client(user=admin).get("/staff/admin/sso/")
        assert page.status_code == 200 and "VAULT_PUBLIC_BASE_URL" in page.get_data(as_text=True)
    finally:
        _close(app)
