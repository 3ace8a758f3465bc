"""Public pages of the security advisories, under the trust center (no sign-in): the list with the
announcements and the subscribe form, one advisory, one announcement, the Atom feed, CSAF 2.0 JSON, and
the mailing list's confirm and unsubscribe links. Drafts do not exist here (404)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template
from flask_babel import get_locale, gettext as _

from vault import db
from vault.advisories import csaf, emails, feed, service
from vault.advisories.forms import SubscribeForm
from vault.advisories.labels import template_helpers
from vault.auth.forms import ActionForm
from vault.db import utcnow
from vault.extensions import csrf, limiter
from vault.markdown import render as render_markdown
from vault.subscriptions.pages import ListPages
from vault.trust import service as trust
from vault.web import external_url, public_base_url

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


LIST_PAGES = ListPages(
    emails.SUBSCRIBERS, object_type="advisory_subscriber", message=_message,
    invalid=lambda: _("The confirmation link has expired, was already used, or is not complete. Subscribe again "
                      "on the advisories page to get a new one."),
    confirmed=lambda email: _("We will email %(email)s when we publish a security advisory. Every message has a "
                              "link to unsubscribe.", email=email),
    unsubscribed=lambda email: _("%(email)s will receive no more security advisories.", email=email))


@bp.post("/trust/advisories/subscribe")
@limiter.limit(_subscribe_limit)
def subscribe():
    return LIST_PAGES.subscribe(SubscribeForm(), audit_action="advisories.subscribe", form_page=index,
                                start=lambda sess, email: emails.subscribe(sess, email=email, locale=_lang(),
                                                                           now=utcnow()))


@bp.route("/trust/advisories/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"])
def confirm(token: str):
    return LIST_PAGES.confirm(token, ActionForm(), now=utcnow(), audit_action="advisories.subscribe.confirm",
                              button=lambda form, sub: _page("advisories/confirm.html", form=form, sub=sub))


@bp.route("/trust/advisories/unsubscribe/<uid>/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without our form; the URL's HMAC is the proof
def unsubscribe(uid: str, token: str):
    return LIST_PAGES.unsubscribe(uid, token, audit_action="advisories.unsubscribe",
                                  button=lambda sub: _page("advisories/unsubscribe.html", sub=sub))
