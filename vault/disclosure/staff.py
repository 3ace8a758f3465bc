"""Staff pages of vulnerability disclosure (under /admin/disclosure, permission `disclosure.manage`):
the report queue, a report with its SLA clock, triage, replies, internal notes, attachments, the policy
text. Every look at a report's decrypted content is an audit event."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from vault import db, downloads
from vault.advisories.service import create_advisory
from vault.db import utcnow
from vault.disclosure import emails, service
from vault.disclosure.forms import AdvisoryForm, NoteForm, PolicyForm, ReplyForm, StateForm, severity_choices
from vault.disclosure.models import State
from vault.notify import NotifyError
from vault.web import audit_event, current_actor, form_error, require

bp = Blueprint("disclosure_staff", __name__, url_prefix="/admin/disclosure")
PERMISSION = "disclosure.manage"
STATES = [s.value for s in State]


def settings() -> service.Settings:
    return service.Settings.from_config(current_app.config)


@bp.context_processor
def _helpers() -> dict:
    today = utcnow().date()
    return {"state_label": service.state_label, "severity_label": service.severity_label,
            "due_words": lambda due: service.due_words(due, today), "today": today}


def _report_or_404(uid: str):
    found = service.get_report(db.session(), uid)
    if found is None:
        abort(404)
    return found


@bp.get("/")
@require(PERMISSION)
def index():
    state = request.args.get("state") or None
    state = state if state in STATES else None
    sess = db.session()
    rows = service.list_reports(sess, state=state)
    conf = settings()
    return render_template("disclosure/staff/index.html", rows=[(r, service.next_deadline(r, conf)) for r in rows],
                           state=state, states=STATES, counts=service.state_counts(sess))


def _detail(report_row, *, state_form=None, reply_form=None, note_form=None, status: int = 200):
    conf = settings()
    body = service.read_body(report_row)
    timeline = [(m, service.read_message(report_row, m)) for m in report_row.messages]
    if state_form is None:
        state_form = StateForm(formdata=None)
        state_form.severity.data = report_row.severity
    state_form.state.choices = [("", _("(no change)"))] + [(s, service.state_label(s))
                                                           for s in service.allowed_next(report_row)]
    state_form.severity.choices = severity_choices()
    return render_template("disclosure/staff/detail.html", report=report_row, body=body, timeline=timeline,
                           deadlines=service.deadlines(report_row, conf), state_form=state_form,
                           reply_form=reply_form or ReplyForm(formdata=None), note_form=note_form or NoteForm(formdata=None),
                           advisory_form=AdvisoryForm(formdata=None)), status


@bp.get("/<uid>")
@require(PERMISSION)
def detail(uid: str):
    report_row = _report_or_404(uid)
    audit_event("disclosure.report.view", object_type="disclosure_report", object_id=report_row.uid,
                detail={"reference": report_row.reference})
    db.session().commit()
    return _detail(report_row)


@bp.post("/<uid>/state")
@require(PERMISSION)
def change_state(uid: str):
    report_row = _report_or_404(uid)
    form = StateForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    before = report_row.state
    try:
        msg = service.change_state(sess, report_row, form.state.data or "", severity=form.severity.data or None,
                                   by=current_actor(), now=utcnow())
    except service.DisclosureError as exc:
        sess.rollback()
        form_error(form, exc)
        return _detail(_report_or_404(uid), state_form=form, status=400)
    audit_event("disclosure.report.state", object_type="disclosure_report", object_id=report_row.uid,
                detail={"from": before, "to": report_row.state, "severity": report_row.severity})
    if msg is not None:
        emails.reporter_update(sess, report_row, service.read_body(report_row)["email"], message_uid=msg.uid)
    sess.commit()
    flash(_("Saved: the report is now “%(state)s”.", state=service.state_label(report_row.state)), "success")
    return redirect(url_for(".detail", uid=uid), code=303)


@bp.post("/<uid>/reply")
@require(PERMISSION)
def reply(uid: str):
    report_row = _report_or_404(uid)
    form = ReplyForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        msg = service.reply(sess, report_row, form.text.data, by=current_actor(), now=utcnow())
        emails.reporter_update(sess, report_row, service.read_body(report_row)["email"], message_uid=msg.uid)
    except (service.DisclosureError, NotifyError) as exc:
        sess.rollback()
        form_error(form, exc)
        return _detail(_report_or_404(uid), reply_form=form, status=400)
    audit_event("disclosure.report.reply", object_type="disclosure_report", object_id=report_row.uid,
                detail={"message": msg.uid})
    sess.commit()
    flash(_("Reply sent to the reporter."), "success")
    return redirect(url_for(".detail", uid=uid), code=303)


@bp.post("/<uid>/note")
@require(PERMISSION)
def note(uid: str):
    report_row = _report_or_404(uid)
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        msg = service.note(sess, report_row, form.text.data, by=current_actor(), now=utcnow())
    except service.DisclosureError as exc:
        sess.rollback()
        form_error(form, exc)
        return _detail(_report_or_404(uid), note_form=form, status=400)
    audit_event("disclosure.report.note", object_type="disclosure_report", object_id=report_row.uid,
                detail={"message": msg.uid})
    sess.commit()
    return redirect(url_for(".detail", uid=uid) + "#timeline", code=303)


@bp.get("/<uid>/attachments/<att_uid>")
@require(PERMISSION)
def attachment(uid: str, att_uid: str):
    report_row = _report_or_404(uid)
    att = service.get_attachment(report_row, att_uid)
    if att is None:
        abort(404)
    meta = service.attachment_meta(service.read_body(report_row), att.uid) or {}
    return downloads.send(lambda: (service.open_attachment(report_row, att), att.blob.size),
                          filename=meta.get("filename") or "attachment",
                          media_type=meta.get("media_type") or "application/octet-stream",
                          unreadable=downloads.Failure(404),
                          audit=downloads.Audit("disclosure.attachment.download", att.uid,
                                                detail={"report": report_row.uid}, object_type="disclosure_attachment"))


@bp.post("/<uid>/advisory")
@require(PERMISSION)
def publish_advisory(uid: str):
    """A draft advisory in vault.advisories from a fixed report: title, a neutral summary and the timeline
    (never the reporter's text, which may hold a working exploit); staff finish and publish it there."""
    report_row = _report_or_404(uid)
    if not AdvisoryForm().validate_on_submit():
        abort(400)
    if not service.can_become_advisory(report_row):
        abort(409)
    sess = db.session()
    now = utcnow()
    draft = service.advisory_draft(report_row, service.read_body(report_row))
    advisory = create_advisory(sess, actor=current_actor(), now=now, **draft)
    service.set_advisory(sess, report_row, advisory.advisory_id, now=now)
    audit_event("disclosure.report.advisory", object_type="disclosure_report", object_id=report_row.uid,
                detail={"advisory": advisory.advisory_id})
    sess.commit()
    flash(_("Draft advisory %(id)s created from %(reference)s: complete it and publish it here.",
            id=advisory.advisory_id, reference=report_row.reference), "success")
    return redirect(url_for("advisories_staff.edit", advisory_id=advisory.advisory_id), code=303)


@bp.route("/settings", methods=["GET", "POST"])
@require(PERMISSION)
def policy_settings():
    sess = db.session()
    row = service.get_policy(sess)
    form = PolicyForm(obj=row) if request.method == "GET" else PolicyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            service.save_policy(sess, text_en=form.text_en.data, text_zh=form.text_zh.data, by=current_actor(),
                                now=utcnow())
        except service.DisclosureError as exc:
            sess.rollback()
            form_error(form, exc)
            return render_template("disclosure/staff/settings.html", form=form), 400
        audit_event("disclosure.policy.update", object_type="disclosure_policy", object_id=row.id)
        sess.commit()
        flash(_("The disclosure policy is saved."), "success")
        return redirect(url_for(".policy_settings"), code=303)
    sess.commit()
    return render_template("disclosure/staff/settings.html", form=form)
