"""Admin page: failed deliveries and a retry button."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from vault import db
from vault.auth.forms import ActionForm
from vault.notify import service
from vault.notify.hooks import init_app
from vault.notify.settings import Settings
from vault.web import audit_event, require

bp = Blueprint("notify", __name__, url_prefix="/admin/notifications")
bp.record_once(lambda state: init_app(state.app))  # after-commit delivery comes with the blueprint


@bp.get("")
@require("settings.manage")
def index():
    sess = db.session()
    rows = service.list_outbox(sess, failed_only=True, limit=200)
    return render_template("notify/index.html", rows=rows, counts=service.counts_by_status(sess),
                           masked=service.masked_target, max_attempts=service.MAX_ATTEMPTS,
                           settings=Settings.from_config(current_app.config), action_form=ActionForm())


@bp.post("/<int:row_id>/retry")
@require("settings.manage")
def retry(row_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    row = service.get_outbox(sess, row_id)
    if row is None:
        abort(404)
    try:
        service.retry(sess, row)
    except service.NotifyError:
        sess.rollback()
        flash(_("This notification has not failed, so there is nothing to retry."), "error")
        return redirect(url_for(".index"))
    audit_event("notify.retry", object_type="notification", object_id=row.id,
                detail={"channel": row.channel, "target": service.masked_target(row)})
    sess.commit()  # the after-commit hook sends it when this request ends
    flash(_("Notification %(id)d is queued again.", id=row.id), "success")
    return redirect(url_for(".index"))
