"""Small helpers for the sign-in tests (shared with tests/admin)."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from vault import db
from vault.audit import AuditEvent
from vault.auth import totp
from vault.auth.models import User


def login(client, email: str, password: str = TEST_PASSWORD, ip: str = "127.0.0.1", **extra):
    return client.post("/login", data={"email": email, "password": password, **extra},
                       environ_base={"REMOTE_ADDR": ip})


def events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        stmt = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return list(db.session().scalars(stmt))


def reload_user(app, user_id: int) -> User:
    with app.app_context():
        sess = db.session()
        user = sess.get(User, user_id)
        sess.expunge(user)
        return user


def enable_totp(app, user_id: int) -> str:
    """Turn on two-factor for a user directly; returns the secret."""
    with app.app_context():
        sess = db.session()
        user = sess.get(User, user_id)
        user.totp_secret = totp.new_secret()
        user.totp_enabled = True
        sess.commit()
        return user.totp_secret


def code(secret: str, ahead: int = 0) -> str:
    """The code of the current time step (+ `ahead` steps; the server accepts one step of drift)."""
    return totp.code_at(secret, totp.current_step() + ahead)
