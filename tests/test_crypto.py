"""vault.crypto without an app: streaming AES-GCM format, tampering, keyring file."""
import ast
import json
import os
import random
import stat
import threading
from pathlib import Path

import pytest

from vault import crypto
from vault.crypto import IntegrityError, Keyring, KeyringError

SEG = 1024  # the smallest segment size: many segments from little data
CTX = "document:d1/version:v1"


def encrypt(data: bytes, *, chunks=None, context=CTX, dek=None, seg=SEG) -> tuple[bytes, bytes]:
    dek = dek or crypto.new_data_key()
    pieces = chunks if chunks is not None else [data]
    return dek, b"".join(crypto.encrypt_stream(dek, pieces, context, seg))


def decrypt(dek: bytes, blob: bytes, *, context=CTX, step: int | None = None) -> bytes:
    pieces = [blob] if step is None else [blob[i:i + step] for i in range(0, len(blob), step)]
    return b"".join(crypto.decrypt_stream(dek, pieces, context))


def split_randomly(data: bytes, rng: random.Random) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        n = rng.randint(0, 3000)  # zero-length chunks included on purpose
        out.append(data[i:i + n])
        i += n
    return out


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 3 * SEG + 17, 50_000])
@pytest.mark.parametrize("read_step", [None, 1, 7, SEG + 16, 4096])
def test_roundtrip_any_size_any_chunking(size, read_step):
    rng = random.Random(size)
    data = rng.randbytes(size)
    dek, blob = encrypt(data, chunks=split_randomly(data, rng))
    assert len(blob) == crypto.ciphertext_size(size, SEG)
    if read_step == 1 and size > 5000:
        read_step = 97  # byte-at-a-time over 50 kB is slow and proves nothing more
    assert decrypt(dek, blob, step=read_step) == data


def test_same_plaintext_twice_gives_unrelated_ciphertexts():
    data = b"A" * 5000
    _, one = encrypt(data)
    _, two = encrypt(data)
    assert one != two
    assert data[:64] not in one


def segments(blob: bytes) -> tuple[bytes, list[bytes]]:
    header, body = blob[:crypto.HEADER.size], blob[crypto.HEADER.size:]
    sealed = SEG + crypto.TAG_BYTES
    return header, [body[i:i + sealed] for i in range(0, len(body), sealed)]


DATA = random.Random(1).randbytes(3 * SEG + 100)  # four segments, the last one short


def _flip(blob: bytes, pos: int) -> bytes:
    b = bytearray(blob)
    b[pos] ^= 0x01
    return bytes(b)


TAMPERING = {
    "magic byte": lambda b: _flip(b, 0),
    "segment size in header": lambda b: _flip(b, 6),
    "first ciphertext byte": lambda b: _flip(b, crypto.HEADER.size),
    "middle of second segment": lambda b: _flip(b, crypto.HEADER.size + SEG + 16 + 500),
    "tag of last segment": lambda b: _flip(b, len(b) - 1),
    "truncated at a segment boundary": lambda b: b[:crypto.HEADER.size + 3 * (SEG + 16)],
    "last byte cut": lambda b: b[:-1],
    "tail shorter than a tag": lambda b: b[:crypto.HEADER.size + 3 * (SEG + 16) + 5],
    "header only": lambda b: b[:crypto.HEADER.size],
    "half a header": lambda b: b[:5],
    "empty": lambda b: b"",
    "segments swapped": lambda b: (lambda h, s: h + s[1] + s[0] + b"".join(s[2:]))(*segments(b)),
    "segment duplicated": lambda b: (lambda h, s: h + s[0] + b"".join(s))(*segments(b)),
    "last segment dropped, one repeated": lambda b: (lambda h, s: h + b"".join(s[:3]) + s[2])(*segments(b)),
    "garbage appended": lambda b: b + b"\x00" * 40,
    "hostile segment size": lambda b: crypto.HEADER.pack(crypto.MAGIC, 0xFFFFFFFF) + b[crypto.HEADER.size:],
}


@pytest.mark.parametrize("attack", list(TAMPERING))
def test_tampering_is_detected(attack):
    dek, blob = encrypt(DATA)
    bad = TAMPERING[attack](blob)
    assert bad != blob
    with pytest.raises(IntegrityError):
        decrypt(dek, bad)


def test_stream_stops_at_first_bad_segment_not_later():
    dek, blob = encrypt(DATA)
    bad = _flip(blob, crypto.HEADER.size + 2 * (SEG + 16) + 3)  # third segment
    out = []
    with pytest.raises(IntegrityError):
        for piece in crypto.decrypt_stream(dek, [bad], CTX):
            out.append(piece)
    assert b"".join(out) == DATA[:2 * SEG]


def test_wrong_context_or_key_or_swapped_blob_fails():
    dek, blob = encrypt(DATA)
    with pytest.raises(IntegrityError):
        decrypt(dek, blob, context="document:d1/version:v2")
    with pytest.raises(IntegrityError):
        decrypt(crypto.new_data_key(), blob)
    other_dek, other_blob = encrypt(DATA, context="document:d2/version:v1")
    with pytest.raises(IntegrityError):
        decrypt(dek, other_blob)  # another record's ciphertext under this record's key


@pytest.mark.parametrize("seg", [crypto.MIN_SEGMENT - 1, crypto.MAX_SEGMENT + 1])
def test_segment_size_out_of_bounds_is_refused(seg):
    with pytest.raises(ValueError):
        list(crypto.encrypt_stream(crypto.new_data_key(), [b"x"], CTX, seg))


# --- keyring ---------------------------------------------------------------------------------

def test_create_keyring_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "sub" / "keys.json"
    assert crypto.create_keyring_file(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert crypto.create_keyring_file(path) is False
    assert path.read_text() == first
    ring = Keyring.load(path)
    assert ring.active == "k1" and len(ring.keys["k1"].key) == 32
    assert [p.name for p in path.parent.iterdir()] == ["keys.json"]  # no temp file left behind


def test_keyring_file_racing_creators_make_one_key(tmp_path):
    path = tmp_path / "keys.json"
    results = []
    threads = [threading.Thread(target=lambda: results.append(crypto.create_keyring_file(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    Keyring.load(path)


def _write(path: Path, obj) -> Path:
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


GOOD_KEY = "A" * 43 + "="  # 32 bytes of base64
MALFORMED = {
    "not json": "{nope",
    "wrong format tag": {"format": "other/1", "active": "k1", "keys": {"k1": {"key": GOOD_KEY}}},
    "active key absent": {"format": crypto.KEYRING_FORMAT, "active": "k2", "keys": {"k1": {"key": GOOD_KEY}}},
    "short key": {"format": crypto.KEYRING_FORMAT, "active": "k1", "keys": {"k1": {"key": "AAAA"}}},
    "bad base64": {"format": crypto.KEYRING_FORMAT, "active": "k1", "keys": {"k1": {"key": "!!" * 22}}},
    "bad key id": {"format": crypto.KEYRING_FORMAT, "active": "../x", "keys": {"../x": {"key": GOOD_KEY}}},
    "keys not a mapping": {"format": crypto.KEYRING_FORMAT, "active": "k1", "keys": ["k1"]},
    "old stub layout": {"active": "k1", "keys": {"k1": GOOD_KEY}},
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_keyring_is_a_clear_error(tmp_path, case):
    path = _write(tmp_path / "keys.json", MALFORMED[case])
    with pytest.raises(KeyringError, match="keys.json"):
        Keyring.load(path)


def test_missing_keyring_says_run_init(tmp_path):
    with pytest.raises(KeyringError, match="vault init"):
        Keyring.load(tmp_path / "absent.json")


def test_wrap_binds_key_id_and_context():
    ring = Keyring.generate()
    ring.add_key()
    dek = crypto.new_data_key()
    key_id, wrapped = ring.wrap(dek, CTX)
    assert key_id == "k2" and len(wrapped) == 60
    assert ring.unwrap(key_id, wrapped, CTX) == dek
    with pytest.raises(IntegrityError):
        ring.unwrap(key_id, wrapped, "document:d1/version:v2")
    with pytest.raises(IntegrityError):
        ring.unwrap("k1", wrapped, CTX)  # relabelled as wrapped by the other key
    with pytest.raises(IntegrityError):
        ring.unwrap(key_id, _flip(wrapped, 20), CTX)
    with pytest.raises(KeyringError, match="k7"):
        ring.unwrap("k7", wrapped, CTX)


def test_another_master_key_cannot_unwrap(tmp_path):
    """A restored database with the wrong key file (same key ids, other material) fails cleanly."""
    ours, theirs = Keyring.generate(), Keyring.generate()
    key_id, wrapped = ours.wrap(crypto.new_data_key(), CTX)
    assert key_id == theirs.active == "k1"
    with pytest.raises(IntegrityError):
        theirs.unwrap(key_id, wrapped, CTX)


def test_add_save_remove_keys(tmp_path):
    path = tmp_path / "keys.json"
    crypto.create_keyring_file(path)
    ring = Keyring.load(path)
    assert ring.add_key() == "k2"
    ring.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Keyring.load(path)
    assert again.active == "k2" and set(again.keys) == {"k1", "k2"}
    assert again.keys["k1"].key == ring.keys["k1"].key
    with pytest.raises(KeyringError, match="active"):
        again.remove_key("k2")
    again.remove_key("k1")
    assert again.add_key(activate=False) == "k3"  # ids are never reused
    assert again.active == "k2"
    again.activate("k3")
    assert again.active == "k3"
    with pytest.raises(KeyringError):
        again.activate("k1")
    with pytest.raises(KeyringError):
        again.remove_key("k1")


def test_insecure_permissions(tmp_path):
    path = tmp_path / "keys.json"
    crypto.create_keyring_file(path)
    assert not crypto.insecure_permissions(path)
    os.chmod(path, 0o644)
    assert crypto.insecure_permissions(path)


def test_crypto_module_is_pure():
    tree = ast.parse(Path(crypto.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    from_vault = {f"vault.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                  and node.module == "vault" for alias in node.names}
    assert not imported & {"flask", "sqlalchemy"}, imported
    assert from_vault <= {"vault.privatefile"}, from_vault  # the one pure helper it shares (key files, backups)
    assert not any(isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vault.")
                   for node in ast.walk(tree))
