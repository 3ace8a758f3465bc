"""Staff forms of the overview. Checks live in the service; these only carry the values (and CSRF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from vault.overview import service


class SettingsForm(FlaskForm):
    summary_en = TextAreaField(_l("Summary (English)"))
    summary_zh = TextAreaField(_l("Summary (Chinese)"))
    security_contact = StringField(_l("Security contact (email address or https:// page for reporting "
                                      "vulnerabilities)"))


class ItemForm(FlaskForm):
    title_en = StringField(_l("Title (English)"))
    title_zh = StringField(_l("Title (Chinese)"))
    text_en = TextAreaField(_l("Text (English)"))
    text_zh = TextAreaField(_l("Text (Chinese)"))
    evidence = SelectField(_l("Evidence document (optional)"), choices=[], validate_choice=False)


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False, html_tag="ul")
    option_widget = CheckboxInput()


UNIT_CHOICES = [SelectChoice("", "—"), SelectChoice("minutes", _l("minutes")), SelectChoice("hours", _l("hours")),
                SelectChoice("days", _l("days"))]


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def section_form(key: str, formdata=None, data: dict | None = None) -> FlaskForm:
    """A form for one section: the title overrides and that section's facts (service.FACTS)."""

    class SectionForm(FlaskForm):
        title_en = StringField(_l("Title in English (blank: the default title)"))
        title_zh = StringField(_l("Title in Chinese (blank: the default title)"))

    for spec in service.FACTS.get(key, ()):
        if spec.kind == "duration":
            setattr(SectionForm, f"{spec.key}_amount", StringField(_l("Number")))  # the fieldset's legend names it
            setattr(SectionForm, f"{spec.key}_unit", SelectField(_l("Unit"), choices=UNIT_CHOICES,
                                                                 validate_choice=False))
        elif spec.kind == "choice":
            setattr(SectionForm, spec.key, SelectField(spec.label, choices=_choices((("", "—"),) + spec.choices),
                                                       validate_choice=False))
        elif spec.kind == "choices":
            setattr(SectionForm, spec.key, CheckboxList(spec.label, choices=_choices(spec.choices),
                                                         validate_choice=False))
        else:
            setattr(SectionForm, spec.key, StringField(spec.label))
    kwargs = {"formdata": formdata} if formdata is not None else {}
    return SectionForm(data=data, **kwargs)


def section_data(section) -> dict:
    """The stored section as form values."""
    data = {"title_en": section.title_en, "title_zh": section.title_zh}
    for spec in service.FACTS.get(section.key, ()):
        value = (section.facts or {}).get(spec.key)
        if spec.kind == "duration":
            data[f"{spec.key}_amount"] = str(value["amount"]) if value else ""
            data[f"{spec.key}_unit"] = value["unit"] if value else ""
        elif spec.kind == "choices":
            data[spec.key] = list(value or [])
        else:
            data[spec.key] = value or ""
    return data


def facts_from(form, key: str) -> dict:
    raw = {}
    for spec in service.FACTS.get(key, ()):
        if spec.kind == "duration":
            raw[f"{spec.key}_amount"] = getattr(form, f"{spec.key}_amount").data
            raw[f"{spec.key}_unit"] = getattr(form, f"{spec.key}_unit").data
        else:
            raw[spec.key] = getattr(form, spec.key).data
    return raw
