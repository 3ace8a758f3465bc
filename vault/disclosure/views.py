"""The public side of vulnerability disclosure: security.txt, the policy, the report form, the reporter's
private status link and the hall of fame. No sign-in: the private link's token is the only credential."""
from __future__ import annotations

from contextlib import ExitStack

from flask import (Blueprint, Response, abort, current_app, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale, gettext as _

from vault import db
from vault.db import utcnow
from vault.disclosure import emails, service, signing
from vault.disclosure.forms import FollowupForm, ReportForm, severity_choices
from vault.documents.validation import UploadRefused, check_upload, spool
from vault.extensions import limiter
from vault.notify import NotifyError
from vault.trust import service as trust
from vault.web import audit_event, external_url, form_error

bp = Blueprint("disclosure", __name__)


@bp.record_once
def _defaults(state) -> None:
    config = state.app.config
    for key, value in (("DISCLOSURE_CONTACT_EMAIL", None), ("DISCLOSURE_EXPIRES", None),
                       ("DISCLOSURE_EXPIRES_DAYS", 300), ("DISCLOSURE_ENCRYPTION_URL", None),
                       ("DISCLOSURE_PGP_KEY", None), ("DISCLOSURE_PGP_PASSPHRASE", None),
                       ("DISCLOSURE_REPORT_LIMIT", "5 per hour"), ("DISCLOSURE_FOLLOWUP_LIMIT", "20 per hour"),
                       ("DISCLOSURE_MIN_FILL_SECONDS", 4), ("DISCLOSURE_REPORTS_PER_ADDRESS", 3),
                       ("DISCLOSURE_MAX_ATTACHMENTS", 3), ("DISCLOSURE_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)):
        config.setdefault(key, value)


@bp.context_processor
def _public_layout() -> dict:
    return {**trust.layout_context(db.session(), current_app.config["COMPANY_NAME"]),
            "state_label": service.state_label, "severity_label": service.severity_label}


def settings() -> service.Settings:
    return service.Settings.from_config(current_app.config)


# --- security.txt ---------------------------------------------------------------------------------

def _https(url: str | None) -> str:
    """security.txt is only valid over HTTPS (RFC 9116 section 3): its URLs say https even behind a proxy
    that speaks plain HTTP to us."""
    url = url or ""
    return "https://" + url[len("http://"):] if url.startswith("http://") else url


def security_txt_text() -> str:
    """The file as served: signed when DISCLOSURE_PGP_KEY is set and gpg can sign with it."""
    conf = settings()
    urls = service.SecurityTxtUrls(canonical=_https(external_url("disclosure.security_txt")),
                                   report_form=_https(external_url("disclosure.report")),
                                   policy=_https(external_url("disclosure.policy")),
                                   acknowledgments=_https(external_url("disclosure.thanks")))
    text = service.security_txt(conf, urls, now=utcnow())
    if not conf.pgp_key:
        return text
    cache = current_app.extensions.setdefault("disclosure.signed", {})
    if text not in cache:
        try:
            signed = signing.clearsign(text, conf.pgp_key, passphrase=conf.pgp_passphrase)
        except signing.SigningError as exc:
            current_app.logger.error("security.txt served unsigned: %s", exc)
            return text
        cache.clear()  # one day's file at a time
        cache[text] = signed
    return cache[text]


@bp.get("/.well-known/security.txt")
def security_txt():
    resp = Response(security_txt_text(), mimetype="text/plain")
    resp.headers["Content-Type"] = "text/plain; charset=utf-8"
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.get("/security.txt")
def legacy_security_txt():
    return redirect(url_for(".security_txt"), code=301)


# --- the policy and the hall of fame ----------------------------------------------------------------

@bp.get("/trust/security/disclosure")
def policy():
    sess = db.session()
    text = service.policy_for(service.get_policy(sess), str(get_locale()))
    return _committed(render_template("disclosure/policy.html", text=text, conf=settings()))


def _committed(page):
    """Commit after rendering: the policy and the trust profile rows may have just been created, and an
    open write would hold SQLite's lock while the response is finished."""
    db.session().commit()
    return page


@bp.get("/trust/security/thanks")
def thanks():
    return _committed(render_template("disclosure/thanks.html", credits=service.hall_of_fame(db.session())))


# --- the report form --------------------------------------------------------------------------------

def _report_limit() -> str:
    return current_app.config["DISCLOSURE_REPORT_LIMIT"]


def _form_page(form: ReportForm, status: int = 200):
    form.severity.choices = severity_choices()
    form.started.data = service.form_stamp(current_app.config["SECRET_KEY"], utcnow())
    conf = settings()
    return _committed(render_template("disclosure/report.html", form=form, conf=conf,
                                      max_mb=conf.max_attachment_bytes // (1024 * 1024))), status


def _uploads():
    return [f for f in request.files.getlist("attachments") if f and f.filename]


def _refuse_bot(form: ReportForm, reason: str):
    """Honeypot or timing: nothing stored, the refusal audited, and a message a person can act on."""
    sess = db.session()
    sess.rollback()
    audit_event("disclosure.report.create", object_type="disclosure_report", outcome="denied",
                detail={"refused": reason})
    sess.commit()
    return _form_page(form, 400)


@bp.route("/trust/security/report", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"])
def report():
    if request.method == "POST":
        # The whole request, before any part of it is read: the files allowed plus the text fields.
        conf = settings()
        request.max_content_length = conf.max_attachments * conf.max_attachment_bytes + 1024 * 1024
    form = ReportForm()
    if request.method == "GET":
        return _form_page(form)
    if not form.validate_on_submit():
        abort(400)
    conf = settings()
    now = utcnow()
    if form.website.data:
        form.form_errors.append(_("Your report could not be accepted. Send it again without filling in hidden "
                                  "fields."))
        return _refuse_bot(form, "honeypot")
    try:
        service.check_stamp(current_app.config["SECRET_KEY"], form.started.data, now=now, settings=conf)
    except service.DisclosureError as exc:
        form.form_errors.append(str(exc))
        return _refuse_bot(form, exc.code)
    inp = service.ReportInput(name=form.name.data, email=form.email.data, title=form.title.data,
                              description=form.description.data, product=form.product.data,
                              severity_guess=form.severity.data or "unknown", credit=form.credit.data,
                              language=str(get_locale()))
    sess = db.session()
    uploads = _uploads()
    try:
        inp = service.check_report(inp)  # field errors first, before any file is read
        if len(uploads) > conf.max_attachments:
            raise service.DisclosureError("attachments", _("Attach at most %(max)d files.", max=conf.max_attachments),
                                          "attachments")
        report_row, token = _store(sess, inp, uploads, conf, now)
    except (service.DisclosureError, UploadRefused) as exc:
        sess.rollback()
        if isinstance(exc, UploadRefused):
            exc.field = "attachments"
        form_error(form, exc)
        return _form_page(form, 400)
    try:
        emails.acknowledgement(sess, report_row, inp.email, token)
    except NotifyError:
        sess.rollback()
        form.email.errors = [_("We cannot send email to this address. Check it and try again.")]
        return _form_page(form, 400)
    emails.staff_new_report(sess, report_row, service.security_staff(sess))
    audit_event("disclosure.report.create", object_type="disclosure_report", object_id=report_row.uid,
                detail={"reference": report_row.reference, "severity_guess": report_row.severity_guess,
                        "attachments": len(report_row.attachments)})
    return _committed(render_template("disclosure/received.html", reference=report_row.reference))


def _store(sess, inp, uploads, conf, now):
    """Each upload through the document checks (spool, name, type against content), then the report."""
    with ExitStack() as stack:
        files = [check_upload(stack.enter_context(spool(upload.stream, max_bytes=conf.max_attachment_bytes)),
                              upload.filename) for upload in uploads]
        return service.create_report(sess, inp, files, secret=current_app.config["SECRET_KEY"], settings=conf, now=now)


# --- the reporter's private link ---------------------------------------------------------------------

def _by_token(token: str):
    found = service.find_by_token(db.session(), token)
    if found is None:
        abort(404)
    return found


def _status_page(report_row, form: FollowupForm, status: int = 200):
    body = service.read_body(report_row)
    timeline = [(m, service.read_message(report_row, m)) for m in service.visible_to_reporter(report_row)]
    resp = make_response(_committed(render_template("disclosure/status.html", report=report_row, body=body,
                                                    timeline=timeline, form=form,
                                                    closed=report_row.state in service.CLOSED)), status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/trust/security/report/<token>")
def status(token: str):
    report_row = _by_token(token)
    audit_event("disclosure.report.view", object_type="disclosure_report", object_id=report_row.uid,
                actor="reporter", detail={"via": "private_link"})
    return _status_page(report_row, FollowupForm(formdata=None))


def _followup_limit() -> str:
    return current_app.config["DISCLOSURE_FOLLOWUP_LIMIT"]


@bp.post("/trust/security/report/<token>")
@limiter.limit(_followup_limit)
def followup(token: str):
    report_row = _by_token(token)
    form = FollowupForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        msg = service.followup(sess, report_row, form.text.data, now=utcnow())
    except service.DisclosureError as exc:
        sess.rollback()
        form_error(form, exc)
        return _status_page(_by_token(token), form, 400)
    emails.staff_followup(sess, report_row, service.security_staff(sess), message_uid=msg.uid)
    audit_event("disclosure.report.followup", object_type="disclosure_report", object_id=report_row.uid,
                actor="reporter", detail={"message": msg.uid})
    sess.commit()
    return redirect(url_for(".status", token=token) + "#timeline", code=303)
