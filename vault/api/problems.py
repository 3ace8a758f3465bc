"""RFC 9457 problem details: every error of the API, as `application/problem+json`.

`type` is a stable URI reference naming the kind of problem: its anchor on this instance's reference page
(`/api/v1/docs#problem-<kind>`, also in docs/api.md), `title` a short summary,
`detail` what went wrong this time, naming the field (`field`) when one input was refused.
"""
from __future__ import annotations

from flask import current_app, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/docs#problem-"  # a reference into our own reference page: no domain we do not own

TITLES = {400: "Bad request", 401: "Authentication required", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 412: "Precondition failed",
          413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
          428: "Precondition required", 429: "Too many requests", 500: "Internal server error"}
KINDS = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
         406: "not-acceptable", 409: "conflict", 412: "stale-etag", 413: "too-large", 415: "unsupported-media-type",
         422: "invalid-input", 428: "if-match-required", 429: "rate-limited", 500: "server-error"}


class ApiProblem(Exception):
    """Raised by a view: answered as a problem document (after the view's session is rolled back)."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None, field: str = "",
                 headers: dict | None = None, **extra) -> None:
        super().__init__(detail)
        self.status, self.detail, self.kind, self.field = status, detail, kind, field
        self.headers, self.extra = headers or {}, extra


def problem_response(status: int, detail: str = "", *, kind: str | None = None, field: str = "",
                     headers=None, **extra):
    body = {"type": TYPE_BASE + (kind or KINDS.get(status, "error")),
            "title": TITLES.get(status) or HTTP_STATUS_CODES.get(status, "Error"),
            "status": status, "detail": detail or TITLES.get(status, ""), "instance": request.path}
    if field:
        body["field"] = field
    body.update(extra)
    resp = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for key, value in (headers.items() if isinstance(headers, dict) else (headers or [])):
        if key.lower() not in ("content-type", "content-length"):
            resp.headers[key] = value
    resp.headers["Cache-Control"] = "no-store"
    return resp


def from_http_exception(exc: HTTPException):
    status = exc.code or 500
    if status >= 500:
        detail = "An unexpected error happened and nothing was saved. Try again; the request id is in the logs."
    elif status == 429:
        detail = f"Too many requests for this token ({exc.description}). Wait and retry; see Retry-After."
    elif status == 413:
        limit = int(current_app.config.get("MAX_UPLOAD_BYTES") or 0)
        detail = f"The request body is larger than the limit of {limit} bytes."
    elif status == 405:
        detail = f"{request.method} is not allowed on {request.path}."
    elif status == 404:
        detail = "No such resource, or it is not available to this token."
    else:
        detail = TITLES.get(status, exc.name or "")
    headers = {}
    if getattr(exc, "response", None) is not None:  # flask-limiter sets Retry-After on its response
        headers.update({k: v for k, v in exc.response.headers.items()
                        if k.lower() in ("retry-after",) or k.lower().startswith("x-ratelimit")})
    headers.update({k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")})
    return problem_response(status, detail, headers=headers)
