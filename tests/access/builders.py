"""Builders for trust center and access tests: an app wired to the SMTP sink, a seeded vault,
and helpers that walk the prospect's journey through the test client."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tests.conftest import mail_config, make_app
from tests.documents.builders import SMALL_PDF, add_document, add_version, new_user

NDA_TEXT = ("MUTUAL NON-DISCLOSURE AGREEMENT\n\nThe recipient keeps the security documents of Example Cloud "
            "confidential and uses them only to evaluate our services.\n")


def trust_app(tmp_path: Path, smtp_sink, **overrides):
    config = mail_config(smtp_sink.port, "trust@vault.test")
    config.update(overrides)
    return make_app(tmp_path, **config)


@dataclass
class Seeded:
    owner_id: int
    nda_doc: str  # uids
    nda_version: str
    soc2: str
    pentest: str
    spreadsheet: str
    whitepaper: str
    iso: str
    expired_cert: str
    internal: str


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def seed(app, tmp_path: Path) -> Seeded:
    """An NDA template, three NDA documents (two PDFs, one XLSX), a public whitepaper, a valid and an
    expired certificate, and an internal document."""
    from vault import db
    from vault.documents.service import VersionMeta
    from tests.documents.builders import XLSX

    with app.app_context():
        sess = db.session()
        owner = new_user(sess, "legal")
        nda_path = write_text(tmp_path, "mutual-nda.txt", NDA_TEXT)
        nda = add_document(app, sess, owner, nda_path, title="Mutual NDA", doc_type="nda_template",
                           visibility="public", frameworks=())
        soc2 = add_document(app, sess, owner, SMALL_PDF, filename="SOC 2 报告 2025.pdf", title="SOC 2 Type II report",
                            doc_type="audit_report", visibility="nda", frameworks=("soc2",),
                            meta=VersionMeta(expiry_date=date.today() + timedelta(days=200)))
        pentest = add_document(app, sess, owner, SMALL_PDF, filename="pentest.pdf", title="Penetration test summary",
                               doc_type="pentest_summary", visibility="nda", frameworks=())
        sheet = add_document(app, sess, owner, XLSX, filename="controls.xlsx", title="Control matrix",
                             doc_type="other", visibility="nda", frameworks=())
        white = add_document(app, sess, owner, SMALL_PDF, filename="whitepaper.pdf", title="Security whitepaper",
                             doc_type="whitepaper", visibility="public", frameworks=())
        iso = add_document(app, sess, owner, SMALL_PDF, filename="iso.pdf", title="ISO 27001 certificate",
                           doc_type="certification", visibility="public", frameworks=("iso27001",),
                           meta=VersionMeta(expiry_date=date.today() + timedelta(days=300), issuer="BSI"))
        old = add_document(app, sess, owner, SMALL_PDF, filename="pci.pdf", title="PCI DSS attestation",
                           doc_type="certification", visibility="public", frameworks=("pci_dss",),
                           meta=VersionMeta(expiry_date=date.today() - timedelta(days=3)))
        internal = add_document(app, sess, owner, SMALL_PDF, filename="internal.pdf", title="Internal risk register",
                                doc_type="other", visibility="internal", frameworks=())
        return Seeded(owner.id, nda.uid, nda.versions[0].uid, soc2.uid, pentest.uid, sheet.uid, white.uid, iso.uid,
                      old.uid, internal.uid)


def new_nda_version(app, tmp_path: Path, seeded: Seeded, text: str = NDA_TEXT + "\nVersion 2.\n") -> str:
    from vault import db
    from vault.auth.models import User
    from vault.documents import service

    with app.app_context():
        sess = db.session()
        doc = service.get_document(sess, seeded.nda_doc)
        version = add_version(app, sess, doc, sess.get(User, seeded.owner_id), write_text(tmp_path, "nda-v2.txt", text))
        return version.uid


LINK = re.compile(r"https?://[^\s<>\"]+")


def mail_text(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def mail_html(message) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""


def links_in(message, fragment: str) -> list[str]:
    return [u for u in LINK.findall(mail_text(message)) if fragment in u]


def mails_to(smtp_sink, email: str) -> list:
    """Every message the sink received for `email`, oldest first."""
    return [m["message"] for m in smtp_sink.messages if email in m["to"]]


def last_mail_to(smtp_sink, email: str):
    for m in reversed(smtp_sink.messages):
        if email in m["to"]:
            return m["message"]
    raise AssertionError(f"no mail to {email}: {[m['to'] for m in smtp_sink.messages]}")


def path_of(url: str) -> str:
    """The path of an emailed link (the test client talks to the app directly)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def submit_request(client, *, documents=(), all_nda=False, name="Alice Buyer", email="alice@buyer.example",
                   company="Buyer Ltd", reason="Vendor review", **extra):
    data = {"name": name, "email": email, "company": company, "reason": reason, "documents": list(documents)}
    if all_nda:
        data["all_nda"] = "y"
    data.update(extra)
    return client.post("/trust/request", data=data)


def confirm_link(smtp_sink, email: str) -> str:
    return path_of(links_in(last_mail_to(smtp_sink, email), "/trust/confirm/")[0])


def access_link(smtp_sink, email: str) -> str:
    return path_of(links_in(last_mail_to(smtp_sink, email), "/trust/access/")[0])


def accept_nda(client, version_uid: str, full_name: str = "Alice Buyer", **extra):
    data = {"nda_version": version_uid, "full_name": full_name, "accept": "y"}
    data.update(extra)
    return client.post("/trust/nda", data=data)


def journey_to_review(client, smtp_sink, seeded: Seeded, email="alice@buyer.example", **kw):
    """Request, confirm, accept the NDA: the request then waits for staff."""
    r = submit_request(client, documents=[seeded.soc2], email=email, **kw)
    assert r.status_code == 200, r.data
    r = client.post(confirm_link(smtp_sink, email))
    assert r.status_code == 302, r.data
    r = accept_nda(client, seeded.nda_version)
    assert r.status_code == 200, r.data
    return r


def request_uid(app, email: str) -> str:
    from sqlalchemy import select
    from vault import db
    from vault.access.models import AccessRequest
    with app.app_context():
        return db.session().scalar(select(AccessRequest.uid).where(AccessRequest.email == email)
                                   .order_by(AccessRequest.id.desc()).limit(1))


def approve(app, staff_client, uid: str, documents: list[str], days: int = 30):
    return staff_client.post(f"/admin/access/requests/{uid}/approve", data={"documents": documents, "days": days})
