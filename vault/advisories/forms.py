"""Advisory, timeline, announcement and subscription forms. The checks live in service.py."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import Optional


class AdvisoryForm(FlaskForm):
    title_en = StringField(_l("Title (English)"))
    title_zh = StringField(_l("Title (Chinese)"))
    body_en = TextAreaField(_l("Description (English, Markdown)"))
    body_zh = TextAreaField(_l("Description (Chinese, Markdown)"))
    cvss_vector = StringField(_l("CVSS v3.1 vector (for example CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)"))
    cve_ids = StringField(_l("CVE ids (comma separated)"))
    affected = TextAreaField(_l("Affected products, one per line as “Product: versions”"))
    fixed_in = TextAreaField(_l("Fixed in, one per line as “Product: version”"))
    change_summary = StringField(_l("What changed (shown in the revision history of a published advisory)"))


class TimelineForm(FlaskForm):
    happened_on = DateField(_l("Date"), validators=[Optional()])
    text_en = StringField(_l("Entry (English)"))
    text_zh = StringField(_l("Entry (Chinese)"))


class AnnouncementForm(FlaskForm):
    title_en = StringField(_l("Title (English)"))
    title_zh = StringField(_l("Title (Chinese)"))
    body_en = TextAreaField(_l("Text (English, Markdown)"))
    body_zh = TextAreaField(_l("Text (Chinese, Markdown)"))


class SubscribeForm(FlaskForm):
    """Public: an address for the advisory mailing list (checked in emails.subscribe)."""
    email = StringField(_l("Email address"))
