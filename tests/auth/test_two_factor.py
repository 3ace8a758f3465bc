"""Two-factor sign-in: enrolment, the half-signed-in step, replay, disabling, admins required to enrol."""
import re
import time

from tests.auth.helpers import code, enable_totp, events, login, reload_user
from tests.conftest import make_app
from tests.auth.conftest import FAST_HASHING


def _enrol(client):
    """Run the enrolment pages; returns the secret shown to the user."""
    assert client.post("/account/2fa/setup").location == "/account/2fa"
    page = client.get("/account/2fa").get_data(as_text=True)
    uri = re.search(r"otpauth://totp/[^<\"]+", page).group(0)
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    assert f"<code>{secret}</code>" in page and 'src="data:image/svg+xml' in page
    return secret


def test_enrolment_needs_a_confirming_code(app, client, make_user):
    user = make_user("security")
    login(client, user.email)
    secret = _enrol(client)
    assert reload_user(app, user.id).totp_enabled is False  # a secret alone turns nothing on

    resp = client.post("/account/2fa/confirm", data={"confirm-code": "123456"}, follow_redirects=True)
    assert b"not valid" in resp.data and reload_user(app, user.id).totp_enabled is False

    resp = client.post("/account/2fa/confirm", data={"confirm-code": code(secret)})
    assert resp.location == "/account"
    assert reload_user(app, user.id).totp_enabled is True
    assert client.get("/account").status_code == 200  # this browser stays signed in
    assert [e.outcome for e in events(app, "user.totp_enable")] == ["failed", "ok"]


def test_login_asks_for_the_code_and_is_not_signed_in_meanwhile(app, client, make_user):
    user = make_user("viewer")
    secret = enable_totp(app, user.id)
    resp = login(client, user.email, next="/account")
    assert resp.location == "/login/code"
    assert client.get("/account").status_code == 302  # half signed in is not signed in
    assert client.get("/login/code").status_code == 200
    resp = client.post("/login/code", data={"code": code(secret)})
    assert resp.status_code == 302 and resp.location == "/account"
    assert client.get("/account").status_code == 200
    (ev,) = events(app, "auth.login")
    assert ev.detail == {"method": "password+totp"}


def test_wrong_code_is_refused_and_audited(app, client, make_user):
    user = make_user("viewer")
    enable_totp(app, user.id)
    login(client, user.email)
    resp = client.post("/login/code", data={"code": "000000"})
    assert resp.status_code == 200 and b"not valid" in resp.data
    assert client.get("/account").status_code == 302
    (ev,) = events(app, "auth.login_failed")
    assert ev.detail["step"] == "code" and ev.outcome == "failed"


def test_replayed_code_is_refused(app, make_user):
    user = make_user("viewer")
    secret = enable_totp(app, user.id)
    used = code(secret)
    first = app.test_client()
    login(first, user.email)
    assert first.post("/login/code", data={"code": used}).status_code == 302
    second = app.test_client()
    login(second, user.email)
    resp = second.post("/login/code", data={"code": used})
    assert resp.status_code == 200 and b"already used" in resp.data
    assert second.get("/account").status_code == 302


def test_half_signed_in_state_expires(app, client, make_user):
    user = make_user("viewer")
    secret = enable_totp(app, user.id)
    login(client, user.email)
    with client.session_transaction() as sess:
        sess["pending_2fa"] = {**sess["pending_2fa"], "at": int(time.time()) - 301}
    resp = client.post("/login/code", data={"code": code(secret)})
    assert resp.status_code == 302 and resp.location == "/login"
    assert client.get("/account").status_code == 302


def test_code_step_without_password_step_goes_back(client):
    assert client.get("/login/code").location == "/login"


def test_disable_requires_a_current_code(app, client, make_user):
    user = make_user("viewer")
    secret = enable_totp(app, user.id)
    login(client, user.email)
    client.post("/login/code", data={"code": code(secret)})
    resp = client.post("/account/2fa/disable", data={"disable-code": "000000"})
    assert resp.status_code == 400 and b"not valid" in resp.data
    assert reload_user(app, user.id).totp_enabled is True
    resp = client.post("/account/2fa/disable", data={"disable-code": code(secret, ahead=1)})
    assert resp.location == "/account"
    assert reload_user(app, user.id).totp_enabled is False
    assert [e.outcome for e in events(app, "user.totp_disable")] == ["failed", "ok"]


def test_admins_must_enrol_when_required(tmp_path):
    app = make_app(tmp_path, REQUIRE_ADMIN_2FA=True, **FAST_HASHING)
    from vault import db
    from vault.auth.service import create_user
    with app.app_context():
        sess = db.session()
        admin = create_user(sess, email="root@example.com", password="correct horse battery staple 42",
                            role="admin")
        create_user(sess, email="legal@example.com", password="correct horse battery staple 42", role="legal")
        sess.commit()
        admin_id = admin.id
    client = app.test_client()
    resp = login(client, "root@example.com", "correct horse battery staple 42")
    assert resp.location == "/account/2fa"
    for path in ("/admin/users", "/admin/audit", "/documents/", "/account"):
        assert client.get(path).location == "/account/2fa", path
    assert client.post("/admin/users/new", data={}).location == "/account/2fa"
    secret = _enrol(client)
    client.post("/account/2fa/confirm", data={"confirm-code": code(secret)})
    assert reload_user(app, admin_id).totp_enabled
    assert client.get("/admin/users").status_code == 200
    # and they cannot turn it off again
    resp = client.post("/account/2fa/disable", data={"disable-code": code(secret, ahead=1)})
    assert resp.status_code == 400 and reload_user(app, admin_id).totp_enabled
    # other roles are not forced
    other = app.test_client()
    login(other, "legal@example.com", "correct horse battery staple 42")
    assert other.get("/account").status_code == 200


def test_admin_reset_lets_the_user_enrol_again(app, client_as, make_user):
    admin = client_as("admin")
    user = make_user("viewer")
    enable_totp(app, user.id)
    assert admin.post(f"/admin/users/{user.id}/reset-2fa").location == "/admin/users"
    fresh = reload_user(app, user.id)
    assert fresh.totp_enabled is False and fresh.totp_secret is None
    (ev,) = events(app, "user.totp_reset")
    assert ev.actor_id == admin.user.id and ev.object_id == str(user.id)
