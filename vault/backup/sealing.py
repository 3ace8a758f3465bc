"""Keys sealed with a passphrase for `vault backup --with-keys`, pure (no Flask, no database).

scrypt (N=2^17, r=8, p=1: 128 MiB and ~0.3 s per try, the parameters OWASP gives for scrypt) turns the
passphrase into an AES-256-GCM key; the backup id is bound in as associated data, so a sealed block
copied into another backup does not open. The parameters are stored with the block, so a later
release can raise them and still open older backups.
"""
from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT = {"n": 2 ** 17, "r": 8, "p": 1}
MIN_PASSPHRASE = 12
_MAX_N = 2 ** 20  # a hostile block must not ask for more than 1 GiB
_LABEL = b"trustvault/backup-keys/1\x00"


class WrongPassphrase(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def check_passphrase(passphrase: str) -> None:
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise ValueError(f"the passphrase must be at least {MIN_PASSPHRASE} characters")


def seal(payload: bytes, passphrase: str, *, backup_id: str) -> dict:
    check_passphrase(passphrase)
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = _key(passphrase, salt, **SCRYPT)
    ciphertext = AESGCM(key).encrypt(nonce, payload, _LABEL + backup_id.encode())
    return {"kdf": "scrypt", **SCRYPT, "salt": _b64(salt), "cipher": "AES-256-GCM", "nonce": _b64(nonce),
            "ciphertext": _b64(ciphertext)}


def unseal(block: dict, passphrase: str, *, backup_id: str) -> bytes:
    """The sealed payload; WrongPassphrase if it does not open, ValueError if the block is malformed."""
    try:
        n, r, p = int(block["n"]), int(block["r"]), int(block["p"])
        if block.get("kdf") != "scrypt" or block.get("cipher") != "AES-256-GCM":
            raise ValueError("unknown key derivation or cipher")
        if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
            raise ValueError("scrypt parameters out of range")
        salt, nonce = base64.b64decode(block["salt"]), base64.b64decode(block["nonce"])
        ciphertext = base64.b64decode(block["ciphertext"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the sealed keys are malformed: {exc}") from None
    try:
        return AESGCM(_key(passphrase, salt, n, r, p)).decrypt(nonce, ciphertext, _LABEL + backup_id.encode())
    except (InvalidTag, ValueError):
        raise WrongPassphrase("wrong passphrase (or the sealed keys were altered)") from None
