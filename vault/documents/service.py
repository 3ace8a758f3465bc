"""Documents and versions: create, upload a version, withdraw, pin, query. Services flush; callers commit.

Uploads: the caller spools and checks the file (`validation.spool` + `check_upload`), then calls
`add_version`, then `commit_upload`, which deletes the stored object again if the commit fails.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from vault.auth.models import User
from vault.db import utcnow
from vault.documents import validation
from vault.documents.models import (LANGUAGES, Document, DocumentFramework, DocumentText, DocumentType,
                                    DocumentVersion, Visibility, blob_context, new_uid)
from vault.documents.status import Status, expiry_status
from vault.documents.validation import ISSUER_MAX, NOTES_MAX, CheckedUpload, InvalidInput, VersionDates
from vault.inputs import clean_text
from vault.storage.service import (BlobRef, EmptyFile, TooLarge, discard_blob, discard_unless_committed, open_blob,
                                   save_blob)


@dataclass
class VersionMeta(VersionDates):
    issuer: str = ""
    notes: str = ""

    def checked(self) -> VersionMeta:
        validation.check_dates(self)
        self.issuer = clean_text(self.issuer, field="issuer", max_len=ISSUER_MAX, label=_l("Issuer or auditor"),
                                 multiline=False)
        self.notes = clean_text(self.notes, field="notes", max_len=NOTES_MAX, label=_l("Notes"))
        return self


def _personal_report() -> InvalidInput:
    return InvalidInput("trust_report", _l("A custom trust report is made for one grant: it stays internal "
                                           "and keeps its type."), field="visibility")


@dataclass
class DocumentFields:
    doc_type: str
    visibility: str
    texts: dict[str, tuple[str, str]]  # language -> (title, description)
    frameworks: list[str]  # known codes and custom names

    def checked(self) -> DocumentFields:
        if self.doc_type not in set(DocumentType):
            raise InvalidInput("type", _l("Unknown document type “%(name)s”.", name=self.doc_type), field="doc_type")
        if self.visibility not in set(Visibility):
            raise InvalidInput("visibility", _l("Unknown visibility “%(name)s”.", name=self.visibility),
                               field="visibility")
        if self.doc_type == DocumentType.TRUST_REPORT and self.visibility != Visibility.INTERNAL:
            raise _personal_report()
        self.texts = validation.check_texts(self.texts)
        known = [f for f in self.frameworks if f in validation.FRAMEWORKS]
        custom = [f for f in self.frameworks if f not in validation.FRAMEWORKS]
        self.frameworks = validation.check_frameworks(known, custom)
        return self


# --- documents ----------------------------------------------------------------------------------

def _apply_fields(document: Document, f: DocumentFields) -> None:
    document.type, document.visibility = f.doc_type, f.visibility
    existing = {t.language: t for t in document.texts}
    for lang, (title, description) in f.texts.items():
        if lang in existing:
            existing[lang].title, existing[lang].description = title, description
        else:
            document.texts.append(DocumentText(language=lang, title=title, description=description))
    for lang, text in existing.items():
        if lang not in f.texts:
            document.texts.remove(text)
    wanted = set(f.frameworks)
    for link in list(document.framework_links):
        if link.framework not in wanted:
            document.framework_links.remove(link)
    have = {link.framework for link in document.framework_links}
    for name in f.frameworks:
        if name not in have:
            document.framework_links.append(DocumentFramework(framework=name))


def create_document(session: Session, fields_: DocumentFields, *, owner: User,
                    first_upload: CheckedUpload | None = None, meta: VersionMeta | None = None,
                    max_bytes: int | None = None) -> Document:
    """A new document, optionally with its first version (uploaded by the owner)."""
    fields_.checked()
    if first_upload is not None:
        meta = (meta or VersionMeta()).checked()  # check before anything is stored
    now = utcnow()
    document = Document(uid=new_uid(), owner=owner, created_at=now, updated_at=now)
    _apply_fields(document, fields_)
    session.add(document)
    session.flush()
    if first_upload is not None:
        add_version(session, document, first_upload, uploader=owner, meta=meta, max_bytes=max_bytes)
    return document


def update_document(session: Session, document: Document, fields_: DocumentFields,
                    owner: User | None = None) -> dict:
    """Change metadata; returns {field: [old, new]} for the audit trail (empty: nothing changed)."""
    fields_.checked()
    if document.type == DocumentType.TRUST_REPORT and fields_.doc_type != document.type:
        raise _personal_report()  # it would reach the public library or another company's approval
    before = _snapshot(document)
    _apply_fields(document, fields_)
    if owner is not None:
        document.owner = owner
    after = _snapshot(document)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        document.updated_at = utcnow()
    session.flush()
    return changes


def _snapshot(d: Document) -> dict:
    snap = {"type": d.type, "visibility": d.visibility, "frameworks": sorted(d.frameworks),
            "owner": d.owner.email if d.owner else None}
    for t in d.texts:
        snap[f"title_{t.language}"] = t.title
        snap[f"description_{t.language}"] = t.description
    for lang in LANGUAGES:
        snap.setdefault(f"title_{lang}", "")
        snap.setdefault(f"description_{lang}", "")
    return snap


# --- versions -----------------------------------------------------------------------------------

def add_version(session: Session, document: Document, upload: CheckedUpload, *, uploader: User,
                meta: VersionMeta | None = None, max_bytes: int | None = None) -> DocumentVersion:
    """Encrypt and store a checked upload as the document's next version (flushed, not committed).

    If anything fails after the object is stored, the object is deleted again.
    """
    meta = (meta or VersionMeta()).checked()
    # Serialise numbering per document (row lock on PostgreSQL; SQLite serialises writers anyway).
    session.execute(select(Document.id).where(Document.id == document.id).with_for_update())
    number = (session.scalar(select(func.max(DocumentVersion.number))
                             .where(DocumentVersion.document_id == document.id)) or 0) + 1
    version_uid = new_uid()
    try:
        blob = save_blob(session, upload.chunks(), context=blob_context(document.uid, version_uid),
                         max_bytes=max_bytes)
    except TooLarge as exc:
        raise validation.too_large(exc.max_bytes) from exc
    except EmptyFile as exc:
        raise validation.UploadRefused("empty", _l("The file is empty (0 bytes).")) from exc
    version = DocumentVersion(
        uid=version_uid, document=document, number=number, blob=blob, filename=upload.filename,
        media_type=upload.media_type, size=blob.size, sha256=blob.sha256, page_count=upload.page_count,
        uploader=uploader, uploaded_at=utcnow(),
        **{f.name: getattr(meta, f.name) for f in fields(VersionMeta)},
    )
    session.add(version)
    try:
        session.flush()
    except BaseException:
        discard_blob(blob)
        raise
    document.updated_at = utcnow()
    return version


def commit_upload(session: Session, *versions: DocumentVersion) -> None:
    """Commit the upload; if the commit fails, roll back and delete the stored objects, except those
    whose rows were committed all the same (a COMMIT whose answer was lost keeps its files)."""
    blobs = [BlobRef.of(v.blob) for v in versions]
    try:
        session.commit()
    except BaseException:
        try:
            session.rollback()
        except SQLAlchemyError:
            pass  # the connection is gone; the pool replaces it
        for blob in blobs:
            discard_unless_committed(blob)
        raise


class VersionStateError(InvalidInput):
    pass


def withdraw_version(session: Session, version: DocumentVersion, *, by: User, reason: str) -> None:
    """Withdraw (never delete) a version; withdrawing the pinned version unpins it."""
    reason = validation.check_reason(reason)
    if version.withdrawn:
        raise VersionStateError("withdrawn", _l("Version %(number)d is already withdrawn.", number=version.number))
    version.withdrawn_at, version.withdrawn_by, version.withdrawal_reason = utcnow(), by, reason
    document = version.document
    if document.pinned_version_id == version.id:
        document.pinned_version = None
    document.updated_at = utcnow()
    session.flush()


def pin_version(session: Session, version: DocumentVersion) -> None:
    if version.withdrawn:
        raise VersionStateError("withdrawn", _l("A withdrawn version cannot be pinned."))
    version.document.pinned_version = version
    version.document.updated_at = utcnow()
    session.flush()


def unpin(session: Session, document: Document) -> DocumentVersion | None:
    """Unpin; returns the version that was pinned (None if none was)."""
    previous = document.pinned_version
    document.pinned_version = None
    document.updated_at = utcnow()
    session.flush()
    return previous


def current_version(document: Document) -> DocumentVersion | None:
    """The pinned version if any, else the newest version that is not withdrawn."""
    pinned = document.pinned_version
    if pinned is not None and not pinned.withdrawn:
        return pinned
    return next((v for v in sorted(document.versions, key=lambda v: v.number, reverse=True) if not v.withdrawn),
                None)


def document_status(document: Document, *, today: date, warning_days: int) -> Status:
    current = current_version(document)
    return expiry_status(current.expiry_date if current else None, today=today, warning_days=warning_days,
                         has_version=current is not None)


def open_version(version: DocumentVersion) -> Iterator[bytes]:
    """The original file's bytes, decrypted and verified (IntegrityError on tampering or a swapped blob)."""
    return open_blob(version.blob, context=version.blob_context)


# --- queries ------------------------------------------------------------------------------------

def _loaded():
    return (selectinload(Document.texts), selectinload(Document.framework_links),
            selectinload(Document.versions), selectinload(Document.owner))


def get_document(session: Session, uid: str) -> Document | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(Document).where(Document.uid == uid).options(*_loaded()))


def get_version(session: Session, document: Document, version_uid: str) -> DocumentVersion | None:
    """A version of this document only: a version uid of another document is not found."""
    if not version_uid or len(version_uid) > 64:
        return None
    return session.scalar(select(DocumentVersion).where(DocumentVersion.uid == version_uid,
                                                        DocumentVersion.document_id == document.id))


def list_documents(session: Session, *, doc_type: str | None = None, framework: str | None = None,
                   visibility: str | None = None) -> list[Document]:
    stmt = select(Document).options(*_loaded()).order_by(Document.type, Document.created_at)
    if doc_type:
        stmt = stmt.where(Document.type == doc_type)
    if visibility:
        stmt = stmt.where(Document.visibility == visibility)
    if framework:
        stmt = stmt.where(Document.id.in_(select(DocumentFramework.document_id)
                                          .where(DocumentFramework.framework == framework)))
    return list(session.scalars(stmt))


def all_frameworks(session: Session) -> list[str]:
    """Every framework in use (known and custom), for the list filter."""
    return list(session.scalars(select(DocumentFramework.framework).distinct().order_by(DocumentFramework.framework)))


def find_by_title(session: Session, title: str, language: str = "en") -> Document | None:
    doc_id = session.scalar(select(DocumentText.document_id)
                            .where(DocumentText.language == language, DocumentText.title == title).limit(1))
    return session.get(Document, doc_id) if doc_id else None


@dataclass
class DocumentRow:
    document: Document
    current: DocumentVersion | None
    status: Status


def document_rows(session: Session, *, today: date, warning_days: int, doc_type: str | None = None,
                  framework: str | None = None, visibility: str | None = None,
                  status: str | None = None) -> list[DocumentRow]:
    """The staff list: each document with its current version and expiry status, filtered."""
    rows = [DocumentRow(d, current_version(d), document_status(d, today=today, warning_days=warning_days))
            for d in list_documents(session, doc_type=doc_type, framework=framework, visibility=visibility)]
    if status:
        rows = [r for r in rows if r.status.kind == status]
    return rows
