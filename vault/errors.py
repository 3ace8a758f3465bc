"""Error pages: one template for every HTTP error, JSON for clients that ask for JSON."""
from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_babel import force_locale, gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from vault.storage.base import StorageError


def wants_json() -> bool:
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.0f} {unit}" if n % factor == 0 else f"{n / factor:.1f} {unit}"
    return f"{n} B"


def _title_and_message(exc: HTTPException) -> tuple[str, str]:
    code = exc.code
    if isinstance(exc, CSRFError):
        return _("Form expired"), _("This form has expired or is not valid. Reload the page and try again.")
    if code == 400:
        return _("Bad request"), _("The request could not be understood. Check what you entered and try again.")
    if code == 401:
        return _("Sign-in required"), _("Please sign in to continue.")
    if code == 403:
        return _("Not allowed"), _("You do not have permission to do this. Ask an administrator if you need it.")
    if code == 404:
        return _("Not found"), _("This page does not exist, or it is not available to you.")
    if code == 405:
        return _("Method not allowed"), _("This address does not accept that kind of request.")
    if code == 413:
        limit = _size(int(current_app.config.get("MAX_UPLOAD_BYTES") or 0))
        return _("File too large"), _("The file is too large. The largest file accepted is %(limit)s.", limit=limit)
    if code == 429:
        return _("Too many requests"), _("Too many attempts in a short time. Wait a few minutes and try again.")
    if code and code >= 500:
        return _("Something went wrong"), _("An unexpected error happened and nothing was saved. "
                                            "Try again; if it keeps happening, tell an administrator.")
    return exc.name, exc.description or ""


def handle_http_error(exc: HTTPException):
    # A part that answers its own error shape under a path (the REST API's problem+json) registers
    # app.extensions["vault.error_prefixes"][prefix] = handler: unknown paths and wrong methods there too.
    for prefix, handler in current_app.extensions.get("vault.error_prefixes", {}).items():
        if request.path.startswith(prefix):
            return handler(exc)
    if getattr(exc, "response", None) is not None:  # a view or extension already built the answer (e.g. 429)
        return exc.response
    code = exc.code or 500
    if code >= 500:
        sess = g.get("db_session")
        if sess is not None:
            sess.rollback()  # the page itself may need the database (current user)
    title, message = _title_and_message(exc)
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}  # Allow, Retry-After
    if wants_json():
        return {"error": message, "title": title, "status": code}, code, headers
    return render_template("errors/error.html", code=code, title=title, message=message), code, headers


def _disconnected(exc: DBAPIError) -> bool:
    """The database went away (restart, failover, a cut connection), as opposed to a bad statement."""
    if exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None)
    return isinstance(exc, OperationalError) and type(orig).__module__.startswith("psycopg")


def _backend_texts(store: bool) -> tuple[str, str]:
    if store:  # the object is written before the row, and the row rolls back: nothing was kept
        return _("File store unavailable"), _(
            "The file store could not be reached or is full, so nothing was saved. Try again in a few "
            "minutes; if it keeps happening, tell an administrator.")
    # A commit whose answer was lost may have been kept: say so rather than promise either way.
    return _("Service unavailable"), _(
        "The database did not answer, so your change may not have been saved. Wait a minute, "
        "reload the page to check, then try again.")


def handle_backend_down(exc: Exception):
    """The database or the object store failed mid-request: 503 with a page that says so and that
    nothing was saved (the transaction is rolled back; an upload's object is removed by save_blob's
    caller), instead of a bare 500. Other database errors stay bugs: re-raised as before."""
    if isinstance(exc, DBAPIError) and not _disconnected(exc):
        raise exc
    store = isinstance(exc, StorageError)
    current_app.logger.error("%s unavailable during %s %s: %s", "object store" if store else "database",
                             request.method, request.path, exc)
    sess = g.get("db_session")
    if sess is not None:
        try:
            sess.rollback()
        except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it on next use
            pass
    try:
        title, message = _backend_texts(store)
    except Exception:  # noqa: BLE001 - choosing the language reads the signed-in user, i.e. the database
        with force_locale(request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"):
            title, message = _backend_texts(store)
    headers = {"Retry-After": "30"}
    for prefix, handler in current_app.extensions.get("vault.error_prefixes", {}).items():
        if request.path.startswith(prefix):  # the REST API answers in its own shape
            return handler(ServiceUnavailable(description=message, retry_after=30))
    if wants_json():
        return {"error": message, "title": title, "status": 503}, 503, headers
    try:
        page = render_template("errors/error.html", code=503, title=title, message=message)
    except Exception:  # noqa: BLE001 - the layout needs the signed-in user, i.e. the database that is down
        page = f"<!doctype html><title>503</title><h1>503 · {escape(title)}</h1><p>{escape(message)}</p>"
    return page, 503, headers


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(StorageError, handle_backend_down)
    app.register_error_handler(DBAPIError, handle_backend_down)
