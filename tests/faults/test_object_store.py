"""The object store (the real S3 server, through the fault proxy) down, stalled or slow during a
document upload and a watermarked download: a clear 503 page, no row, no object, and the same action
works once the store is back."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.access.builders import (
    access_link,
    approve,
    journey_to_review,
    request_uid,
    seed,
)
from tests.conftest import mail_config, make_app
from tests.documents.builders import SMALL_PDF
from tests.faults.conftest import bucket_keys, close_app, s3_config, staff_client
from vault import audit, db
from vault.documents.models import Document, DocumentVersion
from vault.storage.models import StoredBlob

NOTHING_SAVED = b"The file store could not be reached or is full, so nothing was saved."


def _form(title: str = "SOC 2 Type II report") -> dict:
    return {"title_en": title, "title_zh": "", "description_en": "", "description_zh": "",
            "doc_type": "audit_report", "visibility": "nda", "frameworks": ["soc2"], "custom_frameworks": "",
            "issuer": "", "notes": "", "effective_date": "2025-01-01", "expiry_date": "", "audit_period_start": "",
            "audit_period_end": "", "file": (io.BytesIO(SMALL_PDF.read_bytes()), "soc2.pdf")}


def _rows(app) -> tuple[int, int, int]:
    with app.app_context():
        sess = db.session()
        return tuple(sess.scalar(select(func.count()).select_from(t)) for t in (Document, DocumentVersion, StoredBlob))


@pytest.fixture
def s3_app(tmp_path, s3_proxy, s3_direct):
    app = make_app(tmp_path, **s3_config(s3_proxy, s3_direct[1]))
    yield app
    close_app(app)


def test_upload_while_the_store_is_down_then_after_recovery(s3_app, s3_proxy, s3_direct):
    staff = staff_client(s3_app)
    for how in ("close", "reset"):  # nothing listens / the connection is reset
        s3_proxy.down(how)
        resp = staff.post("/documents/new", data=_form())
        assert resp.status_code == 503 and NOTHING_SAVED in resp.data, how
        assert resp.headers["Retry-After"]
        resp = staff.post("/documents/new", data=_form(), headers={"Accept": "application/json"})
        assert resp.status_code == 503 and "nothing was saved" in resp.get_json()["error"]
        assert _rows(s3_app) == (0, 0, 0) and bucket_keys(s3_direct) == []
        s3_proxy.recover()

    resp = staff.post("/documents/new", data=_form())
    assert resp.status_code == 302
    assert _rows(s3_app) == (1, 1, 1)
    with s3_app.app_context():
        key = db.session().scalar(select(StoredBlob.key))
    assert bucket_keys(s3_direct) == [key]


def test_upload_to_a_stalled_store_fails_cleanly_and_a_slow_one_succeeds(s3_app, s3_proxy, s3_direct):
    staff = staff_client(s3_app)
    s3_proxy.slow(connect=3)  # the store accepts but does not answer within the 1 s read timeout
    resp = staff.post("/documents/new", data=_form())
    assert resp.status_code == 503 and NOTHING_SAVED in resp.data
    s3_proxy.cut()  # nothing held in the proxy may land later
    assert _rows(s3_app) == (0, 0, 0) and bucket_keys(s3_direct) == []

    s3_proxy.slow(chunk=0.1)  # slow, but each wait within the timeout
    resp = staff.post("/documents/new", data=_form())
    assert resp.status_code == 302 and _rows(s3_app) == (1, 1, 1) and len(bucket_keys(s3_direct)) == 1


# --- the watermarked download ---------------------------------------------------------------------

@pytest.fixture
def granted(tmp_path, smtp_sink, s3_proxy, s3_direct):
    """A prospect with a grant to the SOC 2 report (a PDF, marked per download), files in S3."""
    app = make_app(tmp_path, **mail_config(smtp_sink.port, "trust@vault.test"), **s3_config(s3_proxy, s3_direct[1]))
    seeded = seed(app, tmp_path)
    staff = staff_client(app, "legal")
    prospect = app.test_client()
    journey_to_review(prospect, smtp_sink, seeded)
    assert approve(app, staff, request_uid(app, "alice@buyer.example"), [seeded.soc2]).status_code == 302
    with app.app_context():
        from vault.documents.service import current_version, get_document
        version = current_version(get_document(db.session(), seeded.soc2)).uid
    url = f"{access_link(smtp_sink, 'alice@buyer.example')}/documents/{seeded.soc2}/{version}"
    yield app, prospect, url
    close_app(app)


def _downloads(app) -> tuple[int, list[str]]:
    from vault.access.models import Download
    with app.app_context():
        sess = db.session()
        outcomes = [e.outcome for e in audit.query_events(sess, action="access.download")]
        return sess.scalar(select(func.count()).select_from(Download)), outcomes


def test_watermarked_download_with_the_store_failing_then_recovered(granted, s3_proxy):
    app, prospect, url = granted
    faults = {"down": lambda: s3_proxy.down("close"),
              "stalled before the answer": lambda: s3_proxy.slow(connect=3),
              "stalled mid-file": lambda: s3_proxy.stall(after=20_000)}  # of the 125 KB object
    for n, (fault, start) in enumerate(faults.items(), start=1):
        start()
        resp = prospect.get(url)
        assert resp.status_code == 503, (fault, resp.data[:300])
        assert b"The file could not be read" in resp.data and b"%PDF" not in resp.data
        count, outcomes = _downloads(app)
        assert count == n - 1 and outcomes.count("failed") == n, fault  # no download row, the failure audited

        s3_proxy.cut()
        s3_proxy.recover()
        resp = prospect.get(url)
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF"), fault
        assert int(resp.headers["Content-Length"]) == len(resp.data)
        count, outcomes = _downloads(app)
        assert count == n and outcomes.count("ok") == n, fault
