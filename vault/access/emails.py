"""The emails of the access flow, in the requester's language, through the one notification path.

Links are built from PUBLIC_BASE_URL when set, never from the request's Host header alone: an
attacker who sends a request with a forged Host must not get the victim's link pointed at them.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime, get_timezone, gettext as _
from sqlalchemy.orm import Session

from vault import notify
from vault.access.models import AccessRequest, Grant
from vault.auth.models import User
from vault.web import external_url


def _company() -> str:
    from vault.db import session as db_session
    from vault.trust.service import get_profile
    return get_profile(db_session()).company_name or current_app.config["COMPANY_NAME"]


def _send(session: Session, *, to: str, language: str, template: str, subject, dedupe_key: str | None,
          sensitive: bool = False, **context) -> None:
    """`subject(company)` returns the subject; it is called inside the recipient's language."""
    with force_locale(language):
        context = {"company": _company(), **context}
        subject_text = subject(context["company"])
        text = render_template(f"access/email/{template}.txt", **context)
        html = render_template(f"access/email/{template}.html", subject=subject_text, **context)
    notify.send_email(session, to=to, subject=subject_text, text=text, html=html, dedupe_key=dedupe_key,
                      sensitive=sensitive)


def _when(value: datetime, language: str) -> str:
    with force_locale(language):  # with its time zone: a reader abroad must not guess (issue #15)
        return f"{format_datetime(value, 'medium')} {get_timezone()}"


def confirmation(session: Session, req: AccessRequest, token: str, *, minutes: int) -> None:
    _send(session, to=req.email, language=req.language, template="confirm",
          subject=lambda c: _("Confirm your email address for %(company)s", company=c), dedupe_key=None,
          sensitive=True, req=req, link=external_url("access.confirm", token=token), minutes=minutes)


def approved(session: Session, req: AccessRequest, grant: Grant, token: str) -> None:
    with force_locale(req.language):
        titles = [link.document.title_for(req.language) for link in grant.documents]
    _send(session, to=grant.email, language=req.language, template="approved",
          subject=lambda c: _("Your access to %(company)s security documents", company=c), dedupe_key=f"access-approved:{grant.uid}",
          sensitive=True, req=req, grant=grant, titles=titles, link=external_url("access.grant_page", token=token),
          expires=_when(grant.expires_at, req.language))


def denied(session: Session, req: AccessRequest) -> None:
    _send(session, to=req.email, language=req.language, template="denied",
          subject=lambda c: _("Your request for %(company)s security documents", company=c), dedupe_key=f"access-denied:{req.uid}",
          req=req, reason=req.decision_reason)


def received(session: Session, req: AccessRequest) -> None:
    """To the requester: the request waits for review."""
    _send(session, to=req.email, language=req.language, template="received",
          subject=lambda c: _("We received your request for %(company)s security documents", company=c),
          dedupe_key=f"access-received:{req.uid}", req=req)


def needs_review(session: Session, req: AccessRequest, staff: list[User]) -> None:
    link = external_url("access_staff.request_detail", uid=req.uid)
    for user in staff:
        language = user.locale if user.locale in ("en", "zh") else current_app.config["LANGUAGES"][0]
        _send(session, to=user.email, language=language, template="review",
              subject=lambda c: _("An access request needs review"), dedupe_key=f"access-review:{req.uid}:{user.id}",
              req=req, link=link, titles=[d.document.title_for(language) for d in req.documents])
