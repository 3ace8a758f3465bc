"""Notifications: the one path for email and webhooks (trust center, expiry reminders, status page).

    from vault import notify
    notify.send_email(session, to="a@example.com", subject="…", text="…")
    notify.send(session, channel="slack", target=url, message=notify.Message(subject="…", text="…"))
    notify.deliver_pending(session)          # the job behind `vault notify deliver`
    notify.purge_and_record(session, actor=…) # the job behind `vault notify purge` (retention)
"""
from vault.notify.channels import CHANNELS
from vault.notify.channels.base import DeliveryError, Message
from vault.notify.models import Outbox
from vault.notify.service import (BACKOFF, MAX_ATTEMPTS, DeliveryReport, NotifyError, PurgeReport, check_target,
                                  deliver_pending, purge_and_record, send, send_email)
from vault.notify.settings import Settings

__all__ = ["BACKOFF", "CHANNELS", "MAX_ATTEMPTS", "DeliveryError", "DeliveryReport", "Message", "NotifyError",
           "Outbox", "PurgeReport", "Settings", "check_target", "deliver_pending", "purge_and_record", "send",
           "send_email"]
