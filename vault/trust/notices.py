"""Subscriptions to subprocessor changes (GDPR Art. 28(2): customers hear of changes and may object).

The same double opt-in as the status page: a pending row and a confirmation mail (a one-time link,
`sensitive` so the outbox erases it once sent); only a POST confirms. Every notice carries a one-click
unsubscribe link (RFC 8058), an HMAC of the subscriber's uid under the app secret. All mail goes
through `vault.notify`, queued in the caller's transaction and sent after commit.

Only create, remove and restore notify: an edit (a typo, a better purpose text) sends nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vault import notify
from vault.documents.validation import InvalidInput
from vault.trust.models import Subprocessor, SubprocessorSubscriber
from vault.web import external_url
from vault.tokens import hash_token
from vault.confirmations import confirm_mail_may_go

CONFIRM_TTL = timedelta(hours=48)
CHANGES = ("added", "removed", "restored")
LANGUAGES = ("en", "zh")


def _link(endpoint: str, **values) -> str:
    url = external_url(endpoint, **values)
    if url is None:
        raise RuntimeError("Set PUBLIC_BASE_URL so that subprocessor notices can link back to the trust center.")
    return url


def _company(session: Session) -> str:
    from vault.trust.service import get_profile
    return get_profile(session).company_name or current_app.config["COMPANY_NAME"]


def check_email(email: str | None) -> str:
    """One plain address (the status page's check, then the email channel's), or InvalidInput."""
    from status.service import StatusError
    from status.subscriptions import check_email as check_shape
    try:
        email = check_shape(email)
        notify.check_target("email", email, notify.Settings.from_config(current_app.config))
    except (StatusError, notify.NotifyError):
        raise InvalidInput("email", _l("Enter a valid email address, such as name@example.com."),
                           field="email") from None
    return email


# --- double opt-in ------------------------------------------------------------------------------

def subscribe(session: Session, *, email: str, locale: str, now: datetime) -> SubprocessorSubscriber:
    """A pending subscription and its confirmation mail, whether or not the address already follows the
    list (the answer must not tell). A confirmed subscription is replaced only when the new one is
    confirmed, so nobody can end or change someone else's."""
    email = check_email(email)
    pending = _pending(session, email)
    if pending is not None and not confirm_mail_may_go(pending.created_at, now):
        return pending  # one pending confirmation per address per window, whoever asks: no second mail
    if pending is not None:  # its mail went out a while ago: this request replaces it, rows never pile up
        session.execute(delete(SubprocessorSubscriber).where(
            SubprocessorSubscriber.confirmed_at.is_(None),
            func.lower(SubprocessorSubscriber.email) == email.lower()))
    token = secrets.token_urlsafe(32)
    sub = SubprocessorSubscriber(uid=secrets.token_hex(16), email=email,
                                 locale=locale if locale in LANGUAGES else "en", confirm_hash=hash_token(token),
                                 confirm_expires_at=now + CONFIRM_TTL, created_at=now)
    session.add(sub)
    session.flush()
    company = _company(session)
    with force_locale(sub.locale):
        subject = _("Confirm your subscription to %(company)s subprocessor changes", company=company)
        text = render_template("trust/email/subprocessor_confirm.txt", company=company,
                               link=_link("trust.subprocessor_confirm", token=token),
                               hours=int(CONFIRM_TTL.total_seconds() // 3600))
    notify.send_email(session, to=email, subject=subject, text=text, sensitive=True)
    return sub


def _pending(session: Session, email: str) -> SubprocessorSubscriber | None:
    """The newest unconfirmed subscription of the address (case-insensitive: `Victim@` is the same mailbox)."""
    return session.scalars(select(SubprocessorSubscriber).where(
        SubprocessorSubscriber.confirmed_at.is_(None), func.lower(SubprocessorSubscriber.email) == email.lower())
        .order_by(SubprocessorSubscriber.created_at.desc(), SubprocessorSubscriber.id.desc())).first()


def pending_by_token(session: Session, token: str, *, now: datetime) -> SubprocessorSubscriber | None:
    if not token or len(token) > 100:
        return None
    sub = session.scalar(select(SubprocessorSubscriber).where(SubprocessorSubscriber.confirm_hash == hash_token(token)))
    if sub is None or sub.confirm_expires_at is None or sub.confirm_expires_at < now:
        return None
    return sub


def confirm(session: Session, sub: SubprocessorSubscriber, *, now: datetime) -> None:
    """The link is used up; older subscriptions of the same address go (one per address)."""
    sub.confirmed_at, sub.confirm_hash, sub.confirm_expires_at = now, None, None
    session.execute(delete(SubprocessorSubscriber).where(SubprocessorSubscriber.email == sub.email,
                                                         SubprocessorSubscriber.id != sub.id))
    session.flush()


def purge_expired(session: Session, *, now: datetime) -> int:
    """Pending subscriptions whose link ran out hold an address for nothing: drop them."""
    result = session.execute(delete(SubprocessorSubscriber).where(
        SubprocessorSubscriber.confirmed_at.is_(None), SubprocessorSubscriber.confirm_expires_at < now))
    return result.rowcount or 0


# --- unsubscribe --------------------------------------------------------------------------------

def unsubscribe_token(sub: SubprocessorSubscriber) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"trust-subprocessors-unsubscribe:{sub.uid}".encode(), hashlib.sha256).hexdigest()


def unsubscribe_url(sub: SubprocessorSubscriber) -> str:
    return _link("trust.subprocessor_unsubscribe", uid=sub.uid, token=unsubscribe_token(sub))


def by_unsubscribe_token(session: Session, uid: str, token: str) -> SubprocessorSubscriber | None:
    if not uid or len(uid) > 32 or not token or len(token) > 128:
        return None
    sub = session.scalar(select(SubprocessorSubscriber).where(SubprocessorSubscriber.uid == uid,
                                                              SubprocessorSubscriber.confirmed_at.is_not(None)))
    if sub is None or not hmac.compare_digest(unsubscribe_token(sub), token):
        return None
    return sub


def unsubscribe(session: Session, sub: SubprocessorSubscriber) -> None:
    session.delete(sub)
    session.flush()


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
