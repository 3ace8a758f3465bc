"""Staff pages of the security and privacy overview (under /admin/overview, permission `overview.manage`):
the summary and security contact, each section's titles and facts, and its items with their evidence.
Every change is audited (`overview.*`)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext as _

from wtforms.fields.choices import SelectChoice

from vault import db
from vault.db import utcnow
from vault.documents.labels import template_helpers, visibility_label
from vault.inputs import InvalidInput
from vault.overview import service
from vault.overview.forms import ItemForm, SettingsForm, facts_from, section_data, section_form
from vault.web import audit_event, form_error, require

bp = Blueprint("overview_staff", __name__, url_prefix="/admin/overview")
bp.context_processor(template_helpers)
bp.context_processor(lambda: {"section_titles": service.SECTION_TITLES, "section_hints": service.SECTION_HINTS,
                              "section_title": service.section_title, "fact_specs": service.FACTS,
                              "fact_lines": service.fact_lines})

PERMISSION = "overview.manage"


def _today():
    return utcnow().date()


def _step() -> int:
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    return step


@bp.get("")
@require(PERMISSION)
def index():
    sess = db.session()
    overview = service.staff_overview(sess, _today())
    settings = service.get_settings(sess)
    sess.commit()  # the section rows may have just been created
    return render_template("overview/admin.html", overview=overview, settings=settings, today=_today())


@bp.route("/settings", methods=["GET", "POST"])
@require(PERMISSION)
def settings():
    sess = db.session()
    row = service.get_settings(sess)
    form = SettingsForm(obj=row if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changes = service.update_settings(sess, summary_en=form.summary_en.data or "",
                                              summary_zh=form.summary_zh.data or "",
                                              security_contact=form.security_contact.data or "")
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            if changes:
                audit_event("overview.settings.update", object_type="overview", object_id=row.id,
                            detail={"changes": changes})
            sess.commit()
            flash(_("Overview summary saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("overview_staff.index"))
    return render_template("overview/settings_form.html", form=form), 400 if request.method == "POST" else 200


def _section_or_404(key: str):
    return service.get_section(db.session(), key) or abort(404)


@bp.route("/sections/<key>", methods=["GET", "POST"])
@require(PERMISSION)
def edit_section(key: str):
    sess = db.session()
    section = _section_or_404(key)
    form = section_form(key, data=section_data(section) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changes = service.update_section(sess, section, title_en=form.title_en.data or "",
                                             title_zh=form.title_zh.data or "", facts=facts_from(form, key))
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            if changes:
                audit_event("overview.section.update", object_type="overview_section", object_id=key,
                            detail={"changes": changes})
            sess.commit()
            flash(_("Section saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("overview_staff.index", _anchor=f"section-{key}"))
    default_titles = {}
    for language in ("en", "zh"):
        with force_locale(language):
            default_titles[language] = str(service.SECTION_TITLES[key])
    return render_template("overview/section_form.html", form=form, section=section, default_titles=default_titles,
                           specs=service.FACTS.get(key, ())), 400 if request.method == "POST" else 200


@bp.post("/sections/<key>/move")
@require(PERMISSION)
def move_section(key: str):
    sess = db.session()
    section = _section_or_404(key)
    step = _step()
    before = [s.key for s in service.sections(sess)]
    if service.move_section(sess, section, step):
        audit_event("overview.section.reorder", object_type="overview_section", object_id=key,
                    detail={"before": before, "after": [s.key for s in service.sections(sess)]})
        sess.commit()
    return redirect(url_for("overview_staff.index", _anchor=f"section-{key}"))


def _item_fields(form: ItemForm) -> service.ItemFields:
    return service.ItemFields(**{name: getattr(form, name).data or "" for name in service.ITEM_FIELDS})


def _item_form(sess, obj=None) -> ItemForm:
    form = ItemForm(data={**{k: getattr(obj, k) for k in service.ITEM_FIELDS if k != "evidence"},
                          "evidence": obj.evidence.uid if obj.evidence else ""}
                    if obj is not None and request.method == "GET" else None)
    form.evidence.choices = [SelectChoice("", _("No evidence document"))] + [
        SelectChoice(d.uid, f"{d.title_for(_locale())} ({visibility_label(d.visibility)})")
        for d in service.evidence_choices(sess)]
    return form


def _locale() -> str:
    return "zh" if str(get_locale()).startswith("zh") else "en"


@bp.route("/sections/<key>/items/new", methods=["GET", "POST"])
@require(PERMISSION)
def new_item(key: str):
    sess = db.session()
    section = _section_or_404(key)
    form = _item_form(sess)
    if form.validate_on_submit():
        try:
            item = service.create_item(sess, section, _item_fields(form))
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            audit_event("overview.item.create", object_type="overview_item", object_id=item.uid,
                        detail={"section": key, "fields": service.item_record(item)})
            sess.commit()
            flash(_("Item added."), "success")
            return redirect(url_for("overview_staff.index", _anchor=f"section-{key}"))
    return render_template("overview/item_form.html", form=form, section=section, item=None), \
        400 if request.method == "POST" else 200


def _item_or_404(uid: str):
    return service.get_item(db.session(), uid) or abort(404)


@bp.route("/items/<uid>", methods=["GET", "POST"])
@require(PERMISSION)
def edit_item(uid: str):
    sess = db.session()
    item = _item_or_404(uid)
    form = _item_form(sess, item)
    if form.validate_on_submit():
        try:
            changes = service.update_item(sess, item, _item_fields(form))
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            if changes:
                audit_event("overview.item.update", object_type="overview_item", object_id=item.uid,
                            detail={"section": item.section.key, "changes": changes})
            sess.commit()
            flash(_("Item saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("overview_staff.index", _anchor=f"section-{item.section.key}"))
    problem = service.evidence_problem(item.evidence, _today()) if item.evidence else None
    return render_template("overview/item_form.html", form=form, section=item.section, item=item,
                           problem=problem), 400 if request.method == "POST" else 200


@bp.post("/items/<uid>/delete")
@require(PERMISSION)
def delete_item(uid: str):
    sess = db.session()
    item = _item_or_404(uid)
    key = item.section.key
    record = service.delete_item(sess, item)
    audit_event("overview.item.delete", object_type="overview_item", object_id=uid,
                detail={"section": key, "fields": record})
    sess.commit()
    flash(_("Item deleted."), "success")
    return redirect(url_for("overview_staff.index", _anchor=f"section-{key}"))


@bp.post("/items/<uid>/move")
@require(PERMISSION)
def move_item(uid: str):
    sess = db.session()
    item = _item_or_404(uid)
    step = _step()
    before = [i.uid for i in sorted(item.section.items, key=lambda i: (i.position, i.id))]
    if service.move_item(sess, item, step):
        audit_event("overview.item.reorder", object_type="overview_item", object_id=uid,
                    detail={"section": item.section.key, "before": before,
                            "after": [i.uid for i in sorted(item.section.items, key=lambda i: (i.position, i.id))]})
        sess.commit()
    return redirect(url_for("overview_staff.index", _anchor=f"section-{item.section.key}"))
