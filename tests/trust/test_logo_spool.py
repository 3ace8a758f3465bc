"""The trust-center logo goes from the request's encrypted upload to storage: no plaintext copy in
the temporary folder, and the size and type checks still hold."""
from __future__ import annotations

import io
import tempfile

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.test_tempcrypt import MARKER, needs_proc, open_files_under

BASE = {"company_name": "Example Cloud", "free_mail_domains": "", "blocked_domains": "", "allowed_domains": "",
        "default_grant_days": "30"}


def _png(text_bytes: int) -> bytes:
    """A real PNG carrying `text_bytes` of MARKER in a text chunk (past 512 KB: rolled to disk)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", (MARKER * (text_bytes // len(MARKER))).decode())
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 90, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _post(client, data: bytes):
    # Built in memory: the test client's own spooling would put plaintext in TMPDIR.
    part = FileStorage(io.BytesIO(data), filename="logo.png", content_type="image/png")
    boundary, body = encode_multipart({**BASE, "logo": part})
    return client.post("/admin/trust", data=body, content_type=f"multipart/form-data; boundary={boundary}")


@needs_proc
def test_logo_upload_leaves_no_plaintext_in_tmpdir(app, seeded, client_as, tmp_path, monkeypatch):
    from vault.tempcrypt import EncryptedTempFile
    from vault.trust import service

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    data = _png(700_000)
    assert 512 * 1024 < len(data) < service.LOGO_MAX_BYTES and MARKER in data
    seen = {}
    real_set_logo = service.set_logo

    def set_logo_and_scan(session, spooled):
        seen["source"] = spooled.source
        result = real_set_logo(session, spooled)
        seen["files"] = open_files_under(folder)  # after every read of the upload
        return result

    monkeypatch.setattr(service, "set_logo", set_logo_and_scan)
    r = _post(client_as("admin"), data)
    assert r.status_code == 302, r.data
    assert isinstance(seen["source"], EncryptedTempFile) and seen["source"].rolled
    assert sum(len(c) for c in seen["files"].values()) >= len(data) - 64 * 1024  # encrypted, on disk
    assert [name for name, content in seen["files"].items() if MARKER in content] == []
    assert open_files_under(folder) == {}
    logo = app.test_client().get("/trust/logo")
    assert logo.status_code == 200 and logo.data == data and logo.mimetype == "image/png"


def test_oversized_logo_is_refused_with_a_message(app, seeded, client_as):
    from vault.trust import service

    data = _png(service.LOGO_MAX_BYTES + 10)
    r = _post(client_as("admin"), data)
    assert r.status_code == 400 and b"larger than" in r.data
    assert app.test_client().get("/trust/logo").status_code == 404


@pytest.mark.parametrize("payload", [b"GIF89a" + b"\0" * 100, b"%PDF-1.7 not a logo"])
def test_logo_that_is_not_png_or_jpeg_is_refused(app, seeded, client_as, payload):
    r = _post(client_as("admin"), payload)
    assert r.status_code == 400
    assert app.test_client().get("/trust/logo").status_code == 404
