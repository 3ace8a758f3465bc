"""Admin pages: staff accounts and the audit trail."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context,
                   url_for)
from flask_babel import gettext as _

from vault import db
from vault.admin import service as admin_service
from vault.admin.forms import AuditFilterForm, RoleForm, UserCreateForm, role_choices
from vault.audit import verify_chain
from vault.auth import service as accounts
from vault.auth.forms import ActionForm
from vault.db import utcnow
from vault.web import audit_event, current_actor, require

bp = Blueprint("admin", __name__, url_prefix="/admin")


# --- users --------------------------------------------------------------------------------

@bp.get("/users")
@require("users.manage")
def users():
    return render_template("admin/users.html", users=accounts.list_users(db.session()), roles=role_choices(),
                           action_form=ActionForm())


@bp.route("/users/new", methods=["GET", "POST"])
@require("users.manage")
def user_new():
    form = UserCreateForm()
    if not form.validate_on_submit():
        return render_template("admin/user_new.html", form=form), (400 if request.method == "POST" else 200)
    sess = db.session()
    try:
        user = accounts.create_user(sess, email=form.email.data, password=form.password.data, role=form.role.data,
                                    name=form.name.data or "", actor=current_actor())
    except accounts.AccountError as exc:
        sess.rollback()
        form.email.errors = [str(exc)]
        return render_template("admin/user_new.html", form=form), 400
    sess.commit()
    flash(_("Account %(email)s created. Give them the initial password by a separate, safe channel.",
            email=user.email), "success")
    return redirect(url_for(".users"))


def _user_or_404(user_id: int):
    user = accounts.get_user(db.session(), user_id)
    if user is None:
        abort(404)
    return user


def _change(user_id: int, form, change, done_message: str):
    """Run one account change from a POSTed form; refusals come back as a message on the list."""
    user = _user_or_404(user_id)
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        change(sess, user, form)
    except accounts.AccountError as exc:
        sess.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".users"))
    sess.commit()
    flash(done_message % {"email": user.email}, "success")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>/role")
@require("users.manage")
def user_role(user_id: int):
    return _change(user_id, RoleForm(), lambda s, u, f: accounts.set_role(s, u, f.role.data, actor=current_actor()),
                   _("The role of %(email)s is changed."))


@bp.post("/users/<int:user_id>/disable")
@require("users.manage")
def user_disable(user_id: int):
    return _change(user_id, ActionForm(), lambda s, u, f: accounts.set_active(s, u, False, actor=current_actor()),
                   _("%(email)s is disabled and signed out everywhere."))


@bp.post("/users/<int:user_id>/enable")
@require("users.manage")
def user_enable(user_id: int):
    return _change(user_id, ActionForm(), lambda s, u, f: accounts.set_active(s, u, True, actor=current_actor()),
                   _("%(email)s is enabled."))


@bp.post("/users/<int:user_id>/reset-2fa")
@require("users.manage")
def user_reset_2fa(user_id: int):
    return _change(user_id, ActionForm(), lambda s, u, f: accounts.reset_totp(s, u, actor=current_actor()),
                   _("Two-factor sign-in of %(email)s is removed; they can set it up again."))


# --- audit trail --------------------------------------------------------------------------

def _audit_filters() -> tuple[AuditFilterForm, admin_service.AuditFilters, int]:
    form = AuditFilterForm(request.args)
    if not form.validate():
        return form, admin_service.AuditFilters(), 1
    filters = admin_service.AuditFilters(
        action=(form.action.data or "").strip(), actor=(form.actor.data or "").strip(),
        object_type=(form.object_type.data or "").strip(), object_id=(form.object_id.data or "").strip(),
        since=form.since.data, until=form.until.data)
    return form, filters, form.page.data or 1


@bp.get("/audit")
@require("audit.view")
def audit():
    form, filters, page = _audit_filters()
    sess = db.session()
    chain = verify_chain(sess)
    result = admin_service.page_of_events(sess, filters, page)
    return render_template("admin/audit.html", form=form, filters=filters, chain=chain, result=result,
                           query=filters.as_query()), (400 if form.errors else 200)


@bp.get("/audit/export.csv")
@require("audit.view")
def audit_export():
    form, filters, _page = _audit_filters()
    if form.errors:
        abort(400)
    sess = db.session()
    audit_event("audit.export", detail={"filters": filters.as_query()})
    sess.commit()
    name = f"audit-{utcnow():%Y%m%d-%H%M%S}.csv"
    return Response(stream_with_context(admin_service.export_lines(sess, filters)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})

