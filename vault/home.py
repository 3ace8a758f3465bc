"""The staff landing page and the language switch."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user

from vault.i18n import LANG_COOKIE, without_lang_param
from vault.web import is_safe_next

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("documents.index"))
    return redirect(url_for("trust.index"))  # visitors come for the public trust center


@bp.get("/lang/<code>")
def set_language(code: str):
    target = request.args.get("next")
    resp = redirect(without_lang_param(target) if is_safe_next(target) else url_for("home.index"))
    if code in current_app.config["LANGUAGES"]:
        resp.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
