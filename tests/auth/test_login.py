"""Sign-in, sign-out and sessions: landing flow, uniform failures, safe redirects, logout replay."""
import statistics
import time

import pytest
from argon2 import PasswordHasher

from tests.auth.helpers import events, login, reload_user
from tests.conftest import TEST_PASSWORD, make_app
from vault import db
from vault.auth.service import create_user
from vault.auth.models import User

DOMAIN = "vault.test"  # SERVER_NAME of the test app


def test_landing_shows_visitors_the_trust_center_and_staff_their_documents(client, make_user):
    user = make_user("viewer")
    resp = client.get("/")
    assert resp.status_code == 302 and resp.location.endswith("/trust/")
    page = client.get("/login")
    assert page.status_code == 200 and b'name="password"' in page.data
    resp = login(client, user.email)
    assert resp.status_code == 302 and resp.location == "/documents/"
    assert client.get("/").location == "/documents/"


def test_login_is_audited_with_ip_and_sets_last_login(app, client, make_user):
    user = make_user("legal")
    login(client, user.email.upper(), ip="203.0.113.9")
    (ev,) = events(app, "auth.login")
    assert (ev.actor, ev.actor_id, ev.ip, ev.outcome) == (user.email, user.id, "203.0.113.9", "ok")
    assert reload_user(app, user.id).last_login_at is not None


def test_failure_same_response_for_unknown_email_and_wrong_password(app, client, make_user):
    user = make_user("viewer", email="known@example.com")
    wrong = login(client, user.email, "a wrong password here")
    unknown = login(client, "nobody@example.com", "a wrong password here")
    assert wrong.status_code == unknown.status_code == 200
    assert b"Wrong email or password." in wrong.data
    assert wrong.data.replace(b"known@example.com", b"EMAIL") == unknown.data.replace(b"nobody@example.com", b"EMAIL")
    failures = events(app, "auth.login_failed")
    assert [(e.outcome, e.detail["email"], e.ip) for e in failures] == [
        ("failed", "known@example.com", "127.0.0.1"), ("failed", "nobody@example.com", "127.0.0.1")]


def test_unknown_email_costs_as_much_as_a_wrong_password(tmp_path):
    """An unknown email is checked against a dummy hash, so timing does not reveal accounts."""
    app = make_app(tmp_path, ARGON2_PARAMETERS=None)  # the real, slow parameters
    client = app.test_client()
    with app.app_context():
        sess = db.session()
        user = create_user(sess, email="timing@example.com", password=TEST_PASSWORD, role="viewer")
        sess.commit()

    def timed(email):
        start = time.perf_counter()
        login(client, email, "a wrong password here")
        return time.perf_counter() - start

    samples = [(timed(user.email), timed(f"ghost{i}@example.com")) for i in range(3)]  # interleaved
    wrong = statistics.median(w for w, _ in samples)
    unknown = statistics.median(u for _, u in samples)
    # Without the dummy hash an unknown email answers ~50x faster; a loose bound keeps a busy CI calm.
    assert unknown > 0.3 * wrong, (unknown, wrong)


def test_disabled_account_gets_the_same_failure(app, client, make_user):
    user = make_user("viewer")
    with app.app_context():
        sess = db.session()
        sess.get(User, user.id).active = False
        sess.commit()
    resp = login(client, user.email)
    assert resp.status_code == 200 and b"Wrong email or password." in resp.data
    assert client.get("/account").status_code == 302


def test_old_hash_parameters_are_upgraded_at_login(tmp_path):
    app = make_app(tmp_path, ARGON2_PARAMETERS=None)
    client = app.test_client()
    with app.app_context():
        sess = db.session()
        user = create_user(sess, email="old@example.com", password=TEST_PASSWORD, role="viewer")
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(TEST_PASSWORD)
        sess.commit()
    assert login(client, user.email).status_code == 302
    new_hash = reload_user(app, user.id).password_hash
    assert "m=65536,t=3" in new_hash and PasswordHasher().verify(new_hash, TEST_PASSWORD)


@pytest.mark.parametrize("target", ["//evil.com", "////evil.com", "/\\evil.com", "https:evil.com",
                                    "https://evil.com/", "javascript:alert(1)", "/\r\nSet-Cookie:x"])
def test_unsafe_next_is_ignored(client, make_user, target):
    user = make_user("viewer")
    resp = login(client, user.email, next=target)
    assert resp.status_code == 302 and resp.location == "/documents/"


def test_safe_next_is_followed(client, make_user):
    user = make_user("viewer")
    page = client.get("/account")
    assert page.status_code == 302 and "next=%2Faccount" in page.location
    resp = login(client, user.email, next="/account")
    assert resp.location == "/account"


def test_session_is_rotated_at_login(client, make_user):
    user = make_user("viewer")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone before sign-in"
        sess["csrf_token"] = "fixed-token-chosen-by-attacker"
    login(client, user.email)
    with client.session_transaction() as sess:
        assert "planted" not in sess and sess.get("csrf_token") != "fixed-token-chosen-by-attacker"
        assert sess["_user_id"].startswith(f"{user.id}.")


def test_logout_replay_of_session_and_remember_cookies_fails(app, make_user):
    """THREATS.md 'logout replay': cookies copied before sign-out must not work after it."""
    user = make_user("viewer")
    client = app.test_client()
    login(client, user.email, remember="y")
    session_cookie = client.get_cookie("session", domain=DOMAIN).value
    remember_cookie = client.get_cookie("remember_token", domain=DOMAIN).value
    assert client.get("/account").status_code == 200

    resp = client.post("/logout")
    assert resp.status_code == 302 and resp.location == "/login"
    assert client.get("/account").status_code == 302
    (ev,) = events(app, "auth.logout")
    assert ev.actor_id == user.id

    for name, value in (("session", session_cookie), ("remember_token", remember_cookie)):
        replay = app.test_client()
        replay.set_cookie(name, value, domain=DOMAIN)
        resp = replay.get("/account")
        assert resp.status_code == 302 and resp.location.startswith("/login"), name


def test_remember_cookie_alone_signs_in_until_logout(app, make_user):
    user = make_user("viewer")
    client = app.test_client()
    login(client, user.email, remember="y")
    remember_cookie = client.get_cookie("remember_token", domain=DOMAIN).value
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember_cookie, domain=DOMAIN)
    assert fresh.get("/account").status_code == 200  # the cookie really works before logout


def test_logout_needs_post(client, make_user):
    user = make_user("viewer")
    login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_signed_in_user_visiting_login_goes_on(client, make_user):
    user = make_user("viewer")
    login(client, user.email)
    assert client.get("/login").location == "/documents/"


def test_empty_form_gets_a_message(client):
    resp = client.post("/login", data={"email": "", "password": ""})
    assert resp.status_code == 200 and b"Enter your email and password." in resp.data
