"""No plaintext of an upload or a marked download in the temporary folder: Werkzeug's parser, the
spool, the PDF check and the watermark delivery all hold confidential bytes encrypted."""
import io
import stat

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.documents.builders import SMALL_PDF, VALID_PDF
from tests.test_tempcrypt import MARKER, needs_proc, open_files_under
from vault import db
from vault.documents import service, validation
from vault.tempcrypt import PAGE, EncryptedTempFile
from vault.watermark import inspect_pdf

pytestmark = needs_proc


def marked_pdf(size: int = 1_200_000) -> bytes:
    """A valid one-page PDF whose uncompressed content stream repeats MARKER (a comment line)."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    content = DecodedStreamObject()
    content.set_data(b"%" + MARKER * (size // len(MARKER)) + b"\nBT /F1 12 Tf 72 720 Td ET\n")
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()




def upload_and_scan(app, client_as, tmpdir_watched, monkeypatch, data: bytes) -> dict:
    """Upload `data` as a new version; mid-request (after the checks) note the file stream and read
    every file in the watched temporary folder."""
    from tests.documents.builders import add_document, new_user

    with app.app_context():
        sess = db.session()
        doc = add_document(app, sess, new_user(sess), SMALL_PDF).uid
    seen = {"doc": doc}
    real_add_version = service.add_version

    def add_version_and_scan(session, document, upload, **kw):
        from flask import request
        seen["stream"] = request.files["file"].stream
        seen["files"] = open_files_under(tmpdir_watched)
        return real_add_version(session, document, upload, **kw)

    monkeypatch.setattr(service, "add_version", add_version_and_scan)
    # The body is built in memory: the test client's own spooling would put plaintext in TMPDIR.
    part = FileStorage(io.BytesIO(data), filename="report.pdf", content_type="application/pdf")
    boundary, body = encode_multipart({"file": part, "expiry_date": "2030-01-01"})
    resp = client_as("legal").post(f"/documents/{doc}/versions/new", data=body,
                                   content_type=f"multipart/form-data; boundary={boundary}")
    assert resp.status_code == 302
    seen["after"] = open_files_under(tmpdir_watched)
    return seen


def test_upload_view_leaves_no_plaintext_in_tmpdir(app, client_as, tmpdir_watched, monkeypatch):
    data = marked_pdf()
    assert len(data) > 1_000_000 and data.count(MARKER) > 30_000
    seen = upload_and_scan(app, client_as, tmpdir_watched, monkeypatch, data)
    assert isinstance(seen["stream"], EncryptedTempFile) and seen["stream"].rolled
    assert sum(len(c) for c in seen["files"].values()) >= len(data) - PAGE  # on disk, encrypted
    assert [name for name, content in seen["files"].items() if MARKER in content] == []
    assert seen["after"] == {}  # and nothing is left after the request
    with app.app_context():
        version = service.current_version(service.get_document(db.session(), seen["doc"]))
        assert version.number == 2 and version.size == len(data) and version.page_count == 1


def test_flask_default_request_would_leak_to_tmpdir(app, client_as, tmpdir_watched, monkeypatch):
    """Why `VaultRequest` exists, and proof that the scan above would see a leak."""
    import flask

    monkeypatch.setattr(app, "request_class", flask.Request)
    seen = upload_and_scan(app, client_as, tmpdir_watched, monkeypatch, marked_pdf())
    assert any(MARKER in content for content in seen["files"].values())


def test_spool_adopts_an_encrypted_stream_and_copies_anything_else():
    held = EncryptedTempFile()
    held.write(b"%PDF-1.7 hello")
    with validation.spool(held, max_bytes=100) as spooled:
        assert spooled.source is held and spooled.size == 14
    assert not held.closed  # the request owns it
    with validation.spool(io.BytesIO(b"hello"), max_bytes=100) as spooled:
        assert isinstance(spooled.source, EncryptedTempFile)
        assert b"".join(spooled.chunks()) == b"hello"
        copy = spooled.source
    assert copy.closed
    with pytest.raises(validation.UploadRefused) as exc:
        with validation.spool(held, max_bytes=10):
            pass
    assert exc.value.code == "too_large"
    with pytest.raises(validation.UploadRefused) as exc:
        with validation.spool(EncryptedTempFile(), max_bytes=10):
            pass
    assert exc.value.code == "empty"


def test_path_for_legacy_callers_is_private_and_removed(tmpdir_watched):
    with validation.spool(io.BytesIO(b"logo bytes"), max_bytes=100) as spooled:
        path = spooled.path
        assert path.read_bytes() == b"logo bytes"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not path.exists() and not path.parent.exists()


def test_inspect_pdf_reads_an_encrypted_file_through_a_pipe(tmpdir_watched):
    data = VALID_PDF.read_bytes()
    with EncryptedTempFile(max_memory=0) as f:
        f.write(data)
        f.seek(0)
        assert inspect_pdf(f) == inspect_pdf(VALID_PDF)
    assert inspect_pdf(data[: len(data) // 2]).broken
    assert open_files_under(tmpdir_watched) == {}


def test_marked_download_leaves_no_plaintext_in_tmpdir(tmpdir_watched, monkeypatch):
    from vault.access import delivery
    from vault.documents.mediatype import PDF
    from vault.watermark import Recipient

    monkeypatch.setattr(delivery, "SPOOL_IN_MEMORY", 0)  # force both copies to disk
    data = marked_pdf(300_000)
    recipient = Recipient(name="Jane Doe", email="jane@example.com", company="Example",
                          downloaded_at="2026-01-01 09:00 UTC", download_id="dl-0123456789")
    chunks, size = delivery.marked_copy([data[i:i + 65536] for i in range(0, len(data), 65536)],
                                        media_type=PDF, recipient=recipient)
    on_disk = open_files_under(tmpdir_watched)  # the marked copy, waiting to be streamed
    assert sum(len(c) for c in on_disk.values()) >= size - PAGE  # all but the page still in memory
    assert all(MARKER not in content for content in on_disk.values())
    marked = b"".join(chunks)
    assert len(marked) == size and MARKER in marked
    assert open_files_under(tmpdir_watched) == {}
