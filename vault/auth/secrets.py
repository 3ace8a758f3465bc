"""TOTP seeds sealed at rest (pure: takes the keyring, no Flask, no database).

`users.totp_secret` holds `v1:<key id>:<base64url>`: the seed sealed by `Keyring.seal` under a key
derived for the purpose "totp" and bound to the user's id, so a database dump yields no working
second factor and a value copied to another user's row does not open. Rows written before sealing
hold the bare base32 seed; they still open, and are sealed on first use or by `vault keys rewrap`.
"""
from __future__ import annotations

import re

from vault.crypto import IntegrityError, Keyring, sealed_key_id

PURPOSE = "totp"
_BASE32 = re.compile(r"^[A-Z2-7]{16,128}=*$")


def _context(user_id: int) -> str:
    return f"user:{user_id}"


def is_legacy(stored: str) -> bool:
    """A seed stored before sealing existed (bare base32)."""
    return bool(_BASE32.match(stored))


def sealed_by(stored: str) -> str | None:
    """The master key id a stored value is sealed with (None for a legacy or unknown value)."""
    return sealed_key_id(stored)


def seal(keyring: Keyring, user_id: int, secret: str) -> str:
    return keyring.seal(secret, purpose=PURPOSE, context=_context(user_id))


def open_secret(keyring: Keyring, user_id: int, stored: str) -> str:
    """The seed; IntegrityError (tampered, moved, malformed) or KeyringError (key removed)."""
    if is_legacy(stored):
        return stored
    secret = keyring.unseal(stored, purpose=PURPOSE, context=_context(user_id))
    if not is_legacy(secret):
        raise IntegrityError("sealed two-factor secret is not a base32 seed")
    return secret


def needs_reseal(keyring: Keyring, stored: str) -> bool:
    """Legacy plaintext, or sealed by a key other than the active one."""
    return sealed_by(stored) != keyring.active
