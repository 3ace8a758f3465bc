"""Web forms for documents and versions. Field checks that the CLI shares live in validation.py."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from vault.documents.labels import TYPE_LABELS, VISIBILITY_LABELS
from vault.documents.models import FRAMEWORKS, Visibility

_SPLIT = re.compile(r"[,，;；、\n]")


def split_custom(value: str | None) -> list[str]:
    """Custom frameworks typed as one line: commas (also Chinese ones) or semicolons separate them."""
    return [part.strip() for part in _SPLIT.split(value or "") if part.strip()]


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DocumentForm(FlaskForm):
    title_en = StringField(_l("Title (English)"))
    description_en = TextAreaField(_l("Description (English)"))
    title_zh = StringField(_l("Title (Chinese)"))
    description_zh = TextAreaField(_l("Description (Chinese)"))
    doc_type = SelectField(_l("Type"), choices=_choices(TYPE_LABELS))
    visibility = SelectField(_l("Visibility"), choices=_choices(VISIBILITY_LABELS),
                             default=Visibility.INTERNAL.value)
    frameworks = MultiCheckboxField(_l("Frameworks"), choices=_choices(FRAMEWORKS), validate_choice=True)
    custom_frameworks = StringField(_l("Other frameworks (separated by commas)"))

    def texts(self) -> dict[str, tuple[str, str]]:
        return {"en": (self.title_en.data or "", self.description_en.data or ""),
                "zh": (self.title_zh.data or "", self.description_zh.data or "")}

    def all_frameworks(self) -> list[str]:
        return list(self.frameworks.data or []) + split_custom(self.custom_frameworks.data)


class VersionForm(FlaskForm):
    file = FileField(_l("File"))
    effective_date = DateField(_l("Effective date"), validators=[Optional()])
    expiry_date = DateField(_l("Expiry date"), validators=[Optional()])
    audit_period_start = DateField(_l("Audit period start"), validators=[Optional()])
    audit_period_end = DateField(_l("Audit period end"), validators=[Optional()])
    issuer = StringField(_l("Issuer or auditor"))
    notes = TextAreaField(_l("Notes"))


class NewDocumentForm(DocumentForm, VersionForm):
    """Create a document together with its first version."""


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason for withdrawal"))


class ActionForm(FlaskForm):
    """A POST button with its CSRF token only (pin, unpin)."""
