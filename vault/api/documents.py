"""Documents and their versions: metadata, expiry status, upload of a new version (vault.documents.service)."""
from __future__ import annotations

from contextlib import contextmanager

from flask import current_app
from werkzeug.datastructures import FileStorage

from vault import db
from vault.api import schemas as s
from vault.api.auth import actor
from vault.api.blueprint import bp
from vault.api.common import body_etag, check_if_match, listing, not_found, today, warning_days, with_etag
from vault.api.pagination import by_created, by_number
from vault.api.problems import ApiProblem
from vault.api.spec import header_parameter, operation
from vault.audit import record
from vault.documents import service, validation
from vault.documents.models import LANGUAGES
from vault.inputs import InvalidInput
from vault.web import current_staff

TAGS = ("documents",)


def version_json(v) -> dict:
    return {"id": v.uid, "number": v.number, "filename": v.filename, "media_type": v.media_type, "size": v.size,
            "sha256": v.sha256, "page_count": v.page_count, "uploaded_at": v.uploaded_at,
            "uploaded_by": v.uploader.email if v.uploader else None, "effective_date": v.effective_date,
            "expiry_date": v.expiry_date, "audit_period_start": v.audit_period_start,
            "audit_period_end": v.audit_period_end, "issuer": v.issuer, "notes": v.notes,
            "withdrawn_at": v.withdrawn_at, "withdrawal_reason": v.withdrawal_reason}


def document_json(d, *, versions: bool = False) -> dict:
    current = service.current_version(d)
    status = service.document_status(d, today=today(), warning_days=warning_days())
    out = {"id": d.uid, "type": d.type, "visibility": d.visibility,
           "texts": {lang: {"title": d.text(lang).title, "description": d.text(lang).description}
                     for lang in LANGUAGES if d.text(lang) is not None},
           "frameworks": sorted(d.frameworks), "owner": d.owner.email if d.owner else None,
           "created_at": d.created_at, "updated_at": d.updated_at,
           "status": {"kind": str(status.kind), "days_left": status.days_left},
           "current_version": current.uid if current else None,
           "pinned_version": d.pinned_version.uid if d.pinned_version else None}
    if versions:
        out["versions"] = [version_json(v) for v in sorted(d.versions, key=lambda v: v.number)]
    return out


def _document(uid: str):
    document = service.get_document(db.session(), uid)
    if document is None:
        raise not_found("document")
    return document


@bp.get("/documents")
@operation("documents.view", tags=TAGS, query=s.DocumentQuery, ok={200: s.DocumentList})
def list_documents(query: s.DocumentQuery):
    """List documents with their expiry status, oldest first (filters: type, framework, visibility, status)."""
    rows = service.document_rows(db.session(), today=today(), warning_days=warning_days(), doc_type=query.type,
                                 framework=query.framework, visibility=query.visibility, status=query.status)
    filters = query.model_dump(exclude={"cursor", "limit"})
    return listing([r.document for r in rows], document_json, query, filters, by_created(newest_first=False))


@bp.get("/documents/<uid>")
@operation("documents.view", tags=TAGS, ok={200: s.DocumentDetail}, etag=True)
def get_document(uid: str):
    """One document: metadata, expiry status and every version (ETag)."""
    return with_etag(document_json(_document(uid), versions=True))


# the service's field names as the API names them (errors name the field the client sent)
_API_FIELDS = {"doc_type": "type", **{f"{part}_{lang}": f"texts.{lang}.{part}" for lang in LANGUAGES
                                      for part in ("title", "description")}}


def _changed_fields(document, body: s.DocumentFieldsIn) -> service.DocumentFields:
    """The document's current fields with the given ones put over them (the page's edit form sends all)."""
    texts = {lang: (d.title, d.description) for lang in LANGUAGES if (d := document.text(lang)) is not None}
    for lang, given in (body.texts.model_dump(exclude_none=True) if body.texts else {}).items():
        title, description = texts.get(lang, ("", ""))
        texts[lang] = (given.get("title", title), given.get("description", description))
    return service.DocumentFields(doc_type=body.type if body.type is not None else document.type,
                                  visibility=body.visibility if body.visibility is not None else document.visibility,
                                  texts=texts, frameworks=list(body.frameworks if body.frameworks is not None
                                                               else document.frameworks))


@bp.patch("/documents/<uid>")
@operation("documents.edit", tags=TAGS, json=s.DocumentFieldsIn, ok={200: s.DocumentDetail}, errors=(412, 428),
           headers={200: ("ETag",)})
def update_document(uid: str, json: s.DocumentFieldsIn):
    """Change the fields given of a document's metadata; requires If-Match.

    Type, visibility, titles and descriptions, frameworks: with the staff edit page's checks and its audit
    record (`document.update` with the changes). If-Match is the ETag of `GET /documents/{uid}` (412 when the
    document changed since, 428 when missing)."""
    sess = db.session()
    document = _document(uid)
    sess.refresh(document, with_for_update=True)  # PostgreSQL: a concurrent change waits, then reads as stale
    check_if_match(body_etag(document_json(document, versions=True)), "document")
    try:
        changes = service.update_document(sess, document, _changed_fields(document, json))
    except InvalidInput as exc:
        raise ApiProblem(422, str(exc), field=_API_FIELDS.get(exc.field, exc.field), code=exc.code) from None
    if changes:
        record(sess, "document.update", by=actor(), object_type="document", object_id=document.uid,
               detail={"changes": changes, "via": "api"})
    sess.commit()
    body = document_json(document, versions=True)
    return body, 200, {"ETag": body_etag(body)}


header_parameter("PATCH", "/api/v1/documents/{uid}", "If-Match",
                 "The ETag of the document as you read it (GET /documents/{uid}); without it the change is "
                 "refused (428).", required=True)


@bp.get("/documents/<uid>/versions")
@operation("documents.view", tags=TAGS, query=s.PageQuery, ok={200: s.VersionList})
def list_versions(uid: str, query: s.PageQuery):
    """The versions of a document, oldest first."""
    document = _document(uid)
    return listing(document.versions, version_json, query, {"document": uid}, by_number())


@bp.get("/documents/<uid>/versions/<version_uid>")
@operation("documents.view", tags=TAGS, ok={200: s.Version}, etag=True)
def get_version(uid: str, version_uid: str):
    """One version's metadata (never the file: downloads stay on the audited pages)."""
    version = service.get_version(db.session(), _document(uid), version_uid)
    if version is None:
        raise not_found("version of this document")
    return with_etag(version_json(version))


@contextmanager
def _checked(file):
    if not isinstance(file, FileStorage) or not file.filename:
        raise ApiProblem(422, "Send the file as the multipart part `file`, with a file name.", field="file")
    with validation.spool(file.stream, max_bytes=current_app.config["MAX_UPLOAD_BYTES"]) as spooled:
        yield validation.check_upload(spooled, file.filename)


@bp.post("/documents/<uid>/versions")
@operation("documents.edit", tags=TAGS, form=s.VersionUpload, ok={201: s.Version},
           headers={201: ("Location",)})
def upload_version(uid: str, form: s.VersionUpload):
    """Upload a new version (the same checks as the page: type against content, PDF readability, size)."""
    document = _document(uid)
    sess = db.session()
    meta = service.VersionMeta(effective_date=form.effective_date, expiry_date=form.expiry_date,
                               audit_period_start=form.audit_period_start, audit_period_end=form.audit_period_end,
                               issuer=form.issuer, notes=form.notes)
    try:
        with _checked(form.file) as checked:
            version = service.add_version(sess, document, checked, uploader=current_staff(), meta=meta,
                                          max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
            record(sess, "version.create", by=actor(), object_type="version", object_id=version.uid,
                   detail={"document": document.uid, "number": version.number, "filename": version.filename,
                           "media_type": version.media_type, "size": version.size, "sha256": version.sha256,
                           "via": "api"})
            service.commit_upload(sess, version)
    except validation.UploadRefused as exc:
        sess.rollback()
        record(sess, "version.create", by=actor(), object_type="document", object_id=document.uid,
               outcome="failed", detail={"refused": exc.code, "via": "api"})
        sess.commit()
        raise ApiProblem(422, str(exc), field="file", code=exc.code) from None
    return version_json(version), 201, {"Location": f"{bp.url_prefix}/documents/{uid}/versions/{version.uid}"}
