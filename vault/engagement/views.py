"""Counting visits of the public trust pages: a hook on every request, no route and no script.

First-party only: the page itself is counted on the server after it is rendered, so no third-party or
inline script runs and nothing is fingerprinted. A visitor is a random value in our own cookie
(HttpOnly, SameSite=Lax, Secure over https, 180 days from the first visit, never extended); only its
SHA-256 is stored, with no IP address, no path (personal links carry tokens) and no user agent.

When the browser sends `DNT: 1` or `Sec-GPC: 1` the page is still counted, anonymously: no cookie is
set (one already set is removed), no visitor is stored and the visit is never linked to a company.
A count with no identifier tracks nobody, and leaving those visits out would make the dashboard's
totals wrong by a share nobody can estimate (docs/engagement.md).

Not counted: bots (by User-Agent), HEAD and other non-GET requests, error responses, signed-in staff
previewing the pages, and non-pages (logo, JSON, static files). The count is one small insert on its
own short transaction once the page's session is closed; a failure is logged and never breaks the page.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm import Session

from vault import db
from vault.db import utcnow
from vault.engagement import service

bp = Blueprint("engagement", __name__)
log = logging.getLogger(__name__)

# The blueprints of the public trust center; other public pages under /trust/ count by their path.
PUBLIC_BLUEPRINTS = ("trust.", "access.")
REQUEST_ENDPOINT = "access.request_access"  # a successful POST here is an access request: link the visitor
NOT_PAGES = ("application/json", "text/css", "application/javascript", "text/javascript")


@bp.record_once
def _defaults(state) -> None:
    config = state.app.config
    config.setdefault("ENGAGEMENT_ENABLED", True)
    config.setdefault("ENGAGEMENT_COOKIE", "tv_visitor")
    config.setdefault("ENGAGEMENT_RETENTION_DAYS", service.RETENTION_DAYS)
    # First in the list = run last (Flask runs these in reverse): after vault.db has closed the session.
    state.app.teardown_appcontext_funcs.insert(0, _write_pending)


def _is_public_trust_request() -> bool:
    endpoint = request.endpoint or ""
    return endpoint.startswith(PUBLIC_BLUEPRINTS) or request.path.startswith("/trust/")


def _staff_signed_in() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # noqa: BLE001 (no login manager on this request)
        return False


@bp.after_app_request
def _count_visit(response):
    if not current_app.config.get("ENGAGEMENT_ENABLED") or not _is_public_trust_request():
        return response
    try:
        _record(response)
    except Exception:  # noqa: BLE001 - counting must never break a page
        log.exception("engagement: the visit was not recorded")
    return response


def _record(response) -> None:
    endpoint = request.endpoint or ""
    is_request_post = request.method == "POST" and endpoint == REQUEST_ENDPOINT and response.status_code == 200
    if not (request.method == "GET" or is_request_post) or response.status_code >= 400:
        return
    if service.is_bot(request.user_agent.string) or _staff_signed_in():
        return
    page = None
    if not is_request_post:
        page = service.classify(endpoint, request.view_args)
        if page is None or response.mimetype in NOT_PAGES:
            return
    cookie_name = current_app.config["ENGAGEMENT_COOKIE"]
    if service.opted_out(request.headers.get("DNT"), request.headers.get("Sec-GPC")):
        if cookie_name in request.cookies:
            response.delete_cookie(cookie_name, httponly=True, samesite="Lax", secure=request.is_secure)
        visitor = ""
    else:
        visitor = service.visitor_key(request.cookies.get(cookie_name))
        if not visitor and response.cache_control.public:
            visitor = ""  # a response a shared cache may keep must not carry anyone's cookie
        elif not visitor:
            value = service.new_cookie_value()
            response.set_cookie(cookie_name, value, max_age=service.COOKIE_DAYS * 86400, httponly=True,
                                samesite="Lax", secure=request.is_secure)
            visitor = service.visitor_key(value)
    # Written once the request's own session is closed (see _write_pending): a page may leave a flushed,
    # uncommitted row behind (rolled back at teardown), and on SQLite that holds the write lock.
    email = request.form.get("email") if is_request_post else None
    g.engagement_pending = (visitor, page, endpoint, str(get_locale()), email)


def _write_pending(exc) -> None:
    """Last teardown of the app context, after vault.db closed the request's session: one short transaction."""
    pending = g.pop("engagement_pending", None)
    if pending is None or exc is not None:
        return
    visitor, page, endpoint, language, email = pending
    try:
        with Session(db.engine()) as sess:
            if page is None:
                if not visitor:
                    return
                service.link_visitor(sess, visitor=visitor, email=email, now=utcnow())
            else:
                service.record_visit(sess, visitor=visitor, page=page, endpoint=endpoint, language=language,
                                     now=utcnow())
            sess.commit()
    except Exception:  # noqa: BLE001 - counting must never break a page
        log.exception("engagement: the visit was not recorded")
