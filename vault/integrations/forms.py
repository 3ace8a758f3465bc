"""The integrations page's forms (each carries a CSRF token); the rules live in service.py."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

KIND_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce", "webhook": _l("Webhook (JSON, signed)"),
              "slack": "Slack", "teams": "Microsoft Teams", "feishu": "Feishu / Lark 飞书",
              "dingtalk": "DingTalk 钉钉", "wecom": "WeCom 企业微信"}
EVENT_NAMES = {"access.requested": _l("Access requested (email confirmed)"),
               "nda.signed": _l("NDA signed"), "access.approved": _l("Access approved"),
               "document.downloaded": _l("Document downloaded"),
               "questionnaire.matched": _l("Questionnaire matched")}
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


class EventsField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """Which events a kind takes is the service's rule, with its own message."""


class EditForm(FlaskForm):
    label = StringField(_l("Name"))
    secret = PasswordField(_l("New API token or signing secret (leave empty to keep the stored one)"))
    events = EventsField(_l("Events"), choices=[SelectChoice(k, v) for k, v in EVENT_NAMES.items()])
    language = SelectField(_l("Language of the messages"), choices=[])
    template_id = StringField(_l("HubSpot event template id"))
    fallback = StringField(_l("Fallback company / account id (optional)"))
    api_version = StringField(_l("Salesforce API version (optional)"))


class TargetForm(EditForm):
    """A new integration: also what it is and where it lives."""
    kind = SelectField(_l("Service"), choices=[SelectChoice(k, v) for k, v in KIND_NAMES.items()])
    url = StringField(_l("URL"))
    secret = PasswordField(_l("API token or signing secret"))


class TestForm(FlaskForm):
    domain = StringField(_l("Look up this email domain"))


class ActionForm(FlaskForm):
    """A POST button: the CSRF token only."""
