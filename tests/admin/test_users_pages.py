"""Admin user pages: list, create, role change, disable/enable, 2FA reset; last-admin rules; access."""
from sqlalchemy import select

from tests.auth.helpers import events, login, reload_user
from tests.conftest import TEST_PASSWORD
from vault import db
from vault.auth.models import User


def _find(app, email):
    with app.app_context():
        return db.session().scalar(select(User).where(User.email == email))


def test_list_shows_users(client_as, make_user):
    admin = client_as("admin")
    make_user("legal", email="lawyer@example.com")
    page = admin.get("/admin/users")
    assert page.status_code == 200
    assert b"lawyer@example.com" in page.data and b"New user" in page.data


def test_create_user(app, client_as):
    admin = client_as("admin")
    assert admin.get("/admin/users/new").status_code == 200
    resp = admin.post("/admin/users/new", data={"email": "New@Example.com", "name": "New Person",
                                                "role": "sales", "password": TEST_PASSWORD})
    assert resp.location == "/admin/users"
    user = _find(app, "new@example.com")
    assert (user.role, user.name) == ("sales", "New Person")
    ev = events(app, "user.create")[-1]
    assert ev.actor_id == admin.user.id and ev.actor == admin.user.email and ev.ip == "127.0.0.1"
    assert login(app.test_client(), "new@example.com").status_code == 302


def test_create_user_refusals_keep_the_form(app, client_as, make_user):
    admin = client_as("admin")
    make_user("viewer", email="taken@example.com")
    for data, message in [
        ({"email": "taken@example.com", "role": "viewer", "password": TEST_PASSWORD}, b"already exists"),
        ({"email": "bad", "role": "viewer", "password": TEST_PASSWORD}, b"not a valid email"),
        ({"email": "ok@example.com", "role": "viewer", "password": "short"}, b"at least 12 characters"),
        ({"email": "ok@example.com", "role": "god", "password": TEST_PASSWORD}, b"Not a valid choice"),
    ]:
        resp = admin.post("/admin/users/new", data=data)
        assert resp.status_code == 400 and message in resp.data, data
    assert _find(app, "ok@example.com") is None


def test_change_role(app, client_as, make_user):
    admin = client_as("admin")
    user = make_user("viewer")
    assert admin.post(f"/admin/users/{user.id}/role", data={"role": "legal"}).location == "/admin/users"
    assert reload_user(app, user.id).role == "legal"
    (ev,) = events(app, "user.role_change")
    assert ev.detail == {"email": user.email, "old": "viewer", "new": "legal"} and ev.actor_id == admin.user.id


def test_disable_ends_sessions_at_once_and_enable(app, client_as, make_user):
    admin = client_as("admin")
    user = make_user("security")
    victim = app.test_client()
    login(victim, user.email)
    assert victim.get("/account").status_code == 200
    admin.post(f"/admin/users/{user.id}/disable")
    assert victim.get("/account").status_code == 302
    assert login(app.test_client(), user.email).status_code == 200  # cannot sign in either
    admin.post(f"/admin/users/{user.id}/enable")
    assert login(app.test_client(), user.email).status_code == 302
    assert [e.action for e in events(app) if e.action in ("user.disable", "user.enable")] == [
        "user.disable", "user.enable"]


def test_last_admin_cannot_disable_or_demote_themself(app, client_as):
    admin = client_as("admin")
    resp = admin.post(f"/admin/users/{admin.user.id}/disable", follow_redirects=True)
    assert b"last active admin" in resp.data
    resp = admin.post(f"/admin/users/{admin.user.id}/role", data={"role": "viewer"}, follow_redirects=True)
    assert b"last active admin" in resp.data
    me = reload_user(app, admin.user.id)
    assert me.active and me.role == "admin"
    assert not events(app, "user.disable") and not events(app, "user.role_change")


def test_unknown_user_is_404(client_as):
    admin = client_as("admin")
    assert admin.post("/admin/users/999999/disable").status_code == 404


def test_non_admins_are_refused_and_audited(app, client_as, make_user):
    target = make_user("viewer")
    for role in ("security", "sales", "legal", "viewer"):
        client = client_as(role)
        assert client.get("/admin/users").status_code == 403
        assert client.post(f"/admin/users/{target.id}/role", data={"role": "admin"}).status_code == 403
        assert client.get("/admin/audit").status_code == 403
    assert reload_user(app, target.id).role == "viewer"
    denied = events(app, "permission.denied")
    assert len(denied) == 12 and {e.detail["permission"] for e in denied} == {"users.manage", "audit.view"}


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/admin/users")
    assert resp.status_code == 302 and resp.location.startswith("/login")


def test_roles_are_named_in_the_reader_language(client_as):
    admin = client_as("admin")
    users = admin.get("/admin/users?lang=zh").get_data(as_text=True)
    assert '<option value="admin" selected>管理员</option>' in users
    assert "角色：管理员" in admin.get("/account?lang=zh").get_data(as_text=True)
    assert "Role: Admin" in admin.get("/account?lang=en").get_data(as_text=True)
