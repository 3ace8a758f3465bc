"""vault.tempcrypt: behaves like BytesIO under random operations, keeps no plaintext on disk, detects
tampering, never reuses keystream, and holds a 200 MB stream in bounded memory."""
import io
import os
import random
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from vault.tempcrypt import PAGE, EncryptedTempFile, TempFileTampered

MARKER = b"TRUSTVAULT-CONFIDENTIAL-MARKER-7f3a"


def open_files_under(folder: Path) -> dict[str, bytes]:
    """Content of every file under `folder` this process can see: named files, and files held open
    by a descriptor even when unlinked or created with O_TMPFILE (read through /proc/self/fd)."""
    folder = os.path.realpath(folder)
    found = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as fh:
                found[path] = fh.read()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(folder + os.sep):
                with open(f"/proc/self/fd/{fd}", "rb") as fh:
                    found[f"fd {fd}: {target}"] = fh.read()
        except OSError:
            continue  # closed in the meantime, or a descriptor that cannot be reopened
    return found


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc")


# --- the same results as BytesIO ------------------------------------------------------------------

SIZES = [0, 1, 7, 100, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE + 5]


def _truncate_reference(ref: io.BytesIO, size):
    """BytesIO only shrinks; a file (and EncryptedTempFile) also grows with zeros."""
    target = ref.tell() if size is None else size
    current = len(ref.getvalue())
    if target <= current:
        return ref.truncate(size)
    pos = ref.tell()
    ref.seek(0, io.SEEK_END)
    ref.write(bytes(target - current))
    ref.seek(pos)
    return target


def _random_ops(seed: int, steps: int = 250) -> None:
    rnd = random.Random(seed)
    f = EncryptedTempFile(max_memory=rnd.choice([0, 1000, PAGE, 3 * PAGE]))
    ref = io.BytesIO()
    for step in range(steps):
        op = rnd.choice("wwwrrsstlx")
        where = (seed, step, op)
        if op == "w":
            data = rnd.randbytes(rnd.choice(SIZES)).replace(b"\x00", b"\n", rnd.randint(0, 3))
            assert f.write(data) == ref.write(data), where
        elif op == "r":
            n = rnd.choice(SIZES + [-1])
            assert f.read(n) == ref.read(n), where
        elif op == "s":
            whence = rnd.choice([0, 1, 2])
            offset = rnd.randint(-2 * PAGE, 4 * PAGE) if whence else rnd.randint(0, 5 * PAGE)
            assert f.seek(offset, whence) == ref.seek(offset, whence), where
        elif op == "t":
            size = rnd.choice([None, rnd.randint(0, 5 * PAGE)])
            assert f.truncate(size) == _truncate_reference(ref, size), where
        elif op == "l":
            limit = rnd.choice([-1, 5, PAGE + 3])
            assert f.readline(limit) == ref.readline(limit), where
        else:
            mine = bytearray(rnd.choice(SIZES))
            theirs = bytearray(len(mine))
            assert f.readinto(mine) == ref.readinto(theirs), where
            assert mine == theirs, where
        assert f.tell() == ref.tell(), where
    f.seek(0)
    assert f.read() == ref.getvalue()
    f.close()


@pytest.mark.parametrize("seed", range(40))
def test_random_operations_match_bytesio(seed):
    _random_ops(seed)


@pytest.mark.parametrize("case", [
    # (operations, expected content): the edge cases the random runs may not hit
    ([("w", b"abc"), ("seek", 10), ("w", b"z")], b"abc" + bytes(7) + b"z"),
    ([("w", b"x" * (2 * PAGE)), ("trunc", 5), ("seek", PAGE + 3), ("w", b"y")], b"xxxxx" + bytes(PAGE - 2) + b"y"),
    ([("w", b"x" * 10), ("trunc", 3 * PAGE)], b"x" * 10 + bytes(3 * PAGE - 10)),
    ([("w", b"a" * PAGE), ("seek", 0), ("w", b"b" * PAGE)], b"b" * PAGE),
    ([("w", b"a" * 100), ("seek", 50), ("w", b"")], b"a" * 100),
    ([("seek", 5), ("w", b"")], b""),
])
@pytest.mark.parametrize("max_memory", [0, 4 * PAGE])
def test_table_of_edge_cases(case, max_memory):
    ops, expected = case
    f = EncryptedTempFile(max_memory=max_memory)
    for op, arg in ops:
        {"w": f.write, "seek": f.seek, "trunc": f.truncate}[op](arg)
    f.seek(0)
    assert f.read() == expected
    assert f.seek(0, io.SEEK_END) == len(expected)


def test_file_object_protocol():
    f = EncryptedTempFile(max_memory=0)
    assert f.readable() and f.writable() and f.seekable() and f.rolled
    with pytest.raises(io.UnsupportedOperation):
        f.fileno()  # the descriptor only holds ciphertext
    with pytest.raises(ValueError):
        f.seek(-1)
    with pytest.raises(ValueError):
        f.truncate(-1)
    f.write(b"one\ntwo\nthree")
    f.seek(0)
    assert list(f) == [b"one\n", b"two\n", b"three"]
    assert f.read() == b"" and f.read(10) == b""
    f.seek(0)
    buffered = io.BufferedReader(f)  # the io stack accepts it as a raw file
    assert buffered.read(4) == b"one\n"
    f.close()
    assert f.closed
    for call in (f.read, f.tell, lambda: f.write(b"x"), f.readable):
        with pytest.raises(ValueError):
            call()
    f.close()  # twice is fine


def test_small_content_stays_in_memory_and_rolls_over():
    f = EncryptedTempFile(max_memory=1000)
    f.write(b"a" * 1000)
    assert not f.rolled
    f.write(b"b")
    assert f.rolled
    f.seek(0)
    assert f.read() == b"a" * 1000 + b"b"


def test_zipfile_and_pypdf_read_and_write_through_it():
    from pypdf import PdfReader, PdfWriter

    with EncryptedTempFile(max_memory=0) as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:  # seeks back to patch headers
            zf.writestr("a.txt", b"hello " * 50_000)
            zf.writestr("b.bin", os.urandom(200_000))
        f.seek(0)
        with zipfile.ZipFile(f) as zf:
            assert zf.read("a.txt") == b"hello " * 50_000
            assert zf.testzip() is None
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(200, 300)
    with EncryptedTempFile(max_memory=0) as f:
        writer.write(f)
        f.seek(0)
        assert len(PdfReader(f).pages) == 3


# --- on disk ---------------------------------------------------------------------------------------

@needs_proc
def test_disk_holds_ciphertext_only(tmp_path):
    data = MARKER * (5 * PAGE // len(MARKER))
    with EncryptedTempFile(max_memory=0, dir=tmp_path) as f:
        f.write(data)
        f.seek(0)
        assert f.read() == data  # round trip, and the last page is written out
        f.seek(3 * PAGE + 17)
        f.write(MARKER)  # a partial overwrite, re-sealed when the page is left
        f.seek(0)
        assert f.read(len(MARKER)) == MARKER
        on_disk = open_files_under(tmp_path)
        assert sum(len(v) for v in on_disk.values()) >= len(data)  # the scan saw the file
        assert all(MARKER not in content for content in on_disk.values())
        assert all(data[:4096] not in content for content in on_disk.values())
    assert open_files_under(tmp_path) == {}  # closed: nothing left behind


def _ciphertext(f: EncryptedTempFile, page: int) -> bytes:
    f.seek(PAGE * (page + 2))  # move off the page, so it is sealed and written out
    f.read(1)
    return os.pread(f._fd, PAGE, page * PAGE)


def test_rewriting_a_page_never_reuses_keystream():
    """Bare AES-CTR at a fixed offset would give the same ciphertext for the same bytes twice."""
    with EncryptedTempFile(max_memory=0) as f:
        f.write(bytes(4 * PAGE))
        first = _ciphertext(f, 0)
        f.seek(0)
        f.write(bytes(PAGE))
        second = _ciphertext(f, 0)
        assert first != second
        assert _ciphertext(f, 1) != first  # the same zeros on another page differ as well


@pytest.mark.parametrize("attack", ["flip", "cut"])
def test_tampering_on_disk_is_detected(attack):
    f = EncryptedTempFile(max_memory=0)
    f.write(os.urandom(3 * PAGE))
    f.seek(0)
    f.read(1)  # page 2 written out, page 0 cached
    if attack == "flip":
        byte = os.pread(f._fd, 1, 2 * PAGE + 10)
        os.pwrite(f._fd, bytes([byte[0] ^ 1]), 2 * PAGE + 10)
    else:
        os.ftruncate(f._fd, 2 * PAGE + 100)
    f.seek(2 * PAGE)
    with pytest.raises(TempFileTampered):
        f.read(10)
    f.close()


def test_close_drops_the_key():
    f = EncryptedTempFile(max_memory=0)
    f.write(b"secret")
    f.close()
    assert f._aead is None and f._pages == {} and f._cache == bytearray()


# --- memory ----------------------------------------------------------------------------------------

def test_200_mb_stream_in_bounded_memory():
    block = os.urandom(1 << 20)
    total = 200 * (1 << 20)
    f = EncryptedTempFile()
    tracemalloc.start()
    try:
        for offset in range(0, total, 65_000):  # unaligned pieces, as a multipart parser hands them over
            f.write(memoryview(block)[offset % 500_000:offset % 500_000 + min(65_000, total - offset)])
        f.seek(0)
        read = 0
        while chunk := f.read(1 << 20):
            read += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        f.close()
    assert read == total
    assert peak < 8 * (1 << 20), f"peak {peak / 1e6:.1f} MB"


def test_module_is_pure():
    code = ("import sys, vault.tempcrypt; bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules]; "
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
