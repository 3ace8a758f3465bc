"""CSRF: a POST without the form's token is refused with 400 and changes nothing."""
import re

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import func, select

from tests.auth.conftest import FAST_HASHING
from tests.auth.helpers import events
from tests.conftest import TEST_PASSWORD, make_app
from vault import db
from vault.auth.models import User
from vault.auth.service import create_user


@pytest.fixture
def csrf_app(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, **FAST_HASHING)
    with app.app_context():
        sess = db.session()
        create_user(sess, email="admin@example.com", password=TEST_PASSWORD, role="admin")
        sess.commit()
    yield app
    app.extensions["vault.engine"].dispose()


def _users(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(User))


def _token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()


def test_login_without_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    resp = client.post("/login", data={"email": "admin@example.com", "password": TEST_PASSWORD})
    assert resp.status_code == 400
    assert b"This form has expired or is not valid. Reload the page and try again." in resp.data
    assert client.get("/account").status_code == 302
    assert not events(csrf_app, "auth.login")


def test_login_with_token_works(csrf_app):
    client = csrf_app.test_client()
    token = _token(client.get("/login").data)
    resp = client.post("/login", data={"email": "admin@example.com", "password": TEST_PASSWORD, "csrf_token": token})
    assert resp.status_code == 302


def test_cross_site_admin_post_changes_nothing(csrf_app):
    csrf_app.test_client_class = FlaskLoginClient
    with csrf_app.app_context():
        admin = db.session().scalar(select(User))
        db.session().expunge(admin)
    client = csrf_app.test_client(user=admin)
    before = _users(csrf_app)
    resp = client.post("/admin/users/new", data={"email": "new@example.com", "name": "N", "role": "admin",
                                                 "password": TEST_PASSWORD})
    assert resp.status_code == 400 and _users(csrf_app) == before
    resp = client.post(f"/admin/users/{admin.id}/role", data={"role": "viewer"})
    assert resp.status_code == 400
    resp = client.post("/logout")
    assert resp.status_code == 400 and client.get("/account").status_code == 200
    resp = client.post("/admin/users/new", data={"email": "new@example.com"}, headers={"Accept": "application/json"})
    assert resp.status_code == 400 and "expired" in resp.get_json()["error"]
