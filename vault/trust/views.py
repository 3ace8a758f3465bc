"""The public trust center (no sign-in) and its settings page (admins)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from vault import db
from vault.access import service as access
from vault.crypto import IntegrityError
from vault.db import utcnow
from vault.documents import service as documents
from vault.documents.labels import template_helpers
from vault.documents.validation import InvalidInput, spool
from vault.http import stream_download
from vault.storage.base import StorageError
from vault.storage.service import open_blob
from vault.trust import service
from vault.trust.forms import SettingsForm
from vault.trust.models import logo_context
from vault.web import audit_event, client_ip, require

bp = Blueprint("trust", __name__)
bp.context_processor(template_helpers)


def trust_context() -> dict:
    """Name and logo for the public layout (trust and access pages)."""
    profile = service.get_profile(db.session())
    return {"trust_company": profile.company_name or current_app.config["COMPANY_NAME"],
            "trust_logo": profile.logo_blob_id is not None}


bp.context_processor(trust_context)


def _today():
    return utcnow().date()


@bp.get("/trust/")
def index():
    sess = db.session()
    profile = service.get_profile(sess)
    page = service.public_page(sess, today=_today(), warning_days=current_app.config["EXPIRY_WARNING_DAYS"])
    sess.commit()  # the profile row may have just been created
    return render_template("trust/index.html", profile=profile, page=page, service_status=_service_status(sess))


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
        return head_response(version.filename, version.media_type)
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


def head_response(filename: str, media_type: str) -> Response:
    """Headers only: no file is read, marked or counted for a HEAD request."""
    from vault.http import content_disposition
    resp = Response(status=200, mimetype=media_type)
    resp.headers["Content-Disposition"] = content_disposition(filename)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Accept-Ranges"] = "none"
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
                    service.set_logo(sess, spooled.path)
                changes["logo"] = ["", profile.logo_uid]
        except InvalidInput as exc:
            sess.rollback()
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = list(field.errors) + [str(exc)]
            else:
                form.form_errors.append(str(exc))
        else:
            if changes:
                audit_event("trust.settings.update", object_type="trust_profile", object_id=profile.id,
                            detail={"changes": {k: v for k, v in changes.items()}})
            sess.commit()
            flash(_("Trust center settings saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("trust.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("trust/settings.html", form=form, profile=profile, cards=cards), status
