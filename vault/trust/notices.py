"""Subscriptions to subprocessor changes (GDPR Art. 28(2): customers hear of changes and may object).

The double opt-in of `vault.subscriptions`: a pending row and a confirmation mail (a one-time link,
`sensitive` so the outbox erases it once sent); only a POST confirms. Every notice carries a one-click
unsubscribe link (RFC 8058), an HMAC of the subscriber's uid under the app secret. All mail goes
through `vault.notify`, queued in the caller's transaction and sent after commit.

Only create, remove and restore notify: an edit (a typo, a better purpose text) sends nothing.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import notify
from vault.documents.validation import InvalidInput
from vault.subscriptions import CONFIRM_HOURS, OptInList
from vault.trust.models import Subprocessor, SubprocessorSubscriber
from vault.web import external_url

CHANGES = ("added", "removed", "restored")
SUBSCRIBERS = OptInList(SubprocessorSubscriber, address="email", purpose="trust-subprocessors-unsubscribe")


def _link(endpoint: str, **values) -> str:
    url = external_url(endpoint, **values)
    if url is None:
        raise RuntimeError("Set PUBLIC_BASE_URL so that subprocessor notices can link back to the trust center.")
    return url


def _company(session: Session) -> str:
    from vault.trust.service import get_profile
    return get_profile(session).company_name or current_app.config["COMPANY_NAME"]


# --- double opt-in ------------------------------------------------------------------------------

def subscribe(session: Session, *, email: str, locale: str, now: datetime) -> SubprocessorSubscriber:
    """A pending subscription and its confirmation mail, whether or not the address already follows the
    list (the answer must not tell). A confirmed subscription is replaced only when the new one is
    confirmed, so nobody can end or change someone else's. A bad address is an InvalidInput; one the
    mail channel refuses is a NotifyError (the view says so)."""
    def compose(_sub, token: str) -> tuple[str, str]:
        company = _company(session)
        return (_("Confirm your subscription to %(company)s subprocessor changes", company=company),
                render_template("trust/email/subprocessor_confirm.txt", company=company, hours=CONFIRM_HOURS,
                                link=_link("trust.subprocessor_confirm", token=token)))

    return SUBSCRIBERS.start_and_mail(session, email, now=now, locale=locale, compose=compose, error=InvalidInput,
                                      uid=secrets.token_hex(16))


def purge_expired(session: Session, *, now: datetime) -> int:
    return SUBSCRIBERS.purge_expired(session, now=now)


# --- unsubscribe --------------------------------------------------------------------------------

def unsubscribe_url(sub: SubprocessorSubscriber) -> str:
    return _link("trust.subprocessor_unsubscribe", uid=sub.uid, token=SUBSCRIBERS.unsubscribe_token(sub))


# --- fan-out ------------------------------------------------------------------------------------

def confirmed_subscribers(session: Session) -> list[SubprocessorSubscriber]:
    return list(session.scalars(select(SubprocessorSubscriber).where(SubprocessorSubscriber.confirmed_at.is_not(None))
                                .order_by(SubprocessorSubscriber.id)))


def announce(session: Session, sp: Subprocessor, change: str) -> int:
    """One mail per confirmed subscriber, in their language, queued in this transaction; returns how many."""
    if change not in CHANGES:
        raise ValueError(f"unknown change {change!r}")
    subs = confirmed_subscribers(session)
    if not subs:
        return 0
    company = _company(session)
    page = _link("trust.subprocessors")
    stamp = sp.updated_at.isoformat() if sp.updated_at else ""
    for sub in subs:
        unsub = unsubscribe_url(sub)
        with force_locale(sub.locale):
            subject = _subject(change, sp.name, company)
            text = render_template("trust/email/subprocessor_change.txt", change=change, sp=sp, company=company,
                                   purpose=sp.purpose_for(sub.locale), location=sp.location_for(sub.locale),
                                   data_categories=sp.data_categories_for(sub.locale), page=page,
                                   unsubscribe=unsub)
        notify.send_email(session, to=sub.email, subject=subject, text=text,
                          dedupe_key=f"trust-subprocessor:{change}:{sp.uid}:{stamp}:{sub.uid}",
                          headers={"List-Unsubscribe": f"<{unsub}>",
                                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    return len(subs)


def _subject(change: str, name: str, company: str) -> str:
    if change == "added":
        return _("%(company)s: new subprocessor %(name)s", company=company, name=name)
    if change == "removed":
        return _("%(company)s: subprocessor %(name)s removed", company=company, name=name)
    return _("%(company)s: subprocessor %(name)s in use again", company=company, name=name)
