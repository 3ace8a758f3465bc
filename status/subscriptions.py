"""Subscribers: email (double opt-in), webhooks and chat tools; per component or to everything.

All sending goes through `vault.notify` (queued in the caller's transaction). Every mail carries a
one-click unsubscribe link (RFC 8058: List-Unsubscribe + List-Unsubscribe-Post). The unsubscribe token
is an HMAC of the subscriber's uid under the app secret: nothing to store, nothing to guess.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from status.links import external_url
from status.models import Component, Incident, IncidentUpdate, Subscriber, subscriber_components
from status.service import StatusError
from vault.tokens import hash_token
from vault.confirmations import confirm_mail_may_go

CHANNELS = ("email", "webhook", "slack", "teams", "dingtalk", "feishu", "wecom")
WEBHOOK_CHANNELS = CHANNELS[1:]
CONFIRM_TTL = timedelta(hours=48)
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]{2,}$")


def unsubscribe_token(sub: Subscriber) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"status-unsubscribe:{sub.uid}".encode(), hashlib.sha256).hexdigest()


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


def check_email(email: str | None) -> str:
    email = (email or "").strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise StatusError("email", _l("Enter a valid email address, such as name@example.com."), "email")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


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
    """A pending subscription and its confirmation mail. A confirmed subscription of the same address is
    replaced only when the new one is confirmed, so nobody can change someone else's choice. While a
    confirmation to the address is pending and younger than the window, nothing is added or sent
    (`vault.confirmations`)."""
    from vault import notify

    email = check_email(email)
    components = _components(session, component_ids, all_components)  # a bad choice is refused either way
    pending = _pending_email(session, email)
    if pending is not None and not confirm_mail_may_go(pending.created_at, now):
        return pending  # one pending confirmation per address per window, whoever asks: no second mail
    if pending is not None:  # its mail went out a while ago: this request replaces it, rows never pile up
        session.execute(delete(Subscriber).where(Subscriber.channel == "email", Subscriber.confirmed_at.is_(None),
                                                 func.lower(Subscriber.target) == email.lower()))
    sub = Subscriber(channel="email", target=email, locale=locale if locale in ("en", "zh") else "en",
                     all_components=all_components, created_at=now,
                     components=components)
    token = secrets.token_urlsafe(32)
    sub.confirm_hash, sub.confirm_expires_at = hash_token(token), now + CONFIRM_TTL
    session.add(sub)
    session.flush()
    link = external_url("status.confirm", token=token)
    with force_locale(sub.locale):
        subject = _("Confirm your subscription to %(company)s status updates",
                    company=current_app.config["COMPANY_NAME"])
        text = render_template("status/mail/confirm.txt", link=link, sub=sub)
    notify.send_email(session, to=email, subject=subject, text=text)
    return sub


def _pending_email(session: Session, email: str) -> Subscriber | None:
    """The newest unconfirmed email subscription of the address (case-insensitive: the same mailbox)."""
    return session.scalars(select(Subscriber).where(
        Subscriber.channel == "email", Subscriber.confirmed_at.is_(None), func.lower(Subscriber.target) == email.lower())
        .order_by(Subscriber.created_at.desc(), Subscriber.id.desc())).first()


def pending_by_token(session: Session, token: str, *, now: datetime) -> Subscriber | None:
    if not token or len(token) > 100:
        return None
    sub = session.scalar(select(Subscriber).where(Subscriber.confirm_hash == hash_token(token)))
    if sub is None or sub.confirm_expires_at is None or sub.confirm_expires_at < now:
        return None
    return sub


def confirm(session: Session, sub: Subscriber, *, now: datetime) -> None:
    """Confirm (POST only: mail scanners follow GET links); older subscriptions of the address go."""
    sub.confirmed_at, sub.confirm_hash, sub.confirm_expires_at = now, None, None
    session.execute(delete(Subscriber).where(Subscriber.channel == "email", Subscriber.target == sub.target,
                                             Subscriber.id != sub.id))
    session.flush()


# --- webhooks and chat tools -------------------------------------------------------------------

def subscribe_webhook(session: Session, *, channel: str, url: str, component_ids=(), all_components: bool = True,
                      locale: str = "en", secret: str = "", now: datetime) -> tuple[Subscriber, str]:
    """Active at once (the URL's owner receives the messages, not a third party's inbox).

    Returns the subscriber and its HMAC signing secret (generated for the generic webhook; shown once)."""
    if channel not in WEBHOOK_CHANNELS:
        raise StatusError("channel", _l("Unknown kind of webhook “%(channel)s”.", channel=channel), "channel")
    from vault import notify
    from vault.notify.channels import SIGNED_CHANNELS

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

def by_unsubscribe_token(session: Session, uid: str, token: str) -> Subscriber | None:
    if not uid or len(uid) > 16 or not token or len(token) > 128:
        return None
    sub = session.scalar(select(Subscriber).where(Subscriber.uid == uid))
    if sub is None or not hmac.compare_digest(unsubscribe_token(sub), token):
        return None
    return sub


def unsubscribe(session: Session, sub: Subscriber) -> None:
    session.delete(sub)
    session.flush()


def list_subscribers(session: Session) -> list[Subscriber]:
    return list(session.scalars(select(Subscriber).options(selectinload(Subscriber.components))
                                .order_by(Subscriber.created_at.desc())))


def get_subscriber(session: Session, uid: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.uid == uid)) if uid and len(uid) <= 16 else None


# --- fan-out -----------------------------------------------------------------------------------

def recipients(session: Session, incident: Incident) -> list[Subscriber]:
    ids = [c.id for c in incident.components]
    follows = select(subscriber_components.c.subscriber_id).where(subscriber_components.c.component_id.in_(ids))
    return list(session.scalars(select(Subscriber).where(
        Subscriber.confirmed_at.is_not(None),
        or_(Subscriber.all_components.is_(True), Subscriber.id.in_(follows))).order_by(Subscriber.id)))


def notify_update(session: Session, incident: Incident, update: IncidentUpdate) -> int:
    return _fan_out(session, incident, update=update, dedupe=f"status-update:{update.uid}")


def notify_report(session: Session, incident: Incident) -> int:
    return _fan_out(session, incident, update=None,
                    dedupe=f"status-report:{incident.uid}:{incident.report_published_at.isoformat()}")


def _fan_out(session: Session, incident: Incident, *, update: IncidentUpdate | None, dedupe: str) -> int:
    from status import api
    from vault import notify

    incident_url = external_url("status.incident", uid=incident.uid)
    subs = recipients(session, incident)
    for sub in subs:
        lang = sub.locale
        with force_locale(lang):
            subject, text, html = _compose(incident, update, lang, incident_url, sub)
        key = f"{dedupe}:{sub.uid}"
        if sub.channel == "email":
            unsub = unsubscribe_url(sub)
            notify.send_email(session, to=sub.target, subject=subject, text=text, html=html, dedupe_key=key,
                              headers={"List-Unsubscribe": f"<{unsub}>",
                                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                                       "List-Id": f"<status.{urlsplit(incident_url).hostname}>"})
        else:
            data = {"event": "report_published" if update is None else f"{incident.kind}_update",
                    "meta": {"unsubscribe": unsubscribe_url(sub)},
                    "incident": api.incident_json(incident, lang=lang, with_report=update is None)}
            notify.send(session, channel=sub.channel, target=sub.target, dedupe_key=key, secret=sub.secret or None,
                        message=notify.Message(subject=subject, text=text, url=incident_url, data=data))
    return len(subs)


def _compose(incident: Incident, update: IncidentUpdate | None, lang: str, url: str, sub: Subscriber):
    from status.labels import status_label, template_helpers
    title = incident.title(lang)
    if update is None:
        subject = _("Post-incident report: %(title)s", title=title)
    else:
        subject = f"[{status_label(update.status)}] {title}"
    ctx = {"incident": incident, "update": update, "lang": lang, "url": url, "title": title,
           "unsubscribe": unsubscribe_url(sub) if sub.channel == "email" else None}
    ctx.update(template_helpers())  # also outside the status blueprints (CLI jobs)
    text = render_template("status/mail/update.txt", **ctx)
    html = render_template("status/mail/update.html", **ctx) if sub.channel == "email" else None
    return subject, text, html
