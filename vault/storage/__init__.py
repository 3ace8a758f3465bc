"""Encrypted object storage: backend registry (CTFd style) and the app's keyring.

`get_store()` is the active backend (config STORAGE); `get_store(name)` any configured backend, so a
blob keeps reading from the backend recorded on its row after the active one changes (keep the old
backend configured when switching). The local backend is always configured (STORAGE_PATH has a
default); S3 is configured when S3_BUCKET is set.
`get_keyring()` reloads the key file when it changes, so a rotation run from the CLI reaches every
running worker without a restart. With MASTER_KEYS set (VAULT_MASTER_KEYS, from a secret manager)
the keyring is parsed once at start-up instead, no key file is read or written, and changing keys
means changing the variable and restarting.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

from flask import Flask, current_app

from vault.crypto import Keyring, KeyringError
from vault.storage.base import ObjectStore, StorageError


def _make_local(config) -> ObjectStore:
    from vault.storage.local import LocalStore
    return LocalStore(config["STORAGE_PATH"])


def _make_s3(config) -> ObjectStore:
    from vault.storage.s3 import S3Store, make_client
    client = make_client(endpoint_url=config.get("S3_ENDPOINT_URL"), region=config.get("S3_REGION"),
                         access_key_id=config.get("S3_ACCESS_KEY_ID"),
                         secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
                         addressing_style=config.get("S3_ADDRESSING_STYLE", "auto"),
                         connect_timeout=config.get("S3_CONNECT_TIMEOUT"), read_timeout=config.get("S3_READ_TIMEOUT"),
                         retries=config.get("S3_RETRIES"))
    return S3Store(client, config.get("S3_BUCKET") or "", config.get("S3_PREFIX") or "")


BACKENDS: dict[str, Callable[..., ObjectStore]] = {"local": _make_local, "s3": _make_s3}


class KeyringCache:
    """The keyring, reloaded when the file's identity or size or mtime changes (one stat per use)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._keyring: Keyring | None = None

    def get(self) -> Keyring:
        try:
            st = os.stat(self.path)
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if self._keyring is None or stamp != self._stamp:
                self._keyring = Keyring.load(self.path)  # KeyringError with a clear message if absent
                self._stamp = stamp
            return self._keyring


class EnvKeyring:
    """Master keys from VAULT_MASTER_KEYS: parsed at start-up, fixed for the process's life."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    def get(self) -> Keyring:
        return self._keyring


def _keyring_source(config) -> KeyringCache | EnvKeyring:
    spec = config.get("MASTER_KEYS")
    if spec is None:
        if config.get("ACTIVE_KEY"):
            raise KeyringError("VAULT_ACTIVE_KEY is set but VAULT_MASTER_KEYS is not; with the key file, "
                               "choose the active key with `vault keys rotate --to`")
        return KeyringCache(config["MASTER_KEY_FILE"])  # read on first use: `vault init` creates it
    keyring = Keyring.from_spec(spec, config.get("ACTIVE_KEY"))  # a clear KeyringError stops start-up
    config["MASTER_KEYS"] = None  # the key material lives in the keyring only, not in the config
    return EnvKeyring(keyring)


def _configured(name: str, config) -> bool:
    return name == "local" or bool(config.get("S3_BUCKET"))


def init_app(app: Flask) -> None:
    backend = app.config["STORAGE"]
    if backend not in BACKENDS:
        raise ValueError(f"STORAGE must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "s3" and not app.config.get("S3_BUCKET"):
        raise ValueError("STORAGE is 's3' but S3_BUCKET is not set")
    # Building a store touches neither disk nor network: `vault init` runs before either exists.
    app.extensions["vault.stores"] = {name: make(app.config) for name, make in BACKENDS.items()
                                      if _configured(name, app.config)}
    app.extensions["vault.keyring"] = _keyring_source(app.config)


def get_store(name: str | None = None) -> ObjectStore:
    name = name or current_app.config["STORAGE"]
    store = current_app.extensions["vault.stores"].get(name)
    if store is None:
        hint = " (set VAULT_S3_BUCKET and the other VAULT_S3_ settings)" if name == "s3" else ""
        raise StorageError(f"files are stored on the {name!r} backend, which is not configured here{hint}")
    return store


def get_keyring() -> Keyring:
    return current_app.extensions["vault.keyring"].get()


def keys_from_environment() -> bool:
    """True when the master keys come from VAULT_MASTER_KEYS (nothing may write a key file)."""
    return isinstance(current_app.extensions["vault.keyring"], EnvKeyring)
