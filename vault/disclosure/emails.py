"""The emails of vulnerability disclosure, through the one notification path. Bodies name the reference
and carry links only: what the reporter wrote never goes into an email (or the outbox). The reporter's
mails hold their private link, so they are `sensitive` (erased from the outbox once sent)."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _
from sqlalchemy.orm import Session

from vault import notify
from vault.auth.models import User
from vault.disclosure import service
from vault.disclosure.models import Report
from vault.web import external_url


def _company() -> str:
    from vault.db import session as db_session
    from vault.trust.service import get_profile
    return get_profile(db_session()).company_name or current_app.config["COMPANY_NAME"]


def _send(session: Session, *, to: str, language: str, template: str, subject, dedupe_key: str | None,
          sensitive: bool, **context) -> None:
    with force_locale(language):
        company = _company()
        text = render_template(f"disclosure/email/{template}.txt", company=company, state_label=service.state_label,
                               severity_label=service.severity_label, **context)
        notify.send_email(session, to=to, subject=subject(company), text=text, dedupe_key=dedupe_key,
                          sensitive=sensitive)


def acknowledgement(session: Session, report: Report, email: str, token: str) -> None:
    _send(session, to=email, language=report.language, template="ack", dedupe_key=f"disclosure-ack:{report.uid}",
          sensitive=True, subject=lambda c: _("%(reference)s: we received your security report", reference=report.reference),
          report=report, link=external_url("disclosure.status", token=token))


def reporter_update(session: Session, report: Report, email: str, *, message_uid: str) -> None:
    """A reply or a state change: the text is on the private link, not in the mail."""
    _send(session, to=email, language=report.language, template="update", sensitive=False,
          dedupe_key=f"disclosure-update:{message_uid}",
          subject=lambda c: _("%(reference)s: an update on your security report", reference=report.reference),
          report=report)


def _staff_language(user: User) -> str:
    return user.locale if user.locale in ("en", "zh") else current_app.config["LANGUAGES"][0]


def staff_new_report(session: Session, report: Report, staff: list[User]) -> None:
    link = external_url("disclosure_staff.detail", uid=report.uid)
    for user in staff:
        _send(session, to=user.email, language=_staff_language(user), template="staff_new", sensitive=False,
              dedupe_key=f"disclosure-new:{report.uid}:{user.id}",
              subject=lambda c: _("New vulnerability report %(reference)s", reference=report.reference),
              report=report, link=link)


def staff_followup(session: Session, report: Report, staff: list[User], *, message_uid: str) -> None:
    link = external_url("disclosure_staff.detail", uid=report.uid)
    for user in staff:
        _send(session, to=user.email, language=_staff_language(user), template="staff_followup", sensitive=False,
              dedupe_key=f"disclosure-followup:{message_uid}:{user.id}",
              subject=lambda c: _("%(reference)s: the reporter added information", reference=report.reference),
              report=report, link=link)
