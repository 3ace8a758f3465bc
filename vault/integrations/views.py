"""Admin page: the integrations (CRM, chat, signed webhooks), a test send through the outbox."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from vault import db, notify
from vault.integrations import service
from vault.integrations.catalogue import CRM_KINDS, events_for
from vault.integrations.forms import (EVENT_NAMES, KIND_NAMES, LANGUAGE_NAMES, ActionForm, EditForm, TargetForm,
                                      TestForm)
from vault.storage import get_keyring
from vault.web import audit_event, form_error, require

bp = Blueprint("integrations", __name__, url_prefix="/admin/integrations")


def _languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def _target_form(form: TargetForm | EditForm | None = None) -> TargetForm | EditForm:
    form = form or TargetForm()
    form.language.choices = [(code, LANGUAGE_NAMES.get(code, code)) for code in _languages()]
    if form.language.data is None:
        form.language.data = _languages()[0]
    return form


def _page(form: TargetForm | None = None, status: int = 200):
    sess = db.session()
    default_domain = (current_user.email or "").rpartition("@")[2]
    return render_template("integrations/index.html", rows=service.list_targets(sess), form=_target_form(form),
                           test_form=TestForm(domain=default_domain), action_form=ActionForm(),
                           kind_names=KIND_NAMES, event_names=EVENT_NAMES, language_names=LANGUAGE_NAMES,
                           crm_kinds=CRM_KINDS, crm_events=events_for("hubspot"),
                           base_url=current_app.config.get("PUBLIC_BASE_URL")), status


@bp.get("")
@require("settings.manage")
def index():
    return _page()


def _row_or_404(uid: str):
    row = service.get_target(db.session(), uid)
    if row is None:
        abort(404)
    return row


@bp.post("")
@require("settings.manage")
def add():
    form = _target_form()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        row = service.add_target(sess, get_keyring(), notify.Settings.from_config(current_app.config),
                                 kind=form.kind.data, label=form.label.data, url=form.url.data,
                                 secret=form.secret.data, events=form.events.data or [], language=form.language.data,
                                 languages=_languages(), template_id=form.template_id.data,
                                 fallback=form.fallback.data, api_version=form.api_version.data)
    except service.IntegrationError as exc:
        sess.rollback()
        form_error(form, exc)
        form.secret.data = ""  # never sent back
        return _page(form, 400)
    audit_event("integration.add", object_type="integration", object_id=row.uid,
                detail={"kind": row.kind, "endpoint": row.endpoint_shown, "events": row.events, "label": row.label})
    sess.commit()
    flash(_("Added: %(name)s. Send a test to check it.", name=row.label or KIND_NAMES[row.kind]), "success")
    return redirect(url_for(".index"))


def _edit_page(row, form: EditForm, status: int = 200):
    form.events.choices = [(e, EVENT_NAMES[e]) for e in events_for(row.kind)]
    return render_template("integrations/edit.html", row=row, form=_target_form(form), kind_names=KIND_NAMES,
                           crm_kinds=CRM_KINDS), status


@bp.get("/<uid>")
@require("settings.manage")
def edit(uid: str):
    row = _row_or_404(uid)
    options = row.options or {}
    form = EditForm(label=row.label, events=list(row.events or []), language=row.language,
                    template_id=options.get("template_id", ""), fallback=options.get("fallback", ""),
                    api_version=options.get("api_version", ""))
    return _edit_page(row, form)


@bp.post("/<uid>")
@require("settings.manage")
def save(uid: str):
    row = _row_or_404(uid)
    form = _target_form(EditForm())
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        changed = service.update_target(sess, get_keyring(), row, label=form.label.data, secret=form.secret.data,
                                        events=form.events.data or [], language=form.language.data,
                                        languages=_languages(), template_id=form.template_id.data,
                                        fallback=form.fallback.data, api_version=form.api_version.data)
    except service.IntegrationError as exc:
        sess.rollback()
        form_error(form, exc)
        form.secret.data = ""
        return _edit_page(_row_or_404(uid), form, 400)
    audit_event("integration.update", object_type="integration", object_id=row.uid,
                detail={"kind": row.kind, "changed": changed, "events": row.events})
    sess.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".index"))


@bp.post("/<uid>/test")
@require("settings.manage")
def test(uid: str):
    row = _row_or_404(uid)
    form = TestForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    domain = (form.domain.data or "").strip().lower() or (current_user.email or "").rpartition("@")[2]
    try:
        sent = service.send_test(sess, get_keyring(), row, domain=domain[:255])
    except (notify.NotifyError, ValueError) as exc:
        sess.rollback()
        flash(_("The test could not be queued: %(why)s", why=str(exc)), "error")
        return redirect(url_for(".index"))
    audit_event("integration.test", object_type="integration", object_id=row.uid,
                detail={"kind": row.kind, "endpoint": row.endpoint_shown, "notification": sent.id})
    sess.commit()
    # Through the outbox, sent now so the page can say how it went (as `vault notify test` does).
    settings = notify.Settings.from_config(current_app.config)
    notify.deliver_pending(sess, ids=[sent.id], limit=1, settings=settings, timeout=settings.inline_timeout)
    sess.refresh(sent)
    if sent.status == "sent":
        flash(_("Test sent to %(name)s.", name=row.label or KIND_NAMES[row.kind]), "success")
    else:
        flash(_("The test failed: %(error)s", error=sent.last_error), "error")
    return redirect(url_for(".index"))


@bp.post("/<uid>/toggle")
@require("settings.manage")
def toggle(uid: str):
    row = _row_or_404(uid)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.set_enabled(db.session(), row, not row.enabled)
    audit_event("integration.enable" if row.enabled else "integration.disable", object_type="integration",
                object_id=row.uid, detail={"kind": row.kind})
    db.session().commit()
    return redirect(url_for(".index"))


@bp.post("/<uid>/delete")
@require("settings.manage")
def delete(uid: str):
    row = _row_or_404(uid)
    if not ActionForm().validate_on_submit():
        abort(400)
    detail = {"kind": row.kind, "endpoint": row.endpoint_shown, "label": row.label}
    service.delete_target(db.session(), row)
    audit_event("integration.delete", object_type="integration", object_id=uid, detail=detail)
    db.session().commit()
    flash(_("Removed."), "success")
    return redirect(url_for(".index"))
