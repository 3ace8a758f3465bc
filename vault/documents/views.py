"""Staff pages for documents and versions: parse input, check access, call one service, commit, render."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from itertools import groupby

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from vault import db, downloads
from vault.documents import service, validation
from vault.documents.forms import ActionForm, DocumentForm, NewDocumentForm, VersionForm, WithdrawForm
from vault.documents.labels import filter_choices, template_helpers, type_label
from vault.documents.models import FRAMEWORKS, DocumentType, Visibility
from vault.documents.status import StatusKind
from vault.documents.validation import InvalidInput, UploadRefused
from vault.web import audit_event, current_staff, form_error, require

bp = Blueprint("documents", __name__, url_prefix="/documents")
bp.context_processor(template_helpers)



def _document_or_404(uid: str):
    document = service.get_document(db.session(), uid)
    if document is None:
        abort(404)
    return document


def _version_or_404(document, version_uid: str):
    version = service.get_version(db.session(), document, version_uid)
    if version is None:
        abort(404)
    return version


def _fields(form: DocumentForm) -> service.DocumentFields:
    return service.DocumentFields(doc_type=form.doc_type.data, visibility=form.visibility.data,
                                  texts=form.texts(), frameworks=form.all_frameworks())


def _meta(form: VersionForm) -> service.VersionMeta:
    return service.VersionMeta(effective_date=form.effective_date.data, expiry_date=form.expiry_date.data,
                               audit_period_start=form.audit_period_start.data,
                               audit_period_end=form.audit_period_end.data, issuer=form.issuer.data or "",
                               notes=form.notes.data or "")


def _audit_refusal(exc: InvalidInput, document_uid: str = "") -> None:
    """Refused uploads are recorded too: repeated attempts to plant a program are worth seeing."""
    if isinstance(exc, UploadRefused):
        sess = db.session()
        sess.rollback()
        audit_event("version.create", object_type="document", object_id=document_uid, outcome="failed",
                    detail={"refused": exc.code, "filename": (request.files.get("file").filename or "")[:200]
                            if request.files.get("file") else ""})
        sess.commit()
    else:
        db.session().rollback()


@contextmanager
def _checked_upload(file_storage):
    """Spool the uploaded file to a temporary file and run every check; removed afterwards."""
    if file_storage is None or not file_storage.filename:
        raise UploadRefused("missing", _("Choose a file to upload."))
    with validation.spool(file_storage.stream, max_bytes=current_app.config["MAX_UPLOAD_BYTES"]) as spooled:
        yield validation.check_upload(spooled, file_storage.filename)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    limit = validation.too_large(current_app.config["MAX_UPLOAD_BYTES"])
    return render_template("documents/too_large.html", message=str(limit), back=request.path), 413


# --- list and detail ----------------------------------------------------------------------------

@bp.get("/")
@require("documents.view")
def index():
    args = request.args
    filters = {
        "doc_type": args.get("type") if args.get("type") in set(DocumentType) else None,
        "visibility": args.get("visibility") if args.get("visibility") in set(Visibility) else None,
        "framework": (args.get("framework") or None) and args.get("framework")[:64],
        "status": args.get("status") if args.get("status") in set(StatusKind) else None,
    }
    sess = db.session()
    rows = service.document_rows(sess, today=date.today(), warning_days=current_app.config["EXPIRY_WARNING_DAYS"],
                                 **filters)
    groups = [(type_label(t), list(items)) for t, items in groupby(rows, key=lambda r: r.document.type)]
    frameworks = sorted(set(FRAMEWORKS) | set(service.all_frameworks(sess)), key=lambda f: FRAMEWORKS.get(f, f))
    return render_template("documents/index.html", groups=groups, filters=filters, frameworks=frameworks,
                           count=len(rows), **filter_choices())


@bp.get("/<uid>")
@require("documents.view")
def detail(uid: str):
    document = _document_or_404(uid)
    current = service.current_version(document)
    status = service.document_status(document, today=date.today(),
                                     warning_days=current_app.config["EXPIRY_WARNING_DAYS"])
    return render_template("documents/detail.html", document=document, current=current, status=status,
                           versions=sorted(document.versions, key=lambda v: v.number, reverse=True),
                           withdraw_form=WithdrawForm(), action_form=ActionForm())


# --- create and edit ----------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@require("documents.edit")
def new():
    form = NewDocumentForm()
    if form.validate_on_submit():
        sess = db.session()
        try:
            with _checked_upload(form.file.data) as upload:
                document = service.create_document(sess, _fields(form), owner=current_staff(), first_upload=upload,
                                                   meta=_meta(form), max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
                version = document.versions[0]
                audit_event("document.create", object_type="document", object_id=document.uid,
                            detail={"title": document.title_for("en") or document.title_for("zh"),
                                    "type": document.type, "visibility": document.visibility})
                _audit_version(version)
                service.commit_upload(sess, version)
        except InvalidInput as exc:
            _audit_refusal(exc)
            form_error(form, exc)
        else:
            flash(_("Document created with version 1."), "success")
            return redirect(url_for("documents.detail", uid=document.uid))
    return render_template("documents/new.html", form=form), 400 if form.errors or form.form_errors else 200


@bp.route("/<uid>/edit", methods=["GET", "POST"])
@require("documents.edit")
def edit(uid: str):
    document = _document_or_404(uid)
    form = DocumentForm(obj=None)
    if request.method == "GET":
        _fill(form, document)
    elif form.validate_on_submit():
        sess = db.session()
        try:
            changes = service.update_document(sess, document, _fields(form))
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            if changes:
                audit_event("document.update", object_type="document", object_id=document.uid,
                            detail={"changes": changes})
            sess.commit()
            flash(_("Document saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("documents.detail", uid=document.uid))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("documents/edit.html", form=form, document=document), status


def _fill(form: DocumentForm, document) -> None:
    for lang in ("en", "zh"):
        text = document.text(lang)
        getattr(form, f"title_{lang}").data = text.title if text else ""
        getattr(form, f"description_{lang}").data = text.description if text else ""
    form.doc_type.data, form.visibility.data = document.type, document.visibility
    form.frameworks.data = [f for f in document.frameworks if f in FRAMEWORKS]
    form.custom_frameworks.data = ", ".join(f for f in document.frameworks if f not in FRAMEWORKS)


# --- versions -----------------------------------------------------------------------------------

def _audit_version(version) -> None:
    audit_event("version.create", object_type="version", object_id=version.uid,
                detail={"document": version.document.uid, "number": version.number, "filename": version.filename,
                        "media_type": version.media_type, "size": version.size, "sha256": version.sha256})


@bp.route("/<uid>/versions/new", methods=["GET", "POST"])
@require("documents.edit")
def upload(uid: str):
    document = _document_or_404(uid)
    form = VersionForm()
    if form.validate_on_submit():
        sess = db.session()
        try:
            with _checked_upload(form.file.data) as checked:
                version = service.add_version(sess, document, checked, uploader=current_staff(), meta=_meta(form),
                                              max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
                _audit_version(version)
                service.commit_upload(sess, version)
        except InvalidInput as exc:
            _audit_refusal(exc, document.uid)
            form_error(form, exc)
        else:
            flash(_("Version %(number)d uploaded.", number=version.number), "success")
            return redirect(url_for("documents.detail", uid=document.uid))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("documents/upload.html", form=form, document=document), status


@bp.post("/<uid>/versions/<version_uid>/withdraw")
@require("documents.edit")
def withdraw(uid: str, version_uid: str):
    document = _document_or_404(uid)
    version = _version_or_404(document, version_uid)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    was_pinned = document.pinned_version_id == version.id
    try:
        service.withdraw_version(sess, version, by=current_staff(), reason=form.reason.data)
    except InvalidInput as exc:
        sess.rollback()
        flash(str(exc), "error")
    else:
        audit_event("version.withdraw", object_type="version", object_id=version.uid,
                    detail={"document": document.uid, "number": version.number, "reason": version.withdrawal_reason,
                            "unpinned": was_pinned})
        sess.commit()
        flash(_("Version %(number)d withdrawn.", number=version.number), "success")
    return redirect(url_for("documents.detail", uid=document.uid))


@bp.post("/<uid>/versions/<version_uid>/pin")
@require("documents.edit")
def pin(uid: str, version_uid: str):
    document = _document_or_404(uid)
    version = _version_or_404(document, version_uid)
    if not ActionForm().validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        service.pin_version(sess, version)
    except InvalidInput as exc:
        sess.rollback()
        flash(str(exc), "error")
    else:
        audit_event("version.pin", object_type="version", object_id=version.uid,
                    detail={"document": document.uid, "number": version.number, "pinned": True})
        sess.commit()
        flash(_("Version %(number)d is pinned as the current version.", number=version.number), "success")
    return redirect(url_for("documents.detail", uid=document.uid))


@bp.post("/<uid>/unpin")
@require("documents.edit")
def unpin(uid: str):
    document = _document_or_404(uid)
    if not ActionForm().validate_on_submit():
        abort(400)
    sess = db.session()
    previous = service.unpin(sess, document)
    if previous is not None:
        audit_event("version.pin", object_type="version", object_id=previous.uid,
                    detail={"document": document.uid, "number": previous.number, "pinned": False})
    sess.commit()
    flash(_("The newest version is current again."), "success")
    return redirect(url_for("documents.detail", uid=document.uid))


@bp.get("/<uid>/versions/<version_uid>/download")
@require("documents.download")
def download(uid: str, version_uid: str):
    """Staff download of an original. Withdrawn versions stay downloadable (they are evidence of what
    was once published); the page warns and the audit event says so."""
    document = _document_or_404(uid)
    version = _version_or_404(document, version_uid)
    detail = {"document": document.uid, "number": version.number, "withdrawn": version.withdrawn}
    return downloads.send(lambda: (service.open_version(version), version.size), filename=version.filename,
                          media_type=version.media_type,
                          audit=downloads.Audit("document.download", version.uid, detail),
                          unreadable=downloads.Failure(
                              500, _("File unavailable"),
                              _("The stored file could not be read or failed its integrity check. "
                                "The failure has been recorded; contact an administrator."),
                              log="download of version %s failed: %s"))
