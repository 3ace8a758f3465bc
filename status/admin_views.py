"""Staff pages under /admin/status: components, incidents and updates, maintenance, reports, tokens, subscribers.

Thin: parse the form, check `status.manage`, call one service, audit, commit, redirect or render.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from status import push, service, subscriptions
from status.forms import (ActionForm, choices, ComponentForm, GroupForm, IncidentForm, MaintenanceForm, ReportForm, StateForm,
                          TitleForm, TokenForm, UpdateForm)
from status.labels import template_helpers
from vault.markdown import render as render_markdown
from status.models import State
from status.service import StatusError, UpdateInput
from vault import db
from vault.documents.validation import InvalidInput
from vault.web import audit_event, current_staff, form_error, require

bp = Blueprint("status_admin", __name__, url_prefix="/admin/status")
bp.context_processor(template_helpers)


@bp.before_request
@require("status.manage")
def _check_access():
    return None


def _lang() -> str:
    return current_user.locale if getattr(current_user, "locale", None) in ("en", "zh") else "en"


def _me() -> str:
    return current_user.email


def _states_from_form(components) -> dict[int, str]:
    """`state-<uid>` fields: the new state of each affected component ("" = not affected)."""
    out = {}
    for c in components:
        value = request.form.get(f"state-{c.uid}", "")
        if value:
            out[c.id] = value
    return out


def _next_update(form, now):
    minutes = form.next_update.data
    return now + timedelta(minutes=int(minutes)) if minutes and str(minutes).isdigit() else None


# --- dashboard and components ---------------------------------------------------------------------

@bp.get("/")
def index():
    sess = db.session()
    return render_template("status/admin/index.html", components=service.list_components(sess),
                           groups=service.list_groups(sess), state_form=StateForm(), states=list(State),
                           incidents=service.active_incidents(sess, include_drafts=True),
                           maintenance=service.maintenances(sess, open_only=True),
                           overdue={i.id for i in service.overdue_incidents(sess, now=service.clock())},
                           component_form=_component_form(), group_form=GroupForm(), lang=_lang(),
                           now=service.clock())


def _component_form(obj=None) -> ComponentForm:
    form = ComponentForm(obj=obj)
    form.group.choices = choices([("", _("No group"))] + [(g.uid, g.name(_lang())) for g in service.list_groups(db.session())])
    return form


@bp.post("/groups")
def create_group():
    form = GroupForm()
    sess = db.session()
    if form.validate():
        try:
            group = service.create_group(sess, name_en=form.name_en.data, name_zh=form.name_zh.data)
            audit_event("status.group.create", object_type="status_group", object_id=group.uid)
            sess.commit()
            flash(_("Group created."), "success")
        except StatusError as exc:
            sess.rollback()
            flash(str(exc), "error")
    return redirect(url_for(".index"))


@bp.route("/components/new", methods=["GET", "POST"])
def new_component():
    form = _component_form()
    sess = db.session()
    if request.method == "POST" and form.validate():
        try:
            c = service.create_component(sess, key=form.key.data, name_en=form.name_en.data,
                                         name_zh=form.name_zh.data, description=form.description.data,
                                         group=service.get_group(sess, form.group.data), now=service.clock(),
                                         actor=_me())
            audit_event("status.component.create", object_type="status_component", object_id=c.uid,
                        detail={"key": c.key})
            sess.commit()
            flash(_("Component created."), "success")
            return redirect(url_for(".index"))
        except StatusError as exc:
            sess.rollback()
            form_error(form, exc)
    return render_template("status/admin/component.html", form=form, component=None), 400 if form.errors or form.form_errors else 200


@bp.route("/components/<uid>", methods=["GET", "POST"])
def edit_component(uid: str):
    sess = db.session()
    component = service.get_component(sess, uid) or abort(404)
    form = _component_form(component)
    if request.method == "GET":
        form.group.data = component.group.uid if component.group else ""
    if request.method == "POST" and form.validate():
        try:
            service.update_component(sess, component, name_en=form.name_en.data, name_zh=form.name_zh.data,
                                     description=form.description.data, group=service.get_group(sess, form.group.data),
                                     now=service.clock())
            audit_event("status.component.update", object_type="status_component", object_id=uid)
            sess.commit()
            flash(_("Component saved."), "success")
            return redirect(url_for(".index"))
        except StatusError as exc:
            sess.rollback()
            form_error(form, exc)
    return render_template("status/admin/component.html", form=form, component=component)


@bp.post("/components/<uid>/state")
def set_state(uid: str):
    sess = db.session()
    component = service.get_component(sess, uid) or abort(404)
    form = StateForm()
    if not form.validate():
        flash(_("Choose one of the listed states."), "error")
        return redirect(url_for(".index"))
    old = component.state
    if service.set_state(sess, component, form.state.data, now=service.clock(), source="staff", actor=_me()):
        audit_event("status.component.state", object_type="status_component", object_id=uid,
                    detail={"from": old, "to": form.state.data})
        sess.commit()
        flash(_("State changed."), "success")
    return redirect(url_for(".index"))


# --- incidents ----------------------------------------------------------------------------------

@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident():
    sess = db.session()
    form = IncidentForm()
    components = service.list_components(sess)
    if request.method == "POST" and form.validate():
        now = service.clock()
        try:
            incident = service.open_incident(
                sess, title_en=form.title_en.data, title_zh=form.title_zh.data, impact=form.impact.data, now=now,
                author=_me(), update_=UpdateInput(status=form.status.data, body_en=form.body_en.data,
                                                  body_zh=form.body_zh.data, next_update_at=_next_update(form, now),
                                                  notify=form.notify.data, states=_states_from_form(components)))
            audit_event("status.incident.create", object_type="status_incident", object_id=incident.uid,
                        detail={"notify": form.notify.data})
            sess.commit()
            flash(_("Incident opened."), "success")
            return redirect(url_for(".incident", uid=incident.uid))
        except StatusError as exc:
            sess.rollback()
            form_error(form, exc)
    code = 400 if form.errors or form.form_errors else 200
    return render_template("status/admin/incident_new.html", form=form, components=components, states=list(State),
                           lang=_lang()), code


def _incident_or_404(uid: str):
    incident = service.get_incident(db.session(), uid, public=False)
    if incident is None:
        abort(404)
    return incident


def _render_incident(incident, *, update_form=None, report_form=None, title_form=None, code=200):
    sess = db.session()
    update_form = update_form or UpdateForm()
    update_form.set_kind(incident.is_maintenance)
    if report_form is None:
        report_form = ReportForm(root_cause=incident.report_root_cause, actions=incident.report_actions)
        if not incident.report_root_cause:
            report_form.root_cause.data = ""
    title_form = title_form or TitleForm(title_en=incident.title_en, title_zh=incident.title_zh, impact=incident.impact)
    preview = {"root_cause": render_markdown(incident.report_root_cause),
               "actions": render_markdown(incident.report_actions)}
    return render_template("status/admin/incident.html", incident=incident, form=update_form, report_form=report_form,
                           title_form=title_form, components=service.list_components(sess), states=list(State),
                           preview=preview, lang=_lang(), now=service.clock()), code


@bp.get("/incidents/<uid>")
def incident(uid: str):
    return _render_incident(_incident_or_404(uid))


@bp.post("/incidents/<uid>/updates")
def post_update(uid: str):
    sess = db.session()
    incident = _incident_or_404(uid)
    form = UpdateForm()
    form.set_kind(incident.is_maintenance)
    if form.validate():
        now = service.clock()
        publish = bool(form.publish.data) and incident.draft
        try:
            upd = service.post_update(sess, incident, UpdateInput(
                status=form.status.data, body_en=form.body_en.data, body_zh=form.body_zh.data,
                next_update_at=_next_update(form, now), notify=form.notify.data,
                states=_states_from_form(service.list_components(sess))), now=now, author=_me(), publish=publish)
            audit_event("status.incident.update", object_type="status_incident", object_id=uid,
                        detail={"status": upd.status, "notify": upd.notified, "published": publish})
            sess.commit()
            flash(_("Update posted."), "success")
            return redirect(url_for(".incident", uid=uid))
        except StatusError as exc:
            sess.rollback()
            incident = _incident_or_404(uid)
            form_error(form, exc)
    return _render_incident(incident, update_form=form, code=400)


@bp.post("/incidents/<uid>/title")
def edit_title(uid: str):
    sess = db.session()
    incident = _incident_or_404(uid)
    form = TitleForm()
    if form.validate():
        try:
            service.update_incident(sess, incident, title_en=form.title_en.data, title_zh=form.title_zh.data,
                                    impact=form.impact.data, now=service.clock())
            audit_event("status.incident.edit", object_type="status_incident", object_id=uid)
            sess.commit()
            return redirect(url_for(".incident", uid=uid))
        except StatusError as exc:
            sess.rollback()
            incident = _incident_or_404(uid)
            form_error(form, exc)
    return _render_incident(incident, title_form=form, code=400)


@bp.post("/incidents/<uid>/report")
def save_report(uid: str):
    from vault.documents.service import commit_upload
    sess = db.session()
    incident = _incident_or_404(uid)
    form = ReportForm()
    if form.validate():
        try:
            author = current_staff()
            version = service.save_report(sess, incident, root_cause=form.root_cause.data, actions=form.actions.data,
                                          publish=form.publish.data, notify=form.notify.data, author=author,
                                          now=service.clock())
            audit_event("status.report.publish" if version else "status.report.save", object_type="status_incident",
                        object_id=uid, detail={"document_version": version.uid if version else None})
            if version is not None:
                commit_upload(sess, version)  # deletes the stored file again if the commit fails
                flash(_("Report published and kept in the vault."), "success")
            else:
                sess.commit()
                flash(_("Report saved (not published)."), "success")
            return redirect(url_for(".incident", uid=uid))
        except (StatusError, InvalidInput) as exc:
            sess.rollback()
            incident = _incident_or_404(uid)
            form_error(form, exc)
    return _render_incident(incident, report_form=form, code=400)


@bp.get("/incidents")
def history():
    q = (request.args.get("q") or "").strip()[:200]
    page_no = request.args.get("page", 1, type=int) or 1
    rows, total = service.search_incidents(db.session(), q=q, page=page_no, per_page=50, include_drafts=True)
    return render_template("status/admin/history.html", incidents=rows, total=total, q=q, page=page_no, per_page=50,
                           lang=_lang())


# --- maintenance --------------------------------------------------------------------------------

@bp.route("/maintenance/new", methods=["GET", "POST"])
def new_maintenance():
    sess = db.session()
    form = MaintenanceForm()
    form.components.choices = choices((c.id, c.name(_lang())) for c in service.list_components(sess))
    if request.method == "POST" and form.validate():
        starts, ends = form.window()
        try:
            m = service.schedule_maintenance(
                sess, title_en=form.title_en.data, title_zh=form.title_zh.data,
                component_ids=[int(x) for x in form.components.data or [] if str(x).isdigit()],
                starts_at=starts, ends_at=ends, body_en=form.body_en.data, body_zh=form.body_zh.data,
                notify=form.notify.data, auto=form.auto.data, now=service.clock(), author=_me())
            audit_event("status.maintenance.create", object_type="status_incident", object_id=m.uid)
            sess.commit()
            flash(_("Maintenance scheduled."), "success")
            return redirect(url_for(".incident", uid=m.uid))
        except StatusError as exc:
            sess.rollback()
            form_error(form, exc)
    code = 400 if form.errors or form.form_errors else 200
    return render_template("status/admin/maintenance_new.html", form=form), code


# --- push tokens --------------------------------------------------------------------------------

def _token_form() -> TokenForm:
    form = TokenForm()
    form.components.choices = choices((c.id, f"{c.name(_lang())} ({c.key})") for c in service.list_components(db.session()))
    return form


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    sess = db.session()
    form = _token_form()
    created = None
    if request.method == "POST" and form.validate():
        try:
            token, raw = push.create_token(
                sess, name=form.name.data, all_components=form.all_components.data,
                component_ids=[int(x) for x in form.components.data or [] if str(x).isdigit()],
                may_open_incidents=form.may_open_incidents.data, actor=_me(), now=service.clock())
            audit_event("status.token.create", object_type="status_push_token", object_id=token.uid,
                        detail={"name": token.name, "all": token.all_components,
                                "components": [c.key for c in token.components]})
            sess.commit()
            created = raw  # shown once, on this response only
            form = _token_form()
        except StatusError as exc:
            sess.rollback()
            form_error(form, exc)
    resp = render_template("status/admin/tokens.html", form=form, tokens=push.list_tokens(sess), created=created,
                           action_form=ActionForm())
    headers = {"Cache-Control": "no-store"}
    return resp, (400 if form.errors or form.form_errors else 200), headers


@bp.post("/tokens/<uid>/revoke")
def revoke_token(uid: str):
    sess = db.session()
    token = push.get_token(sess, uid) or abort(404)
    if ActionForm().validate():
        push.revoke_token(sess, token, now=service.clock())
        audit_event("status.token.revoke", object_type="status_push_token", object_id=uid)
        sess.commit()
        flash(_("Token revoked: it stops working at once."), "success")
    return redirect(url_for(".tokens"))


# --- subscribers --------------------------------------------------------------------------------

@bp.get("/subscribers")
def subscribers():
    return render_template("status/admin/subscribers.html", subscribers=subscriptions.list_subscribers(db.session()),
                           action_form=ActionForm(), lang=_lang())


@bp.post("/subscribers/<uid>/remove")
def remove_subscriber(uid: str):
    sess = db.session()
    sub = subscriptions.get_subscriber(sess, uid) or abort(404)
    if ActionForm().validate():
        subscriptions.unsubscribe(sess, sub)
        audit_event("status.subscriber.remove", object_type="status_subscriber", object_id=uid)
        sess.commit()
        flash(_("Subscriber removed."), "success")
    return redirect(url_for(".subscribers"))
