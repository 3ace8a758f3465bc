"""The dashboard's filters: a GET form (it changes nothing, so it carries no CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


class OfferedChoice(SelectField):
    """A select whose value must be one of its options, with a message in the reader's language."""

    def pre_validate(self, form) -> None:
        if self.data not in {c.value if isinstance(c, SelectChoice) else c[0] for c in self.choices}:
            raise ValidationError(_l("This is not one of the offered values; the default is shown instead."))

from vault.engagement.service import DEFAULT_PERIOD, PERIODS


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    period = OfferedChoice(_l("Period"), default=str(DEFAULT_PERIOD),
                         choices=[SelectChoice(str(d), _l("Last %(days)d days", days=d)) for d in PERIODS])
    company = OfferedChoice(_l("Company"), default="", choices=[])

    def __init__(self, companies: list[tuple[str, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.company.choices = [SelectChoice("", _l("All companies"))] + [
            SelectChoice(d, f"{name} ({d})" if name and name != d else d) for d, name in companies]
