"""Web forms of the status pages (Flask-WTF: CSRF on every one). Checks shared with the CLI live in service.py."""
from __future__ import annotations

from datetime import timezone

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from status.labels import IMPACT_LABELS, STATE_LABELS, STATUS_LABELS
from status.models import INCIDENT_STATUSES, MAINTENANCE_STATUSES, Impact

def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


NEXT_UPDATE_CHOICES = [("15", _l("In 15 minutes")), ("30", _l("In 30 minutes")), ("60", _l("In 1 hour")),
                       ("120", _l("In 2 hours")), ("240", _l("In 4 hours")), ("1440", _l("In 24 hours")),
                       ("", _l("No promise (only when closing)"))]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """Buttons that only need the CSRF token (revoke, remove, confirm, unsubscribe)."""


class ComponentForm(FlaskForm):
    key = StringField(_l("Key (used by monitoring, e.g. “api” or “cn-east”)"))
    name_en = StringField(_l("Name (English)"))
    name_zh = StringField(_l("Name (Chinese)"))
    description = TextAreaField(_l("Description"))
    group = SelectField(_l("Group"), choices=[], validate_choice=False)


class GroupForm(FlaskForm):
    name_en = StringField(_l("Group name (English)"))
    name_zh = StringField(_l("Group name (Chinese)"))


class StateForm(FlaskForm):
    state = SelectField(_l("State"), choices=choices((s.value, label) for s, label in STATE_LABELS.items()))


def _update_fields(cls):
    cls.body_en = TextAreaField(_l("Update (English)"))
    cls.body_zh = TextAreaField(_l("Update (Chinese)"))
    cls.next_update = SelectField(_l("Next update"), choices=choices(NEXT_UPDATE_CHOICES), default="30")
    cls.notify = BooleanField(_l("Notify subscribers (email, webhooks, feed)"), default=True)
    return cls


@_update_fields
class IncidentForm(FlaskForm):
    title_en = StringField(_l("Title (English)"))
    title_zh = StringField(_l("Title (Chinese)"))
    impact = SelectField(_l("Impact"), choices=choices((i.value, label) for i, label in IMPACT_LABELS.items()
                                                       if i != Impact.MAINTENANCE), default=Impact.MINOR.value)
    status = SelectField(_l("Status"), choices=choices((s.value, STATUS_LABELS[s]) for s in INCIDENT_STATUSES))


@_update_fields
class UpdateForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[])
    publish = BooleanField(_l("Publish this draft incident"))

    def set_kind(self, maintenance: bool) -> None:
        statuses = MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES
        self.status.choices = choices((s.value, STATUS_LABELS[s]) for s in statuses)


class TitleForm(FlaskForm):
    title_en = StringField(_l("Title (English)"))
    title_zh = StringField(_l("Title (Chinese)"))
    impact = SelectField(_l("Impact"), choices=choices((i.value, label) for i, label in IMPACT_LABELS.items()
                                                       if i != Impact.MAINTENANCE))


class ReportForm(FlaskForm):
    root_cause = TextAreaField(_l("Root cause (Markdown)"))
    actions = TextAreaField(_l("Corrective actions (Markdown)"))
    publish = BooleanField(_l("Publish on the incident page and keep it as a document in the vault"))
    notify = BooleanField(_l("Notify subscribers that the report is published"))


class MaintenanceForm(FlaskForm):
    title_en = StringField(_l("Title (English)"))
    title_zh = StringField(_l("Title (Chinese)"))
    starts_at = DateTimeLocalField(_l("Starts (UTC)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField(_l("Ends (UTC)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    components = MultiCheckboxField(_l("Affected components"), choices=[], validate_choice=False)
    body_en = TextAreaField(_l("Description (English)"))
    body_zh = TextAreaField(_l("Description (Chinese)"))
    auto = BooleanField(_l("Start and end automatically at these times"), default=True)
    notify = BooleanField(_l("Notify subscribers"), default=True)

    def window(self):
        def utc(v):
            return v.replace(tzinfo=timezone.utc) if v else None
        return utc(self.starts_at.data), utc(self.ends_at.data)


class TokenForm(FlaskForm):
    name = StringField(_l("Name (the monitoring system that uses it)"))
    all_components = BooleanField(_l("May change every component"))
    components = MultiCheckboxField(_l("Components it may change"), choices=[], validate_choice=False)
    may_open_incidents = BooleanField(_l("May open draft incidents"))


class SubscribeForm(FlaskForm):
    channel = RadioField(_l("How"), choices=choices([
        ("email", _l("Email")), ("webhook", _l("Webhook (JSON, signed)")), ("slack", "Slack"),
        ("teams", "Microsoft Teams"), ("dingtalk", _l("DingTalk")), ("feishu", _l("Feishu")), ("wecom", _l("WeCom"))]), default="email")
    email = StringField(_l("Email address"))
    url = StringField(_l("Webhook address"))
    secret = StringField(_l("Signing secret (DingTalk, Feishu; optional)"))
    everything = BooleanField(_l("Everything"), default=True)
    components = MultiCheckboxField(_l("Only these components"), choices=[], validate_choice=False)
