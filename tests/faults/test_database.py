"""PostgreSQL restarting under the app (the real server behind the fault proxy): between requests, while
it is down, in the middle of a request's statements and at the commit of an upload. Each request either
succeeds or fails with a 503 page, leaves no half-written row and no orphan or missing object, and the
next request works once the database is back."""
from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from tests.conftest import make_app
from tests.documents.builders import SMALL_PDF
from tests.faults.conftest import close_app, proxied_url, staff_client
from vault import db
from vault.documents.models import Document, DocumentVersion
from vault.storage.models import StoredBlob

pytestmark = pytest.mark.postgres
DB_DOWN = b"The database did not answer"


@pytest.fixture
def pg_proxy(postgres_url, proxy_to):
    return proxy_to(postgres_url)


@pytest.fixture
def pg_app(tmp_path, postgres_url, pg_proxy):
    app = make_app(tmp_path, proxied_url(postgres_url, pg_proxy))
    yield app
    close_app(app)


def _form(title: str) -> dict:
    return {"title_en": title, "title_zh": "", "description_en": "", "description_zh": "", "doc_type": "audit_report",
            "visibility": "nda", "frameworks": ["soc2"], "custom_frameworks": "", "issuer": "", "notes": "",
            "effective_date": "2025-01-01", "expiry_date": "", "audit_period_start": "", "audit_period_end": "",
            "file": (io.BytesIO(SMALL_PDF.read_bytes()), "soc2.pdf")}


def _state(app) -> tuple[tuple[int, int, int], set[str], set[str]]:
    """(documents, versions, blobs) rows, the blob keys in the database and the objects on disk."""
    with app.app_context():
        sess = db.session()
        counts = tuple(sess.scalar(select(func.count()).select_from(t)) for t in (Document, DocumentVersion, StoredBlob))
        keys = set(sess.scalars(select(StoredBlob.key)))
    root = Path(app.config["STORAGE_PATH"])
    objects = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts}
    return counts, keys, objects


def _fault_at(app, when, action):
    """Run `action` once, on the first statement for which `when(statement)` is true."""
    fired = threading.Event()

    @event.listens_for(app.extensions["vault.engine"], "before_cursor_execute")
    def _hook(conn, cursor, statement, parameters, context, executemany):
        if not fired.is_set() and when(statement):
            fired.set()
            action()

    return fired


def test_restart_between_requests_and_while_down(pg_app, pg_proxy):
    staff = staff_client(pg_app)
    assert staff.get("/documents/").status_code == 200
    assert pg_proxy.cut() >= 1  # a restart: every pooled connection is dead now
    assert staff.get("/documents/").status_code == 200  # pre-ping finds it and reconnects

    pg_proxy.down("close")
    for accept in ("text/html", "application/json"):
        resp = staff.get("/documents/", headers={"Accept": accept})
        assert resp.status_code == 503 and resp.headers["Retry-After"]
        assert DB_DOWN in resp.data
    api = staff.get("/api/v1/documents", headers={"Authorization": "Bearer tv_unknown"})
    assert api.status_code == 503 and api.mimetype == "application/problem+json" and api.headers["Retry-After"]
    pg_proxy.recover()
    assert staff.get("/documents/").status_code == 200


def test_connection_cut_during_a_request(pg_app, pg_proxy):
    staff = staff_client(pg_app)
    fired = _fault_at(pg_app, lambda sql: sql.lstrip().upper().startswith("SELECT") and "FROM documents" in sql,
                      pg_proxy.cut)
    resp = staff.get("/documents/")
    assert fired.is_set() and resp.status_code == 503 and DB_DOWN in resp.data
    assert staff.get("/documents/").status_code == 200


def test_upload_cut_before_its_rows_are_written(pg_app, pg_proxy):
    staff = staff_client(pg_app)
    fired = _fault_at(pg_app, lambda sql: sql.startswith("INSERT INTO document_versions"), pg_proxy.cut)
    resp = staff.post("/documents/new", data=_form("Cut at the version row"))
    assert fired.is_set() and resp.status_code == 503
    assert _state(pg_app) == ((0, 0, 0), set(), set())  # the stored object was removed again

    resp = staff.post("/documents/new", data=_form("After the restart"))
    assert resp.status_code == 302
    counts, keys, objects = _state(pg_app)
    assert counts == (1, 1, 1) and keys == objects


def test_upload_whose_commit_reaches_the_server_but_not_its_answer(pg_app, pg_proxy):
    """The COMMIT arrives, the reply is lost: the app cannot know the outcome. Whatever it was, the
    row and its object must agree: a committed version keeps its file."""
    staff = staff_client(pg_app)
    engine = pg_app.extensions["vault.engine"]
    armed = threading.Event()

    @event.listens_for(engine, "commit")
    def _lose_the_answer(conn):
        if armed.is_set():
            armed.clear()
            pg_proxy.stall(after=0)  # the server's reply to COMMIT is held ...
            threading.Timer(0.3, lambda: (pg_proxy.recover(), pg_proxy.cut())).start()  # ... till the link dies

    _fault_at(pg_app, lambda sql: sql.startswith("INSERT INTO document_versions"), armed.set)
    resp = staff.post("/documents/new", data=_form("Commit answer lost"))
    assert resp.status_code == 503 and DB_DOWN in resp.data
    counts, keys, objects = _state(pg_app)
    assert counts == (1, 1, 1)  # PostgreSQL did commit
    assert keys == objects  # ... and the file is still there for its row
    assert staff.get("/documents/").status_code == 200
