"""Public status pages, the Statuspage-shaped JSON API, feed, badge, widget, subscriptions and the push API.

The page, feed, badge and JSON are cached per process (see cache.py): they hold nothing per visitor,
so no flash messages, no user, no query string ends up in a cached body.
"""
from __future__ import annotations

import gzip
import json

from flask import (Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import get_locale, gettext as _

from status import api, badge, cache, feed, page, push, service, shapes, subscriptions
from status.forms import ActionForm, SubscribeForm, choices
from status.labels import overall_text, state_label, template_helpers, worst
from status.links import external_url
from vault.markdown import render as render_markdown
from status.service import StatusError
from vault import audit, db
from vault.extensions import csrf, limiter
from vault.subscriptions.pages import ListPages
from vault.web import audit_event, client_ip, form_error, is_safe_next

bp = Blueprint("status", __name__, url_prefix="/status", static_folder="static", static_url_path="/static")
bp.context_processor(template_helpers)

API_CACHE = "public, max-age=15"


def _lang() -> str:
    return "zh" if str(get_locale()).startswith("zh") else "en"


def _api_lang() -> str:
    return "zh" if request.args.get("lang") == "zh" else "en"


def _cached(key: tuple, build):
    value = cache.get().get_or_build(key, version=service.current_version(), now=service.clock(), build=build)
    if "db_session" in g:
        g.db_session.rollback()  # built from the database: end the read transaction at once
    return value


def _body(key: tuple, build, mimetype: str) -> Response:
    """The cached body, gzip-compressed once per entry for clients that accept it (the page is ~100 KB)."""
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = _cached(key + ("gzip",), lambda: gzip.compress(_cached(key, build), compresslevel=6, mtime=0))
        resp = Response(body, mimetype=mimetype)
        resp.headers["Content-Encoding"] = "gzip"
    else:
        resp = Response(_cached(key, build), mimetype=mimetype)
    return resp


def _public(resp: Response, *, cors: bool = False, vary_lang: bool = True) -> Response:
    resp.headers["Cache-Control"] = API_CACHE
    resp.headers["Vary"] = "Accept-Encoding, Cookie, Accept-Language" if vary_lang else "Accept-Encoding"
    if cors:
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Allow-Methods"] = "GET"
    return resp


# --- pages --------------------------------------------------------------------------------------

@bp.get("/")
def index():
    lang = _lang()

    def build() -> bytes:
        data = page.build(db.session(), now=service.clock())
        return render_template("status/index.html", data=data, lang=lang, overall=overall_text(data.state),
                               days=page.DAYS).encode()

    return _public(_body(("page", lang), build, "text/html"))


@bp.get("/incidents/<uid>")
def incident(uid: str):
    found = service.get_incident(db.session(), uid, public=True)
    if found is None:
        abort(404)
    lang = _lang()
    report = None
    if found.report_published_at:
        report = {"root_cause": render_markdown(found.report_root_cause),
                  "actions": render_markdown(found.report_actions)}
    return render_template("status/incident.html", incident=found, lang=lang, report=report)


@bp.get("/history")
def history():
    q = (request.args.get("q") or "").strip()[:200]
    page_no = request.args.get("page", 1, type=int) or 1
    rows, total = service.search_incidents(db.session(), q=q, page=page_no, per_page=20)
    return render_template("status/history.html", incidents=rows, total=total, q=q, page=page_no, per_page=20,
                           lang=_lang())


# --- feed, badge, widget ------------------------------------------------------------------------

def _component_arg():
    key = request.args.get("component")
    if not key:
        return None
    component = service.component_by_key(db.session(), key.strip().lower())
    if component is None:
        abort(404)
    return component


@bp.get("/feed.atom")
def feed_atom():
    lang = _lang()
    component = _component_arg()
    key = ("feed", lang, component.id if component else None)
    body = _cached(key, lambda: feed.render(db.session(), lang=lang, now=service.clock(), component=component))
    return _public(Response(body, mimetype="application/atom+xml"))


@bp.get("/badge.svg")
def badge_svg():
    lang = _lang()
    component = _component_arg()

    def build() -> bytes:
        if component is not None:
            state, label = component.state, component.name(lang)
        else:
            state = worst([c.state for c in service.list_components(db.session())])
            label = _("status")
        message = state_label(state) if component is not None else overall_text(state)
        return badge.svg(label, message, state).encode()

    body = _cached(("badge", lang, component.id if component else None), build)
    resp = Response(body, mimetype="image/svg+xml")
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return _public(resp, cors=True)


@bp.get("/widget.js")
def widget_js():
    resp = send_from_directory(bp.static_folder, "widget.js", mimetype="text/javascript", max_age=300)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.route("/widget.json", methods=["GET", "OPTIONS"])
def widget_json():
    if request.method == "OPTIONS":  # only simple GETs are allowed cross-origin
        resp = Response(status=204)
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Allow-Methods"] = "GET"
        resp.headers["Allow"] = "GET, OPTIONS"
        return resp
    lang = _api_lang()

    def build() -> bytes:
        sess = db.session()
        comps = service.list_components(sess)
        state = worst([c.state for c in comps])
        with_lang = {"lang": "zh"} if lang == "zh" else {}
        from flask_babel import force_locale
        with force_locale(lang):
            out = {"status": {"indicator": shapes.status_json(comps)["indicator"], "description": overall_text(state)},
                   "url": external_url("status.index", **with_lang),
                   "components": [{"name": c.name(lang), "status": c.state, "label": state_label(c.state)}
                                  for c in comps if c.state != "operational"],
                   "incidents": [{"name": i.title(lang), "status": i.status,
                                  "url": external_url("status.incident", uid=i.uid)}
                                 for i in service.active_incidents(sess)]}
        return json.dumps(out, ensure_ascii=False).encode()

    body = _cached(("widget", lang), build)
    return _public(Response(body, mimetype="application/json"), cors=True, vary_lang=False)


# --- JSON API (Statuspage v2 shape) ----------------------------------------------------------------

_API = {
    "summary.json": lambda s, lang: api.summary(s, lang=lang),
    "status.json": lambda s, lang: api.status_doc(s),
    "components.json": lambda s, lang: api.components_doc(s, lang=lang),
    "incidents.json": lambda s, lang: api.incidents_doc(s, lang=lang),
    "incidents/unresolved.json": lambda s, lang: api.incidents_doc(s, lang=lang, unresolved=True),
    "scheduled-maintenances.json": lambda s, lang: api.maintenances_doc(s, lang=lang),
    "scheduled-maintenances/upcoming.json": lambda s, lang: api.maintenances_doc(s, lang=lang, which="upcoming"),
    "scheduled-maintenances/active.json": lambda s, lang: api.maintenances_doc(s, lang=lang, which="active"),
}


@bp.get("/api/v2/<path:name>")
def api_v2(name: str):
    builder = _API.get(name)
    if builder is None:
        abort(404)
    lang = _api_lang()
    resp = _body(("api", name, lang), lambda: json.dumps(builder(db.session(), lang), ensure_ascii=False).encode(),
                 "application/json")
    return _public(resp, cors=True, vary_lang=False)


# --- subscriptions ------------------------------------------------------------------------------

def _component_choices(form) -> list:
    comps = service.list_components(db.session())
    form.components.choices = choices((c.id, c.name(_lang())) for c in comps)
    return comps


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def subscribe():
    form = SubscribeForm()
    _component_choices(form)
    if request.method == "POST" and form.validate():
        sess = db.session()
        now = service.clock()
        ids = [int(x) for x in (form.components.data or []) if str(x).isdigit()]
        everything = bool(form.everything.data) or not ids
        try:
            if form.channel.data == "email":
                sub = subscriptions.subscribe_email(sess, email=form.email.data, component_ids=ids,
                                                    all_components=everything, locale=_lang(), now=now)
                audit_event("status.subscribe", object_type="status_subscriber", object_id=sub.uid,
                            detail={"channel": "email"})
                sess.commit()
                return render_template("status/subscribed.html", channel="email", lang=_lang())
            sub, secret = subscriptions.subscribe_webhook(sess, channel=form.channel.data, url=form.url.data,
                                                          component_ids=ids, all_components=everything,
                                                          locale=_lang(), secret=form.secret.data, now=now)
            audit_event("status.subscribe", object_type="status_subscriber", object_id=sub.uid,
                        detail={"channel": sub.channel})
            sess.commit()
            return render_template("status/subscribed.html", channel=sub.channel, secret=secret,
                                   unsubscribe=subscriptions.unsubscribe_url(sub), lang=_lang())
        except StatusError as exc:
            sess.rollback()
            form_error(form, exc)
    return render_template("status/subscribe.html", form=form, lang=_lang()), 400 if form.errors else 200


def _message(title: str, message: str, status: int = 200):
    return render_template("status/message.html", lang=_lang(), title=title, message=message), status


EMAIL_PAGES = ListPages(
    subscriptions.EMAILS, object_type="status_subscriber", message=_message,
    invalid_title=lambda: _("Link not valid"),
    invalid=lambda: _("This confirmation link has expired or was already used. Subscribe again to get a new one."),
    confirmed=lambda email: _("You will receive status updates at %(email)s. Every message has a link to "
                              "unsubscribe.", email=email),
    unknown=lambda: _("This subscription does not exist (any more)."),
    unsubscribed=lambda target: _("%(target)s will receive no more status updates.", target=target))


@bp.route("/subscribe/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button; only the POST confirms (mail scanners follow links); a stale form shows it again."""
    return EMAIL_PAGES.confirm(token, ActionForm(), now=service.clock(), audit_action="status.subscribe.confirm",
                               button=lambda form, sub: render_template("status/confirm.html", form=form, sub=sub,
                                                                        lang=_lang()),
                               stale_form_shows_button=True)


@bp.route("/unsubscribe/<uid>/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without our form; the URL's HMAC is the proof
def unsubscribe(uid: str, token: str):
    """Also for webhooks: their payloads carry the same link."""
    return EMAIL_PAGES.unsubscribe(uid, token, audit_action="status.unsubscribe",
                                   button=lambda sub: render_template("status/unsubscribe.html", sub=sub,
                                                                      lang=_lang()))


# --- monitoring push API ------------------------------------------------------------------------

def _push(parse):
    sess = db.session()
    token = push.authenticate(sess, request.headers.get("Authorization"))
    if token is None:
        audit.record(sess, "status.push", actor="anonymous", ip=client_ip(), outcome="denied",
                     detail={"path": request.path})
        sess.commit()
        resp = jsonify(error="A valid, unrevoked push token is required (Authorization: Bearer tvs_...).")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="status push"'
        return resp, 401
    body = request.get_json(silent=True, force=True)
    try:
        items, ignored = parse(body)
    except push.PayloadError as exc:
        sess.rollback()
        return jsonify(error=str(exc)), 400
    results = push.apply(sess, token, items, now=service.clock())
    audit.record(sess, "status.push", actor=f"push:{token.name}", object_type="status_push_token",
                 object_id=token.uid, ip=client_ip(),
                 outcome="ok" if all(r.ok for r in results) else "failed",
                 detail={"results": [r.as_json() for r in results][:50], "ignored": ignored})
    sess.commit()
    if all(r.ok for r in results):
        status = 200
    elif any(r.ok for r in results):
        status = 207  # some applied: the body says which
    else:
        status = 403 if any(r.error == push.OUT_OF_SCOPE for r in results) else 422
    return jsonify(results=[r.as_json() for r in results], ignored=ignored), status


@bp.post("/api/push/v1/components")
@csrf.exempt
@limiter.limit("600 per minute")
def push_generic():
    return _push(lambda body: (push.parse_generic(body), 0))


@bp.post("/api/push/v1/alertmanager")
@csrf.exempt
@limiter.limit("600 per minute")
def push_alertmanager():
    open_incident = request.args.get("open_incident") in ("1", "true", "yes")
    return _push(lambda body: push.parse_alertmanager(body, open_incident=open_incident))


@bp.get("/lang/<code>")
def set_language(code: str):
    """The public pages' own language switch: back to the status page the reader was on (only a
    /status/ path), never elsewhere."""
    from vault.i18n import LANG_COOKIE, without_lang_param
    home = url_for("status.index")
    target = request.args.get("next")
    resp = redirect(without_lang_param(target) if is_safe_next(target) and target.startswith(home) else home)
    if code in current_app.config["LANGUAGES"]:
        resp.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp
