"""Uploaded library files kept between the import preview and the confirmation.

Stored in <instance>/library_uploads under a random 128-bit name, readable only by the app's user,
bound to the uploader's id; removed after the import, and any older than an hour on each new upload.
The content is encrypted at rest as stored blobs are (vault.crypto): a fresh data key per upload,
wrapped by the keyring's active master key, with the token and the uploader's id as the context of
both the wrap and every segment, so a file swapped between uploads or users, or edited, does not open.
Pure: the caller passes the keyring.
"""
from __future__ import annotations

import base64
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from vault.crypto import IntegrityError, Keyring, KeyringError, decrypt_stream, encrypt_stream, new_data_key

MAX_AGE_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


@dataclass
class PendingUpload:
    token: str
    filename: str
    user_id: int
    default_status: str
    data: bytes


class UploadUnreadable(Exception):
    """The kept file failed its integrity check (changed on disk, swapped) or its master key is gone."""


def _context(token: str, user_id: int) -> str:
    return f"library-upload:{token}:user:{user_id}"


def _folder(instance_path: str) -> Path:
    return Path(instance_path) / "library_uploads"


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def save(instance_path: str, data: bytes, *, keyring: Keyring, filename: str, user_id: int,
         default_status: str) -> str:
    folder = _folder(instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    sweep(instance_path)
    token = secrets.token_urlsafe(16)
    context = _context(token, user_id)
    dek = new_data_key()
    key_id, wrapped = keyring.wrap(dek, context)
    _write(folder / f"{token}.json", json.dumps({
        "filename": filename[:200], "user_id": user_id, "default_status": default_status,
        "key_id": key_id, "wrapped_key": base64.b64encode(wrapped).decode()}).encode())
    _write(folder / f"{token}.bin", b"".join(encrypt_stream(dek, [data], context)))
    return token


def load(instance_path: str, token: str, user_id: int, *, keyring: Keyring) -> PendingUpload | None:
    """The upload if it exists, is fresh and belongs to `user_id`; else None (another user's token is
    indistinguishable from a missing one). UploadUnreadable if it is there but does not decrypt."""
    if not token or not _TOKEN.match(token):
        return None
    folder = _folder(instance_path)
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    try:
        if time.time() - meta_path.stat().st_mtime > MAX_AGE_SECONDS:
            discard(instance_path, token)
            return None
        meta = json.loads(meta_path.read_text())
        if meta.get("user_id") != user_id:
            return None
        sealed = data_path.read_bytes()
    except (OSError, ValueError, KeyError, AttributeError):
        return None
    try:
        context = _context(token, user_id)
        dek = keyring.unwrap(str(meta["key_id"]), base64.b64decode(meta["wrapped_key"], validate=True), context)
        data = b"".join(decrypt_stream(dek, [sealed], context))
        return PendingUpload(token, str(meta["filename"]), user_id, meta.get("default_status", "approved"), data)
    except (IntegrityError, KeyringError, KeyError, TypeError, ValueError) as exc:
        raise UploadUnreadable(str(exc)) from None


def discard(instance_path: str, token: str) -> None:
    if not _TOKEN.match(token or ""):
        return
    for suffix in (".json", ".bin"):
        try:
            (_folder(instance_path) / f"{token}{suffix}").unlink()
        except FileNotFoundError:
            pass


def sweep(instance_path: str, now: float | None = None) -> int:
    """Remove uploads older than an hour; returns how many."""
    now = time.time() if now is None else now
    removed = 0
    folder = _folder(instance_path)
    if not folder.is_dir():
        return 0
    for meta in folder.glob("*.json"):
        try:
            if now - meta.stat().st_mtime > MAX_AGE_SECONDS:
                discard(instance_path, meta.stem)
                removed += 1
        except FileNotFoundError:
            continue
    for orphan in folder.glob("*.bin"):  # a data file whose metadata is gone
        if not orphan.with_suffix(".json").exists():
            try:
                if now - orphan.stat().st_mtime > MAX_AGE_SECONDS:
                    orphan.unlink()
            except FileNotFoundError:
                continue
    return removed
