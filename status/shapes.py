"""The Statuspage-shaped JSON of one page, component, group, update and incident: what the API documents
(`status.api`) and the webhook payloads (`status.fanout`) are made of. No session, no queries.

Ids are our random uids; times are ISO 8601 UTC; `lang` picks the Chinese names and texts where they exist.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app

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
