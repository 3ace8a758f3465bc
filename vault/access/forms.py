"""Forms of the access flow. Field rules live in service.py (shared with the CLI and tests); these
forms carry the CSRF token and the raw values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """Choices are checked by the service, with a message the person understands."""


class RequestForm(FlaskForm):
    documents = MultiCheckboxField(_l("Documents"), choices=[])
    all_nda = BooleanField(_l("All documents under NDA"))
    name = StringField(_l("Full name"))
    email = StringField(_l("Work email"))
    company = StringField(_l("Company"))
    reason = TextAreaField(_l("Why do you need them? (optional)"))


class ConfirmForm(FlaskForm):
    """The confirm button: only its POST uses the link, so mail scanners that open links do not."""


class NdaForm(FlaskForm):
    nda_version = HiddenField()
    full_name = StringField(_l("Type your full name to sign"))
    accept = BooleanField(_l("I have read the non-disclosure agreement and accept it on behalf of my company."))


class ApproveForm(FlaskForm):
    documents = MultiCheckboxField(_l("Documents to share"), choices=[])
    days = IntegerField(_l("Access lasts (days)"), validators=[Optional()])


class DenyForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the requester)"))


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason (optional)"))


class OfflineNdaForm(FlaskForm):
    name = StringField(_l("Signer's full name"))
    email = StringField(_l("Signer's email"))
    company = StringField(_l("Company"))
    notes = TextAreaField(_l("Notes (optional)"))
    file = FileField(_l("Signed copy"))


class TraceForm(FlaskForm):
    file = FileField(_l("Leaked file (PDF or DOCX)"))


class UnmarkedForm(FlaskForm):
    allow = BooleanField(_l("Serve this document to grantees even though its format cannot be watermarked"))
