"""The engagement retention as a daily job (the same function as `vault engagement purge` from cron):
visits older than ENGAGEMENT_RETENTION_DAYS (400) go, with company links left without a visit. Idempotent."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from vault import audit, jobs
from vault.engagement import service


def purge_and_record(sess: Session, *, now: datetime, days: int, by: audit.Actor) -> tuple[int, int]:
    """Delete, and audit what was deleted; flushes (the caller commits)."""
    visits, links = service.purge(sess, now=now, days=days)
    audit.record(sess, "engagement.purge", by=by, object_type="engagement",
                 detail={"days": days, "visits": visits, "links": links})
    return visits, links


@jobs.handler("engagement.purge", max_attempts=3)
def purge_job(ctx: jobs.Context, payload: dict) -> dict:
    days = int(ctx.app.config.get("ENGAGEMENT_RETENTION_DAYS", service.RETENTION_DAYS))
    visits, links = purge_and_record(ctx.session, now=jobs.slot_or_now(payload), days=days,
                                     by=audit.Actor(label="scheduler"))
    ctx.session.commit()
    return {"visits": visits, "links": links}


jobs.periodic("engagement.purge", every=timedelta(days=1))
