"""The machine-readable status API in Atlassian Statuspage's shape (`/api/v2/summary.json` and friends).

Ids are our random uids; times are ISO 8601 UTC. `?lang=zh` gives Chinese names and texts where they
exist (an addition; Statuspage itself has no languages). Everything else follows Statuspage's fields.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from status import service
from status.labels import INDICATOR, overall_text_en, worst
from status.links import external_url
from status.models import Component, ComponentGroup, Incident, IncidentStatus, IncidentUpdate

PAGE_ID = "trustvault"


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z" if value else None


def page_json(updated_at: datetime | None) -> dict:
    return {"id": PAGE_ID, "name": current_app.config["COMPANY_NAME"], "url": external_url("status.index"),
            "time_zone": "Etc/UTC", "updated_at": iso(updated_at)}


def component_json(c: Component, lang: str) -> dict:
    return {"id": c.uid, "name": c.name(lang), "status": c.state, "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at), "position": c.position, "description": c.description or None,
            "showcase": True, "start_date": c.created_at.date().isoformat(), "group_id": c.group.uid if c.group else None,
            "page_id": PAGE_ID, "group": False, "only_show_if_degraded": False, "key": c.key}


def group_json(g: ComponentGroup, members: list[Component], lang: str) -> dict:
    return {"id": g.uid, "name": g.name(lang), "status": worst([c.state for c in members]),
            "created_at": iso(g.created_at), "updated_at": iso(max((c.updated_at for c in members), default=g.created_at)),
            "position": g.position, "description": None, "showcase": False, "start_date": None, "group_id": None,
            "page_id": PAGE_ID, "group": True, "only_show_if_degraded": False, "components": [c.uid for c in members]}


def components_json(components: list[Component], groups: list[ComponentGroup], lang: str) -> list[dict]:
    out = [component_json(c, lang) for c in components]
    for g in groups:
        members = [c for c in components if c.group_id == g.id]
        if members:
            out.append(group_json(g, members, lang))
    return out


def update_json(u: IncidentUpdate, incident: Incident, lang: str) -> dict:
    return {"id": u.uid, "status": u.status, "body": u.body(lang), "incident_id": incident.uid,
            "created_at": iso(u.created_at), "updated_at": iso(u.created_at), "display_at": iso(u.created_at),
            "affected_components": u.affected or None, "deliver_notifications": u.notified,
            "next_update_at": iso(u.next_update_at)}


def incident_json(i: Incident, *, lang: str, with_report: bool = False) -> dict:
    monitoring = [u.created_at for u in i.updates if u.status == IncidentStatus.MONITORING]
    out = {"id": i.uid, "name": i.title(lang), "status": i.status, "created_at": iso(i.created_at),
           "updated_at": iso(i.updated_at), "monitoring_at": iso(max(monitoring)) if monitoring else None,
           "resolved_at": iso(i.resolved_at), "impact": i.impact, "shortlink": external_url("status.incident", uid=i.uid),
           "started_at": iso(i.created_at), "page_id": PAGE_ID,
           "incident_updates": [update_json(u, i, lang) for u in i.updates],
           "components": [component_json(c, lang) for c in i.components]}
    if i.is_maintenance:
        out["scheduled_for"], out["scheduled_until"] = iso(i.scheduled_for), iso(i.scheduled_until)
    if i.report_published_at:
        out["postmortem_published_at"] = iso(i.report_published_at)
        if with_report:
            out["postmortem_body"] = {"root_cause": i.report_root_cause, "corrective_actions": i.report_actions}
    return out


def status_json(components: list[Component]) -> dict:
    state = worst([c.state for c in components])
    return {"indicator": INDICATOR.get(state, "none"), "description": overall_text_en(state)}


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
