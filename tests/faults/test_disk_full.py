"""The instance folder's disk full (a small filled tmpfs as root, else RLIMIT_FSIZE: tests/faults/disk.py)
during an upload to local storage and during the cache writes (matching index, font pre-cut): a clear
error or a working answer from memory, no partial file left, nothing half-written, and the same action
works once there is room again."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app
from tests.documents.builders import SMALL_PDF
from tests.faults.conftest import close_app, staff_client
from tests.faults.disk import FullDisk
from vault import db
from vault.documents.models import Document, DocumentVersion
from vault.storage.models import StoredBlob

NOT_STORED = b"nothing was saved"


@pytest.fixture
def disk_app(tmp_path):
    """An app whose whole instance folder (SQLite database, keys, objects, index cache) is on a small disk."""
    with FullDisk(tmp_path / "instance") as disk:
        app = make_app(tmp_path)
        yield app, disk
        close_app(app)


def _form() -> dict:
    return {"title_en": "SOC 2 Type II report", "title_zh": "", "description_en": "", "description_zh": "",
            "doc_type": "audit_report", "visibility": "nda", "frameworks": ["soc2"], "custom_frameworks": "",
            "issuer": "", "notes": "", "effective_date": "2025-01-01", "expiry_date": "", "audit_period_start": "",
            "audit_period_end": "", "file": (io.BytesIO(SMALL_PDF.read_bytes()), "soc2.pdf")}


def _objects(app) -> list[str]:
    root = Path(app.config["STORAGE_PATH"])
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def _rows(app) -> tuple[int, int, int]:
    with app.app_context():
        sess = db.session()
        return tuple(sess.scalar(select(func.count()).select_from(t)) for t in (Document, DocumentVersion, StoredBlob))


def test_upload_to_local_storage_on_a_full_disk(disk_app):
    app, disk = disk_app
    staff = staff_client(app)
    disk.fill()
    try:
        resp = staff.post("/documents/new", data=_form())
    finally:
        disk.free()
    assert resp.status_code == 503 and NOT_STORED in resp.data
    assert _objects(app) == []  # not even a partial temporary file
    assert _rows(app) == (0, 0, 0)

    resp = staff.post("/documents/new", data=_form())
    assert resp.status_code == 302 and _rows(app) == (1, 1, 1) and len(_objects(app)) == 1


def test_matching_index_cache_on_a_full_disk(disk_app, monkeypatch):
    """The index lives in the database; its copy in <instance>/index is a cache: a full disk must not
    stop matching, nor leave a partial file there."""
    from answers.library.index import synced_index
    from answers.library.service import Actor, create_entry
    from answers.matching import embed

    monkeypatch.setenv(embed.ENV, "0")  # lexical matching is enough to write the cache (and quick)
    app, disk = disk_app
    with app.app_context():
        sess = db.session()
        for n, (q, a) in enumerate([("Do you encrypt data at rest?", "Yes, AES-256."),
                                    ("Do you run annual penetration tests?", "Yes, by an outside firm.")]):
            create_entry(sess, Actor(label="test"), ref=f"F-{n}", question=q, answer_short=a, status="approved")
        sess.commit()
    folder = Path(app.instance_path) / "index"
    disk.fill()
    try:
        with app.app_context(), synced_index(db.session()) as index:
            found = index.match("Is data encrypted at rest?")
    finally:
        disk.free()
    assert found.best is not None and found.best.ref == "F-0"
    assert not [p.name for p in folder.glob("*") if p.name.endswith(".tmp") or p.name.startswith(".manifest-")]

    with app.app_context():  # room again: the next change writes the cache
        sess = db.session()
        create_entry(sess, Actor(label="test"), ref="F-2", question="Do you have a DPO?", answer_short="Yes.",
                     status="approved")
        sess.commit()
        with synced_index(db.session()) as index:
            assert index.match("Do you have a data protection officer?").best.ref == "F-2"
    assert (folder / "library_index").is_file()


def test_font_precut_cache_on_a_full_disk(tmp_path):
    """The watermark's CJK font pre-cut is a cache too: built in memory when it cannot be written."""
    from vault.watermark import fontfiles as fonts
    from vault.watermark import precut

    path = fonts.find_cjk_font()
    if path is None:
        pytest.skip("no CJK font installed (scripts/setup-system installs fonts-noto-cjk)")
    number = fonts.collection_index(path)
    with FullDisk(tmp_path / "fonts") as disk:
        precut.configure(cache_dir=disk.folder)
        precut.forget()
        try:
            disk.fill()
            try:
                template = precut.template(path, number)
            finally:
                disk.free()
            assert template is not None and template.order  # built, kept in memory
            assert disk.files() == [] or all(f.endswith(".lock") for f in disk.files())  # no partial pre-cut
        finally:
            precut.configure(cache_dir=None)
            precut.forget()
