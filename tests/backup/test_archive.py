"""The archive format and the passphrase sealing on their own (pure: no app, no database)."""
from __future__ import annotations

import io
import secrets
import tarfile

import pytest

from vault.backup import archive, sealing

KEY = secrets.token_bytes(32)
SIZES = [0, 1, 511, 512, 513, 3 * archive.READ_CHUNK + 7]


def object_name(n: int) -> str:
    uid = f"{n:032x}"
    return f"objects/{uid[:2]}/{uid[2:4]}/{uid}"


def write(parts: dict[str, bytes], backup_id: str = "b1") -> bytes:
    fh = io.BytesIO()
    writer = archive.ArchiveWriter(fh)
    writer.add(archive.HEADER, [archive.canonical_json(
        {"format": archive.FORMAT, "version": archive.VERSION, "backup_id": backup_id, "signing_key": "k1"})])
    for name, data in parts.items():
        writer.add(name, (data[i:i + 1000] for i in range(0, len(data), 1000)))  # streamed in pieces
    writer.finish({"backup_id": backup_id}, KEY, backup_id)
    return fh.getvalue()


def contents() -> dict[str, bytes]:
    return {object_name(n): secrets.token_bytes(size) for n, size in enumerate(SIZES)}


def test_parts_of_any_size_make_a_standard_tar_that_verifies():
    parts = contents()
    data = write(parts)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:  # `tar tvf` reads it
        assert {m.name: tar.extractfile(m).read() for m in tar if m.name.startswith("objects/")} == parts
    verified = archive.verify(io.BytesIO(data), on_header=lambda h: None, signing_key=lambda h, s, m: KEY)
    again = {p.name: b"".join(p.chunks()) for p in archive.parts(io.BytesIO(data), verified)}
    assert again == parts


def test_every_changed_byte_is_found_and_named():
    parts = contents()
    data = write(parts)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = [m for m in tar if m.name.startswith("objects/") and m.size]
    for m in members:
        damaged = bytearray(data)
        damaged[m.offset_data + m.size - 1] ^= 0x80
        with pytest.raises(archive.ArchiveError) as err:
            archive.verify(io.BytesIO(bytes(damaged)), on_header=lambda h: None, signing_key=lambda h, s, m: KEY)
        assert err.value.part == m.name


def test_another_key_does_not_verify_the_signature():
    with pytest.raises(archive.ArchiveError, match="signature does not match") as err:
        archive.verify(io.BytesIO(write(contents())), on_header=lambda h: None,
                       signing_key=lambda h, s, m: secrets.token_bytes(32))
    assert err.value.part == archive.MANIFEST


def test_not_a_backup_and_cut_files_say_so():
    with pytest.raises(archive.ArchiveError, match="not a trustvault backup"):
        archive.verify(io.BytesIO(b"PK\x03\x04 a zip file" * 100), on_header=lambda h: None,
                       signing_key=lambda h, s, m: KEY)
    data = write(contents())
    for cut in (len(data) // 2, len(data) - 3 * tarfile.BLOCKSIZE):
        with pytest.raises(archive.ArchiveError, match="truncated"):
            archive.verify(io.BytesIO(data[:cut]), on_header=lambda h: None, signing_key=lambda h, s, m: KEY)


def test_table_lines_round_trip_through_gzip_in_small_and_huge_lines():
    lines = [b"{}", "中文".encode(), b"x" * (archive.READ_CHUNK * 2 + 5), b"", b"last"]
    packed = b"".join(archive.gzip_lines(lines))
    pieces = [packed[i:i + 777] for i in range(0, len(packed), 777)]
    assert list(archive.gunzip_lines(pieces, "t")) == lines
    with pytest.raises(archive.ArchiveError, match="truncated"):
        list(archive.gunzip_lines([packed[:-10]], "t"))


def test_sealed_keys_open_only_with_the_passphrase_and_in_their_own_backup():
    block = sealing.seal(b'{"keyring": "..."}', "a long enough passphrase", backup_id="b1")
    assert sealing.unseal(block, "a long enough passphrase", backup_id="b1") == b'{"keyring": "..."}'
    with pytest.raises(sealing.WrongPassphrase):
        sealing.unseal(block, "a long enough passphrasE", backup_id="b1")
    with pytest.raises(sealing.WrongPassphrase):  # copied into another backup
        sealing.unseal(block, "a long enough passphrase", backup_id="b2")
    with pytest.raises(ValueError, match="at least"):
        sealing.seal(b"x", "short", backup_id="b1")
    with pytest.raises(ValueError, match="out of range"):  # a hostile block asking for 16 GiB
        sealing.unseal({**block, "n": 2 ** 24}, "a long enough passphrase", backup_id="b1")


def test_table_parts_decrypt_only_under_their_own_name_and_key():
    key = archive.table_key(KEY, "b1")
    sealed = b"".join(archive.encrypted(key, "database/001-users.jsonl.gz", [b"alice@buyer.example\n" * 100]))
    assert b"alice" not in sealed
    assert b"".join(archive.decrypted(key, "database/001-users.jsonl.gz", [sealed])) == b"alice@buyer.example\n" * 100
    moved = (key, "database/002-grants.jsonl.gz")
    other_backup = (archive.table_key(KEY, "b2"), "database/001-users.jsonl.gz")
    for other_key, name in (moved, other_backup):
        with pytest.raises(archive.ArchiveError, match="does not decrypt") as err:
            b"".join(archive.decrypted(other_key, name, [sealed]))
        assert err.value.part == name


def test_garbage_in_the_manifest_is_a_named_error_not_a_crash():
    fh = io.BytesIO()
    writer = archive.ArchiveWriter(fh)
    writer.add(archive.HEADER, [archive.canonical_json({"format": archive.FORMAT, "version": 1, "backup_id": "b1"})])
    writer.add(object_name(1), [b"data"])
    writer.parts[-1]["sha256"] = "ü" * 64  # compare_digest refuses non-ASCII text: must not escape as TypeError
    writer.finish({"backup_id": "b1"}, KEY, "b1")
    with pytest.raises(archive.ArchiveError, match="does not match its SHA-256") as err:
        archive.verify(io.BytesIO(fh.getvalue()), on_header=lambda h: None, signing_key=lambda h, s, m: KEY)
    assert err.value.part == object_name(1)
