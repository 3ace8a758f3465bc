"""The backup file: a plain tar archive (readable with `tar tvf`), parts in a fixed order, pure Python.

    trustvault-backup.json    header: format version, schema revision, backup id, key fingerprints
    keys.sealed.json          only with `--with-keys`: master keys sealed with a passphrase (sealing.py)
    database/NNN-<table>.jsonl.gz   one part per table, rows as JSON lines, gzipped, then encrypted
    objects/<key>             every stored object exactly as stored (still encrypted)
    manifest.json             every part above with its size and SHA-256
    manifest.hmac             HMAC-SHA256 of manifest.json under a key derived from a master key

Parts are streamed: the writer puts a tar header with size 0, streams the data, then seeks back and
rewrites the header with the real size (a GNU header's length does not depend on the size), so no
part is ever held in memory or spooled twice. The manifest comes last because only then are the
hashes known; a reader therefore checks a whole file once (`verify`) before writing anything, and
checks every part again while it writes (`parts`), so a file changed between the passes is caught.

The signature is why a tampered file is refused and not only a damaged one: whoever edits a part can
recompute its SHA-256 in the manifest, but not the HMAC without the master key.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import tarfile
import time
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable, Iterator

from cryptography.hazmat.primitives import hashes

from vault import crypto
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = "trustvault-backup"
VERSION = 1
HEADER = "trustvault-backup.json"
SEALED_KEYS = "keys.sealed.json"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.hmac"
DATABASE = "database/"
OBJECTS = "objects/"
READ_CHUNK = 1024 * 1024
MAX_JSON_PART = 512 * 1024 * 1024  # the manifest of a few million objects; the header is tiny
MAX_LINE = 256 * 1024 * 1024  # one database row (a long extracted document text)
DATA_PART = re.compile(r"^(database/[0-9]{3}-[a-z0-9_]{1,63}\.jsonl\.gz|objects/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32})$")
_BLOCK = tarfile.BLOCKSIZE


class ArchiveError(Exception):
    """The backup file cannot be used; `part` names the part at fault (or the file as a whole)."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def keyed_digest(key: bytes, label: str, salt: bytes = b"") -> bytes:
    """A key for one purpose derived from a master key (HKDF-SHA256); the master key itself never signs."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt or None,
                info=b"trustvault/backup/1\x00" + label.encode()).derive(key)


def fingerprint(key: bytes) -> str:
    """Names a key without revealing it: tells at restore whether the key here is the one backed up."""
    return keyed_digest(key, "fingerprint").hex()[:32]


def table_key(master_key: bytes, backup_id: str) -> bytes:
    """The key the table parts are encrypted with: without the master keys a backup reveals no row."""
    return keyed_digest(master_key, "tables", backup_id.encode())


def same(a: object, b: object) -> bool:
    """Constant-time equality of two hex strings, whatever a damaged file put in one of them."""
    return hmac.compare_digest(str(a).encode("utf-8", "replace"), str(b).encode("utf-8", "replace"))


def sign(manifest: bytes, master_key: bytes, backup_id: str) -> str:
    return hmac.new(keyed_digest(master_key, "manifest", backup_id.encode()), manifest, hashlib.sha256).hexdigest()


# --- writing ------------------------------------------------------------------------------------

class ArchiveWriter:
    """Appends parts to a seekable file; `parts` lists name, size and sha256 of each, in order."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.parts: list[dict] = []
        self._mtime = int(time.time())

    def add(self, name: str, chunks: Iterable[bytes], **extra) -> dict:
        size, sha256 = self._member(name, chunks)
        part = {"name": name, "size": size, "sha256": sha256, **extra}
        self.parts.append(part)
        return part

    def _member(self, name: str, chunks: Iterable[bytes]) -> tuple[int, str]:
        info = tarfile.TarInfo(name)
        info.mode, info.mtime, info.size = 0o600, self._mtime, 0
        start = self.fh.tell()
        placeholder = info.tobuf(tarfile.GNU_FORMAT)
        self.fh.write(placeholder)
        digest, size = hashlib.sha256(), 0
        for chunk in chunks:
            if chunk:
                self.fh.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.fh.write(b"\0" * (-size % _BLOCK))
        end = self.fh.tell()
        info.size = size
        header = info.tobuf(tarfile.GNU_FORMAT)
        if len(header) != len(placeholder):  # cannot happen with GNU headers; never write a broken file
            raise ArchiveError(name, "tar header changed length")
        self.fh.seek(start)
        self.fh.write(header)
        self.fh.seek(end)
        return size, digest.hexdigest()

    def finish(self, manifest: dict, master_key: bytes, backup_id: str) -> bytes:
        """Write the manifest (the parts and `manifest`'s fields), its signature and the tar end."""
        body = canonical_json({**manifest, "parts": self.parts})
        self._member(MANIFEST, [body])
        self._member(SIGNATURE, [sign(body, master_key, backup_id).encode()])
        self.fh.write(b"\0" * (2 * _BLOCK))
        return body


def encrypted(key: bytes, name: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A table part encrypted like a stored file (vault.crypto's AES-256-GCM segments), bound to its name."""
    return crypto.encrypt_stream(key, chunks, name)


def decrypted(key: bytes, name: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from crypto.decrypt_stream(key, chunks, name)
    except crypto.IntegrityError:
        raise ArchiveError(name, "does not decrypt with the backup's master key (damaged or altered)") from None


def gzip_lines(lines: Iterable[bytes]) -> Iterator[bytes]:
    """JSON lines compressed on the fly (gzip format, so `tar xf` + `zcat` reads a table)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    buf = bytearray()
    for line in lines:
        buf += line
        buf += b"\n"
        if len(buf) >= READ_CHUNK:
            yield packer.compress(bytes(buf))
            buf.clear()
    yield packer.compress(bytes(buf)) + packer.flush()


def gunzip_lines(chunks: Iterable[bytes], part: str) -> Iterator[bytes]:
    unpacker = zlib.decompressobj(31)
    pending = b""
    try:
        for chunk in chunks:
            pending += unpacker.decompress(chunk, MAX_LINE)
            while unpacker.unconsumed_tail:
                if len(pending) > MAX_LINE and b"\n" not in pending:
                    raise ArchiveError(part, f"a line is longer than {MAX_LINE} bytes")
                *lines, pending = pending.split(b"\n")
                yield from lines
                pending += unpacker.decompress(unpacker.unconsumed_tail, MAX_LINE)
            *lines, pending = pending.split(b"\n")
            yield from lines
        pending += unpacker.flush()
    except zlib.error as exc:
        raise ArchiveError(part, f"is not valid gzip data ({exc})") from None
    if not unpacker.eof:
        raise ArchiveError(part, "compressed data ends early (truncated)")
    if pending:
        yield pending


# --- reading ------------------------------------------------------------------------------------

@dataclass
class Verified:
    """What a full pass over a file proved: the header, the sealed keys (or None) and the manifest."""
    header: dict
    sealed_keys: dict | None
    manifest: dict
    parts: list[dict] = field(default_factory=list)


def _members(fh: BinaryIO) -> Iterator[tuple[str, Iterator[bytes]]]:
    """(name, chunks) per member, in order; truncation and garbage become ArchiveErrors naming the part."""
    last = "the start of the file"
    try:
        tar = tarfile.open(fileobj=fh, mode="r|")
    except tarfile.TarError:
        raise ArchiveError("the file", "is not a trustvault backup (not a tar archive)") from None
    try:
        while True:
            try:
                member = tar.next()
            except (tarfile.TarError, EOFError):
                raise ArchiveError(f"after {last}", "the file is truncated or damaged here") from None
            if member is None:
                return
            if not member.isreg():
                raise ArchiveError(member.name, "is not a regular file (not written by `vault backup`)")
            source = tar.extractfile(member)

            def chunks(source=source, name=member.name) -> Iterator[bytes]:
                try:
                    while chunk := source.read(READ_CHUNK):
                        yield chunk
                except (tarfile.TarError, EOFError, OSError):
                    raise ArchiveError(name, "the file is truncated or damaged inside this part") from None

            yield member.name, chunks()
            last = member.name
    finally:
        tar.close()


def _json(name: str, chunks: Iterable[bytes]) -> tuple[bytes, object]:
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > MAX_JSON_PART:
            raise ArchiveError(name, "is too large")
    try:
        return bytes(data), json.loads(data)
    except ValueError:
        raise ArchiveError(name, "is not valid JSON (damaged)") from None


def _hashed(chunks: Iterable[bytes]) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def check_header(header: object) -> dict:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveError(HEADER, "is not a trustvault backup header")
    version = header.get("version")
    if not isinstance(version, int) or version < 1:
        raise ArchiveError(HEADER, "has no valid format version")
    if version > VERSION:
        raise ArchiveError(HEADER, f"the backup was written by a newer trustvault (backup format {version}; "
                           f"this one reads format {VERSION}): restore it with that version or a newer one")
    if not isinstance(header.get("backup_id"), str) or not header["backup_id"]:
        raise ArchiveError(HEADER, "has no backup id")
    return header


def verify(fh: BinaryIO, *, on_header: Callable[[dict], None],
           signing_key: Callable[[dict, dict | None, dict], bytes]) -> Verified:
    """Read the whole file once: every part's SHA-256 against the manifest, then the manifest's signature.

    `on_header(header)` runs as soon as the header is read (refuse early: schema version, target not
    empty); `signing_key(header, sealed_keys, manifest)` returns the master key named by
    header["signing_key"] (from this instance's keyring or the unsealed keys) once the manifest is read.
    """
    members = _members(fh)
    first = next(members, None)
    if first is None or first[0] != HEADER:
        raise ArchiveError("the file", "is not a trustvault backup (its first part is not the header)")
    header_bytes, header = _json(HEADER, first[1])
    header = check_header(header)
    on_header(header)
    seen: list[tuple[str, int, str]] = []
    sealed = manifest_bytes = signature = None
    for name, chunks in members:
        if manifest_bytes is not None:
            if name == SIGNATURE and signature is None:
                signature = b"".join(chunks).decode("ascii", "replace").strip()
                continue
            raise ArchiveError(name, "unexpected part after the manifest")
        if name == SEALED_KEYS and not seen and sealed is None:
            raw, sealed = _json(name, chunks)
            seen.append((name, len(raw), hashlib.sha256(raw).hexdigest()))
        elif name == MANIFEST:
            manifest_bytes, manifest = _json(name, chunks)
        elif DATA_PART.match(name):
            seen.append((name, *_hashed(chunks)))
        else:
            raise ArchiveError(name, "unexpected part (not written by `vault backup`)")
    if manifest_bytes is None:
        after = seen[-1][0] if seen else HEADER
        raise ArchiveError(f"after {after}", "the file ends before its manifest: it is truncated")
    if signature is None:
        raise ArchiveError(SIGNATURE, "is missing: the file is truncated")
    if not isinstance(manifest, dict) or manifest.get("backup_id") != header["backup_id"] \
            or not isinstance(manifest.get("parts"), list):
        raise ArchiveError(MANIFEST, "does not belong to this backup's header")
    expected = manifest["parts"]
    seen.insert(0, (HEADER, len(header_bytes), hashlib.sha256(header_bytes).hexdigest()))
    for i, (name, size, sha256) in enumerate(seen):
        entry = expected[i] if i < len(expected) and isinstance(expected[i], dict) else {}
        if entry.get("name") != name:
            raise ArchiveError(name, "is not the part the manifest lists here (parts added, removed or reordered)")
        if entry.get("size") != size or not same(entry.get("sha256"), sha256):
            raise ArchiveError(name, "does not match its SHA-256 in the manifest (damaged or altered)")
    if len(expected) > len(seen):
        raise ArchiveError(str(expected[len(seen)].get("name")), "is listed in the manifest but missing from the file")
    key = signing_key(header, sealed, manifest)
    if not same(sign(manifest_bytes, key, header["backup_id"]), signature):
        raise ArchiveError(MANIFEST, "its signature does not match: the manifest was altered after the backup "
                           f"was made, or master key {header.get('signing_key')} here is not the one it was made with")
    return Verified(header=header, sealed_keys=sealed, manifest=manifest, parts=expected)


@dataclass
class Part:
    name: str
    entry: dict  # the manifest's entry: size, sha256 and extras (rows, table)
    _chunks: Iterator[bytes]
    _done: bool = False

    def chunks(self) -> Iterator[bytes]:
        """The part's bytes; raises ArchiveError at the end unless they match the manifest."""
        digest, size = hashlib.sha256(), 0
        for chunk in self._chunks:
            digest.update(chunk)
            size += len(chunk)
            if size > self.entry["size"]:
                break
            yield chunk
        self._done = True
        if size != self.entry["size"] or not same(digest.hexdigest(), self.entry["sha256"]):
            raise ArchiveError(self.name, "changed since it was verified (damaged or altered while restoring)")


def parts(fh: BinaryIO, verified: Verified) -> Iterator[Part]:
    """The data parts again, each checked against the verified manifest while the caller consumes it."""
    expected = [p for p in verified.parts if DATA_PART.match(p["name"])]
    index = 0
    for name, chunks in _members(fh):
        if not DATA_PART.match(name):
            continue
        if index >= len(expected) or expected[index]["name"] != name:
            raise ArchiveError(name, "changed since it was verified (parts differ)")
        part = Part(name, expected[index], chunks)
        yield part
        if not part._done:
            for _ in part.chunks():  # the caller skipped it: still check it
                pass
        index += 1
    if index != len(expected):
        raise ArchiveError(expected[index]["name"], "disappeared since it was verified")
