"""Forms of the expiry pages (each carries a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from vault.notify.channels import URL_CHANNELS

CHANNEL_NAMES = {"webhook": "Webhook (JSON, HMAC)", "slack": "Slack", "teams": "Microsoft Teams",
                 "dingtalk": "DingTalk 钉钉", "feishu": "Feishu / Lark 飞书", "wecom": "WeCom 企业微信"}


class SettingsForm(FlaskForm):
    thresholds = StringField(_l("Remind this many days before"), validators=[InputRequired(), Length(max=200)])
    overdue_repeat_days = IntegerField(_l("Then, while overdue, remind every (days)"),
                                       validators=[InputRequired(), NumberRange(min=1, max=365)])
    notify_owner = BooleanField(_l("Remind the owner"))
    notify_legal_role = BooleanField(_l("Remind every active user with the legal role"))
    legal_emails = TextAreaField(_l("Also remind these addresses (one per line)"),
                                 validators=[Optional(), Length(max=5000)])
    scheduler_enabled = BooleanField(_l("Run reminders inside the application (instead of cron)"))
    scheduler_interval_minutes = IntegerField(_l("Every (minutes)"),
                                              validators=[InputRequired(), NumberRange(min=1, max=1440)])


class DestinationForm(FlaskForm):
    channel = SelectField(_l("Channel"), choices=[SelectChoice(c, CHANNEL_NAMES.get(c, c))
                                                         for c in sorted(URL_CHANNELS)])
    target = StringField(_l("Webhook URL"), validators=[InputRequired(), Length(max=2048)])
    secret = PasswordField(_l("Signing secret (webhook, DingTalk, Feishu)"), validators=[Optional(), Length(max=512)])
    label = StringField(_l("Name"), validators=[Optional(), Length(max=200)])


class FeedForm(FlaskForm):
    label = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    mine_only = BooleanField(_l("Only the dates I own"))


class ActionForm(FlaskForm):
    """A POST button: the CSRF token only."""
