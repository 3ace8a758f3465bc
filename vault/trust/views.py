"""The public trust center (no sign-in) and its subprocessor list; the staff pages are in staff.py."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import get_locale, gettext as _

from status import public as status_page
from vault import db, downloads
from vault.access import service as access
from vault.auth.forms import ActionForm
from vault.db import utcnow
from vault.documents import service as documents
from vault.documents.labels import template_helpers
from vault.extensions import csrf, limiter
from vault.storage.service import open_blob
from vault.subscriptions.pages import ListPages
from vault.trust import notices, service, subprocessors as subs
from vault.trust.forms import SubprocessorSubscribeForm
from vault.trust.models import logo_context
from vault.web import audit_event, client_ip

bp = Blueprint("trust", __name__)
bp.context_processor(template_helpers)


def trust_context() -> dict:
    return service.layout_context(db.session(), current_app.config["COMPANY_NAME"])


bp.context_processor(trust_context)
bp.context_processor(lambda: {"website_host": subs.website_host})


def _today():
    return utcnow().date()


@bp.get("/trust/")
def index():
    sess = db.session()
    profile = service.get_profile(sess)
    page = service.public_page(sess, today=_today(), warning_days=current_app.config["EXPIRY_WARNING_DAYS"])
    current = subs.current_subprocessors(sess, _today())
    sess.commit()  # the profile row may have just been created
    return render_template("trust/index.html", profile=profile, page=page, service_status=status_page.headline(sess),
                           subprocessors=current)


@bp.get("/trust/logo")
def logo():
    profile = service.get_profile(db.session())
    if profile.logo_blob is None:
        abort(404)
    return downloads.send(lambda: (open_blob(profile.logo_blob, context=logo_context(profile.logo_uid)),
                                   profile.logo_blob.size),
                          filename="logo", media_type=profile.logo_media_type, unreadable=downloads.Failure(404),
                          inline=True, public_max_age=300)


@bp.get("/trust/documents/<uid>/download")
def public_download(uid: str):
    """A public document's current version, as uploaded; the visitor's address is logged."""
    sess = db.session()
    found = service.public_document(sess, uid)
    if found is None:
        audit_event("trust.download", object_type="document", object_id=uid[:64], outcome="denied",
                    detail={"refused": "not_public"})
        sess.commit()
        abort(404)
    document, version = found
    if request.method == "HEAD":
        return downloads.head_response(version.filename, version.media_type, version.size)

    def record() -> dict:
        dl = access.record_download(sess, grant=None, version=version, marking="public", ip=client_ip(),
                                    user_agent=request.user_agent.string, now=utcnow())
        return {"download_id": dl.download_id}

    return downloads.send(lambda: (documents.open_version(version), version.size), filename=version.filename,
                          media_type=version.media_type, unreadable=downloads.Failure(503),
                          audit=downloads.Audit("trust.download", version.uid, {"document": document.uid}),
                          on_opened=record)


@bp.record_once
def _defaults(state) -> None:
    state.app.config.setdefault("TRUST_SUBSCRIBE_LIMIT", "10 per hour")


@bp.get("/trust/subprocessors")
def subprocessors(form: SubprocessorSubscribeForm | None = None):
    return render_template("trust/subprocessors.html", listing=subs.public_list(db.session(), _today()),
                           removed_days=subs.RECENTLY_REMOVED_DAYS, form=form or SubprocessorSubscribeForm())


# --- subscriptions to changes (public; see notices.py) ----------------------------------------------

def _subscribe_limit() -> str:
    return current_app.config["TRUST_SUBSCRIBE_LIMIT"]


def _notice_page(title: str, message: str, status: int = 200):
    return render_template("trust/subprocessor_notice_message.html", title=title, message=message), status


NOTICE_PAGES = ListPages(
    notices.SUBSCRIBERS, object_type="subprocessor_subscriber", message=_notice_page,
    invalid=lambda: _("The confirmation link has expired, was already used, or is not complete. Subscribe again "
                      "on the subprocessors page to get a new one."),
    confirmed=lambda email: _("We will email %(email)s when a subprocessor is added, removed or restored. Every "
                              "message has a link to unsubscribe.", email=email),
    unsubscribed=lambda email: _("%(email)s will receive no more notices of subprocessor changes.", email=email))


def _start(sess, email: str):
    locale = "zh" if str(get_locale()).startswith("zh") else "en"
    return notices.subscribe(sess, email=email, locale=locale, now=utcnow())


@bp.post("/trust/subprocessors/subscribe")
@limiter.limit(_subscribe_limit)
def subprocessor_subscribe():
    return NOTICE_PAGES.subscribe(SubprocessorSubscribeForm(), audit_action="trust.subprocessors.subscribe",
                                  start=_start, form_page=subprocessors)


@bp.route("/trust/subprocessors/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"])
def subprocessor_confirm(token: str):
    return NOTICE_PAGES.confirm(token, ActionForm(), now=utcnow(), audit_action="trust.subprocessors.subscribe.confirm",
                                button=lambda form, sub: render_template("trust/subprocessor_confirm.html", form=form,
                                                                         sub=sub))


@bp.route("/trust/subprocessors/unsubscribe/<uid>/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without our form; the URL's HMAC is the proof
def subprocessor_unsubscribe(uid: str, token: str):
    return NOTICE_PAGES.unsubscribe(uid, token, audit_action="trust.subprocessors.unsubscribe",
                                    button=lambda sub: render_template("trust/subprocessor_unsubscribe.html", sub=sub))


@bp.get("/trust/subprocessors.json")
def subprocessors_json():
    today = _today()
    listing = subs.public_list(db.session(), today)
    resp = jsonify({
        "as_of": today.isoformat(),
        "current": [subs.public_record(sp) for sp in listing.current],
        "announced": [subs.public_record(sp) for sp in listing.announced],
        "recently_removed": [subs.public_record(sp) for sp in listing.removed],
    })
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # public data, read by customers' vendor-review tools
    return resp
