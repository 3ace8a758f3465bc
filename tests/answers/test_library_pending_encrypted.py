"""Answer-library imports kept between preview and confirmation are encrypted at rest with the
instance's keyring and bound to their token and uploader; the library export streams from an
encrypted temporary file. Neither leaves the library's text in plaintext on disk."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from answers.library import pending, service
from answers.library.models import LibraryEntry
from tests.test_tempcrypt import MARKER, needs_proc, open_files_under
from vault import audit, db
from vault.audit import Actor
from vault.crypto import Keyring

SECRET = MARKER.decode()


def _csv(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


LIBRARY_CSV = _csv([["ID", "Question", "Answer", "Details"],
                    ["ENC-01", "Is data encrypted at rest?", "Yes", f"AES-256 ({SECRET})."],
                    ["NET-01", "是否部署了防火墙？", "是", SECRET]])


def _kept(app, token: str):
    """(the row, the path of its encrypted object in the local store)."""
    with app.app_context():
        row = db.session().get(pending.PendingRow, token)
        if row is None:
            return None, None
        db.session().expunge(row)
        return row, Path(app.config["STORAGE_PATH"]) / row.blob.key


def _upload(c, data: bytes = LIBRARY_CSV, name: str = "library.csv"):
    resp = c.post("/library/import", data={"file": (io.BytesIO(data), name), "default_status": "approved"},
                  content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp.headers["Location"], resp.headers["Location"].rsplit("/", 1)[1]


def test_kept_upload_is_ciphertext_and_preview_and_import_still_work(app, client_as):
    from tests.answers.test_library_views import _fields

    c = client_as("security")
    url, token = _upload(c)
    _row, path = _kept(app, token)
    stored = path.read_bytes()
    assert MARKER not in stored and b"ENC-01" not in stored
    assert len(stored) > len(LIBRARY_CSV)  # header and tag added, content encrypted

    page = c.get(url).get_data(as_text=True)
    assert SECRET in page and "ENC-01" in page  # the preview reads it back
    resp = c.post(url, data={**_fields(page), "action": "confirm"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        assert service.get_by_ref(db.session(), "ENC-01").answer_full == f"AES-256 ({SECRET})."
    assert _kept(app, token) == (None, None) and not path.exists()


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "swap_in_other_upload", "edit_uploader"])
def test_a_tampered_kept_upload_gives_a_clear_message_not_a_500(app, client_as, damage):
    c = client_as("security")
    url, token = _upload(c)
    row, path = _kept(app, token)
    if damage == "flip_byte":
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        path.write_bytes(bytes(raw))
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:-5])
    elif damage == "swap_in_other_upload":  # same uploader, another upload's file and key
        _url, other = _upload(c, _csv([["Question", "Answer"], ["Other?", "Yes"]]))
        with app.app_context():
            sess = db.session()
            sess.get(pending.PendingRow, token).blob_id = sess.get(pending.PendingRow, other).blob_id
            sess.commit()
    else:  # the row rewritten to hand another user's upload to this one
        intruder = client_as("security")
        with app.app_context():
            db.session().get(pending.PendingRow, token).user_id = intruder.user.id
            db.session().commit()
        c = intruder

    resp = c.get(url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/library/import")
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "failed its integrity check" in page and "Upload it again" in page
    assert _kept(app, token) == (None, None)  # the bad upload is gone
    assert c.get(url).status_code == 404
    with app.app_context():
        events = audit.query_events(db.session(), action="library.import.unreadable")
        assert [e.outcome for e in events] == ["failed"]
        assert db.session().scalar(select(LibraryEntry).limit(1)) is None  # nothing imported


def test_kept_upload_does_not_open_without_its_master_key(app, make_user, monkeypatch):
    from vault.storage import service as storage
    user = make_user("security")
    with app.app_context():
        sess = db.session()
        token = pending.save(sess, LIBRARY_CSV, filename="lib.csv", user_id=user.id, default_status="draft")
        assert pending.load(sess, token, user.id).data == LIBRARY_CSV
        assert pending.load(sess, token, user.id + 1) is None  # someone else's: just missing
        monkeypatch.setattr(storage, "get_keyring", Keyring.generate)  # another instance's keys only
        with pytest.raises(pending.UploadUnreadable):
            pending.load(sess, token, user.id)


# --- export -----------------------------------------------------------------------------------------

def _big_library(app, n: int = 220) -> None:
    """Enough text (> 512 KB) that the export's temporary file moves to disk."""
    actor = Actor(label="seed@example.com")
    with app.app_context():
        sess = db.session()
        for i in range(n):
            service.create_entry(sess, actor, ref=f"BIG-{i:03d}", question=f"Question number {i}?",
                                 answer_short="Yes", answer_full=SECRET * 80, status="approved")
        sess.commit()


@needs_proc
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_streams_from_an_encrypted_temporary_file(app, client_as, tmpdir_watched, fmt):
    _big_library(app)
    resp = client_as("viewer").get(f"/library/export.{fmt}", buffered=False)
    assert resp.status_code == 200
    body = bytearray(next(resp.response))  # the download has started, the rest waits on disk
    mid = open_files_under(tmpdir_watched)
    body += b"".join(resp.response)
    resp.close()
    assert [name for name, content in mid.items() if MARKER in content] == []
    assert not list(tmpdir_watched.iterdir()) and open_files_under(tmpdir_watched) == {}
    assert len(body) == int(resp.headers["Content-Length"])
    if fmt == "csv":  # > 512 KB: on disk (encrypted) while it streams, and the scan saw it
        assert sum(len(c) for c in mid.values()) > 256 * 1024 and len(body) > 512 * 1024
        assert body.count(MARKER) == 220 * 80
    else:
        from openpyxl import load_workbook
        ws = load_workbook(io.BytesIO(bytes(body))).active
        assert ws["D2"].value == SECRET * 80 and ws.max_row == 221


@needs_proc
def test_csv_export_writes_no_plaintext_while_it_is_built(app, client_as, tmpdir_watched, monkeypatch):
    from answers.library import export

    _big_library(app)
    real_rows, seen = export._rows, {}

    def rows_then_scan(session):
        yield from real_rows(session)
        seen["files"] = open_files_under(tmpdir_watched)  # every row written, nothing streamed yet

    monkeypatch.setattr(export, "_rows", rows_then_scan)
    resp = client_as("viewer").get("/library/export.csv")
    assert resp.status_code == 200 and resp.get_data().count(MARKER) == 220 * 80
    assert sum(len(c) for c in seen["files"].values()) > 256 * 1024
    assert [name for name, content in seen["files"].items() if MARKER in content] == []
