"""Response headers set in one place (`vault._security_headers`): HSTS over HTTPS only, and every
response to a signed-in staff user `no-store` (issue #18, items 1 and 4)."""
import pytest

from tests.conftest import _close, make_app

YEAR = 365 * 86400


@pytest.fixture
def proxied_app(tmp_path):
    """Served over HTTPS behind one trusted proxy, as in production."""
    app = make_app(tmp_path, SESSION_COOKIE_SECURE=True, PROXY_HOPS=1)
    yield app
    _close(app)


def _max_age(value: str) -> int:
    parts = dict(p.strip().partition("=")[::2] for p in value.split(";"))
    return int(parts["max-age"])


def test_hsts_behind_a_proxy_that_says_https(proxied_app):
    resp = proxied_app.test_client().get("/trust/", headers={"X-Forwarded-Proto": "https",
                                                             "X-Forwarded-For": "203.0.113.9"})
    hsts = resp.headers["Strict-Transport-Security"]
    assert _max_age(hsts) >= YEAR and "includeSubDomains" in hsts
    # any page, error pages too
    assert "Strict-Transport-Security" in proxied_app.test_client().get(
        "/no-such-page", headers={"X-Forwarded-Proto": "https"}).headers


def test_hsts_never_on_plain_http(proxied_app, app):
    assert "Strict-Transport-Security" not in proxied_app.test_client().get("/trust/").headers
    assert "Strict-Transport-Security" not in proxied_app.test_client().get(
        "/trust/", headers={"X-Forwarded-Proto": "http"}).headers
    # Without trusted proxies, a client's X-Forwarded-Proto is not believed.
    assert "Strict-Transport-Security" not in app.test_client().get(
        "/trust/", headers={"X-Forwarded-Proto": "https"}).headers


def test_hsts_direct_https_and_settings(tmp_path):
    app = make_app(tmp_path, HSTS_INCLUDE_SUBDOMAINS=False, HSTS_MAX_AGE=2 * YEAR)
    try:
        resp = app.test_client().get("/trust/", base_url="https://vault.test")
        assert resp.headers["Strict-Transport-Security"] == f"max-age={2 * YEAR}"
        app.config["HSTS_MAX_AGE"] = None
        assert "Strict-Transport-Security" not in app.test_client().get(
            "/trust/", base_url="https://vault.test").headers
    finally:
        _close(app)


STAFF_PAGES = ["/", "/documents/", "/library/", "/expiry/", "/admin/audit", "/admin/users", "/admin/status/",
               "/account"]


def test_every_staff_page_is_no_store(app, client_as):
    admin = client_as("admin")
    seen = 0
    for url in STAFF_PAGES:
        resp = admin.get(url)
        if resp.status_code == 404:
            continue
        seen += 1
        assert resp.headers.get("Cache-Control") == "no-store", url
        assert resp.headers.get("Pragma") == "no-cache", url
    assert seen >= 5
    # a denial and a public page seen while signed in are not kept either
    viewer = client_as("viewer")
    assert viewer.get("/admin/audit").headers["Cache-Control"] == "no-store"
    assert "no-store" in viewer.get("/trust/").headers["Cache-Control"]


def test_public_pages_and_static_files_keep_their_caching(app, client_as):
    anonymous = app.test_client()
    assert "no-store" not in anonymous.get("/trust/").headers.get("Cache-Control", "")
    staff = client_as("security")
    static = staff.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
