"""vault/http.py: RFC 6266 Content-Disposition and the streaming download response."""
import re
from urllib.parse import unquote

import pytest

from vault.http import ascii_fallback, content_disposition, stream_download


def _parse(header: str) -> dict:
    """Read the header as an RFC 6266 client does (filename* wins over filename)."""
    from werkzeug.http import parse_options_header
    kind, params = parse_options_header(header)
    return {"type": kind, "filename": params.get("filename")}


@pytest.mark.parametrize("name, fallback", [
    ("report.pdf", "report.pdf"),
    ("SOC 2 Type II (2025).pdf", "SOC 2 Type II (2025).pdf"),
    ("等级保护测评报告.pdf", "download.pdf"),
    ("等级保护 report 2025.pdf", "report 2025.pdf"),
    ("résumé.docx", "resume.docx"),
    ('say "hi"\\.txt', "say _hi.txt"),
    ("a;b=c.pdf", "a_b=c.pdf"),
    ("noext", "noext"),
])
def test_ascii_fallback(name, fallback):
    assert ascii_fallback(name) == fallback


@pytest.mark.parametrize("name", ["等级保护测评报告（第三级）.pdf", "SOC 2 报告 v1.pdf", "O'Brien \"x\".pdf", "100%.txt",
                                  "a;b,c.pdf", "emoji 🔒.pdf", "résumé.docx"])
def test_utf8_filename_round_trip(name):
    header = content_disposition(name)
    assert all(ord(ch) < 128 for ch in header), "headers stay ASCII"
    assert header.startswith("attachment; filename=\"")
    star = re.search(r"filename\*=UTF-8''([^;\s]+)", header).group(1)
    assert unquote(star, encoding="utf-8") == name
    assert _parse(header) == {"type": "attachment", "filename": name}


def test_header_injection_is_impossible():
    header = content_disposition("evil\r\nSet-Cookie: a=b.pdf")
    assert "\r" not in header and "\n" not in header
    assert content_disposition("x.pdf", inline=True).startswith("inline;")


def test_stream_download_headers_and_body(app):
    chunks_read = []

    def chunks():
        for part in (b"hello ", "世界".encode()):
            chunks_read.append(part)
            yield part

    with app.test_request_context():
        resp = stream_download(chunks(), filename="世界.txt", media_type="text/plain", size=12)
        assert chunks_read == [], "nothing is read before the client reads"
        assert resp.is_streamed
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert resp.headers["Content-Length"] == "12"
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Accept-Ranges"] == "none"
        assert "sandbox" in resp.headers["Content-Security-Policy"]
        assert b"".join(resp.response) == "hello 世界".encode()
