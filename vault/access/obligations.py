"""Dated obligations of access for legal's timeline: grants running out, NDAs with an end date."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vault.access.models import Grant, NdaAcceptance
from vault.expiry.obligations import Kind, Obligation, owner_fields, register

GRANT_LOOKBACK_DAYS = 30  # an access grant stays on the timeline this long after it ran out


@register("grants")
def grant_obligations(session: Session, today: date):
    since = today - timedelta(days=GRANT_LOOKBACK_DAYS)
    grants = session.scalars(select(Grant).where(Grant.revoked_at.is_(None))
                             .options(selectinload(Grant.documents), selectinload(Grant.created_by)))
    for grant in grants:
        due = grant.expires_at.date()
        if due < since:
            continue
        yield Obligation(
            key=f"grant:{grant.uid}:expires:{due.isoformat()}", kind=Kind.GRANT_EXPIRY,
            title=f"{grant.name} ({grant.company})", due_on=due, repeat_overdue=False,
            detail=_l("Access for %(email)s to %(count)d documents.", email=grant.email, count=len(grant.documents)),
            link_endpoint="access_staff.grants", source="grants", **owner_fields(grant.created_by))


def nda_obligations(session: Session, today: date):
    """Signed NDAs with an end date (registered only once `NdaAcceptance.expires_on` exists)."""
    column = getattr(NdaAcceptance, "expires_on", None)
    for nda in session.scalars(select(NdaAcceptance).where(column.is_not(None))):
        yield Obligation(
            key=f"nda:{nda.uid}:expires:{nda.expires_on.isoformat()}", kind=Kind.NDA_EXPIRY,
            title=f"{nda.full_name} ({nda.company})", due_on=nda.expires_on,
            detail=_l("NDA signed by %(email)s.", email=nda.email), link_endpoint="access_staff.ndas",
            source="ndas", **owner_fields(nda.recorded_by))


if hasattr(NdaAcceptance, "expires_on"):
    register("ndas")(nda_obligations)
