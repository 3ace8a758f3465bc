"""Staff side: grants list, download history per document and per company, NDAs signed outside the
system, tracing a leaked copy (web page and `vault trace`), DOCX downloads."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.access.builders import (access_link, approve, confirm_link, journey_to_review, request_uid,
                                   submit_request)
from tests.conftest import SHARED_DATA
from tests.corpus import pdf as corpus_pdf

DPIA_DOCX = SHARED_DATA / "questionnaires" / "docx" / "ico_dpia-template_practical-data-privacy.docx"


def _version_uid(app, document_uid):
    from vault import db
    from vault.documents.service import current_version, get_document
    with app.app_context():
        return current_version(get_document(db.session(), document_uid)).uid


@pytest.fixture
def staff(client_as):
    return client_as("admin", email="boss@vault.test")


@pytest.fixture
def downloaded(app, seeded, smtp_sink, staff):
    """Alice of Buyer Ltd downloaded the SOC 2 report once; returns (link, pdf bytes)."""
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded)
    approve(app, staff, request_uid(app, "alice@buyer.example"), [seeded.soc2, seeded.pentest])
    link = access_link(smtp_sink, "alice@buyer.example")
    r = client.get(f"{link}/documents/{seeded.soc2}/{_version_uid(app, seeded.soc2)}")
    assert r.status_code == 200
    return link, r.data


def test_grants_list_shows_expiry_and_revoke(app, seeded, staff, downloaded):
    page = staff.get("/admin/access/grants").get_data(as_text=True)
    assert "alice@buyer.example" in page and "Revoke" in page and "Active" in page
    from vault import db
    from vault.access.models import Grant
    with app.app_context():
        grant = db.session().scalar(select(Grant))
        assert (grant.expires_at - grant.created_at).days == 30
        uid = grant.uid
    done = staff.post(f"/admin/access/grants/{uid}/revoke", data={}, follow_redirects=True)
    assert b"the link stops working now" in done.data
    assert "alice@buyer.example" not in staff.get("/admin/access/grants").get_data(as_text=True)
    everything = staff.get("/admin/access/grants?all=1").get_data(as_text=True)
    assert "alice@buyer.example" in everything and "Revoked" in everything
    again = staff.post(f"/admin/access/grants/{uid}/revoke", data={}, follow_redirects=True)
    assert b"already revoked" in again.data


def test_download_history_per_document_and_company(app, seeded, staff, downloaded):
    app.test_client().get(f"/trust/documents/{seeded.whitepaper}/download")
    by_doc = staff.get(f"/admin/access/downloads?document={seeded.soc2}").get_data(as_text=True)
    assert "alice@buyer.example" in by_doc and "Security whitepaper" not in by_doc.split("By company")[0]
    by_company = staff.get("/admin/access/downloads?company=buyer ltd").get_data(as_text=True)
    assert "alice@buyer.example" in by_company
    assert "alice@buyer.example" not in staff.get("/admin/access/downloads?company=Other").get_data(as_text=True)
    everything = staff.get("/admin/access/downloads").get_data(as_text=True)
    assert "anonymous (public document)" in everything and "Buyer Ltd" in everything


def test_request_detail_shows_the_requesters_history(app, seeded, smtp_sink, staff, downloaded):
    client = app.test_client()
    submit_request(client, documents=[seeded.spreadsheet], email="carol@buyer.example", name="Carol")
    client.post(confirm_link(smtp_sink, "carol@buyer.example"))
    from tests.access.builders import accept_nda
    accept_nda(client, seeded.nda_version, full_name="Carol")
    page = staff.get(f"/admin/access/requests/{request_uid(app, 'carol@buyer.example')}").get_data(as_text=True)
    history = page.split("History of")[1]
    assert "alice@buyer.example" in history and "SOC 2 Type II report" in history


def test_trace_page_and_cli_find_the_download(app, seeded, staff, downloaded, tmp_path):
    _link, pdf = downloaded
    from vault import db
    from vault.access.models import Download
    with app.app_context():
        download_id = db.session().scalar(select(Download.download_id))
    r = staff.post("/admin/access/trace", data={"file": (io.BytesIO(pdf), "leak.pdf")},
                   content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and download_id in page and "alice@buyer.example" in page and "Buyer Ltd" in page
    leaked = tmp_path / "leak.pdf"
    leaked.write_bytes(pdf)
    result = app.test_cli_runner().invoke(args=["trace", str(leaked)])
    assert result.exit_code == 0, result.output
    assert download_id in result.output and "Alice Buyer <alice@buyer.example>, Buyer Ltd" in result.output
    assert "Grant:" in result.output
    clean = tmp_path / "clean.pdf"
    clean.write_bytes(corpus_pdf("SF424_page2.pdf").read_bytes())
    result = app.test_cli_runner().invoke(args=["trace", str(clean)])
    assert result.exit_code == 1 and "No download id" in result.output
    result = app.test_cli_runner().invoke(args=["trace", str(tmp_path / "missing.pdf")])
    assert result.exit_code != 0 and "No such file" in result.output


def test_docx_downloads_are_marked(app, seeded, smtp_sink, staff):
    from tests.documents.builders import add_document
    from vault import db
    from vault.auth.models import User
    with app.app_context():
        sess = db.session()
        doc = add_document(app, sess, sess.get(User, seeded.owner_id), DPIA_DOCX, title="DPIA", doc_type="dpa",
                           visibility="nda", frameworks=())
        doc_uid = doc.uid
    client = app.test_client()
    submit_request(client, documents=[doc_uid])
    client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    from tests.access.builders import accept_nda
    accept_nda(client, seeded.nda_version)
    approve(app, staff, request_uid(app, "alice@buyer.example"), [doc_uid])
    link = access_link(smtp_sink, "alice@buyer.example")
    r = client.get(f"{link}/documents/{doc_uid}/{_version_uid(app, doc_uid)}")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert int(r.headers["Content-Length"]) == len(r.data)
    from vault.watermark import find_download_id
    from vault.access.models import Download
    with app.app_context():
        dl = db.session().scalar(select(Download))
        assert dl.marking == "docx"
    assert find_download_id(r.data).download_id == dl.download_id


def test_offline_nda_lets_staff_approve_and_skips_click_through(app, seeded, smtp_sink, staff, client_as):
    signed = corpus_pdf("SF424_page2.pdf").read_bytes()
    sales = client_as("sales")
    form = {"name": "Dana Lee", "email": "dana@partner.example", "company": "Partner Co", "notes": "MNDA 2025",
            "file": (io.BytesIO(signed), "signed-mnda.pdf")}
    assert sales.post("/admin/access/ndas", data=form, content_type="multipart/form-data").status_code == 403
    form["file"] = (io.BytesIO(signed), "signed-mnda.pdf")
    r = staff.post("/admin/access/ndas", data=form, content_type="multipart/form-data")
    assert r.status_code == 302, r.data
    page = staff.get("/admin/access/ndas").get_data(as_text=True)
    assert "Dana Lee" in page and "Signed outside the system" in page
    from vault import db
    from vault.access.models import NdaAcceptance
    with app.app_context():
        acceptance = db.session().scalar(select(NdaAcceptance))
        assert acceptance.method == "signed_offline" and acceptance.signed_copy_blob.sha256
        nda_uid = acceptance.uid
    copy = staff.get(f"/admin/access/ndas/{nda_uid}/signed-copy")
    assert copy.status_code == 200 and copy.data == signed
    # Dana's request: after confirming, no click-through NDA; it goes straight to review.
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2], email="dana@partner.example", name="Dana Lee",
                   company="Partner Co")
    r = client.post(confirm_link(smtp_sink, "dana@partner.example"))
    assert r.status_code == 200 and b"waits for review" in r.data
    assert approve(app, staff, request_uid(app, "dana@partner.example"), [seeded.soc2]).status_code == 302
    assert access_link(smtp_sink, "dana@partner.example")


def test_offline_nda_refuses_bad_files_with_a_message(app, seeded, staff):
    r = staff.post("/admin/access/ndas", data={"name": "Dana", "email": "dana@partner.example", "company": "P",
                                               "file": (io.BytesIO(b"\x7fELF\x02\x01\x01" + b"\0" * 100), "mnda.pdf")},
                   content_type="multipart/form-data")
    assert r.status_code == 400 and b"program" in r.data or b"looks like" in r.data
    r = staff.post("/admin/access/ndas", data={"name": "Dana", "email": "dana@partner.example", "company": "P"},
                   content_type="multipart/form-data")
    assert r.status_code == 400 and b"Upload the signed copy" in r.data
