"""The single sign-on settings form (Flask-WTF: CSRF token included)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class SsoSettingsForm(FlaskForm):
    oidc_enabled = BooleanField(_l("Sign-in with OpenID Connect"))
    oidc_issuer = StringField(_l("Issuer URL"), validators=[Optional(), Length(max=500)])
    oidc_client_id = StringField(_l("Client ID"), validators=[Optional(), Length(max=255)])
    oidc_client_secret = PasswordField(_l("Client secret (leave empty to keep the stored one)"),
                                       validators=[Optional(), Length(max=2000)])
    oidc_groups_claim = StringField(_l("Groups claim"), validators=[Optional(), Length(max=200)], default="groups")
    saml_enabled = BooleanField(_l("Sign-in with SAML 2.0"))
    saml_idp_metadata = TextAreaField(_l("Identity provider metadata (XML)"),
                                      validators=[Optional(), Length(max=200_000)])
    saml_email_attribute = StringField(_l("Email attribute"), validators=[Optional(), Length(max=300)], default="email")
    saml_groups_attribute = StringField(_l("Groups attribute"), validators=[Optional(), Length(max=300)],
                                        default="groups")
    group_roles = TextAreaField(_l("Group to role, one “group = role” a line; the first matching line wins"),
                                validators=[Optional(), Length(max=60_000)])
    sso_only = BooleanField(_l("SSO only: turn password sign-in off for everyone but the break-glass admin"))
    break_glass_email = StringField(_l("Break-glass admin (email)"), validators=[Optional(), Length(max=320)])
