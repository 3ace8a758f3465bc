"""Envelope encryption, pure (no Flask, no database).

Each stored file gets a fresh 256-bit data key (DEK). The file is encrypted with AES-256-GCM in
fixed-size segments (the STREAM construction: counter nonce + last-segment flag), so files of any
size stream in constant memory and truncation, reordering or appending is detected. The DEK is
wrapped (AES-256-GCM) by the active master key from the keyring file. A caller-chosen `context`
(e.g. document + version) is bound into every segment and into the wrap, so a file moved or swapped
to another record does not decrypt.

Rotating the master key only rewraps DEKs (60 bytes per file); the stored objects are untouched.

Short secrets kept in database columns (TOTP seeds) are sealed with `Keyring.seal`: AES-256-GCM
under a per-purpose key derived (HKDF-SHA256) from a master key, giving an ASCII token
`v1:<key id>:<base64url(nonce | ciphertext | tag)>` bound to its purpose and record.

The keyring comes from the key file or, in containers, from a secret manager's variable
(`Keyring.from_spec`, format `k1:<base64 key>,k2:<base64 key>`).
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import itertools
import json
import os
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault import privatefile

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAGIC = b"TVB\x01"  # trustvault blob, format 1
HEADER = struct.Struct(">4sI")  # magic, plaintext segment size
DEFAULT_SEGMENT = 64 * 1024
MIN_SEGMENT, MAX_SEGMENT = 1024, 16 * 1024 * 1024  # bounds a hostile header's memory demand
KEYRING_FORMAT = "trustvault-keyring/1"
_KEY_ID = re.compile(r"^k[1-9][0-9]{0,8}$")
SEAL_VERSION = "v1"
_SEALED = re.compile(r"^v1:(k[1-9][0-9]{0,8}):([A-Za-z0-9_-]{38,})$")  # 38 chars = nonce + tag, nothing less
_SEAL_LABEL = b"trustvault/seal/1\x00"


class IntegrityError(Exception):
    """Ciphertext or wrapped key failed authentication: tampered, truncated, or bound to another context."""


class KeyringError(Exception):
    """The keyring file is missing, unreadable or malformed, or lacks a needed key."""


# ---------------------------------------------------------------------------------------------
# Master keys


@dataclass(frozen=True)
class MasterKey:
    id: str
    key: bytes
    created_at: str  # ISO 8601 UTC


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _wrap_aad(key_id: str, context: str) -> bytes:
    return b"trustvault/dek/1\x00" + key_id.encode() + b"\x00" + context.encode("utf-8")


class Keyring:
    """The master keys; one is active (wraps new DEKs), the others only unwrap until rewrapped."""

    def __init__(self, keys: dict[str, MasterKey], active: str) -> None:
        if active not in keys:
            raise KeyringError(f"active key {active!r} is not in the keyring")
        self.keys = dict(keys)
        self.active = active

    @classmethod
    def generate(cls) -> "Keyring":
        key = MasterKey("k1", secrets.token_bytes(KEY_BYTES), _now_iso())
        return cls({key.id: key}, key.id)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Keyring":
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KeyringError(f"master key file {path} does not exist (run `vault init`)") from None
        except (OSError, ValueError) as exc:
            raise KeyringError(f"master key file {path} cannot be read: {exc}") from None
        try:
            if raw.get("format") != KEYRING_FORMAT:
                raise ValueError(f"format is not {KEYRING_FORMAT}")
            keys = {}
            for key_id, entry in raw["keys"].items():
                if not _KEY_ID.match(key_id):
                    raise ValueError(f"bad key id {key_id!r}")
                material = base64.b64decode(entry["key"], validate=True)
                if len(material) != KEY_BYTES:
                    raise ValueError(f"key {key_id} is not {KEY_BYTES} bytes")
                keys[key_id] = MasterKey(key_id, material, str(entry.get("created_at", "")))
            if raw["active"] not in keys:
                raise ValueError(f"active key {raw['active']!r} is not among the keys")
            return cls(keys, raw["active"])
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise KeyringError(f"master key file {path} is malformed: {exc}") from None

    def to_json(self) -> str:
        return json.dumps({
            "format": KEYRING_FORMAT,
            "active": self.active,
            "keys": {k.id: {"key": base64.b64encode(k.key).decode(), "created_at": k.created_at}
                     for k in self.keys.values()},
        }, indent=2) + "\n"

    def save(self, path: str | os.PathLike) -> None:
        """Replace the file atomically (readers see the old or the new keyring, never a partial one)."""
        privatefile.write_text(Path(path), self.to_json(), overwrite=True)

    def add_key(self, *, activate: bool = True) -> str:
        """Generate a new master key (by default the active one); returns its id."""
        n = max(int(k[1:]) for k in self.keys) + 1
        key = MasterKey(f"k{n}", secrets.token_bytes(KEY_BYTES), _now_iso())
        self.keys[key.id] = key
        if activate:
            self.active = key.id
        return key.id

    def activate(self, key_id: str) -> None:
        if key_id not in self.keys:
            raise KeyringError(f"no key {key_id!r} in the keyring")
        self.active = key_id

    def remove_key(self, key_id: str) -> None:
        if key_id == self.active:
            raise KeyringError(f"{key_id} is the active key; rotate first")
        if key_id not in self.keys:
            raise KeyringError(f"no key {key_id!r} in the keyring")
        del self.keys[key_id]

    def wrap(self, dek: bytes, context: str) -> tuple[str, bytes]:
        """Wrap a DEK with the active key: returns (key id, nonce || ciphertext || tag)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        ct = AESGCM(self.keys[self.active].key).encrypt(nonce, dek, _wrap_aad(self.active, context))
        return self.active, nonce + ct

    def unwrap(self, key_id: str, wrapped: bytes, context: str) -> bytes:
        key = self.keys.get(key_id)
        if key is None:
            raise KeyringError(f"master key {key_id!r} is not in the keyring (retired, or the wrong key file)")
        try:
            dek = AESGCM(key.key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:],
                                          _wrap_aad(key_id, context))
        except (InvalidTag, ValueError):
            raise IntegrityError("the file's key does not match this record (tampered or swapped)") from None
        if len(dek) != KEY_BYTES:
            raise IntegrityError("the file's key has the wrong length")
        return dek

    def rewrap(self, key_id: str, wrapped: bytes, context: str) -> tuple[str, bytes]:
        return self.wrap(self.unwrap(key_id, wrapped, context), context)

    # Sealed short secrets -------------------------------------------------------------------

    def seal(self, secret: str, *, purpose: str, context: str) -> str:
        """Seal a short secret with the active key: `v1:<key id>:<base64url(nonce|ct|tag)>`.

        `purpose` picks the derived key (a TOTP seed's key never opens anything else) and, with
        `context` (e.g. `user:42`), is bound as associated data: a token copied to another record fails.
        """
        key_id = self.active
        nonce = secrets.token_bytes(NONCE_BYTES)
        ct = AESGCM(self._seal_key(key_id, purpose)).encrypt(
            nonce, secret.encode("utf-8"), _seal_aad(key_id, purpose, context))
        return f"{SEAL_VERSION}:{key_id}:{base64.urlsafe_b64encode(nonce + ct).rstrip(b'=').decode()}"

    def unseal(self, token: str, *, purpose: str, context: str) -> str:
        """The secret sealed in `token` by any key still in the keyring.

        IntegrityError if the token is malformed, tampered or bound to another purpose or record;
        KeyringError if the key it names has been removed.
        """
        m = _SEALED.match(token or "")
        if not m:
            raise IntegrityError("sealed secret is malformed")
        key_id, body = m.groups()
        if key_id not in self.keys:
            raise KeyringError(f"master key {key_id!r} is not in the keyring (retired, or the wrong keys)")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = AESGCM(self._seal_key(key_id, purpose)).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _seal_aad(key_id, purpose, context))
            return plain.decode("utf-8")
        except (InvalidTag, ValueError):  # binascii.Error and UnicodeDecodeError are ValueErrors
            raise IntegrityError("sealed secret failed its integrity check (tampered or moved)") from None

    def _seal_key(self, key_id: str, purpose: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                    info=_SEAL_LABEL + purpose.encode("utf-8")).derive(self.keys[key_id].key)

    # Keys from a secret manager -------------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: object, active: object = None, *, source: str = "VAULT_MASTER_KEYS",
                  active_source: str = "VAULT_ACTIVE_KEY") -> "Keyring":
        """Parse `k1:<base64 key>,k2:<base64 key>`; the first key is active unless `active` names one.

        Errors name the variable, the entry's position and id, and the problem, never key material.
        """
        if not isinstance(spec, str) or not spec.strip():
            raise KeyringError(f"{source} is set but empty or not text; expected "
                               "comma-separated key_id:base64key pairs, e.g. k1:<44 base64 characters>")
        keys: dict[str, MasterKey] = {}
        for n, entry in enumerate(spec.split(","), start=1):
            entry = entry.strip()
            key_id, sep, material = entry.partition(":")
            key_id, material = key_id.strip(), material.strip()
            where = f"{source}, entry {n}"
            if not sep or not key_id or not material:
                raise KeyringError(f"{where} is not of the form key_id:base64key")
            if not _KEY_ID.match(key_id):
                raise KeyringError(f"{where}: key id must be k1, k2, ... (k and a number), "
                                   f"got a {len(key_id)}-character id")
            if key_id in keys:
                raise KeyringError(f"{where}: key id {key_id} appears twice")
            body = material.rstrip("=").replace("-", "+").replace("_", "/")  # url-safe or unpadded too
            try:
                raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
            except ValueError:
                raise KeyringError(f"{where} ({key_id}): the key is not valid base64") from None
            if len(raw) != KEY_BYTES:
                raise KeyringError(f"{where} ({key_id}): the key is {len(raw)} bytes, a master key must be "
                                   f"{KEY_BYTES} bytes (e.g. `openssl rand -base64 {KEY_BYTES}`)")
            keys[key_id] = MasterKey(key_id, raw, "")
        if active is None or (isinstance(active, str) and not active.strip()):
            active = next(iter(keys))
        elif not isinstance(active, str) or active.strip() not in keys:
            raise KeyringError(f"{active_source} names a key that is not in {source} "
                               f"(which has {', '.join(keys)})")
        return cls(keys, active.strip())


def _seal_aad(key_id: str, purpose: str, context: str) -> bytes:
    return _SEAL_LABEL + key_id.encode() + b"\x00" + purpose.encode("utf-8") + b"\x00" + context.encode("utf-8")


def sealed_key_id(value: str | None) -> str | None:
    """The master key id named by a sealed token, or None if `value` is not one."""
    m = _SEALED.match(value or "")
    return m.group(1) if m else None


def create_keyring_file(path: str | os.PathLike) -> bool:
    """Create a 0600 keyring with one fresh master key unless the file exists; True if created."""
    path = Path(path)
    if path.exists():
        return False
    try:
        privatefile.write_text(path, Keyring.generate().to_json(), overwrite=False)
    except FileExistsError:  # created concurrently
        return False
    return True


@contextlib.contextmanager
def keyring_lock(path: str | os.PathLike) -> Iterator[None]:
    """Serialise keyring changes (two concurrent rotations would lose a key)."""
    lock_path = Path(f"{path}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def insecure_permissions(path: str | os.PathLike) -> bool:
    """True if group or others may read or write the key file."""
    return bool(os.stat(path).st_mode & 0o077)


# ---------------------------------------------------------------------------------------------
# Streaming encryption of the data


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(NONCE_BYTES - 1, "big") + (b"\x01" if last else b"\x00")


def encrypt_stream(dek: bytes, chunks: Iterable[bytes], context: str,
                   segment_size: int = DEFAULT_SEGMENT) -> Iterator[bytes]:
    """Yield header, then one encrypted segment per `segment_size` plaintext bytes (last one flagged)."""
    if not MIN_SEGMENT <= segment_size <= MAX_SEGMENT:
        raise ValueError(f"segment size must be between {MIN_SEGMENT} and {MAX_SEGMENT}")
    header = HEADER.pack(MAGIC, segment_size)
    aad = header + context.encode("utf-8")
    aead = AESGCM(dek)
    counter = 0

    def seal(segment, last: bool = False) -> bytes:
        nonlocal counter
        sealed = aead.encrypt(_nonce(counter, last), segment, aad)
        counter += 1
        return sealed

    yield header
    segments = _Segmenter(segment_size)
    for chunk in chunks:
        yield from segments.feed(chunk, seal)
    yield seal(bytes(segments.pending), last=True)


def decrypt_stream(dek: bytes, chunks: Iterable[bytes], context: str) -> Iterator[bytes]:
    """Yield verified plaintext segment by segment; IntegrityError at the first bad segment."""
    it = iter(chunks)
    head = bytearray()
    for chunk in it:
        head += chunk
        if len(head) >= HEADER.size:
            break
    if len(head) < HEADER.size:
        raise IntegrityError("stored file is truncated (no header)")
    magic, segment_size = HEADER.unpack_from(head)
    if magic != MAGIC or not MIN_SEGMENT <= segment_size <= MAX_SEGMENT:
        raise IntegrityError("stored file has an unknown or damaged header")
    aad = bytes(head[:HEADER.size]) + context.encode("utf-8")
    aead = AESGCM(dek)
    counter = 0

    def open_segment(segment, last: bool = False) -> bytes:
        nonlocal counter
        try:
            plain = aead.decrypt(_nonce(counter, last), segment, aad)
        except InvalidTag:
            raise IntegrityError(
                "stored file failed its integrity check (tampered, truncated, or bound to another record)"
            ) from None
        counter += 1
        return plain

    segments = _Segmenter(segment_size + TAG_BYTES)
    for chunk in itertools.chain((bytes(head[HEADER.size:]),), it):
        yield from segments.feed(chunk, open_segment)
    if len(segments.pending) < TAG_BYTES:
        raise IntegrityError("stored file is truncated")
    yield open_segment(bytes(segments.pending), last=True)


class _Segmenter:
    """Cuts a stream of chunks into `size`-byte segments, holding the last one back (it must be
    flagged, and only the end of the stream tells which one it is). Segments inside a chunk are
    processed in place; only a segment straddling two chunks is copied."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pending = bytearray()  # at most `size` bytes

    def feed(self, chunk, process) -> Iterator[bytes]:
        size, pending = self.size, self.pending
        with memoryview(chunk) as view:
            n, pos = len(view), 0
            if n == 0:
                return
            if pending:
                pos = min(size - len(pending), n)
                pending += view[:pos]
                if len(pending) == size and pos < n:  # more follows: not the last
                    result = process(pending)
                    pending.clear()
                    yield result
            while n - pos > size:
                with view[pos:pos + size] as segment:
                    result = process(segment)
                pos += size
                yield result
            pending += view[pos:]


def ciphertext_size(plaintext_size: int, segment_size: int = DEFAULT_SEGMENT) -> int:
    segments = max(1, -(-plaintext_size // segment_size))
    return HEADER.size + plaintext_size + segments * TAG_BYTES
