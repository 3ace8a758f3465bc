"""The machine-readable status API in Atlassian Statuspage's shape (`/api/v2/summary.json` and friends).

Ids are our random uids; times are ISO 8601 UTC. `?lang=zh` gives Chinese names and texts where they
exist (an addition; Statuspage itself has no languages). Everything else follows Statuspage's fields.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from status import service
from status.models import IncidentStatus
from status.shapes import components_json, incident_json, page_json, status_json


def _updated(components, incidents) -> datetime | None:
    times = [c.updated_at for c in components] + [i.updated_at for i in incidents]
    return max(times) if times else None


def summary(session: Session, *, lang: str) -> dict:
    comps, groups = service.list_components(session), service.list_groups(session)
    incidents = service.active_incidents(session)
    maint = [m for m in service.maintenances(session, open_only=True)]
    return {"page": page_json(_updated(comps, incidents + maint)),
            "components": components_json(comps, groups, lang),
            "incidents": [incident_json(i, lang=lang) for i in incidents],
            "scheduled_maintenances": [incident_json(m, lang=lang) for m in maint],
            "status": status_json(comps)}


def status_doc(session: Session) -> dict:
    comps = service.list_components(session)
    return {"page": page_json(_updated(comps, [])), "status": status_json(comps)}


def components_doc(session: Session, *, lang: str) -> dict:
    comps, groups = service.list_components(session), service.list_groups(session)
    return {"page": page_json(_updated(comps, [])), "components": components_json(comps, groups, lang)}


def incidents_doc(session: Session, *, lang: str, unresolved: bool = False) -> dict:
    rows = service.active_incidents(session) if unresolved else service.recent_incidents(session, limit=50)
    return {"page": page_json(_updated([], rows)), "incidents": [incident_json(i, lang=lang) for i in rows]}


def maintenances_doc(session: Session, *, lang: str, which: str = "all") -> dict:
    if which == "all":
        rows = service.recent_incidents(session, limit=50, kind="maintenance")
    else:
        wanted = {"upcoming": IncidentStatus.SCHEDULED, "active": None}[which]
        rows = [m for m in service.maintenances(session, open_only=True)
                if (m.status == wanted if wanted else m.status in (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING))]
    return {"page": page_json(_updated([], rows)), "scheduled_maintenances": [incident_json(m, lang=lang) for m in rows]}
