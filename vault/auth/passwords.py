"""Password hashing (Argon2id) and the password rules. No database here."""
from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 1024  # bounds the hashing work one request can cause

_hasher = PasswordHasher()  # argon2-cffi's defaults: RFC 9106 "low memory" profile


def configure(parameters: dict | None) -> None:
    """Use other Argon2 parameters (config ARGON2_PARAMETERS, e.g. cheap ones in tests).

    Hashes made with other parameters are upgraded at the next sign-in.
    """
    global _hasher
    _hasher = PasswordHasher(**parameters) if parameters else PasswordHasher()
    _dummy_hash.cache_clear()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("dummy password used to even out the timing of unknown accounts")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches. With no hash (unknown account) it still spends the same work."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (upgrade it at sign-in)."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problem(password: str, email: str = "") -> str | None:
    """A message saying why the password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("The password must be at least %(n)d characters long.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("The password must be at most %(n)d characters long.", n=MAX_LENGTH)
    if email and password.strip().lower() == email.strip().lower():
        return _("The password must not be your email address.")
    return None
