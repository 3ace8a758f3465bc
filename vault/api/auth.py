"""Who is calling: the bearer token of every API request (never a session cookie), its permission check,
its rate-limit key, and the audit record of every call."""
from __future__ import annotations

from flask import g, request

from vault import audit, db, tokens
from vault.api import tokens as api_tokens
from vault.api.problems import ApiProblem
from vault.web import client_ip

PUBLIC_ENDPOINTS = {"api.openapi", "api.docs"}


def bearer() -> str | None:
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def rate_key() -> str:
    """Per token (by its hash: no database read before the limit), else per address."""
    secret = bearer()
    if secret and tokens.plausible(secret):
        return "api-token:" + tokens.hash_token(secret)[:32]
    return "api-ip:" + client_ip()


def authenticate() -> None:
    """Before every API view: a live token of an active owner, or 401. Cookies are never looked at: the
    request's user is the token's owner (flask-login's per-request slot), so CSRF cannot ride on a cookie."""
    if request.endpoint == "api.docs":  # a page for people: the nav follows the signed-in user
        return
    from flask_login import AnonymousUserMixin
    g._login_user = AnonymousUserMixin()  # noqa: SLF001 (nothing in this request loads a user from a cookie)
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return
    secret = bearer()
    sess = db.session()
    row, refused = api_tokens.check(sess, secret)
    if refused and secret:  # a token was tried: worth seeing (a leaked, revoked one in use); no token: no noise
        audit.record(sess, "api.auth.refused", by=audit.Actor(label=row.user.email if row else "anonymous",
                                                              id=row.user.id if row else None, ip=client_ip()),
                     object_type="api_token", object_id=row.uid if row else "", outcome="denied",
                     detail={"reason": refused, "method": request.method, "path": request.path[:500]})
        sess.commit()
    if refused:
        raise ApiProblem(401, "Send a valid personal API token: Authorization: Bearer tvk_… (it may have "
                              "expired, been revoked, or its owner disabled).",
                         headers={"WWW-Authenticate": 'Bearer realm="trustvault"'})
    g.api_token = row
    g._login_user = row.user


def current_token():
    return g.get("api_token")


def actor() -> audit.Actor:
    """The owner of the token, acting through it."""
    row = current_token()
    return audit.Actor(label=row.user.email, id=row.user.id, ip=client_ip())


def check_permission(permission: str) -> None:
    row = current_token()
    if row is None or not api_tokens.token_can(row, permission):
        sess = db.session()
        sess.rollback()
        if row is not None:
            audit.record(sess, "permission.denied", by=actor(), object_type="api_token", object_id=row.uid,
                         outcome="denied", detail={"permission": permission, "path": request.path,
                                                   "method": request.method, "scope": row.scope})
            sess.commit()
        raise ApiProblem(403, f"This token may not do this: it needs the permission {permission}, which its "
                              "scope or its owner's role does not give.", permission=permission)


def record_call(response) -> None:
    """After every authenticated call: one audit event (method, path, status, token) and last-used."""
    row = current_token()
    if row is None:
        return
    sess = db.session()
    try:
        sess.rollback()  # the view committed its work; whatever is left unflushed is not ours to keep
        row = sess.merge(row)
        api_tokens.mark_used(row, ip=client_ip())
        audit.record(sess, "api.request", by=actor(), object_type="api_token", object_id=row.uid,
                     outcome="ok" if response.status_code < 400 else "failed" if response.status_code >= 500
                     else "denied", detail={"method": request.method, "path": request.path[:500],
                                            "status": response.status_code, "scope": row.scope})
        sess.commit()
    except Exception:  # noqa: BLE001 (the answer is already made; the failure is logged, not hidden)
        sess.rollback()
        from flask import current_app
        current_app.logger.exception("could not record the API call of token %s", row.uid)
