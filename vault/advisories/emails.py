"""The advisory mailing list and its mails: double opt-in through `vault.subscriptions.OptInList`, one mail
per confirmed subscriber when an advisory is published, in the subscriber's language.

Everything goes through `vault.notify`, queued in the caller's transaction and sent after commit. The
confirmation mail is `sensitive` (its one-time link is erased from the outbox once sent). A publication
mail carries a one-click unsubscribe link (RFC 8058: `List-Unsubscribe: <https://...>` and
`List-Unsubscribe-Post`) and the dedupe key `advisory:<id>:published:<subscriber>`, so the same
advisory never reaches a subscriber twice, whatever happens to the advisory later.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import notify
from vault.advisories.labels import severity_name
from vault.advisories.models import Advisory, AdvisorySubscriber
from vault.inputs import InvalidInput
from vault.trust import service as trust
from vault.subscriptions import CONFIRM_HOURS, OptInList
from vault.web import external_url

SUBSCRIBERS = OptInList(AdvisorySubscriber, address="email", purpose="advisories-unsubscribe")


def _link(endpoint: str, **values) -> str:
    url = external_url(endpoint, **values)
    if url is None:
        raise RuntimeError("Set PUBLIC_BASE_URL so that advisory mails can link back to the trust center.")
    return url


def company_name(session: Session) -> str:
    """The trust center's company name (its settings), else the instance's COMPANY_NAME."""
    return trust.layout_context(session, current_app.config["COMPANY_NAME"])["trust_company"]


# --- double opt-in ----------------------------------------------------------------------------------

def subscribe(session: Session, *, email: str, locale: str, now: datetime) -> AdvisorySubscriber:
    """A pending subscription and its confirmation mail; the same answer whether or not the address is
    already on the list. A bad address is an InvalidInput; one the mail channel refuses a NotifyError."""
    def compose(_sub, token: str) -> tuple[str, str]:
        company = company_name(session)
        return (_("Confirm your subscription to %(company)s security advisories", company=company),
                render_template("advisories/email/confirm.txt", company=company, hours=CONFIRM_HOURS,
                                link=_link("advisories.confirm", token=token)))

    return SUBSCRIBERS.start_and_mail(session, email, now=now, locale=locale, compose=compose, error=InvalidInput,
                                      uid=secrets.token_hex(16))


def unsubscribe_url(sub: AdvisorySubscriber) -> str:
    return _link("advisories.unsubscribe", uid=sub.uid, token=SUBSCRIBERS.unsubscribe_token(sub))


def confirmed_subscribers(session: Session) -> list[AdvisorySubscriber]:
    return list(session.scalars(select(AdvisorySubscriber).where(AdvisorySubscriber.confirmed_at.is_not(None))
                                .order_by(AdvisorySubscriber.id)))


# --- publication ------------------------------------------------------------------------------------

def announce_advisory(session: Session, advisory: Advisory) -> int:
    """One mail per confirmed subscriber, in their language; returns how many were queued."""
    subs = confirmed_subscribers(session)
    if not subs:
        return 0
    company = company_name(session)
    page = _link("advisories.detail", advisory_id=advisory.advisory_id)
    for sub in subs:
        unsub = unsubscribe_url(sub)
        with force_locale(sub.locale):
            title = advisory.title_for(sub.locale)
            subject = _("%(company)s security advisory %(id)s: %(title)s", company=company,
                        id=advisory.advisory_id, title=title)
            text = render_template("advisories/email/published.txt", advisory=advisory, title=title,
                                   body=advisory.body_for(sub.locale), company=company, page=page,
                                   unsubscribe=unsub, severity_name=severity_name)
        notify.send_email(session, to=sub.email, subject=subject, text=text,
                          dedupe_key=f"advisory:{advisory.advisory_id}:published:{sub.uid}",
                          headers={"List-Unsubscribe": f"<{unsub}>",
                                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    return len(subs)
