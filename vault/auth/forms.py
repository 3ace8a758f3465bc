"""Forms of the sign-in and account pages (Flask-WTF: each one carries a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from vault.auth.passwords import MAX_LENGTH

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}  # each in its own language, never translated


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class TotpLoginForm(FlaskForm):
    code = StringField(_l("Six-digit code from your authenticator app"),
                       validators=[DataRequired(), Length(min=6, max=10)])


class TotpCodeForm(FlaskForm):
    code = StringField(_l("Current six-digit code"), validators=[DataRequired(), Length(min=6, max=10)])


class ActionForm(FlaskForm):
    """A button that changes something: nothing but the CSRF token."""


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    locale = SelectField(_l("Language"), choices=[], validate_choice=True)

    def set_languages(self, languages: list[str]) -> None:
        self.locale.choices = [("", _l("Same as my browser"))] + [
            (code, LANGUAGE_NAMES.get(code, code)) for code in languages]


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])
