"""The Atom feed (RFC 4287): one entry per notified update and per published report, newest first.

Updates staff chose not to announce stay off the feed, like they stay out of inboxes.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from status.labels import status_label
from status.links import external_url
from status.models import Component, Incident, IncidentUpdate, incident_components

ATOM = "http://www.w3.org/2005/Atom"
LIMIT = 50


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tag(kind: str, uid: str) -> str:
    host = urlsplit(external_url("status.index")).hostname or "localhost"
    return f"tag:{host},2024:status-{kind}:{uid}"


def entries(session: Session, *, component: Component | None = None) -> list[tuple[datetime, str, object]]:
    """[(time, kind, obj)] newest first: ("update", IncidentUpdate) and ("report", Incident)."""
    stmt = (select(IncidentUpdate).join(Incident).where(Incident.draft.is_(False), IncidentUpdate.notified.is_(True))
            .options(selectinload(IncidentUpdate.incident)).order_by(IncidentUpdate.created_at.desc()).limit(LIMIT))
    reports = (select(Incident).where(Incident.draft.is_(False), Incident.report_published_at.is_not(None))
               .order_by(Incident.report_published_at.desc()).limit(LIMIT))
    if component is not None:
        ids = select(incident_components.c.incident_id).where(incident_components.c.component_id == component.id)
        stmt, reports = stmt.where(Incident.id.in_(ids)), reports.where(Incident.id.in_(ids))
    out = [(u.created_at, "update", u) for u in session.scalars(stmt)]
    out += [(i.report_published_at, "report", i) for i in session.scalars(reports)]
    out.sort(key=lambda e: (e[0], e[1] == "report"), reverse=True)  # a report follows its resolution
    return out[:LIMIT]


def render(session: Session, *, lang: str, now: datetime, component: Component | None = None) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN" if lang == "zh" else "en")
    company = current_app.config["COMPANY_NAME"]
    title = _("%(company)s status", company=company)
    if component is not None:
        title = f"{title}: {component.name(lang)}"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = _tag("feed", component.uid if component else "all")
    self_args = {"component": component.key} if component else {}
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=external_url("status.feed_atom", **self_args))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=external_url("status.index"))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = company
    rows = entries(session, component=component)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _ts(rows[0][0] if rows else now)
    for at, kind, obj in rows:
        incident = obj if kind == "report" else obj.incident
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        if kind == "report":
            entry_title = _("Post-incident report: %(title)s", title=incident.title(lang))
            body = "\n\n".join([incident.report_root_cause, incident.report_actions])
            ident = _tag("report", f"{incident.uid}:{_ts(at)}")
        else:
            entry_title = f"[{status_label(obj.status)}] {incident.title(lang)}"
            body = obj.body(lang)
            ident = _tag("update", obj.uid)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = entry_title
        ET.SubElement(entry, f"{{{ATOM}}}id").text = ident
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _ts(at)
        ET.SubElement(entry, f"{{{ATOM}}}published").text = _ts(at)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=external_url("status.incident", uid=incident.uid))
        ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = body
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
