"""STUB by the lead — the auth engineer replaces this file."""
from __future__ import annotations

from argon2 import PasswordHasher

from vault.auth.models import User

_hasher = PasswordHasher()


class AccountError(Exception):
    pass


def create_user(session, *, email, password, role, name="", actor="system", locale=None):
    user = User(email=email.strip().lower(), password_hash=_hasher.hash(password), role=role, name=name,
                locale=locale)
    session.add(user)
    session.flush()
    return user
