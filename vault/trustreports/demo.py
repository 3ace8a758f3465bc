"""`vault demo`: a custom trust report on the first two demo grants that have none (engagement's demo
prospects), one in English and one in Chinese, with the overview, the grant's documents, library answers about
encryption and backups, and the status summary when status has components (idempotent)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from status import public as status
from vault import audit
from vault.access import service as access
from vault.auth.models import User
from vault.db import utcnow
from vault.trustreports import service

ACTOR = audit.Actor(label="vault demo")
REPORTS = 2


def load_demo_reports(session: Session, owner: User) -> int:
    now, made = utcnow(), 0
    for grant in access.list_grants(session, active_only=True, now=now):
        if made >= REPORTS or service.reports_for(session, grant):
            continue
        choice = service.default_choice(session, grant, now.date())
        choice.answers = [e.ref for word in ("encrypt", "backup") for e in service.search_answers(session, word)[:2]]
        choice.status = status.headline(session) is not None
        if made == 1:
            choice.language = "zh"  # one report in each language
        report = service.generate(session, grant, choice, by=owner, now=now,
                                  default_company=current_app.config["COMPANY_NAME"],
                                  max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]))
        audit.record(session, "trustreports.generate", by=ACTOR, object_type="grant", object_id=grant.uid,
                     detail={"report": report.uid, "email": grant.email, "language": report.language, "demo": True})
        made += 1
    return made
