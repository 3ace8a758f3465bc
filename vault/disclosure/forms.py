"""Forms of vulnerability disclosure. Field rules live in service.py; these carry CSRF and raw values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from vault.disclosure.service import SEVERITY_LABELS


def severity_choices():
    return list(SEVERITY_LABELS.items())


class ReportForm(FlaskForm):
    name = StringField(_l("Your name (optional)"))
    email = StringField(_l("Your email"))
    title = StringField(_l("Title"))
    product = StringField(_l("Affected product or URL"))
    severity = SelectField(_l("How severe do you think it is?"), choices=[], validate_choice=False)
    description = TextAreaField(_l("Description and steps to reproduce"))
    attachments = MultipleFileField(_l("Attachments (optional)"))
    credit = BooleanField(_l("Credit me by name on the hall of fame once the issue is fixed"))
    # Anti-abuse without a CAPTCHA: a field people never see, and when the form was shown (signed).
    website = StringField(_l("Leave this field empty"))
    started = HiddenField()


class FollowupForm(FlaskForm):
    text = TextAreaField(_l("Message"))


class StateForm(FlaskForm):
    state = SelectField(_l("State"), choices=[], validate_choice=False)
    severity = SelectField(_l("Assessed severity"), choices=[], validate_choice=False)


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Reply to the reporter (emailed and shown on their private link)"))


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note (staff only)"))


class PolicyForm(FlaskForm):
    text_en = TextAreaField(_l("Policy (English)"))
    text_zh = TextAreaField(_l("Policy (Chinese)"))


class AdvisoryForm(FlaskForm):
    """The 'publish as advisory' button."""
