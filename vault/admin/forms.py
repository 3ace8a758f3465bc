"""Forms of the admin pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from vault.auth.passwords import MAX_LENGTH
from vault.auth.roles import Role

ROLE_LABELS = {
    Role.ADMIN: _l("Admin: everything, users and settings"),
    Role.SECURITY: _l("Security: documents and the answer library"),
    Role.SALES: _l("Sales: questionnaires and access requests"),
    Role.LEGAL: _l("Legal: documents, NDAs and expiry"),
    Role.VIEWER: _l("Viewer: read only"),
}


def role_choices() -> list[tuple[str, object]]:
    return [(r.value, ROLE_LABELS[r]) for r in Role]


class UserCreateForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, default=Role.VIEWER.value)
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)


class AuditFilterForm(FlaskForm):
    """Read from the query string; a GET search changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    action = StringField(_l("Action starts with"), validators=[Optional(), Length(max=64)])
    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=320)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=64)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=64)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (inclusive)"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1)], default=1)
