"""Fixtures of the single sign-on tests: a real OpenID provider and a real SAML IdP on loopback, and an app
whose single sign-on settings point at them."""
from __future__ import annotations

import pytest

from tests.conftest import TEST_PASSWORD, _close, make_app
from tests.sso.idp import SamlIdp
from tests.sso.oidc_provider import OidcProvider

MAPPING = "trust-admins = admin\nsecurity-team = security\nsales = sales\neveryone = viewer"
BREAK_GLASS = "breakglass@example.com"


@pytest.fixture
def oidc_provider(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider (Authlib's server) on plain http
    with OidcProvider() as provider:
        yield provider


@pytest.fixture
def saml_idp(tmp_path):
    with SamlIdp(tmp_path) as idp:
        idp.users["alice"] = {"password": "alice-pw", "email": "alice@example.com", "groups": ["sales"],
                              "name": "Alice Example"}
        yield idp


def configure(app, *, oidc_provider=None, saml_idp=None, sso_only=False, break_glass="", mapping=MAPPING):
    """Save the settings as an admin would (service.save_settings, audited), then hand our SP metadata to the IdP."""
    from vault import db
    from vault.audit import Actor
    from vault.sso import service
    from vault.sso.staff import check_metadata
    with app.test_request_context():
        sess = db.session()
        data = service.SettingsInput(
            oidc_enabled=oidc_provider is not None, oidc_issuer=oidc_provider.issuer if oidc_provider else "",
            oidc_client_id="trustvault-test" if oidc_provider else "",
            oidc_client_secret="test-client-secret" if oidc_provider else "", oidc_groups_claim="groups",
            saml_enabled=saml_idp is not None, saml_idp_metadata=saml_idp.metadata() if saml_idp else "",
            saml_email_attribute="email", saml_groups_attribute="groups", group_roles=mapping,
            sso_only=sso_only, break_glass_email=break_glass)
        service.save_settings(sess, data, actor=Actor(label="test"), check_saml=check_metadata)
        sess.commit()
    if saml_idp is not None:
        saml_idp.sp_metadata = app.test_client().get("/sso/saml/metadata").get_data(as_text=True)


@pytest.fixture
def sso_app(tmp_path):
    app = make_app(tmp_path, SSO_ALLOW_HTTP_PROVIDERS=True)
    yield app
    _close(app)


@pytest.fixture
def break_glass_admin(sso_app, make_user):
    """The named break-glass admin, with two-factor on (required before passwords are turned off)."""
    from tests.auth.helpers import enable_totp
    user = make_user("admin", email=BREAK_GLASS)
    user.totp = enable_totp(sso_app, user.id)
    return user


@pytest.fixture
def make_user(sso_app):
    import itertools

    from vault import db
    from vault.auth import service

    counter = itertools.count(1)

    def _make(role="security", email=None, password=TEST_PASSWORD):
        with sso_app.app_context():
            sess = db.session()
            user = service.create_user(sess, email=email or f"{role}{next(counter)}@example.com", password=password,
                                       role=role, actor="test")
            sess.commit()
            sess.refresh(user)
            sess.expunge(user)
            return user
    return _make
