"""`vault demo`: two vulnerability reports in different states (one fixed, with its reporter on the hall
of fame; one triaged, with a reply and an internal note), filed through the service like real ones."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vault.audit import Actor
from vault.disclosure import service
from vault.disclosure.models import Report

ACTOR = Actor(label="vault demo")


def load_demo_disclosure(session: Session, today: date) -> int:
    """Returns how many reports were created (none when any report exists)."""
    if session.scalar(select(func.count()).select_from(Report)):
        return 0
    secret = current_app.config["SECRET_KEY"]
    conf = service.Settings.from_config(current_app.config)
    at = lambda days, hour=10: datetime.combine(today - timedelta(days=days), time(hour), tzinfo=timezone.utc)  # noqa: E731

    fixed, _ = service.create_report(session, service.ReportInput(
        name="Lin Wei", email="lin.wei@example-security-lab.test", credit=True, language="zh",
        title="Stored XSS in the subprocessor notice preview",
        product="https://trust.example.com/admin/trust/subprocessors",
        description="The purpose field of a subprocessor is rendered without escaping in the notice preview.\n"
                    "1. Add a subprocessor with purpose <img src=x onerror=alert(document.domain)>\n"
                    "2. Open the notice preview: the script runs in the staff session.",
        severity_guess="high"), [], secret=secret, settings=conf, now=at(40))
    service.reply(session, fixed, "Thank you: we reproduced it and are working on a fix.", by=ACTOR, now=at(39))
    for state, days in (("triaged", 39), ("accepted", 38), ("fixed", 30)):
        service.change_state(session, fixed, state, severity="high", by=ACTOR, now=at(days))

    triaged, _ = service.create_report(session, service.ReportInput(
        name="", email="researcher@example.org", title="Open redirect after sign-in",
        product="https://trust.example.com/login?next=",
        description="The next parameter accepts /\\evil.example, which some browsers treat as a host.\n"
                    "Steps: open /login?next=/%5Cevil.example and sign in.",
        severity_guess="medium"), [], secret=secret, settings=conf, now=at(2, 8))
    service.change_state(session, triaged, "triaged", severity="low", by=ACTOR, now=at(1))
    service.note(session, triaged, "is_safe_next already refuses /\\ — checking older releases.", by=ACTOR, now=at(1))
    return 2
