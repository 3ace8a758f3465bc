"""Link tokens: 256 random bits from `secrets`, stored only as SHA-256, compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits; the brief's floor is 128
MAX_TOKEN_LENGTH = 128  # anything longer is not one of ours: refused before hashing


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def plausible(token: str | None) -> bool:
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH and token.isascii()


def matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def new_download_id() -> str:
    """The id a watermark carries: 80 random bits, short enough to read off a printed page."""
    return secrets.token_hex(10)
