"""Subscribers: email (double opt-in), webhooks and chat tools; per component or to everything.

The email opt-in (pending row, confirmation window, confirm, unsubscribe token) is `vault.subscriptions`;
this module adds the components followed, the confirmation mail and the webhooks. The unsubscribe token
is an HMAC of the subscriber's uid under the app secret: nothing to store, nothing to guess. The mails
about incidents go out from `status.fanout`.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from status.errors import StatusError
from status.links import external_url
from status.models import Component, Subscriber
from vault import notify
from vault.inputs import check_email
from vault.notify.channels import SIGNED_CHANNELS
from vault.subscriptions import OptInList

CHANNELS = ("email", "webhook", "slack", "teams", "dingtalk", "feishu", "wecom")
WEBHOOK_CHANNELS = CHANNELS[1:]
# The table holds webhooks too: only its email rows take part in the opt-in.
EMAILS = OptInList(Subscriber, address="target", purpose="status-unsubscribe",
                   only=(Subscriber.channel == "email",))


def unsubscribe_token(sub: Subscriber) -> str:
    return EMAILS.unsubscribe_token(sub)


def unsubscribe_url(sub: Subscriber) -> str:
    return external_url("status.unsubscribe", uid=sub.uid, token=unsubscribe_token(sub))


def _components(session: Session, component_ids, all_components: bool) -> list[Component]:
    if all_components:
        return []
    ids = set(component_ids or [])
    found = list(session.scalars(select(Component).where(Component.id.in_(ids)))) if ids else []
    if not found or len(found) != len(ids):
        raise StatusError("components", _l("Choose the components to follow, or choose everything."), "components")
    return found


def check_webhook_url(url: str | None) -> str:
    """Shape only; the notify SSRF guard decides at delivery time which addresses may be reached."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > 2000 or parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise StatusError("url", _l("Enter the webhook’s full address, starting with https://."), "url")
    if any(ord(ch) < 33 for ch in url):
        raise StatusError("url", _l("The address contains spaces or control characters."), "url")
    return url


# --- email: double opt-in ----------------------------------------------------------------------

def subscribe_email(session: Session, *, email: str, component_ids=(), all_components: bool = True,
                    locale: str = "en", now: datetime) -> Subscriber:
    """A pending subscription and its confirmation mail (`sensitive`: the link is erased from the outbox once
    sent). A confirmed subscription of the same address is replaced only when the new one is confirmed, so
    nobody can change someone else's choice. While a confirmation to the address is pending and younger than the window, nothing is added or sent."""
    email = check_email(email, error=StatusError)  # before the components: a bad address is named first
    components = _components(session, component_ids, all_components)  # a bad choice is refused either way

    def compose(sub: Subscriber, token: str) -> tuple[str, str]:
        return (_("Confirm your subscription to %(company)s status updates",
                  company=current_app.config["COMPANY_NAME"]),
                render_template("status/mail/confirm.txt", link=external_url("status.confirm", token=token),
                                sub=sub))

    return EMAILS.start_and_mail(session, email, now=now, locale=locale, compose=compose, error=StatusError,
                                 channel="email", all_components=all_components, components=components)


# --- webhooks and chat tools -------------------------------------------------------------------

def subscribe_webhook(session: Session, *, channel: str, url: str, component_ids=(), all_components: bool = True,
                      locale: str = "en", secret: str = "", now: datetime) -> tuple[Subscriber, str]:
    """Active at once (the URL's owner receives the messages, not a third party's inbox).

    Returns the subscriber and its HMAC signing secret (generated for the generic webhook; shown once)."""
    if channel not in WEBHOOK_CHANNELS:
        raise StatusError("channel", _l("Unknown kind of webhook “%(channel)s”.", channel=channel), "channel")
    url = check_webhook_url(url)
    try:
        notify.check_target(channel, url, notify.Settings.from_config(current_app.config))
    except notify.NotifyError as exc:
        raise StatusError("url", _l("This address cannot receive our messages (%(reason)s).", reason=str(exc)),
                          "url") from exc
    secret = (secret or "").strip()[:128] if channel in SIGNED_CHANNELS else ""
    if channel == "webhook" and not secret:
        secret = secrets.token_urlsafe(32)
    sub = Subscriber(channel=channel, target=url, secret=secret, locale=locale if locale in ("en", "zh") else "en",
                     all_components=all_components, created_at=now, confirmed_at=now,
                     components=_components(session, component_ids, all_components))
    session.add(sub)
    session.flush()
    return sub, secret


# --- unsubscribe -------------------------------------------------------------------------------

def unsubscribe(session: Session, sub: Subscriber) -> None:
    """Also for webhooks (their payloads carry the same link) and for staff removing a subscriber."""
    EMAILS.unsubscribe(session, sub)


def list_subscribers(session: Session) -> list[Subscriber]:
    return list(session.scalars(select(Subscriber).options(selectinload(Subscriber.components))
                                .order_by(Subscriber.created_at.desc())))


def get_subscriber(session: Session, uid: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.uid == uid)) if uid and len(uid) <= 16 else None
