"""The dashboard's filters: a GET form (it changes nothing, so it carries no CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from vault.engagement.service import DEFAULT_PERIOD, PERIODS


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    period = SelectField(_l("Period"), default=str(DEFAULT_PERIOD),
                         choices=[(str(d), _l("Last %(days)d days", days=d)) for d in PERIODS])
    company = SelectField(_l("Company"), default="", choices=[])

    def __init__(self, companies: list[tuple[str, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.company.choices = [("", _l("All companies"))] + [(d, f"{name} ({d})" if name and name != d else d)
                                                               for d, name in companies]
