"""Legal's pages: the timeline (filters, CSV), stale answers, calendar feeds, reminder settings.

Thin: parse input, check access, call one service function, commit, render.
"""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from vault import db
from vault.db import utcnow
from vault.documents.labels import framework_label
from vault.documents.models import FRAMEWORKS
from answers.library import stale
from vault.expiry import calendar, scheduler, service
from vault.expiry.forms import ActionForm, DestinationForm, FeedForm, SettingsForm
from vault.expiry.labels import HORIZON_LABELS, KIND_LABELS, kind_label, template_helpers, when_label
from vault.expiry.obligations import Filters
from vault.expiry.reminders import remind_once
from vault.inputs import InvalidInput
from vault.web import audit_event, current_staff, form_error, require

bp = Blueprint("expiry", __name__, url_prefix="/expiry")
bp.context_processor(template_helpers)
bp.context_processor(lambda: {"framework_label": framework_label,
                              "stale_sentence": lambda s: str(stale.describe(s, str(get_locale())))})


def _today() -> date:
    return utcnow().date()



# --- timeline -------------------------------------------------------------------------------------

@bp.get("/")
@require("expiry.view")
def index():
    filters = Filters.parse(request.args)
    sess = db.session()
    today = _today()
    items, collected = service.timeline(sess, today, filters)
    frameworks = sorted({f for o in collected.obligations for f in o.frameworks} | set(FRAMEWORKS),
                        key=lambda f: framework_label(f).casefold())
    return render_template("expiry/index.html", items=items, filters=filters, today=today,
                           owners=service.owners(sess, collected.obligations), frameworks=frameworks,
                           kinds=KIND_LABELS, horizons=HORIZON_LABELS, errors=collected.errors,
                           total=len(collected.obligations))


@bp.get("/export.csv")
@require("expiry.view")
def export_csv():
    from exporters.safety import neutralise

    filters = Filters.parse(request.args)
    sess = db.session()
    today = _today()
    items, _collected = service.timeline(sess, today, filters)
    owners = {u.id: u for u in service.owners(sess, items)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Due date"), _("When"), _("Type"), _("Title"), _("Owner"), _("Frameworks"), _("Details"),
                     _("Link")])
    for o in items:
        owner = owners.get(o.owner_id)
        row = [o.due_on.isoformat(), when_label(o, today), kind_label(o.kind), o.title,
               (owner.name or owner.email) if owner else "", ", ".join(framework_label(f) for f in o.frameworks),
               str(o.detail or ""), service.obligation_url(o) or ""]
        writer.writerow([neutralise(str(v)) for v in row])  # titles and details are user input
    audit_event("expiry.export", object_type="expiry", detail={"rows": len(items), **filters.as_args()})
    sess.commit()
    body = "\ufeff" + out.getvalue()  # BOM: Excel reads the UTF-8 (Chinese titles) correctly
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="expiry-{today.isoformat()}.csv"',
        "Cache-Control": "no-store"})


@bp.get("/stale")
@require("expiry.view")
def stale_answers():
    sess = db.session()
    rows = [(s, stale.answer_uses(sess, s.entry)) for s in stale.stale_entries(sess, _today())]
    return render_template("expiry/stale.html", rows=rows, hooks=bool(stale.ANSWER_USES_HOOKS))


# --- calendar feeds ------------------------------------------------------------------------------

def _feed_url(token: str) -> str:
    return service.external_url("expiry.calendar_feed", token=token) or \
        url_for("expiry.calendar_feed", token=token, _external=True)


@bp.get("/feeds")
@require("expiry.view")
def feeds():
    sess = db.session()
    everyone = current_user.can("settings.manage") and request.args.get("all") == "1"
    return render_template("expiry/feeds.html", feeds=service.list_feeds(sess, None if everyone else current_staff()),
                           everyone=everyone, form=FeedForm(), action_form=ActionForm())


@bp.post("/feeds")
@require("expiry.view")
def create_feed():
    form = FeedForm()
    sess = db.session()
    if not form.validate_on_submit():
        return render_template("expiry/feeds.html", feeds=service.list_feeds(sess, current_staff()), everyone=False,
                               form=form, action_form=ActionForm()), 400
    try:
        feed, token = service.create_feed(sess, current_staff(), label=form.label.data or "", mine_only=form.mine_only.data)
    except InvalidInput as exc:
        sess.rollback()
        form.label.errors = [str(exc)]
        return render_template("expiry/feeds.html", feeds=service.list_feeds(sess, current_staff()), everyone=False,
                               form=form, action_form=ActionForm()), 400
    audit_event("expiry.feed.create", object_type="calendar_feed", object_id=feed.uid,
                detail={"label": feed.label, "mine_only": feed.mine_only})
    sess.commit()
    return render_template("expiry/feed_created.html", feed=feed, url=_feed_url(token))


@bp.post("/feeds/<uid>/revoke")
@require("expiry.view")
def revoke_feed(uid: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    sess = db.session()
    feed = service.get_feed(sess, uid)
    # Another user's feed is not found, unless an admin is asking.
    if feed is None or (feed.user_id != current_user.id and not current_user.can("settings.manage")):
        abort(404)
    if service.revoke_feed(sess, feed):
        audit_event("expiry.feed.revoke", object_type="calendar_feed", object_id=feed.uid,
                    detail={"owner": feed.user.email})
        sess.commit()
        flash(_("The calendar feed is revoked: its address no longer works."), "success")
    return redirect(url_for(".feeds"))


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """No sign-in: calendar apps fetch this. The token is the credential; a revoked one is a 404."""
    sess = db.session()
    feed = service.feed_for_token(sess, token)
    if feed is None:
        abort(404)
    now = utcnow()
    user = feed.user
    language = user.locale if user.locale in (current_app.config.get("LANGUAGES") or ["en"]) else "en"
    name = f"{current_app.config.get('COMPANY_NAME', '')} · {feed.label or 'trustvault'}".strip(" ·")
    body = calendar.build_calendar(service.feed_obligations(sess, feed, now.date()), now=now, name=name,
                                   language=language, url_for_obligation=service.obligation_url,
                                   domain=(current_app.config.get("SERVER_NAME") or "trustvault").split(":")[0])
    feed.last_used_at = now
    audit_event("expiry.feed.fetch", object_type="calendar_feed", object_id=feed.uid, actor=f"feed:{user.email}")
    sess.commit()
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="trustvault-expiry.ics"', "Cache-Control": "no-store, private",
        "X-Robots-Tag": "noindex"})


# --- reminder settings (admin) -------------------------------------------------------------------

def _settings_page(form: SettingsForm | None = None, dest_form: DestinationForm | None = None, status: int = 200):
    sess = db.session()
    settings = service.get_settings(sess)
    if form is None:
        form = SettingsForm(formdata=None, obj=settings)
        form.thresholds.data = ", ".join(str(t) for t in settings.thresholds or [])
    return render_template("expiry/settings.html", form=form, dest_form=dest_form or DestinationForm(formdata=None),
                           destinations=service.list_destinations(sess), masked=service.masked,
                           recent=service.recent_reminders(sess), lease=scheduler.status(sess),
                           action_form=ActionForm()), status


@bp.get("/settings")
@require("settings.manage")
def settings():
    page = _settings_page()
    db.session().commit()  # the default row, on first visit
    return page


@bp.post("/settings")
@require("settings.manage")
def save_settings():
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, status=400)
    sess = db.session()
    try:
        changes = service.update_settings(sess, service.SettingsFields(
            thresholds=form.thresholds.data, overdue_repeat_days=form.overdue_repeat_days.data,
            notify_owner=form.notify_owner.data, notify_legal_role=form.notify_legal_role.data,
            legal_emails=form.legal_emails.data or "", scheduler_enabled=form.scheduler_enabled.data,
            scheduler_interval_minutes=form.scheduler_interval_minutes.data))
    except InvalidInput as exc:
        sess.rollback()
        form_error(form, exc)
        return _settings_page(form, status=400)
    if changes:
        audit_event("expiry.settings", object_type="expiry_settings", detail={"changes": changes})
    sess.commit()
    flash(_("Reminder settings saved."), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/destinations")
@require("settings.manage")
def add_destination():
    from vault.notify import Settings

    form = DestinationForm()
    if not form.validate_on_submit():
        return _settings_page(dest_form=form, status=400)
    sess = db.session()
    try:
        dest = service.add_destination(sess, channel=form.channel.data, target=form.target.data,
                                       secret=form.secret.data, label=form.label.data or "",
                                       notify_settings=Settings.from_config(current_app.config))
    except InvalidInput as exc:
        sess.rollback()
        form_error(form, exc)
        return _settings_page(dest_form=form, status=400)
    audit_event("expiry.destination.add", object_type="expiry_destination", object_id=dest.uid,
                detail={"channel": dest.channel, "target": service.masked(dest), "label": dest.label})
    sess.commit()
    flash(_("Reminders will also go to this destination."), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/destinations/<uid>/delete")
@require("settings.manage")
def delete_destination(uid: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    sess = db.session()
    dest = service.get_destination(sess, uid)
    if dest is None:
        abort(404)
    audit_event("expiry.destination.remove", object_type="expiry_destination", object_id=dest.uid,
                detail={"channel": dest.channel, "target": service.masked(dest)})
    sess.delete(dest)
    sess.commit()
    flash(_("The destination is removed."), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/run")
@require("settings.manage")
def run_now():
    """Run the reminders now (the same function as `vault remind`); sent after this request commits."""
    if not ActionForm().validate_on_submit():
        abort(400)
    sess = db.session()
    report = remind_once(sess, utcnow())  # commits
    audit_event("expiry.remind", object_type="expiry", detail={"summary": report.summary(), "manual": True})
    sess.commit()
    flash(_("Reminders run: %(count)d reminders queued to %(people)d people and %(chats)d chat destinations.",
            count=len(report.due), people=len(report.emails), chats=len(report.destinations)), "success")
    return redirect(url_for(".settings"))
