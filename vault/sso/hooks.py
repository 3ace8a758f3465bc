"""What the password sign-in and sign-out of vault/auth ask single sign-on: is a password allowed for this
email (SSO only, break-glass admin), did this session come from SSO, and where to end it at the provider."""
from __future__ import annotations

import logging

from flask import current_app, session, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _

from vault import db
from vault.sso import oidc, service
from vault.sso.errors import SsoRefused
from vault.web import audit_event, external_url

log = logging.getLogger(__name__)
SIGNED_IN = "sso"  # {"protocol": ..., "id_token": ...}: how this session signed in


def absolute_url(endpoint: str) -> str:
    """Our URL as the identity provider knows it: from PUBLIC_BASE_URL or SERVER_NAME, never from the request's
    Host header (else a forged Host would move our entity id, audience and redirect URI)."""
    config = current_app.config
    if not (config.get("PUBLIC_BASE_URL") or config.get("SERVER_NAME")):
        raise SsoRefused("config", _l("Single sign-on needs this server's public address: set "
                                      "VAULT_PUBLIC_BASE_URL (docs/deployment.md)."))
    return external_url(endpoint)


def allow_http() -> bool:
    return bool(current_app.config.get("SSO_ALLOW_HTTP_PROVIDERS"))


def password_refusal(user) -> str | None:
    """The message (audited) when SSO only refuses this rightly-authenticated password user, else None.

    Asked after the password check, so a wrong password reads "wrong email or password" for every account
    alike, the break-glass one included: nobody learns which address keeps its password."""
    if user is None or service.password_policy(db.session(), user.email) != "refused":
        return None
    audit_event("auth.login_failed", outcome="denied", object_type="user", object_id=user.id,
                detail={"email": user.email, "step": "password", "reason": "sso_only"})
    return _("Password sign-in is turned off here. Use “Sign in with SSO”.")


def break_glass(user):
    """The user, or None when SSO only is on, this is the break-glass admin, and two-factor is off.
    A break-glass password sign-in is audited and logged as a warning, so it is never quiet."""
    if user is None or service.password_policy(db.session(), user.email) != "break_glass":
        return user
    if not user.totp_enabled:
        audit_event("auth.break_glass", outcome="denied", object_type="user", object_id=user.id,
                    detail={"email": user.email, "reason": "two-factor is off"})
        return None
    audit_event("auth.break_glass", outcome="ok", object_type="user", object_id=user.id,
                detail={"email": user.email, "step": "password accepted, code asked"})
    log.warning("BREAK-GLASS password sign-in for %s while SSO only is on", user.email)
    return user


def signed_in_with_sso() -> bool:
    return bool(session.get(SIGNED_IN))


def logout_target() -> str | None:
    """Where to go after the local session ended: our page leading on to the OIDC provider's end-session URL
    (RP-initiated logout) when this session came from OIDC and the provider offers one; else None (SAML: the
    local session ends, see docs/sso.md)."""
    signed_in = session.get(SIGNED_IN) or {}
    if signed_in.get("protocol") != "oidc":
        return None
    settings = service.get_settings(db.session())
    if not settings.oidc_enabled:
        return None
    try:
        provider = oidc.discover(settings.oidc_issuer, allow_http=allow_http())
        target = oidc.logout_url(provider, id_token=signed_in.get("id_token"), client_id=settings.oidc_client_id,
                                 post_logout_redirect_uri=absolute_url("auth.login"))
    except SsoRefused as exc:
        log.warning("no RP-initiated logout: %s %s", exc.reason, exc.detail)
        return None
    if target is None:
        return None
    # Not a redirect straight from the sign-out form: the pages' CSP (form-action 'self') stops a form's
    # redirect to another origin. Our own page links on, and takes only a URL we signed.
    return url_for("sso.signed_out", to=_signer().dumps(target))


def _signer():
    from itsdangerous import URLSafeTimedSerializer
    return URLSafeTimedSerializer(current_app.secret_key, salt="sso-provider-logout")


def provider_logout_url(token: str) -> str | None:
    """The end-session URL signed by `logout_target` within the last five minutes, else None."""
    from itsdangerous import BadSignature
    try:
        return _signer().loads(token or "", max_age=300)
    except BadSignature:
        return None
