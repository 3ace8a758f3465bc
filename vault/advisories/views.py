"""Public pages of the security advisories, under the trust center (no sign-in): the list with the
announcements and the subscribe form, one advisory, one announcement, the Atom feed, CSAF 2.0 JSON, and
the mailing list's confirm and unsubscribe links. Drafts do not exist here (404)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import get_locale, gettext as _

from vault import db
from vault.advisories import csaf, emails, feed, service
from vault.advisories.forms import SubscribeForm
from vault.advisories.labels import template_helpers
from vault.auth.forms import ActionForm
from vault.db import utcnow
from vault.extensions import csrf, limiter
from vault.inputs import InvalidInput
from vault.markdown import render as render_markdown
from vault.notify import NotifyError
from vault.trust import service as trust
from vault.web import audit_event, external_url, public_base_url

bp = Blueprint("advisories", __name__)
bp.context_processor(template_helpers)
bp.context_processor(lambda: {"markdown": render_markdown})


@bp.context_processor
def trust_context() -> dict:
    return trust.layout_context(db.session(), current_app.config["COMPANY_NAME"])


@bp.record_once
def _defaults(state) -> None:
    state.app.config.setdefault("ADVISORY_SUBSCRIBE_LIMIT", "10 per hour")


def _page(template: str, status: int = 200, **context):
    """Render, then commit: the layout's trust profile row may have just been created (as on /trust/)."""
    html = render_template(template, **context)
    db.session().commit()
    return html, status


def _lang() -> str:
    return "zh" if str(get_locale()).startswith("zh") else "en"


@bp.get("/trust/advisories")
def index(form: SubscribeForm | None = None):
    sess = db.session()
    return _page("advisories/index.html", advisories=service.published_advisories(sess),
                 announcements=service.announcements(sess, 20), form=form or SubscribeForm())


@bp.get("/trust/advisories/<advisory_id>")
def detail(advisory_id: str):
    advisory = service.get_published(db.session(), advisory_id) or abort(404)
    return _page("advisories/detail.html", advisory=advisory)


@bp.get("/trust/advisories/<advisory_id>.json")
def csaf_json(advisory_id: str):
    advisory = service.get_published(db.session(), advisory_id) or abort(404)
    doc = csaf.document(advisory, publisher=emails.company_name(db.session()), namespace=public_base_url() or "",
                        self_url=external_url("advisories.csaf_json", advisory_id=advisory.advisory_id))
    db.session().commit()  # the trust profile row may have just been created
    resp = jsonify(doc)
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # public data, read by vulnerability-management tools
    return resp


@bp.get("/trust/advisories/announcements/<uid>")
def announcement(uid: str):
    row = service.get_announcement(db.session(), uid) or abort(404)
    return _page("advisories/announcement.html", announcement=row)


@bp.get("/trust/advisories.atom")
def feed_atom():
    body = feed.render(db.session(), lang=_lang(), now=utcnow())
    db.session().commit()  # the trust profile row may have just been created
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": "public, max-age=300"})


# --- the mailing list (double opt-in, see emails.py) ----------------------------------------------

def _subscribe_limit() -> str:
    return current_app.config["ADVISORY_SUBSCRIBE_LIMIT"]


def _message(title: str, message: str, status: int = 200):
    return _page("advisories/message.html", status, title=title, message=message)


@bp.post("/trust/advisories/subscribe")
@limiter.limit(_subscribe_limit)
def subscribe():
    form = SubscribeForm()
    if not form.validate_on_submit():
        abort(400)  # the CSRF token is missing or stale
    sess = db.session()
    try:
        sub = emails.subscribe(sess, email=form.email.data, locale=_lang(), now=utcnow())
    except (InvalidInput, NotifyError) as exc:
        sess.rollback()
        form.email.errors = [str(exc) if isinstance(exc, InvalidInput)
                             else _("We cannot send email to this address. Check it and try again.")]
        html, _status = index(form)
        return html, 400
    audit_event("advisories.subscribe", object_type="advisory_subscriber", object_id=sub.uid)
    sess.commit()
    # The same answer for a new and an already subscribed address: the page tells nobody who follows us.
    return _message(_("Check your inbox"),
                    _("If %(email)s can receive mail, a confirmation link is on its way. Your subscription "
                      "starts when you open it and press the button.", email=sub.email))


@bp.route("/trust/advisories/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"])
def confirm(token: str):
    """GET shows a button; only the POST confirms (mail scanners follow links)."""
    sess = db.session()
    sub = emails.pending_by_token(sess, token, now=utcnow())
    if sub is None:
        return _message(_("This link is not valid"),
                        _("The confirmation link has expired, was already used, or is not complete. "
                          "Subscribe again on the advisories page to get a new one."), 404)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        emails.confirm(sess, sub, now=utcnow())
        audit_event("advisories.subscribe.confirm", object_type="advisory_subscriber", object_id=sub.uid)
        sess.commit()
        return _message(_("Subscription confirmed"),
                        _("We will email %(email)s when we publish a security advisory. Every message has a "
                          "link to unsubscribe.", email=sub.email))
    return _page("advisories/confirm.html", form=form, sub=sub)


@bp.route("/trust/advisories/unsubscribe/<uid>/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without our form; the URL's HMAC is the proof
def unsubscribe(uid: str, token: str):
    sess = db.session()
    sub = emails.by_unsubscribe_token(sess, uid, token)
    if sub is None:
        return _message(_("Not subscribed"),
                        _("This subscription does not exist (any more), or the link is not complete."), 404)
    if request.method == "POST":
        email = sub.email
        emails.unsubscribe(sess, sub)
        audit_event("advisories.unsubscribe", object_type="advisory_subscriber", object_id=uid,
                    detail={"one_click": request.form.get("List-Unsubscribe") == "One-Click"})
        sess.commit()
        return _message(_("Unsubscribed"), _("%(email)s will receive no more security advisories.", email=email))
    return _page("advisories/unsubscribe.html", sub=sub)
