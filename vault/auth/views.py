"""Sign-in (password, then the two-factor code when on), sign-out and the account page."""
from __future__ import annotations

import time

from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from vault import db
from vault.auth import loader  # noqa: F401  (registers the user loader)
from vault.auth import passwords, service, totp
from vault.auth.forms import ActionForm, LoginForm, PasswordForm, ProfileForm, TotpCodeForm, TotpLoginForm
from vault.auth.models import User
from vault.auth.roles import Role
from vault.errors import wants_json
from vault.extensions import limiter
from vault.inputs import normalise_email
from vault.sso import hooks as sso  # SSO only, break-glass, RP-initiated logout
from vault.web import audit_event, current_actor, is_safe_next

bp = Blueprint("auth", __name__)
bp.record_once(lambda state: passwords.configure(state.app.config.get("ARGON2_PARAMETERS")))

PENDING_KEY = "pending_2fa"
PENDING_SECONDS = 300  # the half-signed-in state between password and code
# What an admin who must enrol in two-factor may still reach.
ENROLMENT_ENDPOINTS = {"auth.two_factor", "auth.totp_setup", "auth.totp_confirm", "auth.logout", "auth.login",
                       "static", "home.set_language", "home.healthz", "home.index"}


# --- throttling ---------------------------------------------------------------------------

def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _password_account_key() -> str:
    return "account:" + normalise_email(request.form.get("email"))[:320]


def _code_account_key() -> str:
    return "account-code:" + str((session.get(PENDING_KEY) or {}).get("uid", ""))


def _failed_attempt(response) -> bool:
    """Only failed attempts count towards the limits (success is a redirect)."""
    return response.status_code != 302


def _throttled(request_limit):
    """Audit the refused attempt and answer 429 with the sign-in page and a clear message."""
    step = "code" if request.endpoint == "auth.login_totp" else "password"
    by_account = request_limit.request_args[0].startswith("account")
    email = (normalise_email(request.form.get("email"))[:320] if step == "password"
             else (session.get(PENDING_KEY) or {}).get("email", ""))
    sess = db.session()
    sess.rollback()
    audit_event("auth.throttled", outcome="denied", detail={
        "step": step, "email": email, "limit": str(request_limit.limit),
        "per": "account" if by_account else "address"})
    sess.commit()
    minutes = max(1, round((request_limit.reset_at - time.time()) / 60))
    message = _("Too many sign-in attempts. Wait %(minutes)d minutes and try again.", minutes=minutes)
    if wants_json():
        return make_response({"error": message, "status": 429}, 429)
    form = TotpLoginForm() if step == "code" else LoginForm()
    template = "auth/login_totp.html" if step == "code" else "auth/login.html"
    return make_response(render_template(template, form=form, error=message), 429)


def _limits(key_func):
    """The per-address and per-account limits of one sign-in step."""
    def decorate(view):
        view = limiter.limit(_account_limit, key_func=key_func, methods=["POST"], deduct_when=_failed_attempt,
                             on_breach=_throttled)(view)
        return limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed_attempt,
                             on_breach=_throttled)(view)
    return decorate


# --- sign-in ------------------------------------------------------------------------------

def _after_login_url(target: str | None) -> str:
    return target if is_safe_next(target) else url_for("documents.index")


def _complete_login(user: User, *, remember: bool, target: str | None, method: str):
    sess = db.session()
    session.clear()  # a new session and CSRF token: nothing from before sign-in carries over
    login_user(user, remember=remember)
    service.record_login(sess, user)
    audit_event("auth.login", object_type="user", object_id=user.id, detail={"method": method})
    sess.commit()
    if _must_enrol(user):
        flash(_("Administrators must turn on two-factor sign-in before doing anything else."), "error")
        return redirect(url_for(".two_factor"))
    return redirect(_after_login_url(target))


@bp.route("/login", methods=["GET", "POST"])
@_limits(_password_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(_after_login_url(request.args.get("next")))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        sess = db.session()
        user = service.authenticate(sess, form.email.data, form.password.data)
        refusal = sso.password_refusal(user)  # SSO only: said only after a right password (no enumeration)
        if refusal:
            sess.commit()
            return render_template("auth/login.html", form=form, error=refusal), 403
        user = sso.break_glass(user)
        if user is not None and user.totp_enabled:
            sess.commit()  # keeps an upgraded password hash
            session.clear()
            session[PENDING_KEY] = {"uid": user.id, "token": user.session_token, "email": user.email,
                                    "at": int(time.time()), "remember": bool(form.remember.data),
                                    "next": form.next.data if is_safe_next(form.next.data) else ""}
            return redirect(url_for(".login_totp"))
        if user is not None:
            return _complete_login(user, remember=bool(form.remember.data), target=form.next.data,
                                   method="password")
        audit_event("auth.login_failed", outcome="failed",
                    detail={"email": normalise_email(form.email.data)[:320], "step": "password"})
        sess.commit()
        error = _("Wrong email or password.")
    elif request.method == "POST":
        error = _("Enter your email and password.")
    return render_template("auth/login.html", form=form, error=error)


def _pending_user() -> User | None:
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session().get(User, data.get("uid"))
    if user is None or not user.active or not user.totp_enabled or not user.matches_cookie_token(data["token"]):
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
@_limits(_code_account_key)
def login_totp():
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("Your sign-in took too long or was interrupted. Please sign in again."), "error")
        return redirect(url_for(".login"))
    form = TotpLoginForm()
    error = None
    if form.validate_on_submit():
        sess = db.session()
        if service.check_totp(sess, user, form.code.data):
            data = session[PENDING_KEY]
            return _complete_login(user, remember=data.get("remember", False), target=data.get("next"),
                                   method="password+totp")
        audit_event("auth.login_failed", outcome="failed", object_type="user", object_id=user.id,
                    detail={"email": user.email, "step": "code"})
        sess.commit()
        error = _("That code is not valid or was already used. Enter the current code from your app.")
    elif request.method == "POST":
        error = _("Enter the six-digit code from your authenticator app.")
    return render_template("auth/login_totp.html", form=form, error=error)


@bp.post("/logout")
def logout():
    provider_logout = sso.logout_target() if current_user.is_authenticated else None
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        sess = db.session()
        audit_event("auth.logout", object_type="user", object_id=user.id)
        service.end_sessions(sess, user)  # copies of the session or remember-me cookie die here
        sess.commit()
    session.clear()
    logout_user()  # after clear(): it asks flask-login to delete the remember-me cookie
    flash(_("You are signed out."), "success")
    return redirect(provider_logout or url_for(".login"))


# --- the account page ---------------------------------------------------------------------

def _must_enrol(user) -> bool:
    return bool(current_app.config.get("REQUIRE_ADMIN_2FA") and user.role == Role.ADMIN.value
                and not user.totp_enabled and not sso.signed_in_with_sso())  # SSO: the IdP's own MFA


@bp.before_app_request
def _require_admin_2fa():
    if request.endpoint in ENROLMENT_ENDPOINTS or not current_app.config.get("REQUIRE_ADMIN_2FA"):
        return None
    if current_user.is_authenticated and _must_enrol(current_user):
        if wants_json():
            abort(403)
        flash(_("Administrators must turn on two-factor sign-in before doing anything else."), "error")
        return redirect(url_for("auth.two_factor"))
    return None


def _relogin(user: User) -> None:
    """Keep this browser signed in after the session token changed (other sessions stay ended)."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    session.clear()
    login_user(user, remember=remember)


def _account_page(status: int = 200, **forms):
    user = current_user
    profile = forms.get("profile") or ProfileForm(prefix="profile", name=user.name, locale=user.locale or "")
    profile.set_languages(current_app.config["LANGUAGES"])
    return render_template(
        "auth/account.html", profile=profile, password=forms.get("password") or PasswordForm(prefix="pw"),
        disable_form=forms.get("disable_form") or TotpCodeForm(prefix="disable"), setup_form=ActionForm(),
        must_enrol=_must_enrol(user)), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    if request.method == "GET":
        return _account_page()
    form = ProfileForm(prefix="profile")
    form.set_languages(current_app.config["LANGUAGES"])
    if not form.validate_on_submit():
        return _account_page(400, profile=form)
    sess = db.session()
    service.update_profile(sess, current_user, name=form.name.data, locale=form.locale.data or None,
                           actor=current_actor())
    sess.commit()
    flash(_("Your profile is saved."), "success")
    return redirect(url_for(".account"))


@bp.post("/account/password")
@login_required
def change_password():
    form = PasswordForm(prefix="pw")
    if not form.validate_on_submit():
        return _account_page(400, password=form)
    sess = db.session()
    user = current_user._get_current_object()
    try:
        service.change_password(sess, user, current=form.current.data, new=form.new.data, actor=current_actor())
    except service.AccountError as exc:
        sess.rollback()
        form.new.errors = [str(exc)]
        return _account_page(400, password=form)
    sess.commit()
    _relogin(user)
    flash(_("Your password is changed. Your other sessions are signed out."), "success")
    return redirect(url_for(".account"))


@bp.get("/account/2fa")
@login_required
def two_factor():
    user = current_user
    uri = qr = None
    secret = service.pending_totp_secret(user)  # stored sealed; opened only to show it
    if secret:
        uri = totp.provisioning_uri(secret, user.email, current_app.config["COMPANY_NAME"])
        qr = totp.qr_svg_data_uri(uri)
    return render_template("auth/two_factor.html", uri=uri, qr=qr, secret=secret, setup_form=ActionForm(),
                           confirm_form=TotpCodeForm(prefix="confirm"), must_enrol=_must_enrol(user))


@bp.post("/account/2fa/setup")
@login_required
def totp_setup():
    if not ActionForm().validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        service.start_totp(sess, current_user)
    except service.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".account"))
    sess.commit()
    return redirect(url_for(".two_factor"))


@bp.post("/account/2fa/confirm")
@login_required
def totp_confirm():
    form = TotpCodeForm(prefix="confirm")
    sess = db.session()
    user = current_user._get_current_object()
    error = _("Enter the six-digit code from your authenticator app.")
    if form.validate_on_submit():
        try:
            service.confirm_totp(sess, user, form.code.data, actor=current_actor())
        except service.AccountError as exc:
            sess.rollback()
            error = str(exc)
        else:
            sess.commit()
            _relogin(user)
            flash(_("Two-factor sign-in is on. You will be asked for a code at every sign-in."), "success")
            return redirect(url_for(".account"))
    audit_event("user.totp_enable", outcome="failed", object_type="user", object_id=user.id)
    sess.commit()
    flash(error, "error")
    return redirect(url_for(".two_factor"))


@bp.post("/account/2fa/disable")
@login_required
def totp_disable():
    form = TotpCodeForm(prefix="disable")
    if not form.validate_on_submit():
        return _account_page(400, disable_form=form)
    if current_app.config.get("REQUIRE_ADMIN_2FA") and current_user.role == Role.ADMIN.value:
        form.code.errors = [_("Administrators must keep two-factor sign-in on.")]
        return _account_page(400, disable_form=form)
    sess = db.session()
    try:
        service.disable_totp(sess, current_user, form.code.data, actor=current_actor())
    except service.AccountError as exc:
        sess.rollback()
        audit_event("user.totp_disable", outcome="failed", object_type="user", object_id=current_user.id)
        sess.commit()
        form.code.errors = [str(exc)]
        return _account_page(400, disable_form=form)
    sess.commit()
    flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for(".account"))
