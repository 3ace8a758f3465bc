"""Staff pages of the access flow (under /admin/access): the request queue, grants, download history,
NDAs, the unmarked-format switch and tracing a leaked copy."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from vault import db
from vault.downloads import Audit as DownloadAudit, Failure, send as send_stored
from vault.access import emails, events, service
from vault.access.forms import ApproveForm, DenyForm, OfflineNdaForm, RevokeForm, TraceForm, UnmarkedForm
from vault.access.models import RequestStatus, signed_copy_context
from vault.db import utcnow
from vault.documents import service as documents
from vault.documents.labels import template_helpers
from vault.documents.validation import check_upload, spool
from vault.inputs import InvalidInput
from vault.storage.service import open_blob
from vault.trust import service as trust
from vault.web import audit_event, current_staff, form_error, require

bp = Blueprint("access_staff", __name__, url_prefix="/admin/access")
bp.context_processor(template_helpers)
STATUSES = [s.value for s in RequestStatus]



def _request_or_404(uid: str):
    req = service.get_request(db.session(), uid)
    if req is None:
        abort(404)
    return req


# --- the queue ----------------------------------------------------------------------------------

@bp.get("/")
@require("access.view")
def index():
    return redirect(url_for(".requests"))


@bp.get("/requests")
@require("access.view")
def requests():
    status = request.args.get("status", RequestStatus.PENDING.value)
    status = status if status in STATUSES else None
    return render_template("access/staff/requests.html", rows=service.list_requests(db.session(), status=status),
                           status=status, statuses=STATUSES)


def _approve_form(req, form: ApproveForm | None = None) -> ApproveForm:
    sess = db.session()
    form = form or ApproveForm(formdata=None)
    choices = service.approvable_documents(sess, req, utcnow().date())
    form.documents.choices = [(d.uid, d.title_for(str(get_locale()))) for d, _expired in choices]
    form.expired_uids = {d.uid for d, expired in choices if expired}
    if form.documents.data is None or request.method == "GET":
        form.documents.data = [link.document.uid for link in req.documents
                               if link.document.uid not in form.expired_uids]
    if not form.days.data:
        form.days.data = trust.policy(sess).grant_days
    return form


def _detail(req, approve_form=None, deny_form=None, status: int = 200):
    sess = db.session()
    return render_template("access/staff/request.html", req=req, history=service.history(sess, req),
                           nda_on_file=req.nda_acceptance or service.nda_on_file(sess, req.email),
                           approve_form=_approve_form(req, approve_form), deny_form=deny_form or DenyForm(formdata=None),
                           approvable=req.status in service.APPROVABLE, open=req.status in service.OPEN), status


@bp.get("/requests/<uid>")
@require("access.view")
def request_detail(uid: str):
    return _detail(_request_or_404(uid))


@bp.post("/requests/<uid>/approve")
@require("access.decide")
def approve(uid: str):
    req = _request_or_404(uid)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        grant, token = service.approve(sess, req, document_uids=form.documents.data or [], days=form.days.data or 0,
                                       by=current_staff(), now=utcnow())
    except service.AccessError as exc:
        sess.rollback()
        form_error(form, exc)
        return _detail(_request_or_404(uid), approve_form=form, status=400)
    emails.approved(sess, req, grant, token)
    events.approved(sess, req, grant)
    audit_event("access.request.approve", object_type="access_request", object_id=req.uid,
                detail={"email": req.email, "grant": grant.uid})
    audit_event("access.grant.create", object_type="grant", object_id=grant.uid,
                detail={"request": req.uid, "email": grant.email, "documents": [g.document.uid for g in grant.documents],
                        "expires_at": grant.expires_at.isoformat()})
    sess.commit()
    flash(_("Approved: %(email)s has been emailed a personal access link.", email=req.email), "success")
    return redirect(url_for(".request_detail", uid=req.uid))


@bp.post("/requests/<uid>/deny")
@require("access.decide")
def deny(uid: str):
    req = _request_or_404(uid)
    form = DenyForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        service.deny(sess, req, reason=form.reason.data, by=current_staff(), now=utcnow())
    except service.AccessError as exc:
        sess.rollback()
        form_error(form, exc)
        return _detail(_request_or_404(uid), deny_form=form, status=400)
    emails.denied(sess, req)
    audit_event("access.request.deny", object_type="access_request", object_id=req.uid,
                detail={"email": req.email, "reason": req.decision_reason})
    sess.commit()
    flash(_("Denied: %(email)s has been told why.", email=req.email), "success")
    return redirect(url_for(".request_detail", uid=req.uid))


# --- grants -------------------------------------------------------------------------------------

@bp.get("/grants")
@require("access.view")
def grants():
    show_all = request.args.get("all") == "1"
    now = utcnow()
    return render_template("access/staff/grants.html", grants=service.list_grants(db.session(), active_only=not show_all,
                                                                                   now=now),
                           show_all=show_all, now=now, form=RevokeForm(formdata=None))


@bp.post("/grants/<uid>/revoke")
@require("access.decide")
def revoke(uid: str):
    sess = db.session()
    grant = service.get_grant(sess, uid)
    if grant is None:
        abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.revoke(sess, grant, reason=form.reason.data, by=current_staff(), now=utcnow())
    except service.AccessError as exc:
        sess.rollback()
        flash(str(exc), "error")
    else:
        audit_event("access.grant.revoke", object_type="grant", object_id=grant.uid,
                    detail={"email": grant.email, "reason": grant.revoke_reason})
        sess.commit()
        flash(_("Access of %(email)s revoked; the link stops working now.", email=grant.email), "success")
    return redirect(url_for(".grants"))


# --- download history ---------------------------------------------------------------------------

@bp.get("/downloads")
@require("access.view")
def downloads():
    sess = db.session()
    document_uid = (request.args.get("document") or "")[:64] or None
    company = (request.args.get("company") or "")[:200] or None
    document = documents.get_document(sess, document_uid) if document_uid else None
    return render_template("access/staff/downloads.html",
                           rows=service.list_downloads(sess, document_uid=document_uid, company=company),
                           companies=service.downloads_by_company(sess), document=document, company=company,
                           nda_documents=documents.list_documents(sess, visibility="nda"),
                           unmarked_form=UnmarkedForm(formdata=None))


@bp.post("/documents/<uid>/unmarked")
@require("documents.edit")
def set_unmarked(uid: str):
    sess = db.session()
    document = documents.get_document(sess, uid)
    if document is None:
        abort(404)
    form = UnmarkedForm()
    if not form.validate_on_submit():
        abort(400)
    before = document.allow_unmarked_download
    document.allow_unmarked_download = bool(form.allow.data)
    sess.flush()
    if before != document.allow_unmarked_download:
        audit_event("document.unmarked_download", object_type="document", object_id=document.uid,
                    detail={"allow": document.allow_unmarked_download})
    sess.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".downloads", document=document.uid))


# --- tracing a leaked copy ----------------------------------------------------------------------

@bp.route("/trace", methods=["GET", "POST"])
@require("access.view")
def trace():
    form = TraceForm()
    report = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            form.file.errors = [_("Choose the file to trace.")]
            status = 400
        else:
            data = upload.stream.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
            sess = db.session()
            report = service.trace(sess, data)
            audit_event("access.trace", object_type="download", object_id=report.download_id or "",
                        outcome="ok" if report.download else "failed",
                        detail={"filename": upload.filename[:200], "method": report.method,
                                "found": report.download is not None,
                                **({"damaged": report.damaged[:300]} if report.damaged else {})})
            sess.commit()
            if report.download_id is None and report.damaged:  # the same one line as `vault trace`
                form.file.errors = [_("%(where)s: %(reason)s", where=upload.filename[:200], reason=report.damaged)]
                report, status = None, 422
    elif request.method == "POST":
        abort(400)
    return render_template("access/staff/trace.html", form=form, report=report), status


# --- NDAs ---------------------------------------------------------------------------------------

@bp.route("/ndas", methods=["GET", "POST"])
@require("access.view")
def ndas():
    sess = db.session()
    form = OfflineNdaForm()
    status = 200
    if request.method == "POST":
        if not current_user.can("ndas.manage"):
            from vault.web import deny as deny_permission
            deny_permission("ndas.manage")
        if not form.validate_on_submit():
            abort(400)
        try:
            upload_file = form.file.data
            if upload_file is None or not upload_file.filename:
                raise InvalidInput("missing", _("Upload the signed copy."), field="file")
            with spool(upload_file.stream, max_bytes=current_app.config["MAX_UPLOAD_BYTES"]) as spooled:
                checked = check_upload(spooled, upload_file.filename)
                acceptance = service.record_offline_nda(sess, name=form.name.data, email=form.email.data,
                                                        company=form.company.data, notes=form.notes.data,
                                                        upload=checked, by=current_staff(), now=utcnow())
                audit_event("access.nda.offline", object_type="nda_acceptance", object_id=acceptance.uid,
                            detail={"email": acceptance.email, "company": acceptance.company,
                                    "filename": acceptance.signed_copy_filename})
                events.nda_signed(sess, acceptance)
                sess.commit()
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
            status = 400
        else:
            flash(_("NDA signed outside the system recorded for %(email)s.", email=acceptance.email), "success")
            return redirect(url_for(".ndas"))
    return render_template("access/staff/ndas.html", rows=service.list_ndas(sess), form=form,
                           current=service.current_nda(sess)), status


@bp.get("/ndas/<uid>/signed-copy")
@require("ndas.manage")
def signed_copy(uid: str):
    sess = db.session()
    acceptance = service.get_nda(sess, uid)
    if acceptance is None or acceptance.signed_copy_blob is None:
        abort(404)
    blob = acceptance.signed_copy_blob
    return send_stored(lambda: (open_blob(blob, context=signed_copy_context(acceptance.uid)), blob.size),
                          filename=acceptance.signed_copy_filename or "signed-nda",
                          media_type=acceptance.signed_copy_media_type or "application/octet-stream",
                          audit=DownloadAudit("access.nda.download", acceptance.uid, object_type="nda_acceptance"),
                          unreadable=Failure(503))
