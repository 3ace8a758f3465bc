"""Staff pages of the trust center (under /admin/trust, admins only): the settings and logo, and the
subprocessor list's administration."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from vault import db
from vault.db import utcnow
from vault.documents.labels import template_helpers
from vault.documents.validation import InvalidInput, spool
from vault.trust import service, subprocessors as subs
from vault.trust.forms import SettingsForm, SubprocessorForm
from vault.web import audit_event, form_error, require

bp = Blueprint("trust_staff", __name__, url_prefix="/admin/trust")
bp.context_processor(template_helpers)


def _today():
    return utcnow().date()


# --- settings (admins) ----------------------------------------------------------------------------

def _notes_from_form(card_docs) -> dict:
    return {d.uid: {lang: request.form.get(f"note_{lang}_{d.uid}", "") for lang in ("en", "zh")} for d in card_docs}


@bp.route("", methods=["GET", "POST"])
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
            return redirect(url_for("trust_staff.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("trust/settings.html", form=form, profile=profile, cards=cards,
                           company_fallback=current_app.config["COMPANY_NAME"]), status


# --- subprocessors (admins) -----------------------------------------------------------------------

def _subprocessor_or_404(uid: str):
    return subs.get_subprocessor(db.session(), uid) or abort(404)


def _subprocessor_fields(form: SubprocessorForm) -> subs.SubprocessorFields:
    return subs.SubprocessorFields(**{name: getattr(form, name).data for name in subs.FIELDS})


@bp.get("/subprocessors")
@require("settings.manage")
def subprocessor_admin():
    rows = subs.staff_list(db.session())
    return render_template("trust/subprocessors_admin.html", today=_today(),
                           removed_days=subs.RECENTLY_REMOVED_DAYS, listed=[sp for sp in rows if sp.removed_on is None],
                           removed=[sp for sp in rows if sp.removed_on is not None])


@bp.route("/subprocessors/new", methods=["GET", "POST"])
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
            return redirect(url_for("trust_staff.subprocessor_admin"))
    status = 400 if request.method == "POST" else 200
    return render_template("trust/subprocessor_form.html", form=form, subprocessor=None), status


@bp.route("/subprocessors/<uid>", methods=["GET", "POST"])
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
            return redirect(url_for("trust_staff.subprocessor_admin"))
    status = 400 if request.method == "POST" else 200
    return render_template("trust/subprocessor_form.html", form=form, subprocessor=sp), status


@bp.post("/subprocessors/<uid>/remove")
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
    return redirect(url_for("trust_staff.subprocessor_admin"))


@bp.post("/subprocessors/<uid>/restore")
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
    return redirect(url_for("trust_staff.subprocessor_admin"))


@bp.post("/subprocessors/<uid>/move")
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
    return redirect(url_for("trust_staff.subprocessor_admin"))
