"""The report form: what goes in, the language, and a library search. Choices are checked by the service
(with a message on the field), so the lists here only carry the CSRF token and the raw values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """The service checks the values (a document unpublished since, an answer no longer approved)."""


class ReportForm(FlaskForm):
    language = RadioField(_l("Language of the report"),
                          choices=[SelectChoice("en", "English"), SelectChoice("zh", "中文")],
                          default="en")
    sections = Checkboxes(_l("Security overview sections"), choices=[])
    documents = Checkboxes(_l("Documents (title, type, validity and public summary)"), choices=[])
    answers = Checkboxes(_l("Library answers"), choices=[])
    q = StringField(_l("Search the answer library"))
    status = BooleanField(_l("Service status of the last 90 days (uptime per component, incidents)"),
                          default=True)
