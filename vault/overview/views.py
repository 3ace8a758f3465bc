"""The public security and privacy overview (/trust/overview, no sign-in) and the compact block the trust
center's front page includes (`templates/overview/_summary.html`, which asks `overview_summary()`)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

from vault import db
from vault.db import utcnow
from vault.overview import public
from vault.trust import service as trust

bp = Blueprint("overview", __name__, static_folder="static", static_url_path="/trust/overview/static")


@bp.record_once
def _defaults(state) -> None:
    # Where to report a vulnerability when the overview's settings name none (e.g. security@example.com).
    state.app.config.setdefault("SECURITY_CONTACT", "")


@bp.context_processor
def _public_layout() -> dict:
    return trust.layout_context(db.session(), current_app.config["COMPANY_NAME"])


def _locale() -> str:
    return "zh" if str(get_locale()).startswith("zh") else "en"


@bp.app_template_global("overview_summary")
def overview_summary() -> public.Summary:
    """For the front page's include: read in the page's own request and session (a template global, so
    the trust feature needs no import of this one)."""
    return public.summary_for(db.session(), _locale(), utcnow().date(), current_app.config["SECURITY_CONTACT"])


@bp.get("/trust/overview")
def index():
    sess = db.session()
    sections = public.sections_for(sess, _locale(), utcnow().date())
    summary = public.summary_for(sess, _locale(), utcnow().date(), current_app.config["SECURITY_CONTACT"])
    trust.get_profile(sess)
    sess.commit()  # the trust profile row (the layout's name and logo) may have just been created
    return render_template("overview/public.html", sections=sections, summary=summary)
