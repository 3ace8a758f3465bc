"""Personal API tokens: shown once and stored hashed, scoped under the owner's role on every call, stopped
by expiry, revocation and a disabled owner, audited per call, rate limited per token, made on the account
page (CSRF) or with `vault api-token`."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import select

from tests.api.builders import api_app, bearer, user_with_token
from tests.conftest import TEST_PASSWORD
from vault import audit, db
from vault.api.models import ApiToken
from vault.auth.models import User


@pytest.fixture
def app(tmp_path):
    app = api_app(tmp_path)
    yield app
    app.extensions["vault.engine"].dispose()


def _events(app, action: str):
    with app.app_context():
        return [(e.actor, e.object_id, e.outcome, e.detail) for e in
                audit.query_events(db.session(), action=action, limit=None)]


def test_cli_prints_the_token_alone_and_stores_only_its_hash(app):
    _uid, email, _secret, _tuid = user_with_token(app, "security")
    result = app.test_cli_runner().invoke(args=["api-token", "create", email, "--scope", "library", "--days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert re.fullmatch(r"tvk_[A-Za-z0-9_-]{43}", secret)
    with app.app_context():
        rows = db.session().scalars(select(ApiToken)).all()
        assert all(secret not in (r.token_hash, r.hint, r.name) for r in rows)
        newest = max(rows, key=lambda r: r.id)
        assert (newest.expires_at - newest.created_at) == timedelta(days=7) and newest.scope == "library"
    assert app.test_client().get("/api/v1/library/entries", headers=bearer(secret)).status_code == 200
    listed = app.test_cli_runner().invoke(args=["api-token", "list", "--email", email]).output
    assert newest.uid in listed and "active" in listed and secret not in listed


def test_cli_refuses_a_scope_above_the_owners_role(app):
    _uid, email, _secret, _tuid = user_with_token(app, "sales")
    result = app.test_cli_runner().invoke(args=["api-token", "create", email, "--scope", "admin"])
    assert result.exit_code != 0 and "cannot do more than its owner" in result.output


def test_revoked_token_stops_at_once(app):
    _uid, _email, secret, token_uid = user_with_token(app, "admin")
    client = app.test_client()
    assert client.get("/api/v1/documents", headers=bearer(secret)).status_code == 200
    result = app.test_cli_runner().invoke(args=["api-token", "revoke", token_uid])
    assert result.exit_code == 0, result.output
    resp = client.get("/api/v1/documents", headers=bearer(secret))
    assert resp.status_code == 401 and resp.content_type == "application/problem+json"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert _events(app, "api_token.revoke")[0][1] == token_uid
    client.get("/api/v1/documents", headers=bearer("tvk_" + "x" * 43))
    client.get("/api/v1/documents")  # no token at all: nothing to record
    refused = [(obj, d["reason"]) for _a, obj, _o, d in _events(app, "api.auth.refused")]
    assert refused == [("", "unknown"), (token_uid, "revoked")]


def test_disabled_owner_and_expired_token_are_refused(app):
    uid, _email, secret, _tuid = user_with_token(app, "legal")
    _uid2, _email2, old_secret, old_uid = user_with_token(app, "legal")
    client = app.test_client()
    assert client.get("/api/v1/access/requests", headers=bearer(secret)).status_code == 200
    with app.app_context():
        sess = db.session()
        sess.get(User, uid).active = False
        row = sess.scalar(select(ApiToken).where(ApiToken.uid == old_uid))
        row.expires_at = row.created_at - timedelta(seconds=1)
        sess.commit()
    assert client.get("/api/v1/access/requests", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/access/requests", headers=bearer(old_secret)).status_code == 401


def test_token_never_exceeds_its_owners_current_role(app):
    """An admin-scoped token of an admin who is then made a viewer may only read."""
    uid, _email, secret, token_uid = user_with_token(app, "admin")
    user_with_token(app, "admin")  # another admin, so the first may lose the role
    client = app.test_client()
    body = {"question": "Do you run a bug bounty?", "answer_short": "Yes"}
    assert client.post("/api/v1/library/entries", headers=bearer(secret), json=body).status_code == 201
    with app.app_context():
        sess = db.session()
        from vault.auth.service import set_role
        set_role(sess, sess.get(User, uid), "viewer", actor="test")
        sess.commit()
    resp = client.post("/api/v1/library/entries", headers=bearer(secret), json=body)
    assert resp.status_code == 403 and resp.json["permission"] == "library.edit"
    assert client.get("/api/v1/access/requests", headers=bearer(secret)).status_code == 403  # viewer: no access.view
    assert client.get("/api/v1/library/entries", headers=bearer(secret)).status_code == 200
    denied = _events(app, "permission.denied")
    assert any(obj == token_uid and outcome == "denied" and d["permission"] == "library.edit"
               for _a, obj, outcome, d in denied)


def test_read_only_scope_reads_what_the_owner_may_read_and_writes_nothing(app):
    _uid, _email, secret, _tuid = user_with_token(app, "sales", "read-only")
    client = app.test_client()
    assert client.get("/api/v1/access/requests", headers=bearer(secret)).status_code == 200  # sales may view
    assert client.get("/api/v1/questionnaires", headers=bearer(secret)).status_code == 200
    resp = client.post("/api/v1/access/grants/x/revoke", headers=bearer(secret), json={"reason": "x"})
    assert resp.status_code == 403


def test_every_call_is_audited_with_the_user_and_the_token(app):
    _uid, email, secret, token_uid = user_with_token(app, "security")
    client = app.test_client()
    client.get("/api/v1/documents", headers=bearer(secret))
    client.get("/api/v1/documents/nope", headers=bearer(secret))
    calls = _events(app, "api.request")
    assert [(a, o, d["path"], d["status"]) for a, o, _out, d in calls] == [
        (email, token_uid, "/api/v1/documents/nope", 404), (email, token_uid, "/api/v1/documents", 200)]
    with app.app_context():
        row = db.session().scalar(select(ApiToken).where(ApiToken.uid == token_uid))
        assert row.last_used_at is not None and row.last_used_ip == "127.0.0.1"
        assert audit.verify_chain(db.session()).ok


def test_rate_limit_per_token_answers_a_problem_with_retry_after(tmp_path):
    app = api_app(tmp_path, API_RATE_LIMIT="3 per minute")
    _uid, _email, first, _t1 = user_with_token(app, "viewer")
    _uid2, _email2, second, _t2 = user_with_token(app, "viewer")
    client = app.test_client()
    codes = [client.get("/api/v1/documents", headers=bearer(first)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client.get("/api/v1/documents", headers=bearer(first))
    assert resp.content_type == "application/problem+json" and resp.json["status"] == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/documents", headers=bearer(second)).status_code == 200  # its own budget
    app.extensions["vault.engine"].dispose()


def test_a_session_cookie_is_no_credential_on_the_api(app):
    """No CSRF hole: a signed-in browser posting cross-site without a token is refused, nothing changes."""
    with app.app_context():
        from vault.auth.service import create_user
        sess = db.session()
        user = create_user(sess, email="cookie@example.com", password=TEST_PASSWORD, role="admin", actor="test")
        sess.commit()
        sess.expunge(user)
    app.test_client_class = FlaskLoginClient
    browser = app.test_client(user=user)
    assert browser.get("/account").status_code == 200  # the cookie works on pages
    resp = browser.post("/api/v1/library/entries", json={"question": "Planted?"})
    assert resp.status_code == 401
    assert browser.get("/api/v1/library/entries").status_code == 401


def _csrf(page: bytes, prefix: str = "") -> str:
    name = f"{prefix}csrf_token".encode()
    return re.search(rb'name="' + name + rb'" type="hidden" value="([^"]+)"', page).group(1).decode()


def test_account_page_makes_shows_once_and_revokes_a_token(tmp_path):
    app = api_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from vault.auth.service import create_user
        sess = db.session()
        me = create_user(sess, email="me@example.com", password=TEST_PASSWORD, role="legal", actor="test")
        other = create_user(sess, email="other@example.com", password=TEST_PASSWORD, role="legal", actor="test")
        sess.commit()
        sess.expunge(me)
        other_id = other.id
    app.test_client_class = FlaskLoginClient
    browser = app.test_client(user=me)
    page = browser.get("/account").data.decode()
    assert 'id="api-tokens"' in page and 'value="legal"' in page and 'value="admin"' not in page
    form = {"tok-name": "CRM sync", "tok-scope": "legal", "tok-days": "30"}
    assert browser.post("/account/api-tokens", data=form).status_code == 400  # no CSRF token
    made = browser.post("/account/api-tokens", data={**form, "tok-csrf_token": _csrf(page.encode(), "tok-")})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r"tvk_[A-Za-z0-9_-]{43}", made.data.decode()).group(0)
    assert "Set-Cookie" not in made.headers or secret not in made.headers["Set-Cookie"]
    again = browser.get("/account").data.decode()
    assert secret not in again and secret[:8] in again and "CRM sync" in again
    assert app.test_client().get("/api/v1/access/grants", headers=bearer(secret)).status_code == 200
    with app.app_context():
        from vault.api import tokens
        sess = db.session()
        mine = tokens.list_tokens(sess, sess.get(User, me.id))[0]
        theirs = tokens.create_token(sess, sess.get(User, other_id), scope="legal", by=audit.Actor()).row
        sess.commit()
        mine_uid, theirs_uid = mine.uid, theirs.uid
    button = _csrf(again.encode())
    assert browser.post(f"/account/api-tokens/{theirs_uid}/revoke", data={"csrf_token": button}).status_code == 404
    assert browser.post(f"/account/api-tokens/{mine_uid}/revoke", data={"csrf_token": button}).status_code == 302
    assert app.test_client().get("/api/v1/access/grants", headers=bearer(secret)).status_code == 401
    app.extensions["vault.engine"].dispose()
