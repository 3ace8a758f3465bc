"""Telling subscribers about an incident update or a post-incident report: one message per confirmed
subscriber who follows an affected component (or everything), in their language, queued through
`vault.notify` in the caller's transaction. Mail carries a one-click unsubscribe link (RFC 8058:
List-Unsubscribe + List-Unsubscribe-Post); webhooks and chat tools get the incident in Statuspage's shape.

Called by `status.service` when an update or report is published; it imports no service in return.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import render_template
from flask_babel import force_locale, gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from status.labels import status_label, template_helpers
from status.links import external_url
from status.models import Incident, IncidentUpdate, Subscriber, subscriber_components
from status.shapes import incident_json
from status.subscriptions import unsubscribe_url
from vault import notify


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
                    "incident": incident_json(incident, lang=lang, with_report=update is None)}
            notify.send(session, channel=sub.channel, target=sub.target, dedupe_key=key, secret=sub.secret or None,
                        message=notify.Message(subject=subject, text=text, url=incident_url, data=data))
    return len(subs)


def _compose(incident: Incident, update: IncidentUpdate | None, lang: str, url: str, sub: Subscriber):
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
