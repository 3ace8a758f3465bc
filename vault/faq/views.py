"""The public FAQ page (no sign-in) in the trust center's layout: search by GET, so it works without script."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale

from vault import db
from vault.db import utcnow
from vault.faq import service
from vault.trust import service as trust

bp = Blueprint("faq", __name__)


@bp.context_processor
def _public_layout() -> dict:
    return trust.layout_context(db.session(), current_app.config["COMPANY_NAME"])


@bp.get("/trust/faq")
def index():
    sess = db.session()
    page = service.faq_page(sess, today=utcnow().date(), locale=str(get_locale()),
                            query=request.args.get("q", "")[:1000], tag=request.args.get("tag", "")[:1000])
    sess.commit()  # the trust profile row may have just been created
    return render_template("faq/index.html", page=page)
