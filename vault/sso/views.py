"""Single sign-on pages: start and finish an OpenID Connect or SAML sign-in, our SAML metadata, and the
refusal page. Thin: the protocol checks live in oidc.py / saml.py, the account rules in service.py."""
from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from vault import db
from vault.auth import service as accounts
from vault.extensions import csrf, limiter
from vault.sso import oidc, saml, service
from vault.sso.hooks import SIGNED_IN, absolute_url, allow_http, provider_logout_url
from vault.sso.errors import SsoRefused
from vault.web import audit_event, client_ip, is_safe_next

log = logging.getLogger(__name__)
bp = Blueprint("sso", __name__, url_prefix="/sso", static_folder="static")

OIDC_PENDING = "sso_oidc"
SAML_PENDING = "sso_saml"  # {request id: [next path, started at]}
SAML_PENDING_MAX = 5  # sign-ins started in other tabs that may still come back
ID_TOKEN_HINT_MAX = 2000  # characters of ID token kept in the session cookie for RP-initiated logout


def _next_path() -> str:
    target = request.args.get("next", "")
    return target if is_safe_next(target) else ""


def service_provider(idp_metadata: str) -> saml.ServiceProvider:
    return saml.ServiceProvider(entity_id=absolute_url("sso.saml_metadata"), acs_url=absolute_url("sso.saml_acs"),
                                idp_metadata=idp_metadata)


# Only refusals count against an address, as with passwords: a whole office behind one NAT signing in at
# nine o'clock must not lock itself out; a stream of forged answers from one address is stopped.
_failures_limited = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["GET", "POST"],
                                  deduct_when=lambda response: response.status_code >= 400)


def _refused(protocol: str, exc: SsoRefused):
    sess = db.session()
    sess.rollback()
    audit_event("sso.refused", outcome="denied", object_type="sso", object_id=protocol,
                detail={"protocol": protocol, "reason": exc.reason, **exc.detail})
    sess.commit()
    log.info("single sign-on refused (%s): %s %s", protocol, exc.reason, exc.detail)
    status = 503 if exc.reason in ("provider_unreachable", "config") else 403
    return render_template("sso/refused.html", message=exc.message, reason=exc.reason), status


def _complete(user, protocol: str, target: str, **kept):
    sess = db.session()
    session.clear()  # a new session and CSRF token: nothing from before sign-in carries over
    login_user(user, remember=False)
    session[SIGNED_IN] = {"protocol": protocol, **kept}
    accounts.record_login(sess, user)
    audit_event("auth.login", object_type="user", object_id=user.id,
                detail={"method": f"sso-{protocol}", "role": user.role})
    sess.commit()
    return redirect(target if is_safe_next(target) else url_for("documents.index"))


def _settings_or_refuse(protocol: str):
    settings = service.get_settings(db.session())
    if not getattr(settings, f"{protocol}_enabled"):
        raise SsoRefused("disabled_protocol", _("This sign-in method is not turned on."))
    return settings


# --- OpenID Connect --------------------------------------------------------------------------

@bp.get("/oidc/start")
@_failures_limited
def oidc_start():
    try:
        settings = _settings_or_refuse("oidc")
        provider = oidc.discover(settings.oidc_issuer, allow_http=allow_http())
        url, pending = oidc.begin(provider, client_id=settings.oidc_client_id,
                                  redirect_uri=absolute_url("sso.oidc_callback"), next_path=_next_path())
    except SsoRefused as exc:
        return _refused("oidc", exc)
    session[OIDC_PENDING] = pending.as_dict()
    return redirect(url)


@bp.get("/oidc/callback")
@_failures_limited
def oidc_callback():
    pending = oidc.Pending.from_dict(session.pop(OIDC_PENDING, None))  # one use, whatever the outcome
    sess = db.session()
    try:
        settings = _settings_or_refuse("oidc")
        provider = oidc.discover(settings.oidc_issuer, allow_http=allow_http())
        claims, id_token = oidc.finish(provider, client_id=settings.oidc_client_id,
                                       client_secret=service.client_secret(settings),
                                       redirect_uri=absolute_url("sso.oidc_callback"), pending=pending,
                                       args=request.args)
        identity = service.oidc_identity(claims, issuer=provider.issuer, groups_claim=settings.oidc_groups_claim)
        user = service.sign_in(sess, settings, identity, ip=client_ip())
    except SsoRefused as exc:
        return _refused("oidc", exc)
    # Kept as the logout hint only while small: the session is a cookie, and a token carrying hundreds of
    # groups would push it past the browsers' 4 KB limit (sign-out then goes without the hint).
    return _complete(user, "oidc", pending.next, id_token=id_token if len(id_token) <= ID_TOKEN_HINT_MAX else None)


# --- SAML 2.0 ----------------------------------------------------------------------------------

@bp.get("/saml/start")
@_failures_limited
def saml_start():
    try:
        settings = _settings_or_refuse("saml")
        url, request_id = saml.begin(service_provider(settings.saml_idp_metadata), relay_state="")
    except SsoRefused as exc:
        return _refused("saml", exc)
    outstanding = dict(session.get(SAML_PENDING) or {})
    outstanding[request_id] = [_next_path(), int(time.time())]
    session[SAML_PENDING] = dict(sorted(outstanding.items(), key=lambda kv: kv[1][1])[-SAML_PENDING_MAX:])
    return redirect(url)


def _outstanding() -> dict[str, str]:
    now = time.time()
    return {rid: value[0] for rid, value in (session.get(SAML_PENDING) or {}).items()
            if now - value[1] <= oidc.PENDING_SECONDS}


@bp.post("/saml/acs")
@csrf.exempt  # the IdP's page posts here; the signed assertion answering our request id is the proof
@_failures_limited
def saml_acs():
    if not session.get(SAML_PENDING) and request.form.get("continued") != "1":
        # A cross-site POST carries no SameSite=Lax cookie: post it once more from our own page.
        return render_template("sso/continue.html", saml_response=request.form.get("SAMLResponse", ""))
    sess = db.session()
    outstanding = _outstanding()
    try:
        settings = _settings_or_refuse("saml")
        login = saml.finish(service_provider(settings.saml_idp_metadata), request.form.get("SAMLResponse", ""),
                            outstanding)
        service.remember_assertion(sess, login.replay_key, login.expires_at)
        sess.commit()  # used for good, whatever happens next: a refused answer cannot be tried again
        identity = service.saml_identity(login, email_attribute=settings.saml_email_attribute,
                                         groups_attribute=settings.saml_groups_attribute)
        user = service.sign_in(sess, settings, identity, ip=client_ip())
    except SsoRefused as exc:
        return _refused("saml", exc)
    # RelayState is ignored: the page to go back to is the one stored with our own request id.
    return _complete(user, "saml", login.came_from)


@bp.get("/saml/metadata")
def saml_metadata():
    try:
        xml = saml.metadata_xml(service_provider(""))
    except SsoRefused as exc:
        return Response(str(exc), status=503, mimetype="text/plain")
    return Response(xml, mimetype="application/samlmetadata+xml",
                    headers={"Content-Disposition": 'inline; filename="trustvault-sp-metadata.xml"'})


@bp.get("/signed-out")
def signed_out():
    """After sign-out of an OIDC session: on to the provider's end-session page (meta refresh and a link)."""
    target = provider_logout_url(request.args.get("to", ""))
    if target is None:
        return redirect(url_for("auth.login"))
    response = make_response(render_template("sso/signed_out.html", target=target))
    response.headers["Refresh"] = f"1; url={target}"  # a navigation, not a form redirect: the CSP allows it
    return response


# --- what the sign-in and sign-out pages ask -----------------------------------------------------

@bp.app_context_processor
def _sign_in_options():
    def sso_login_options() -> dict:
        settings = service.get_settings(db.session())
        return {"oidc": settings.oidc_enabled, "saml": settings.saml_enabled, "sso_only": service.password_policy(
            db.session(), "") != "allowed"}
    return {"sso_login_options": sso_login_options}
