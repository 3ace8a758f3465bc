"""Crafted inputs for the pypdf denial-of-service advisories (issue #18 item 6), built here, small.

Installed pypdf must carry the fixes (tests/test_architecture.py checks the floor); these show that each
input, through the real upload check (`inspect_pdf`: child process, memory limit, timeout) and the
in-process watermark, ends quickly as "refused" or "marked", never as a hang or a memory blow-up.
"""
from __future__ import annotations

import io
import subprocess
import sys
import time
import zlib

import pytest

from vault.watermark import inspect_pdf

LIMIT_S = 30


def _pdf(objects: list[bytes], *, trailer_extra: bytes = b"", root: bool = True, size: int | None = None) -> bytes:
    """A PDF with a correct xref from raw object bodies (object 1 is the catalog when `root`)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d " % (size or len(objects) + 1) + (b"/Root 1 0 R " if root else b"")
              + trailer_extra + b">>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _page_with(content: bytes, dict_extra: bytes = b"", resources: bytes = b"<< >>") -> bytes:
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources " + resources
                 + b" /Contents 4 0 R >>",
                 b"<< /Length %d " % len(content) + dict_extra + b">>\nstream\n" + content + b"\nendstream"])


def _lzw(data: bytes) -> bytes:
    from pypdf._codecs._codecs import LzwCodec
    return LzwCodec().encode(data)


CRAFTED = {
    # CVE-2025-55197: a FlateDecode stream that inflates far beyond its size (64 MB of zeros in ~64 KB)
    "flate-bomb": lambda: _page_with(zlib.compress(b"0 0 m\n" + b"\0" * (64 << 20), 9), b"/Filter /FlateDecode "),
    # CVE-2025-62708 / CVE-2025-66019: the same with LZWDecode
    "lzw-bomb": lambda: _page_with(_lzw(b"\0" * (32 << 20)), b"/Filter /LZWDecode "),
    # CVE-2025-62707: a DCT inline image without its EOI marker and without EI
    "dct-inline-no-eoi": lambda: _page_with(b"q BI /W 8 /H 8 /CS /G /BPC 8 /F /DCT ID \xff\xd8\xff\xe0" + b"A" * 4000),
    # GHSA-5xf7-4p34-54qr / GHSA-g867-7843-wf8q: an unterminated inline image
    "inline-no-ei": lambda: _page_with(b"q BI /W 100 /H 100 /CS /RGB /BPC 8 ID " + b"\x00\x01" * 5000),
    # CVE-2026-22690: no /Root and a huge /Size
    "no-root-huge-size": lambda: _pdf([b"<< /Type /Pages /Kids [] /Count 0 >>"], root=False, size=2_000_000_000),
    # a page tree that contains itself
    "cyclic-page-tree": lambda: _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                                      b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]),
    # an image whose declared size is far larger than its data (memory by declaration)
    "image-size-lie": lambda: _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /Im1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length 30 >>\nstream\nq 100 0 0 100 0 0 cm /Im1 Do Q\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length 9 >>\nstream\n" + zlib.compress(b"\0") + b"\nendstream"]),
}


def test_installed_pypdf_is_at_least_the_advisory_floor():
    import pypdf
    major, minor, *_ = (int(x) for x in pypdf.__version__.split(".")[:3])
    assert (major, minor) >= (6, 16)


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_input_is_refused_or_marked_quickly(name, tmp_path):
    data = CRAFTED[name]()
    assert len(data) < 2 << 20, "the crafted file itself stays small"
    started = time.monotonic()
    info = inspect_pdf(data, timeout=LIMIT_S)
    assert time.monotonic() - started < LIMIT_S + 5
    if not info.broken and not info.encrypted:
        # It passed the upload check: the in-process watermark (a child here, so a hang fails the test
        # instead of stalling it) must finish too, with a copy or a clear refusal.
        path = tmp_path / "in.pdf"
        path.write_bytes(data)
        code = ("import sys; from vault.watermark import watermark_pdf, WatermarkError\n"
                "from tests.watermark.test_pdf import JANE\n"
                "import io\n"
                "try:\n    watermark_pdf(open(sys.argv[1],'rb').read(), io.BytesIO(), JANE); print('marked')\n"
                "except WatermarkError as e:\n    print('refused', e)\n")
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                              timeout=LIMIT_S * 2, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split()[0] in ("marked", "refused")
    else:  # refused at upload: it is never stored, so never watermarked
        assert info.broken_reason or info.encrypted
