"""The account page's API-token section: make a token (shown once), see and revoke your own (CSRF forms)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from vault import db
from vault.api import tokens
from vault.db import utcnow
from vault.inputs import InvalidInput
from vault.web import current_actor, current_staff, form_error

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


class TokenForm(FlaskForm):
    name = StringField(_l("Name (what it is for)"), validators=[Optional(), Length(max=tokens.NAME_MAX)])
    scope = SelectField(_l("Scope"), choices=[], validate_choice=True)
    days = IntegerField(_l("Expires after (days)"), default=tokens.DEFAULT_DAYS,
                        validators=[DataRequired(), NumberRange(min=1, max=tokens.MAX_DAYS)])

    def for_role(self, role: str) -> TokenForm:
        self.scope.choices = [(s, tokens.SCOPE_NAMES[s]) for s in tokens.scopes_for(role)]
        return self


class RevokeForm(FlaskForm):
    """A button: nothing but the CSRF token."""


@bp.app_context_processor
def _section():
    def api_token_section(form: TokenForm | None = None) -> dict:
        rows = tokens.list_tokens(db.session(), current_staff())
        return {"tokens": rows, "form": form or TokenForm(prefix="tok", formdata=None).for_role(current_user.role),
                "revoke_form": RevokeForm(formdata=None), "now": utcnow(), "scope_names": tokens.SCOPE_NAMES}
    return {"api_token_section": api_token_section}


@bp.post("")
@login_required
def create():
    form = TokenForm(prefix="tok").for_role(current_user.role)
    if form.validate_on_submit():
        sess = db.session()
        try:
            made = tokens.create_token(sess, current_staff(), scope=form.scope.data, days=form.days.data,
                                       name=form.name.data or "", by=current_actor())
        except InvalidInput as exc:
            sess.rollback()
            form_error(form, exc)
        else:
            sess.commit()
            # Shown once, in this answer only: never in a flash (the session cookie) nor in a URL.
            resp = make_response(render_template("api/token_created.html", token=made.row, secret=made.secret,
                                                 scope_name=tokens.SCOPE_NAMES[made.row.scope]))
            resp.headers["Cache-Control"] = "no-store"
            return resp
    return render_template("api/token_form_error.html", form=form), 400


@bp.post("/<uid>/revoke")
@login_required
def revoke(uid: str):
    if not RevokeForm().validate_on_submit():
        abort(400)
    sess = db.session()
    row = tokens.get_token(sess, uid, user=current_staff())
    if row is None:
        abort(404)
    if tokens.revoke_token(sess, row, by=current_actor()):
        sess.commit()
        flash(_("The API token “%(hint)s…” is revoked; it stops working now.", hint=row.hint), "success")
    return redirect(url_for("auth.account") + "#api-tokens")
