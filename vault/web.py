"""Small request helpers shared by every blueprint: who is asking, from where, and the audit call."""
from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user

from vault import audit, db


def client_ip() -> str:
    # Behind a proxy, configure werkzeug's ProxyFix (VAULT_PROXY_HOPS) rather than trusting headers here.
    return request.remote_addr or ""


def current_actor() -> audit.Actor:
    """The signed-in user of this request as an audit Actor ("anonymous" for a visitor)."""
    user = current_user if current_user and current_user.is_authenticated else None
    if user is None:
        return audit.Actor(label="anonymous", ip=client_ip())
    return audit.Actor(label=user.email, id=user.id, ip=client_ip())


def audit_event(action: str, *, object_type: str = "", object_id: str | int = "", outcome: str = "ok",
                detail: dict | None = None, actor: str | None = None) -> audit.AuditEvent:
    """Append an event for the current request, in the request's session (the view commits).

    `actor` names a visitor who is not signed in (e.g. the email of an access request)."""
    who = current_actor()
    if actor:
        who = audit.Actor(label=actor, id=who.id, ip=who.ip)
    return audit.record(db.session(), action, object_type=object_type, object_id=object_id, outcome=outcome,
                        detail=detail, by=who)


def deny(permission: str, *, object_type: str = "", object_id: str | int = "", status: int = 403):
    """Log a permission denial (committed on its own) and abort."""
    sess = db.session()
    sess.rollback()
    audit_event("permission.denied", object_type=object_type, object_id=object_id, outcome="denied",
                detail={"permission": permission, "path": request.path, "method": request.method})
    sess.commit()
    abort(status)


def require(permission: str) -> Callable:
    """View decorator: signed in and holding `permission`, or a logged 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from flask import current_app
                return current_app.login_manager.unauthorized()
            if not current_user.can(permission):
                deny(permission)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths: refuses //evil, /\\evil, https:evil and schemes."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target and "\r" not in target and "\n" not in target


def public_base_url() -> str | None:
    """PUBLIC_BASE_URL, else SERVER_NAME; links in emails never come from a request's Host header
    when either is set. None when neither is set and there is no request (a CLI job)."""
    from flask import current_app, has_request_context
    config = current_app.config
    base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and config.get("SERVER_NAME"):
        base = f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    if not base and has_request_context():
        base = request.host_url.rstrip("/")  # development only: set PUBLIC_BASE_URL in production
    return base or None


def external_url(endpoint: str, *, base: str | None = None, **values) -> str | None:
    """An absolute link for mails, webhooks, feeds and calendars, inside or outside a request."""
    from flask import current_app
    base = (base or public_base_url() or "").rstrip("/")
    if not base:
        return None
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def current_staff():
    """The signed-in user as a row of this request's session (current_user may be detached)."""
    from vault.auth.models import User
    return db.session().get(User, current_user.id)


def form_error(form, exc: Exception, *, form_level: tuple[str, ...] = ("csrf_token",)) -> None:
    """A service's refusal next to the form field it names (`exc.field`), else above the form.
    Fields in `form_level` (hidden ones) never carry the message: nobody would see it there."""
    name = getattr(exc, "field", None) or ""
    field = getattr(form, name, None) if name and name not in form_level else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [str(exc)]
    else:
        form.form_errors.append(str(exc))
