"""Staff pages of the advisories (under /admin/advisories, permission `advisories.manage`): list, create,
edit, publish, timeline entries and announcements. Every change is audited by the service (by=actor)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from vault import db
from vault.advisories import service
from vault.advisories.forms import AdvisoryForm, AnnouncementForm, TimelineForm
from vault.advisories.labels import template_helpers
from vault.auth.forms import ActionForm
from vault.db import utcnow
from vault.markdown import render as render_markdown
from vault.web import current_actor, form_error, require

PERMISSION = "advisories.manage"

bp = Blueprint("advisories_staff", __name__, url_prefix="/admin/advisories")
bp.context_processor(template_helpers)
bp.context_processor(lambda: {"markdown": render_markdown})


def _advisory_or_404(advisory_id: str):
    return service.get_advisory(db.session(), advisory_id) or abort(404)


def _fields(form: AdvisoryForm) -> service.AdvisoryFields:
    return service.AdvisoryFields(**{name: getattr(form, name).data or "" for name in (
        "title_en", "title_zh", "body_en", "body_zh", "cvss_vector", "cve_ids", "affected", "fixed_in",
        "change_summary")})


@bp.get("")
@require(PERMISSION)
def index():
    sess = db.session()
    return render_template("advisories/admin/index.html", advisories=service.all_advisories(sess),
                           announcements=service.announcements(sess), action_form=ActionForm())


@bp.route("/new", methods=["GET", "POST"])
@require(PERMISSION)
def new():
    sess = db.session()
    form = AdvisoryForm()
    if form.validate_on_submit():
        f = _fields(form)
        try:
            advisory = service.create_advisory(sess, actor=current_actor(), title_en=f.title_en, title_zh=f.title_zh,
                                               body_en=f.body_en, body_zh=f.body_zh, cvss_vector=f.cvss_vector,
                                               cve_ids=f.cve_ids, affected=f.affected, fixed_in=f.fixed_in,
                                               now=utcnow())
        except service.AdvisoryInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            sess.commit()
            flash(_("Draft %(id)s saved. It is not public until you publish it.", id=advisory.advisory_id), "success")
            return redirect(url_for("advisories_staff.edit", advisory_id=advisory.advisory_id))
    status = 400 if request.method == "POST" else 200
    return render_template("advisories/admin/form.html", form=form, advisory=None), status


@bp.route("/<advisory_id>", methods=["GET", "POST"])
@require(PERMISSION)
def edit(advisory_id: str):
    sess = db.session()
    advisory = _advisory_or_404(advisory_id)
    form = AdvisoryForm()
    if request.method == "GET":
        for name in ("title_en", "title_zh", "body_en", "body_zh", "cvss_vector"):
            getattr(form, name).data = getattr(advisory, name)
        form.cve_ids.data = ", ".join(advisory.cve_ids or ())
        form.affected.data = service.products_text(advisory.affected, "versions")
        form.fixed_in.data = service.products_text(advisory.fixed_in, "version")
    elif form.validate_on_submit():
        try:
            changes = service.update_advisory(sess, advisory, _fields(form), actor=current_actor(), now=utcnow())
        except service.AdvisoryInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            sess.commit()
            flash(_("Advisory %(id)s saved.", id=advisory_id) if changes else _("Nothing changed."), "success")
            return redirect(url_for("advisories_staff.edit", advisory_id=advisory_id))
    status = 400 if request.method == "POST" else 200
    return render_template("advisories/admin/form.html", form=form, advisory=advisory, timeline_form=TimelineForm(),
                           action_form=ActionForm()), status


@bp.post("/<advisory_id>/publish")
@require(PERMISSION)
def publish(advisory_id: str):
    sess = db.session()
    advisory = _advisory_or_404(advisory_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        queued = service.publish_advisory(sess, advisory, actor=current_actor(), now=utcnow())
    except service.AdvisoryInput as exc:
        sess.rollback()
        flash(str(exc), "error")
        return redirect(url_for("advisories_staff.edit", advisory_id=advisory_id))
    sess.commit()
    flash(_("Advisory %(id)s published; %(num)d subscribers will be emailed.", id=advisory_id, num=queued), "success")
    return redirect(url_for("advisories_staff.edit", advisory_id=advisory_id))


@bp.post("/<advisory_id>/timeline")
@require(PERMISSION)
def add_timeline(advisory_id: str):
    sess = db.session()
    advisory = _advisory_or_404(advisory_id)
    form = TimelineForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Enter the date as YYYY-MM-DD."), "error")
        return redirect(url_for("advisories_staff.edit", advisory_id=advisory_id))
    try:
        service.add_timeline_entry(sess, advisory, happened_on=form.happened_on.data, text_en=form.text_en.data,
                                   text_zh=form.text_zh.data, actor=current_actor(), now=utcnow())
    except service.AdvisoryInput as exc:
        sess.rollback()
        flash(str(exc), "error")
    else:
        sess.commit()
        flash(_("Timeline entry added."), "success")
    return redirect(url_for("advisories_staff.edit", advisory_id=advisory_id))


@bp.route("/announcements/new", methods=["GET", "POST"])
@require(PERMISSION)
def new_announcement():
    sess = db.session()
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            row = service.create_announcement(sess, actor=current_actor(), title_en=form.title_en.data,
                                              title_zh=form.title_zh.data, body_en=form.body_en.data,
                                              body_zh=form.body_zh.data, now=utcnow())
        except service.AdvisoryInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            sess.commit()
            flash(_("Announcement published."), "success")
            return redirect(url_for("advisories.announcement", uid=row.uid))
    status = 400 if request.method == "POST" else 200
    return render_template("advisories/admin/announcement_form.html", form=form), status
