"""The prospect's pages: request, confirm the email, accept the NDA, the personal access page and
downloads. No sign-in: the confirmation link, the request held in the session after it, and the
personal access link are the only credentials, and each is checked on every request."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, session,
                   url_for)
from flask_babel import get_locale, gettext as _

from vault import db, downloads
from vault.access import delivery, emails, events, service
from vault.access.forms import ConfirmForm, NdaForm, RequestForm
from vault.access.models import RequestStatus
from vault.access.rules import Outcome
from vault.crypto import IntegrityError
from vault.db import utcnow
from vault.documents import service as documents
from vault.documents.labels import template_helpers
from vault.extensions import limiter
from vault.notify import NotifyError
from vault.storage.base import StorageError
from vault.trust import service as trust
from vault.web import audit_event, client_ip, form_error

bp = Blueprint("access", __name__, url_prefix="/trust")
bp.context_processor(template_helpers)


@bp.context_processor
def _public_layout() -> dict:
    return trust.layout_context(db.session(), current_app.config["COMPANY_NAME"])


SESSION_KEY = "access_request"


@bp.record_once
def _defaults(state) -> None:
    config = state.app.config
    config.setdefault("ACCESS_CONFIRM_MINUTES", 30)
    config.setdefault("ACCESS_REQUEST_LIMIT", "10 per hour")
    config.setdefault("PUBLIC_BASE_URL", None)


def _request_limit() -> str:
    return current_app.config["ACCESS_REQUEST_LIMIT"]


def _user_agent() -> str:
    return request.user_agent.string or ""


# --- request ------------------------------------------------------------------------------------

@bp.route("/request", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def request_access():
    sess = db.session()
    available = service.requestable_documents(sess, utcnow().date())
    form = RequestForm()
    form.documents.choices = [(d.uid, d.title_for(str(get_locale()))) for d in available]
    if request.method == "GET":
        chosen = [u for u in request.args.getlist("document") if u in {d.uid for d in available}]
        form.documents.data = chosen
        return render_template("access/request.html", form=form, available=available)
    if not form.validate_on_submit():
        abort(400)
    inp = service.RequestInput(name=form.name.data, email=form.email.data, company=form.company.data,
                               reason=form.reason.data, document_uids=form.documents.data or [],
                               all_nda=form.all_nda.data, language=str(get_locale()), ip=client_ip(),
                               user_agent=_user_agent())
    minutes = int(current_app.config["ACCESS_CONFIRM_MINUTES"])
    try:
        req, token = service.create_request(sess, inp, now=utcnow(), confirm_minutes=minutes)
    except service.AccessError as exc:
        sess.rollback()
        if exc.code in ("blocked_domain", "free_mail"):
            audit_event("access.request.create", object_type="access_request", outcome="denied",
                        detail={"refused": exc.code, "domain": (form.email.data or "").rpartition("@")[2][:255]})
            sess.commit()
        form_error(form, exc)
        return render_template("access/request.html", form=form, available=available), 400
    try:
        emails.confirmation(sess, req, token, minutes=minutes)
    except NotifyError:
        sess.rollback()
        form.email.errors = [_("We cannot send email to this address. Check it and try again.")]
        return render_template("access/request.html", form=form, available=available), 400
    audit_event("access.request.create", object_type="access_request", object_id=req.uid,
                detail={"email": req.email, "company": req.company, "documents": [d.document.uid for d in req.documents],
                        "all_nda": req.all_nda})
    sess.commit()
    return render_template("access/check_email.html", email=req.email, minutes=minutes)


# --- email confirmation (GET shows a button; only the POST uses the link) -----------------------

@bp.get("/confirm/<token>")
def confirm(token: str):
    conf = service.find_confirmation(db.session(), token, now=utcnow())
    if conf is None:
        return render_template("access/link_invalid.html"), 404
    return render_template("access/confirm.html", form=ConfirmForm(), token=token, req=conf.request)


@bp.post("/confirm/<token>")
@limiter.limit(_request_limit)
def confirm_post(token: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    now = utcnow()
    req = service.consume_confirmation(sess, token, now=now)
    if req is None:
        sess.rollback()
        audit_event("access.email.confirm", object_type="access_request", outcome="denied",
                    detail={"refused": "invalid_or_used_link"})
        sess.commit()
        return render_template("access/link_invalid.html"), 404
    audit_event("access.email.confirm", object_type="access_request", object_id=req.uid, detail={"email": req.email})
    evaluation = service.after_confirmation(sess, req, now=now)
    events.requested(sess, req)
    if evaluation is None:
        session[SESSION_KEY] = req.uid
        sess.commit()
        return redirect(url_for("access.nda"))
    _after_decision(sess, req, evaluation)
    sess.commit()
    return render_template("access/outcome.html", req=req, outcome=evaluation.outcome.value)


def _after_decision(sess, req, evaluation) -> None:
    """Audit the rule's decision and send the emails it calls for (in this transaction)."""
    audit_event("access.request.evaluate", object_type="access_request", object_id=req.uid, actor="rules",
                detail={"outcome": evaluation.outcome.value, "rule": evaluation.rule})
    if evaluation.outcome == Outcome.AUTO_APPROVE:
        audit_event("access.grant.create", object_type="grant", object_id=evaluation.grant.uid, actor="rules",
                    detail={"request": req.uid, "email": req.email,
                            "documents": [g.document.uid for g in evaluation.grant.documents],
                            "expires_at": evaluation.grant.expires_at.isoformat()})
        emails.approved(sess, req, evaluation.grant, evaluation.token)
        events.approved(sess, req, evaluation.grant)
    elif evaluation.outcome == Outcome.DENY:
        emails.denied(sess, req)
    else:
        emails.received(sess, req)
        emails.needs_review(sess, req, service.decision_makers(sess))


# --- NDA ----------------------------------------------------------------------------------------

def _request_in_session():
    req = service.get_request(db.session(), session.get(SESSION_KEY))
    if req is None or req.status != RequestStatus.NEEDS_NDA.value:
        return None
    return req


@bp.route("/nda", methods=["GET", "POST"])
def nda():
    sess = db.session()
    req = _request_in_session()
    if req is None:
        return render_template("access/link_invalid.html"), 404
    version = service.current_nda(sess)
    form = NdaForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            acceptance = service.accept_nda(sess, req, full_name=form.full_name.data, accepted=form.accept.data,
                                            posted_version_uid=form.nda_version.data or "", ip=client_ip(),
                                            user_agent=_user_agent(), now=utcnow())
        except service.AccessError as exc:
            sess.rollback()
            if exc.code == "nda_version":
                audit_event("access.nda.accept", object_type="access_request", object_id=req.uid, outcome="denied",
                            detail={"refused": "nda_version", "posted": (form.nda_version.data or "")[:64],
                                    "current": version.uid if version else None})
                sess.commit()
            form_error(form, exc, form_level=("csrf_token", "nda_version"))
            status = 400
        else:
            audit_event("access.nda.accept", object_type="nda_acceptance", object_id=acceptance.uid,
                        detail={"request": req.uid, "email": req.email, "nda_version": acceptance.nda_version_uid,
                                "sha256": acceptance.nda_sha256, "full_name": acceptance.full_name})
            evaluation = service.evaluate(sess, req, now=utcnow())
            events.nda_signed(sess, acceptance, req)
            _after_decision(sess, req, evaluation)
            session.pop(SESSION_KEY, None)
            sess.commit()
            return render_template("access/outcome.html", req=req, outcome=evaluation.outcome.value)
    form.nda_version.data = version.uid if version else ""
    text = _nda_text(version) if version is not None else None
    return render_template("access/nda.html", form=form, req=req, version=version, text=text), status


NDA_TEXT_MAX = 200_000


def _nda_text(version) -> str | None:
    """Text NDAs are shown on the page (escaped by the template); other formats are linked."""
    if not version.media_type.startswith("text/") or version.size > NDA_TEXT_MAX:
        return None
    try:
        return b"".join(documents.open_version(version)).decode("utf-8", errors="replace")
    except (IntegrityError, StorageError):
        return None


@bp.get("/nda/<version_uid>")
def nda_file(version_uid: str):
    """The current NDA template's file, for reading before accepting (it is not confidential)."""
    version = service.current_nda(db.session())
    if version is None or version.uid != version_uid:
        abort(404)
    return downloads.send(lambda: (documents.open_version(version), version.size), filename=version.filename,
                          media_type=version.media_type, unreadable=downloads.Failure(503),
                          inline=version.media_type == "application/pdf")


# --- the personal access link ---------------------------------------------------------------------

def _grant_or_404(token: str, *, document: str = ""):
    """The grant behind the link, checked now; refusals are logged and answered with a page (410/404)."""
    sess = db.session()
    check = service.check_grant(sess, token, now=utcnow())
    if check.grant is None:
        sess.rollback()
        audit_event("access.denied", object_type="grant", outcome="denied",
                    detail={"refused": check.refusal, "document": document[:64], "path": "access link"})
        sess.commit()
        # A page that says what happened and how to ask again, not a bare 404: 410 for a link that worked
        # once (revoked or past its date), 404 for anything else (nothing said about blocked domains).
        gone = check.refusal in ("revoked", "expired")
        resp = make_response(render_template("access/link_gone.html", refusal=check.refusal), 410 if gone else 404)
        resp.headers["Cache-Control"] = "no-store"
        abort(resp)
    return check.grant


@bp.get("/access/<token>")
def grant_page(token: str):
    grant = _grant_or_404(token)
    resp = Response(render_template("access/grant.html", grant=grant, items=service.grant_items(grant), token=token))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/access/<token>/documents/<document_uid>/<version_uid>")
def download(token: str, document_uid: str, version_uid: str):
    grant = _grant_or_404(token, document=document_uid)
    sess = db.session()
    found = service.granted_version(grant, document_uid, version_uid)
    if found is None:
        sess.rollback()
        audit_event("access.denied", object_type="grant", object_id=grant.uid, outcome="denied",
                    detail={"refused": "not_in_grant_or_not_current", "document": document_uid[:64],
                            "version": version_uid[:64], "email": grant.email})
        sess.commit()
        abort(404)
    document, version = found
    kind = delivery.marking_kind(version.media_type)
    if kind is None and not document.allow_unmarked_download:
        audit_event("access.download", object_type="version", object_id=version.uid, outcome="denied",
                    detail={"refused": "cannot_mark", "grant": grant.uid, "media_type": version.media_type})
        sess.commit()
        return render_template("access/cannot_mark.html", grant=grant, token=token, document=document), 409
    if request.method == "HEAD":  # a marked copy's length is only known once made: none is promised
        return downloads.head_response(version.filename, version.media_type, version.size if kind is None else None)
    return _deliver(sess, grant, document, version, kind)


def _deliver(sess, grant, document, version, kind: str | None):
    """Record the download, then open (and mark) the file; a failure rolls the record back."""
    now = utcnow()
    dl = service.record_download(sess, grant=grant, version=version, marking=kind or "unmarked", ip=client_ip(),
                                 user_agent=_user_agent(), now=now)
    events.downloaded(sess, grant, dl)  # rolled back with the download record if the file cannot be sent
    detail = {"grant": grant.uid, "document": document.uid, "download_id": dl.download_id, "email": grant.email,
              "marking": dl.marking}

    def open_file():
        chunks = documents.open_version(version)
        if kind is None:
            return chunks, version.size
        recipient = delivery.Recipient(name=grant.name, email=grant.email, company=grant.company,
                                       downloaded_at=now.strftime("%Y-%m-%d %H:%M UTC"), download_id=dl.download_id)
        return delivery.marked_copy(chunks, media_type=version.media_type, recipient=recipient)

    log = "trust center download of %s failed: %s"
    cannot_mark = downloads.Failure(
        409, _("This file cannot be prepared for download"),
        _("The document could not be marked for you, so it is not sent. Staff have been told "
          "through the audit trail; try again later or contact your account manager."), log=log)
    unreadable = downloads.Failure(
        503, _("File unavailable"), _("The file could not be read. The failure has been recorded; try again later."),
        log=log)
    return downloads.send(open_file, filename=version.filename, media_type=version.media_type,
                          audit=downloads.Audit("access.download", version.uid, detail,
                                                error_text=downloads.typed_error),
                          unreadable=unreadable, failures={delivery.WatermarkError: cannot_mark})
