"""Uploaded library files kept between the import preview and the confirmation.

Stored in <instance>/library_uploads under a random 128-bit name, readable only by the app's user,
bound to the uploader's id; removed after the import, and any older than an hour on each new upload.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

MAX_AGE_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


@dataclass
class PendingUpload:
    token: str
    filename: str
    user_id: int
    default_status: str
    data: bytes


def _folder(instance_path: str) -> Path:
    return Path(instance_path) / "library_uploads"


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def save(instance_path: str, data: bytes, *, filename: str, user_id: int, default_status: str) -> str:
    folder = _folder(instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    sweep(instance_path)
    token = secrets.token_urlsafe(16)
    _write(folder / f"{token}.json", json.dumps({"filename": filename[:200], "user_id": user_id,
                                                  "default_status": default_status}).encode())
    _write(folder / f"{token}.bin", data)
    return token


def load(instance_path: str, token: str, user_id: int) -> PendingUpload | None:
    """The upload if it exists, is fresh and belongs to `user_id`; else None (another user's token is
    indistinguishable from a missing one)."""
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
        return PendingUpload(token, meta["filename"], user_id, meta.get("default_status", "approved"),
                             data_path.read_bytes())
    except (OSError, ValueError, KeyError):
        return None


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
