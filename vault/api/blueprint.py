"""The `/api/v1` blueprint: token authentication before every view, the audit record after it, rate
limits per token, and RFC 9457 problems for every error. Resource modules add their routes to `bp`."""
from __future__ import annotations

import time

from flask import Blueprint, current_app
from werkzeug.exceptions import HTTPException

from vault import db
from vault.api import auth
from vault.api.problems import ApiProblem, from_http_exception, problem_response
from vault.extensions import csrf, limiter
from vault.inputs import InvalidInput

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
# No cookie is ever read on the API (auth.authenticate), so a cross-site request carries no credential:
# CSRF tokens protect cookie-authenticated forms, and this blueprint has none.
csrf.exempt(bp)


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_rate_limit, key_func=auth.rate_key)(bp)


@bp.before_request
def _authenticate():
    auth.authenticate()


@bp.after_request
def _record(response):
    auth.record_call(response)
    return response


def _rollback():
    sess = db.session()
    if sess.in_transaction():
        sess.rollback()


@bp.errorhandler(ApiProblem)
def _problem(exc: ApiProblem):
    _rollback()
    return problem_response(exc.status, exc.detail, kind=exc.kind, field=exc.field, headers=exc.headers, **exc.extra)


@bp.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput):
    _rollback()
    return problem_response(422, str(exc), field=exc.field, code=exc.code)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    _rollback()
    resp = from_http_exception(exc)
    if exc.code == 429:
        current = limiter.current_limit
        if current is not None:
            resp.headers["Retry-After"] = str(max(1, int(current.reset_at - time.time())))
    return resp


def api_error(exc: HTTPException):
    """For errors raised before a route is chosen (unknown path, wrong method) under /api/v1:
    vault.errors hands them here by prefix (app.extensions["vault.error_prefixes"])."""
    _rollback()
    return from_http_exception(exc)


@bp.record_once
def _register_prefix(state):
    state.app.extensions.setdefault("vault.error_prefixes", {})[PREFIX + "/"] = api_error
