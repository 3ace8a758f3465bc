"""The trust center settings and subprocessor forms (admins). Checks live in the services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional


class SettingsForm(FlaskForm):
    company_name = StringField(_l("Company name"))
    summary_en = TextAreaField(_l("Summary (English)"))
    summary_zh = TextAreaField(_l("Summary (Chinese)"))
    logo = FileField(_l("Logo (PNG or JPEG, at most 1 MB)"))
    free_mail_domains = TextAreaField(_l("Free email domains (refused; one per line)"))
    blocked_domains = TextAreaField(_l("Blocked domains, such as competitors (refused; one per line)"))
    allowed_domains = TextAreaField(_l("Customer domains approved automatically (one per line)"))
    default_grant_days = IntegerField(_l("Default access duration (days)"), validators=[Optional()])
    show_expired = BooleanField(_l("Show expired certifications (marked as expired)"))


class SubprocessorForm(FlaskForm):
    name = StringField(_l("Name"))
    purpose_en = TextAreaField(_l("Purpose (English)"))
    purpose_zh = TextAreaField(_l("Purpose (Chinese)"))
    data_categories = TextAreaField(_l("Customer data it processes (for example: account data, support tickets)"))
    data_categories_zh = TextAreaField(_l("Data categories (Chinese)"))
    location = StringField(_l("Where the data is processed (for example: Ireland (AWS eu-west-1))"))
    location_zh = StringField(_l("Location (Chinese)"))
    website = StringField(_l("Website (https://…)"))
    effective_from = DateField(_l("In use from (a future date announces it in advance; empty: already in use)"),
                               validators=[Optional()])


class SubprocessorSubscribeForm(FlaskForm):
    """Public: an email address to tell of subprocessor changes (checked in trust.notices)."""
    email = StringField(_l("Email address"))
