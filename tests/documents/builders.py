"""Data builders for document tests (flaskr/lemur style: no SQL dumps)."""
from __future__ import annotations

import io
import itertools
import zipfile
from pathlib import Path

from tests.conftest import SHARED_DATA, TEST_PASSWORD
from tests.corpus import pdf

VALID_PDF = pdf("aws-security-incident-response-guide.pdf")
SMALL_PDF = pdf("SF424_page2.pdf")
ENCRYPTED_PDFS = [pdf("crazyones-encrypted-256.pdf"), pdf("r6-user-password.pdf")]
TRUNCATED_PDF = pdf("DERIVED-truncated-aws-security-incident-response-guide.pdf")
XLSX = SHARED_DATA / "questionnaires" / "HECVAT414.xlsx"
DOCX = SHARED_DATA / "questionnaires" / "docx" / "owasp_asvs_4.0.3-en.docx"
CSV_ZH = SHARED_DATA / "questionnaires" / "zh" / "gbt22239_2019_level3.csv"
MARKDOWN = SHARED_DATA / "questionnaires" / "zh" / "hummerrisk_grade-protection_gbt22239.md"

_counter = itertools.count(1)


def new_user(session, role: str = "security"):
    from vault.auth.service import create_user
    user = create_user(session, email=f"{role}-b{next(_counter)}@example.com", password=TEST_PASSWORD, role=role,
                       actor="test")
    session.commit()
    return user


def fields(title: str = "ISO 27001 certificate", doc_type: str = "certification", visibility: str = "public",
           frameworks=("iso27001",), title_zh: str = ""):
    from vault.documents.service import DocumentFields
    return DocumentFields(doc_type=doc_type, visibility=visibility, frameworks=list(frameworks),
                          texts={"en": (title, ""), "zh": (title_zh, "")})


def add_document(app, session, owner, path: Path = SMALL_PDF, filename: str | None = None, meta=None, **kw):
    from vault.documents import service, validation
    with validation.checked_file(path, max_bytes=app.config["MAX_UPLOAD_BYTES"], filename=filename) as upload:
        doc = service.create_document(session, fields(**kw), owner=owner, first_upload=upload, meta=meta)
        service.commit_upload(session, doc.versions[0])
    return doc


def add_version(app, session, document, uploader, path: Path = SMALL_PDF, filename: str | None = None, meta=None):
    from vault.documents import service, validation
    with validation.checked_file(path, max_bytes=app.config["MAX_UPLOAD_BYTES"], filename=filename) as upload:
        version = service.add_version(session, document, upload, uploader=uploader, meta=meta)
        service.commit_upload(session, version)
    return version


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name.replace("/", "_")
    path.write_bytes(data)
    return path


def stored_keys(app) -> list[str]:
    from vault.storage import get_store
    with app.app_context():
        return list(get_store().keys())
