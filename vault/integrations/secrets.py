"""Sealing of an integration's endpoint URL and API token / signing secret (keyring passed in)."""
from __future__ import annotations

from vault.crypto import Keyring

PURPOSE = "integration"


def seal(keyring: Keyring, uid: str, field: str, value: str) -> str:
    return keyring.seal(value, purpose=PURPOSE, context=f"{uid}:{field}")


def open_value(keyring: Keyring, uid: str, field: str, sealed: str) -> str:
    """IntegrityError (tampered or moved to another row) or KeyringError (key removed) when it cannot."""
    return keyring.unseal(sealed, purpose=PURPOSE, context=f"{uid}:{field}")
