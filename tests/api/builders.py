"""Builders for the REST API tests: an app, users with tokens, a real server on loopback."""
from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import make_app

HIGH_LIMIT = "100000 per minute"
_counter = itertools.count(1)


def api_app(tmp_path: Path, database_url: str | None = None, **overrides):
    overrides.setdefault("API_RATE_LIMIT", HIGH_LIMIT)
    return make_app(tmp_path, database_url, **overrides)


def user_with_token(app, role: str = "admin", scope: str | None = None, *, days: int = 30, email: str | None = None):
    """(user id, email, token secret, token uid) for a new user of `role` with a token of `scope`."""
    from vault import db
    from vault.api import tokens
    from vault.audit import Actor
    from vault.auth.service import create_user
    from tests.conftest import TEST_PASSWORD

    with app.app_context():
        sess = db.session()
        user = create_user(sess, email=email or f"{role}-api{next(_counter)}@example.com",
                           password=TEST_PASSWORD, role=role, actor="test")
        sess.flush()
        made = tokens.create_token(sess, user, scope=scope or _scope_of(role), days=days, by=Actor(label="test"))
        sess.commit()
        return user.id, user.email, made.secret, made.row.uid


def _scope_of(role: str) -> str:
    return {"admin": "admin", "security": "library", "sales": "sales", "legal": "legal"}.get(role, "read-only")


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@contextmanager
def serving(app):
    """The app on a real HTTP server on 127.0.0.1 (threaded), stopped afterwards."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
