"""Single sign-on in a real Chromium, end to end through both real providers on loopback (their own
sign-in pages included): OpenID Connect (oidc-provider-mock) and SAML 2.0 (pysaml2's IdP), then sign-out
through the provider's end-session page. The sign-in and settings pages at 390 and 1366 px, en and zh,
without sideways scrolling. SCREENSHOTS=<dir> saves them."""
from __future__ import annotations

import pytest

from tests.browser.conftest import LiveServer, assert_no_sideways_scroll, screenshot, sign_in
from tests.conftest import TEST_PASSWORD, make_app
from tests.services import free_port
from tests.sso.conftest import configure
from tests.sso.idp import SamlIdp
from tests.sso.oidc_provider import OidcProvider

pytestmark = pytest.mark.browser


@pytest.fixture
def providers(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with OidcProvider() as oidc, SamlIdp(tmp_path) as idp:
        idp.users["alice"] = {"password": "alice-pw", "email": "alice@example.com", "groups": ["sales"],
                              "name": "Alice Example"}
        yield oidc, idp


@pytest.fixture
def live(tmp_path, providers):
    oidc, idp = providers
    port = free_port()
    app = make_app(tmp_path, SERVER_NAME=f"127.0.0.1:{port}", WTF_CSRF_ENABLED=True, SSO_ALLOW_HTTP_PROVIDERS=True)
    from vault import db
    from vault.auth.service import create_user
    with app.app_context():
        create_user(db.session(), email="root@example.com", password=TEST_PASSWORD, role="admin", actor="test")
        db.session().commit()
    configure(app, oidc_provider=oidc, saml_idp=idp)
    with LiveServer(app, port) as server:
        server.app = app
        yield server
    app.extensions["vault.engine"].dispose()


def _context(browser, width=1366, lang="en"):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN" if lang == "zh" else "en")
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())  # the mock's stylesheet: offline
    return context


def test_sign_in_through_both_providers_sign_out_and_a_refusal(browser, live, providers):
    oidc, idp = providers
    oidc.set_user("dana", email="dana@example.com", name="Dana", groups=["security-team"])
    context = _context(browser)
    page = context.new_page()
    # OpenID Connect: our button, the provider's page, back signed in with the mapped role
    page.goto(f"{live.url}/login?next=/library/")
    page.get_by_role("link", name="Sign in with SSO (OpenID Connect)").click()
    page.wait_for_url(f"{oidc.issuer}/oauth2/authorize*")
    page.locator("input[name=sub]").fill("dana")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{live.url}/library/*")
    page.goto(f"{live.url}/account")
    assert "dana@example.com" in page.content()
    # sign out: our hop page, then the provider's end-session page, then back to our sign-in page
    page.locator("form[action='/logout'] button").first.click()
    page.wait_for_url(f"{oidc.issuer}/oauth2/end_session*")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{live.url}/login*")
    page.goto(f"{live.url}/account")
    assert "/login" in page.url
    # SAML: our button, the IdP's login page, its auto-posting answer to our ACS (posted again from our page)
    _saml_sign_in(page, live, idp)
    page.wait_for_url(f"{live.url}/documents/*")
    page.goto(f"{live.url}/account")
    assert "alice@example.com" in page.content()
    from tests.auth.helpers import events
    assert [e.detail["method"] for e in events(live.app, "auth.login")] == ["sso-oidc", "sso-saml"]
    # removed from every mapped group at the IdP: the next sign-in is refused with a clear page
    page.locator("form[action='/logout'] button").first.click()
    page.wait_for_url(f"{live.url}/login*")
    idp.users["alice"]["groups"] = ["contractors"]
    _saml_sign_in(page, live, idp)
    page.wait_for_url(f"{live.url}/sso/saml/acs")
    assert "Ask an administrator to map one of your groups" in page.locator("[role=alert]").inner_text()
    screenshot(page, "sso-refused-en-1366")
    context.close()


def _saml_sign_in(page, live, idp) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_role("link", name="Sign in with SSO (SAML)").click()
    page.wait_for_url(f"{idp.url}/sso*")
    page.locator("#username").fill("alice")
    page.locator("#password").fill("alice-pw")
    page.locator("#signin").click()


def test_sign_in_and_settings_pages(browser, live):
    for lang in ("en", "zh"):
        for width in (390, 1366):
            context = _context(browser, width, lang)
            page = context.new_page()
            page.goto(f"{live.url}/login")
            assert page.locator("a.button[href^='/sso/oidc/start']").is_visible()
            assert_no_sideways_scroll(page, f"login {lang} {width}")
            screenshot(page, f"sso-login-{lang}-{width}")
            sign_in(page, live, "root@example.com")
            page.goto(f"{live.url}/staff/admin/sso/")
            assert page.locator("input[name=oidc_issuer]").input_value().startswith("http://localhost:")
            assert_no_sideways_scroll(page, f"settings {lang} {width}")
            screenshot(page, f"sso-settings-{lang}-{width}")
            context.close()
