"""The account page: profile, language, password change."""
from tests.auth.helpers import events, login, reload_user
from tests.conftest import TEST_PASSWORD

DOMAIN = "vault.test"
NEW_PASSWORD = "a brand new passphrase 7"


def test_account_page_needs_sign_in(client):
    resp = client.get("/account")
    assert resp.status_code == 302 and resp.location.startswith("/login?next=")


def test_profile_and_language_are_saved(app, client_as):
    client = client_as("legal")
    page = client.get("/account")
    assert page.status_code == 200 and b"Change password" in page.data
    resp = client.post("/account", data={"profile-name": "Li Lei", "profile-locale": "zh"})
    assert resp.location == "/account"
    user = reload_user(app, client.user.id)
    assert (user.name, user.locale) == ("Li Lei", "zh")
    assert b'<html lang="zh-CN">' in client.get("/account").data
    (ev,) = events(app, "user.profile_change")
    assert ev.detail["changes"] == {"name": "Li Lei", "locale": "zh"}
    client.post("/account", data={"profile-name": "Li Lei", "profile-locale": ""})
    assert reload_user(app, client.user.id).locale is None


def test_unknown_language_is_refused(app, client_as):
    client = client_as("legal")
    resp = client.post("/account", data={"profile-name": "X", "profile-locale": "fr"})
    assert resp.status_code == 400 and b"Not a valid choice" in resp.data
    assert reload_user(app, client.user.id).locale is None


def test_password_change_needs_the_current_password(app, client_as):
    client = client_as("viewer")
    before = reload_user(app, client.user.id).password_hash
    resp = client.post("/account/password", data={"pw-current": "not my password!", "pw-new": NEW_PASSWORD,
                                                   "pw-confirm": NEW_PASSWORD})
    assert resp.status_code == 400 and b"current password is not correct" in resp.data
    resp = client.post("/account/password", data={"pw-current": TEST_PASSWORD, "pw-new": "short",
                                                   "pw-confirm": "short"})
    assert resp.status_code == 400 and b"at least 12 characters" in resp.data
    resp = client.post("/account/password", data={"pw-current": TEST_PASSWORD, "pw-new": NEW_PASSWORD,
                                                   "pw-confirm": NEW_PASSWORD + "x"})
    assert resp.status_code == 400 and b"two new passwords differ" in resp.data
    assert reload_user(app, client.user.id).password_hash == before


def test_password_change_ends_other_sessions_but_not_this_one(app, make_user):
    user = make_user("viewer")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user.email)
    login(elsewhere, user.email, ip="198.51.100.1")
    resp = here.post("/account/password", data={"pw-current": TEST_PASSWORD, "pw-new": NEW_PASSWORD,
                                                 "pw-confirm": NEW_PASSWORD})
    assert resp.location == "/account"
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302
    here.post("/logout")
    assert login(here, user.email).status_code == 200  # old password refused
    assert login(here, user.email, NEW_PASSWORD).status_code == 302
    (ev,) = events(app, "user.password_change")
    assert ev.actor_id == user.id


def test_password_equal_to_email_is_refused(app, client_as):
    client = client_as("viewer", email="long.address@example.com")
    resp = client.post("/account/password", data={"pw-current": TEST_PASSWORD, "pw-new": "long.address@example.com",
                                                   "pw-confirm": "long.address@example.com"})
    assert resp.status_code == 400 and b"must not be your email" in resp.data
