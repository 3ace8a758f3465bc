"""Streamed downloads of stored files: the one sequence every download view follows.

Open the stored object; if it cannot be read, undo the request's unsaved work, record the failure in
the audit trail (committed on its own), log it if asked and answer with a page; otherwise record the
download, commit, and stream. HEAD requests get `head_response`: headers only, nothing read or counted.

Platform code: features pass their own open function, audit event and error pages in; nothing here
knows documents, grants or watermarks. The response headers themselves are `vault.http.stream_download`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from flask import Response, abort, current_app, render_template

from vault import db
from vault.crypto import IntegrityError
from vault.http import content_disposition, stream_download
from vault.storage.base import StorageError
from vault.web import audit_event

# A stored object that is missing, unreadable or fails its integrity check.
UNREADABLE = (IntegrityError, StorageError)

Opener = Callable[[], tuple[Iterable[bytes], int]]


def short_error(exc: BaseException) -> str:
    return str(exc)[:200]


def typed_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


@dataclass(frozen=True)
class Failure:
    """The answer when the file cannot be sent: the error page with `title` and `message`, or a bare
    `abort(status)` (the app's own error page) when there is no title. `log` is a logger format taking
    the object id and the error; empty means not logged."""
    status: int
    title: str = ""
    message: str = ""
    log: str = ""

    def respond(self, object_id: str, exc: BaseException):
        if self.log:
            current_app.logger.error(self.log, object_id, exc)
        if not self.title:
            abort(self.status)
        return render_template("errors/error.html", code=self.status, title=self.title,
                               message=self.message), self.status


@dataclass(frozen=True)
class Audit:
    """The event a download writes: outcome ok when streamed, failed (with the error) when not."""
    action: str
    object_id: str
    detail: dict = field(default_factory=dict)
    object_type: str = "version"
    error_text: Callable[[BaseException], str] = short_error


def send(open_file: Opener, *, filename: str, media_type: str, unreadable: Failure, audit: Audit | None = None,
         failures: Mapping[type[BaseException], Failure] | None = None, on_opened: Callable[[], dict] | None = None,
         inline: bool = False, public_max_age: int | None = None):
    """Open with `open_file` (chunks and their size), then audit, commit and stream.

    `unreadable` answers storage and integrity errors; `failures` adds the caller's own errors (e.g. a file
    that cannot be watermarked). `on_opened` runs once the file is open and returns detail for the ok
    event (e.g. recording the download row). `public_max_age` lets browsers cache a public file."""
    sess = db.session()
    handled = [*(failures or {}).items(), *((kind, unreadable) for kind in UNREADABLE)]
    try:
        body, size = open_file()
    except tuple(kind for kind, _ in handled) as exc:
        failure = next(f for kind, f in handled if isinstance(exc, kind))
        if audit is not None:
            sess.rollback()
            audit_event(audit.action, object_type=audit.object_type, object_id=audit.object_id, outcome="failed",
                        detail={**audit.detail, "error": audit.error_text(exc)})
            sess.commit()
        return failure.respond(audit.object_id if audit else filename, exc)
    if audit is not None:
        extra = on_opened() if on_opened else {}
        audit_event(audit.action, object_type=audit.object_type, object_id=audit.object_id,
                    detail={**audit.detail, **extra})
        sess.commit()
    resp = stream_download(body, filename=filename, media_type=media_type, size=size, inline=inline)
    if public_max_age is not None:  # a public file (the logo), not a confidential one
        resp.headers["Cache-Control"] = f"public, max-age={public_max_age}"
        resp.headers.pop("Pragma", None)
    return resp


def head_response(filename: str, media_type: str, size: int | None = None) -> Response:
    """Headers only: no file is read, marked or counted for a HEAD request.

    Content-Length only when the GET would send exactly `size` bytes (a public file as uploaded); a
    watermarked copy's length is unknown until it is made, so none is promised (an empty list body
    would make Werkzeug announce `Content-Length: 0`)."""
    resp = Response(iter(()), status=200, mimetype=media_type)
    if size is not None:
        resp.headers["Content-Length"] = str(size)
    resp.headers["Content-Disposition"] = content_disposition(filename)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Accept-Ranges"] = "none"
    return resp
