"""Notifications: the one path for email and webhooks (trust center, expiry reminders, status page).

    from vault import notify
    notify.send_email(session, to="a@example.com", subject="…", text="…")
    notify.send(session, channel="slack", target=url, message=notify.Message(subject="…", text="…"))
    notify.deliver_pending(session)          # the job behind `vault notify deliver`
"""
from vault.notify.channels import CHANNELS
from vault.notify.channels.base import DeliveryError, Message
from vault.notify.models import Outbox
from vault.notify.service import (BACKOFF, MAX_ATTEMPTS, DeliveryReport, NotifyError, check_target,
                                  deliver_pending, send, send_email)
from vault.notify.settings import Settings

__all__ = ["BACKOFF", "CHANNELS", "MAX_ATTEMPTS", "DeliveryError", "DeliveryReport", "Message", "NotifyError",
           "Outbox", "Settings", "check_target", "deliver_pending", "send", "send_email"]
