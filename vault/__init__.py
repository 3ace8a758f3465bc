"""trustvault: the evidence vault application."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from vault import config as vault_config

if TYPE_CHECKING:  # importing vault.crypto or vault.watermark must not pull in Flask
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then <instance>/config.py, then VAULT_* environment variables.

    `test_config` replaces the last two (tests set everything explicitly).
    """
    from flask import Flask

    instance_path = (test_config or {}).get("INSTANCE_PATH") or vault_config.instance_path_from_env()
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_mapping(vault_config.DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("VAULT")
    else:
        app.config.from_mapping(test_config)
    vault_config.apply_instance_defaults(app.config, app.instance_path)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] + 1024 * 1024
    from vault.http import VaultRequest
    app.request_class = VaultRequest  # uploaded files are held encrypted, never in plaintext on disk
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    if not os.environ.get("VAULT_FONT_CACHE_DIR"):  # the watermark's font pre-cut lives with the instance
        from vault.watermark import precut
        precut.configure(cache_dir=Path(app.instance_path) / "cache" / "fonts")
    if not os.environ.get("TRUSTVAULT_MODEL_CACHE"):  # so does the matcher's derived sentence model
        from answers.matching import quantize
        quantize.configure(cache_dir=Path(app.instance_path) / "cache" / "models")

    proxy_hops = int(app.config.get("PROXY_HOPS", 0) or 0)
    if proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops, x_host=proxy_hops)

    _init_extensions(app)
    _register_parts(app)
    _security_headers(app)
    from vault.errors import register as register_errors
    register_errors(app)
    _operations(app)
    return app


def _operations(app: Flask) -> None:
    """Logs with a request id and one line per request (outermost, so every response has both), and
    the metrics fed by that line (docs/deployment.md)."""
    from vault import logs, metrics
    logs.init_app(app)
    metrics.init_app(app)


def _init_extensions(app: Flask) -> None:
    from vault import db, i18n
    from vault.extensions import babel, configure_limiter_storage, csrf, limiter, login_manager

    db.init_app(app)
    from vault import jobs
    jobs.init_app(app)  # runs jobs after the commit that enqueued them (JOBS_RUN)
    csrf.init_app(app)
    configure_limiter_storage(app.config)  # Redis when REDIS_URL is set: one count for every app server
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)

    from vault.storage import init_app as init_storage
    init_storage(app)

    @app.context_processor
    def _template_globals():
        from flask_babel import get_locale
        from vault.auth.roles import Role, role_name
        from vault.documents.status import expired_since
        from vault.home import hub_links
        return {"current_locale": str(get_locale()), "company_name": app.config["COMPANY_NAME"], "Role": Role,
                "role_name": role_name, "expired_since": expired_since,  # one date rule for every template
                "hub_links": hub_links}


def _register_parts(app: Flask) -> None:
    from vault.features import register_all
    from vault.home import bp as home_bp
    from vault.setup_cli import demo_command, init_command

    app.register_blueprint(home_bp)
    for command in (init_command, demo_command):
        app.cli.add_command(command)
    register_all(app)


def _security_headers(app: Flask) -> None:
    """The one place for response security headers (file downloads add their own stricter CSP).

    HSTS only on a request that arrived over HTTPS (directly, or through VAULT_PROXY_HOPS trusted
    proxies saying X-Forwarded-Proto: https): browsers ignore it over plain http (RFC 6797 7.2), and
    sending it there would only advertise a promise nobody can keep. Every response to a signed-in
    staff user is `no-store`, so no browser or proxy cache keeps a staff page after sign-out.
    """
    from flask import request

    csp = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        hsts = strict_transport_security(app.config)
        if hsts and request.is_secure:
            resp.headers["Strict-Transport-Security"] = hsts
        if _signed_in(request) and "no-store" not in resp.headers.get("Cache-Control", ""):
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["Pragma"] = "no-cache"
        return resp


def strict_transport_security(config) -> str | None:
    """The HSTS header value from HSTS_MAX_AGE (seconds; None switches it off) and HSTS_INCLUDE_SUBDOMAINS."""
    max_age = config.get("HSTS_MAX_AGE")
    if max_age is None or max_age is False:
        return None
    value = f"max-age={int(max_age)}"
    if config.get("HSTS_INCLUDE_SUBDOMAINS"):
        value += "; includeSubDomains"
    return value


def _signed_in(request) -> bool:
    """A staff user is signed in on this request (static files are skipped: nothing confidential)."""
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return False
    from flask_login import current_user
    try:
        return bool(current_user.is_authenticated)
    except Exception:  # a failing user load has already been answered; never mask that response
        return False
