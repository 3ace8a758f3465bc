"""The public trust center (no sign-in), its subprocessor list, and the settings pages (admins)."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale, gettext as _

from vault import db
from vault.access import service as access
from vault.auth.forms import ActionForm
from vault.crypto import IntegrityError
from vault.db import utcnow
from vault.documents import service as documents
from vault.documents.labels import template_helpers
from vault.documents.validation import InvalidInput, spool
from vault.extensions import csrf, limiter
from vault.http import stream_download
from vault.storage.base import StorageError
from vault.storage.service import open_blob
from vault.notify import NotifyError
from vault.trust import notices, service, subprocessors as subs
from vault.trust.forms import SettingsForm, SubprocessorForm, SubprocessorSubscribeForm
from vault.trust.models import logo_context
from vault.web import audit_event, client_ip, form_error, require

bp = Blueprint("trust", __name__)
bp.context_processor(template_helpers)


def trust_context() -> dict:
    """Name and logo for the public layout (trust and access pages)."""
    profile = service.get_profile(db.session())
    return {"trust_company": profile.company_name or current_app.config["COMPANY_NAME"],
            "trust_logo": profile.logo_blob_id is not None}


bp.context_processor(trust_context)
bp.context_processor(lambda: {"website_host": subs.website_host})


def _today():
    return utcnow().date()


@bp.get("/trust/")
def index():
    sess = db.session()
    profile = service.get_profile(sess)
    page = service.public_page(sess, today=_today(), warning_days=current_app.config["EXPIRY_WARNING_DAYS"])
    current = subs.current_subprocessors(sess, _today())
    sess.commit()  # the profile row may have just been created
    return render_template("trust/index.html", profile=profile, page=page, service_status=_service_status(sess),
                           subprocessors=current)


def _service_status(sess):
    """The status page's headline, so prospects see what is broken (and that we say so)."""
    from status import labels, service as status_service
    components = status_service.list_components(sess)
    if not components:
        return None
    state = labels.worst([c.state for c in components])
    return {"state": state, "text": labels.overall_text(state),
            "incidents": len(status_service.active_incidents(sess))}


@bp.get("/trust/logo")
def logo():
    profile = service.get_profile(db.session())
    if profile.logo_blob is None:
        abort(404)
    try:
        chunks = open_blob(profile.logo_blob, context=logo_context(profile.logo_uid))
    except (IntegrityError, StorageError):
        abort(404)
    resp = stream_download(chunks, filename="logo", media_type=profile.logo_media_type,
                           size=profile.logo_blob.size, inline=True)
    resp.headers["Cache-Control"] = "public, max-age=300"  # the logo is public; not a confidential file
    resp.headers.pop("Pragma", None)
    return resp


@bp.get("/trust/documents/<uid>/download")
def public_download(uid: str):
    """A public document's current version, as uploaded; the visitor's address is logged."""
    sess = db.session()
    found = service.public_document(sess, uid)
    if found is None:
        audit_event("trust.download", object_type="document", object_id=uid[:64], outcome="denied",
                    detail={"refused": "not_public"})
        sess.commit()
        abort(404)
    document, version = found
    if request.method == "HEAD":
        return head_response(version.filename, version.media_type, version.size)
    try:
        chunks = documents.open_version(version)
    except (IntegrityError, StorageError) as exc:
        sess.rollback()
        audit_event("trust.download", object_type="version", object_id=version.uid, outcome="failed",
                    detail={"document": document.uid, "error": str(exc)[:200]})
        sess.commit()
        abort(503)
    dl = access.record_download(sess, grant=None, version=version, marking="public", ip=client_ip(),
                                user_agent=request.user_agent.string, now=utcnow())
    audit_event("trust.download", object_type="version", object_id=version.uid,
                detail={"document": document.uid, "download_id": dl.download_id})
    sess.commit()
    return stream_download(chunks, filename=version.filename, media_type=version.media_type, size=version.size)


def head_response(filename: str, media_type: str, size: int | None = None) -> Response:
    """Headers only: no file is read, marked or counted for a HEAD request.

    Content-Length only when the GET would send exactly `size` bytes (a public file as uploaded); a
    watermarked copy's length is unknown until it is made, so none is promised (an empty list body
    would make Werkzeug announce `Content-Length: 0`)."""
    from vault.http import content_disposition
    resp = Response(iter(()), status=200, mimetype=media_type)
    if size is not None:
        resp.headers["Content-Length"] = str(size)
    resp.headers["Content-Disposition"] = content_disposition(filename)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Accept-Ranges"] = "none"
    return resp


@bp.record_once
def _defaults(state) -> None:
    state.app.config.setdefault("TRUST_SUBSCRIBE_LIMIT", "10 per hour")


@bp.get("/trust/subprocessors")
def subprocessors(form: SubprocessorSubscribeForm | None = None):
    return render_template("trust/subprocessors.html", listing=subs.public_list(db.session(), _today()),
                           removed_days=subs.RECENTLY_REMOVED_DAYS, form=form or SubprocessorSubscribeForm())


# --- subscriptions to changes (public; see notices.py) ----------------------------------------------

def _subscribe_limit() -> str:
    return current_app.config["TRUST_SUBSCRIBE_LIMIT"]


def _notice_page(title: str, message: str, status: int = 200):
    return render_template("trust/subprocessor_notice_message.html", title=title, message=message), status


@bp.post("/trust/subprocessors/subscribe")
@limiter.limit(_subscribe_limit)
def subprocessor_subscribe():
    form = SubprocessorSubscribeForm()
    if not form.validate_on_submit():
        abort(400)  # the CSRF token is missing or stale
    sess = db.session()
    locale = "zh" if str(get_locale()).startswith("zh") else "en"
    try:
        sub = notices.subscribe(sess, email=form.email.data, locale=locale, now=utcnow())
    except (InvalidInput, NotifyError) as exc:
        sess.rollback()
        form.email.errors = [str(exc) if isinstance(exc, InvalidInput)
                             else _("We cannot send email to this address. Check it and try again.")]
        return subprocessors(form), 400
    audit_event("trust.subprocessors.subscribe", object_type="subprocessor_subscriber", object_id=sub.uid)
    sess.commit()
    # The same answer for a new and an already subscribed address: the page tells nobody who follows us.
    return _notice_page(_("Check your inbox"),
                        _("If %(email)s can receive mail, a confirmation link is on its way. Your subscription "
                          "starts when you open it and press the button.", email=sub.email))


@bp.route("/trust/subprocessors/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"])
def subprocessor_confirm(token: str):
    """GET shows a button; only the POST confirms (mail scanners follow links)."""
    sess = db.session()
    sub = notices.pending_by_token(sess, token, now=utcnow())
    if sub is None:
        return _notice_page(_("This link is not valid"),
                            _("The confirmation link has expired, was already used, or is not complete. "
                              "Subscribe again on the subprocessors page to get a new one."), 404)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        notices.confirm(sess, sub, now=utcnow())
        audit_event("trust.subprocessors.subscribe.confirm", object_type="subprocessor_subscriber", object_id=sub.uid)
        sess.commit()
        return _notice_page(_("Subscription confirmed"),
                            _("We will email %(email)s when a subprocessor is added, removed or restored. Every "
                              "message has a link to unsubscribe.", email=sub.email))
    return render_template("trust/subprocessor_confirm.html", form=form, sub=sub)


@bp.route("/trust/subprocessors/unsubscribe/<uid>/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without our form; the URL's HMAC is the proof
def subprocessor_unsubscribe(uid: str, token: str):
    sess = db.session()
    sub = notices.by_unsubscribe_token(sess, uid, token)
    if sub is None:
        return _notice_page(_("Not subscribed"),
                            _("This subscription does not exist (any more), or the link is not complete."), 404)
    if request.method == "POST":
        email = sub.email
        notices.unsubscribe(sess, sub)
        audit_event("trust.subprocessors.unsubscribe", object_type="subprocessor_subscriber", object_id=uid,
                    detail={"one_click": request.form.get("List-Unsubscribe") == "One-Click"})
        sess.commit()
        return _notice_page(_("Unsubscribed"),
                            _("%(email)s will receive no more notices of subprocessor changes.", email=email))
    return render_template("trust/subprocessor_unsubscribe.html", sub=sub)


@bp.get("/trust/subprocessors.json")
def subprocessors_json():
    today = _today()
    listing = subs.public_list(db.session(), today)
    resp = jsonify({
        "as_of": today.isoformat(),
        "current": [subs.public_record(sp) for sp in listing.current],
        "announced": [subs.public_record(sp) for sp in listing.announced],
        "recently_removed": [subs.public_record(sp) for sp in listing.removed],
    })
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # public data, read by customers' vendor-review tools
    return resp


# --- settings (admins) ----------------------------------------------------------------------------

def _notes_from_form(card_docs) -> dict:
    return {d.uid: {lang: request.form.get(f"note_{lang}_{d.uid}", "") for lang in ("en", "zh")} for d in card_docs}


@bp.route("/admin/trust", methods=["GET", "POST"])
@require("settings.manage")
def settings():
    sess = db.session()
    profile = service.get_profile(sess)
    cards = service.card_documents(sess)
    form = SettingsForm(obj=profile if request.method == "GET" else None)
    if form.validate_on_submit():
        fields = service.ProfileFields(
            company_name=form.company_name.data or "", summary_en=form.summary_en.data or "",
            summary_zh=form.summary_zh.data or "", free_mail_domains=form.free_mail_domains.data or "",
            blocked_domains=form.blocked_domains.data or "", allowed_domains=form.allowed_domains.data or "",
            default_grant_days=form.default_grant_days.data or 0, show_expired=form.show_expired.data,
            renewal_notes=_notes_from_form(cards))
        try:
            changes = service.update_profile(sess, fields)
            logo_file = form.logo.data
            if logo_file and logo_file.filename:
                with spool(logo_file.stream, max_bytes=service.LOGO_MAX_BYTES) as spooled:
                    service.set_logo(sess, spooled)
                changes["logo"] = ["", profile.logo_uid]
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            if changes:
                audit_event("trust.settings.update", object_type="trust_profile", object_id=profile.id,
                            detail={"changes": {k: v for k, v in changes.items()}})
            sess.commit()
            flash(_("Trust center settings saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("trust.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("trust/settings.html", form=form, profile=profile, cards=cards,
                           company_fallback=current_app.config["COMPANY_NAME"]), status


# --- subprocessors (admins) -----------------------------------------------------------------------

def _subprocessor_or_404(uid: str):
    return subs.get_subprocessor(db.session(), uid) or abort(404)


def _subprocessor_fields(form: SubprocessorForm) -> subs.SubprocessorFields:
    return subs.SubprocessorFields(**{name: getattr(form, name).data for name in subs.FIELDS})


@bp.get("/admin/trust/subprocessors")
@require("settings.manage")
def subprocessor_admin():
    rows = subs.staff_list(db.session())
    return render_template("trust/subprocessors_admin.html", today=_today(),
                           removed_days=subs.RECENTLY_REMOVED_DAYS, listed=[sp for sp in rows if sp.removed_on is None],
                           removed=[sp for sp in rows if sp.removed_on is not None])


@bp.route("/admin/trust/subprocessors/new", methods=["GET", "POST"])
@require("settings.manage")
def new_subprocessor():
    sess = db.session()
    form = SubprocessorForm()
    if form.validate_on_submit():
        try:
            sp = subs.create_subprocessor(sess, _subprocessor_fields(form))
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            audit_event("trust.subprocessor.create", object_type="subprocessor", object_id=sp.uid,
                        detail={"fields": subs.public_record(sp)})
            sess.commit()
            flash(_("Subprocessor “%(name)s” added.", name=sp.name), "success")
            return redirect(url_for("trust.subprocessor_admin"))
    status = 400 if request.method == "POST" else 200
    return render_template("trust/subprocessor_form.html", form=form, subprocessor=None), status


@bp.route("/admin/trust/subprocessors/<uid>", methods=["GET", "POST"])
@require("settings.manage")
def edit_subprocessor(uid: str):
    sess = db.session()
    sp = _subprocessor_or_404(uid)
    form = SubprocessorForm(obj=sp if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changes = subs.update_subprocessor(sess, sp, _subprocessor_fields(form))
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            if changes:
                audit_event("trust.subprocessor.update", object_type="subprocessor", object_id=sp.uid,
                            detail={"name": sp.name, "changes": changes})
            sess.commit()
            flash(_("Subprocessor “%(name)s” saved.", name=sp.name) if changes else _("Nothing changed."), "success")
            return redirect(url_for("trust.subprocessor_admin"))
    status = 400 if request.method == "POST" else 200
    return render_template("trust/subprocessor_form.html", form=form, subprocessor=sp), status


@bp.post("/admin/trust/subprocessors/<uid>/remove")
@require("settings.manage")
def remove_subprocessor(uid: str):
    sess = db.session()
    sp = _subprocessor_or_404(uid)
    try:
        subs.remove_subprocessor(sess, sp, today=_today())
    except InvalidInput as exc:
        sess.rollback()
        flash(str(exc), "error")
    else:
        audit_event("trust.subprocessor.remove", object_type="subprocessor", object_id=sp.uid,
                    detail={"name": sp.name, "removed_on": sp.removed_on.isoformat()})
        sess.commit()
        flash(_("“%(name)s” is removed from the public list; it shows under recently removed for %(days)d days.",
                name=sp.name, days=subs.RECENTLY_REMOVED_DAYS), "success")
    return redirect(url_for("trust.subprocessor_admin"))


@bp.post("/admin/trust/subprocessors/<uid>/restore")
@require("settings.manage")
def restore_subprocessor(uid: str):
    sess = db.session()
    sp = _subprocessor_or_404(uid)
    try:
        removed_on = subs.restore_subprocessor(sess, sp)
    except InvalidInput as exc:
        sess.rollback()
        flash(str(exc), "error")
    else:
        audit_event("trust.subprocessor.restore", object_type="subprocessor", object_id=sp.uid,
                    detail={"name": sp.name, "was_removed_on": removed_on.isoformat()})
        sess.commit()
        flash(_("“%(name)s” is listed again.", name=sp.name), "success")
    return redirect(url_for("trust.subprocessor_admin"))


@bp.post("/admin/trust/subprocessors/<uid>/move")
@require("settings.manage")
def move_subprocessor(uid: str):
    sess = db.session()
    sp = _subprocessor_or_404(uid)
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    before = [row.uid for row in subs.staff_list(sess)]
    if subs.move_subprocessor(sess, sp, step):
        audit_event("trust.subprocessor.reorder", object_type="subprocessor", object_id=sp.uid,
                    detail={"name": sp.name, "direction": request.form["direction"], "before": before,
                            "after": [row.uid for row in subs.staff_list(sess)]})
        sess.commit()
    return redirect(url_for("trust.subprocessor_admin"))
