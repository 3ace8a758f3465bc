"""Logs: one line per request, a request id carried everywhere, JSON in production, text in development.

The request id comes from an incoming `X-Request-ID` only when it is a short safe token (nginx's
`$request_id`, a load balancer's id), otherwise it is made here; it is returned in the response header,
kept in a contextvar for every log line of the request, and stored with the jobs the request enqueues,
so a worker binds it again (`bind_request_id`) and the job's lines carry the same id.

What a line never holds: the raw path or query string (tokens of grant, confirmation and feed links
live in them), emails, passwords. A request line names the route by its endpoint (`access.grant_page`),
never the URL; a message that quotes the path anyway (werkzeug's and Flask's own lines do) has it
replaced by the route's rule (`/trust/access/<token>`) before it is written.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Callable

_request_id: ContextVar[str | None] = ContextVar("vault_request_id", default=None)
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")  # 8-64 characters: nginx, uuids, ulids
REQUEST_LOGGER = "vault.request"
# Probes and scrapes every few seconds: their lines are DEBUG unless they fail.
QUIET_ENDPOINTS = frozenset({"home.healthz", "home.readyz", "metrics.metrics"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def current_request_id() -> str | None:
    """The id of the request (or job) this code runs for, if any."""
    return _request_id.get()


class _Binding:
    """Returned by `bind_request_id`: the id is bound already; `with` puts the previous one back."""

    def __init__(self, token) -> None:
        self._token = token

    def __enter__(self) -> "_Binding":
        return self

    def __exit__(self, *exc) -> None:
        self.reset()

    def reset(self) -> None:
        try:
            _request_id.reset(self._token)
        except ValueError:  # reset from another context (a thread that inherited nothing): just clear
            _request_id.set(None)


def bind_request_id(value: str | None) -> _Binding:
    """Bind `value` (a job's stored request id; unsafe values are dropped) for the log lines that follow."""
    return _Binding(_request_id.set(safe_request_id(value)))


def safe_request_id(value: str | None) -> str | None:
    """`value` when it is a short token of letters, digits and `._:-`, else None (never log what a client
    chose to put in a header: newlines, markup, an email, a 4 kB string)."""
    if value and _SAFE_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


# --- formatting ---------------------------------------------------------------------------------------

_RECORD_FIELDS = frozenset(vars(logging.LogRecord("x", 0, "", 0, "", (), None))) | {"message", "asctime",
                                                                                    "request_id"}


def _extras(record: logging.LogRecord) -> dict:
    """Fields passed with `extra=` (method, route, status, duration_ms, user_id, job, ...)."""
    return {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ms), level, logger, message, request_id, then the extras."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        line.update(_extras(record))
        if record.exc_info:  # the scrubbed text when ScrubPaths made one
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a developer's terminal: time, level, logger, [request id], message, then key=value extras."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        text = super().format(record)
        extras = _extras(record)
        if extras:
            first, nl, rest = text.partition("\n")
            text = first + " " + " ".join(f"{k}={v}" for k, v in extras.items()) + nl + rest
        return text


class ScrubPaths(logging.Filter):
    """Adds the request id and replaces the raw URL of the current request in a message by its route.

    Flask logs "Exception on /trust/access/<the token> [GET]" and werkzeug's development server the whole
    request line; the route (`/trust/access/<token>`) says as much to an operator and carries no secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        raw = _raw_paths()
        if raw:
            route, paths = raw
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed call: logging reports it when formatting, not here
                return True
            scrubbed = _replace(message, paths, route)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
            if record.exc_info and not record.exc_text:
                record.exc_text = _replace(logging.Formatter().formatException(record.exc_info), paths, route)
        return True


def _replace(text: str, paths: list[str], route: str) -> str:
    for path in paths:
        text = text.replace(path, route)
    return text


def _raw_paths() -> tuple[str, list[str]] | None:
    """(route rule, [raw forms of this request's URL, longest first]) inside a request, else None."""
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover - the platform always has Flask
        return None
    if not has_request_context():
        return None
    rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    raw = {request.url, request.full_path, request.full_path.rstrip("?"), request.path,
           request.environ.get("RAW_URI", ""), request.environ.get("REQUEST_URI", "")}
    paths = sorted((p for p in raw if p and p not in ("/", rule)), key=len, reverse=True)
    return (rule, paths) if paths else None


class _DropServerRequestLines(logging.Filter):
    """werkzeug's development server logs every request line with its full URL: our own line replaces it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "werkzeug" and isinstance(record.args, tuple) and len(record.args) == 3
                    and isinstance(record.args[0], str) and " HTTP/" in record.args[0])


_HANDLER_MARK = "_vault_log_handler"
# Libraries that log routine steps at INFO (every font table subset, every migration step): their INFO is
# noise in `vault demo` and in production logs; their warnings still come through.
QUIET_LIBRARIES = ("fontTools", "fpdf", "alembic.runtime.migration", "botocore", "urllib3", "saml2")


def configure(fmt: str = "text", level: str | int = "INFO", stream=None) -> logging.Handler:
    """Send every logger's lines (root) to `stream` (stderr: journald keeps it) as `fmt` "json" or "text".

    Idempotent: the handler of an earlier call is replaced, other handlers are left alone."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter() if str(fmt).lower() == "json" else TextFormatter())
    handler.addFilter(ScrubPaths())
    handler.addFilter(_DropServerRequestLines())
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else str(level).upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler


def log_format_from(config) -> str:
    fmt = str(config.get("LOG_FORMAT") or "text").lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {fmt!r}")
    return fmt


# --- the request line ---------------------------------------------------------------------------------

RequestObserver = Callable[[str, str, int, float], None]  # route, method, status, seconds


class RequestLog:
    """WSGI middleware around the Flask app: binds the request id, returns it as `X-Request-ID`, and when
    the response is finished (streamed bodies included) logs one line and tells the observers (metrics)."""

    def __init__(self, wsgi_app, observers: list[RequestObserver] | None = None) -> None:
        self.wsgi_app = wsgi_app
        self.observers: list[RequestObserver] = list(observers or [])
        self.log = logging.getLogger(REQUEST_LOGGER)

    def __call__(self, environ, start_response):
        from werkzeug.wsgi import ClosingIterator

        rid = safe_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        environ["vault.request_id"] = rid
        binding = bind_request_id(rid)
        started = time.perf_counter()
        seen: dict = {}

        def _start_response(status, headers, exc_info=None):
            seen["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"] + [("X-Request-ID", rid)]
            return start_response(status, headers, exc_info)

        def _finished() -> None:
            try:
                self._finish(environ, seen.get("status", 500), time.perf_counter() - started)
            finally:
                binding.reset()

        try:
            body = self.wsgi_app(environ, _start_response)
        except BaseException:
            _finished()
            raise
        return ClosingIterator(body, [_finished])

    def _finish(self, environ, status: int, seconds: float) -> None:
        route = environ.get("vault.route") or "unmatched"
        method = environ.get("REQUEST_METHOD", "")
        method = method if method in _METHODS else "OTHER"
        for observe in self.observers:
            try:
                observe(route, method, status, seconds)
            except Exception:  # noqa: BLE001 - a metrics fault never breaks a response
                self.log.exception("request observer failed")
        fields = {"method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1)}
        if environ.get("vault.user_id") is not None:
            fields["user_id"] = environ["vault.user_id"]
        level = logging.ERROR if status >= 500 else logging.INFO
        if route in QUIET_ENDPOINTS:  # a failing probe is a warning: the check's own line says why
            level = logging.WARNING if status >= 400 else logging.DEBUG
        self.log.log(level, "%s %s %s %.1f ms", method, route, status, fields["duration_ms"], extra=fields)


def init_app(app) -> RequestLog:
    """Logs for this app: the root handler (unless testing: pytest keeps its own), the request line and id.

    Settings: LOG_FORMAT "text" (default) or "json"; LOG_LEVEL (default INFO)."""
    from flask import g, request
    from flask.logging import default_handler

    fmt = log_format_from(app.config)
    if not app.testing:
        configure(fmt, app.config.get("LOG_LEVEL") or "INFO")
        app.logger.removeHandler(default_handler)  # the root handler writes the app's lines too

    @app.after_request  # runs for every response: views, error pages, a limiter's 429
    def _note_route_and_user(resp):
        request.environ["vault.route"] = request.endpoint or "unmatched"
        user = g.get("_login_user")  # only a user the request loaded anyway: no session read for this
        if user is not None and getattr(user, "is_authenticated", False):
            request.environ["vault.user_id"] = user.id
        return resp

    middleware = RequestLog(app.wsgi_app)
    app.wsgi_app = middleware
    app.extensions["vault.request_log"] = middleware
    return middleware
