"""The Atom feed (RFC 4287) of published advisories and announcements, newest first.

Entry ids are tag URIs (RFC 4151) that never change: `tag:<host>,2026:advisory:TV-2026-001`; an
advisory's <updated> moves when a new revision is published, its <published> never does.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from vault.advisories import emails, service
from vault.advisories.labels import severity_name
from vault.web import external_url

ATOM = "http://www.w3.org/2005/Atom"
LIMIT = 50


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tag(kind: str, ident: str) -> str:
    host = urlsplit(external_url("advisories.index") or "").hostname or "localhost"
    return f"tag:{host},2026:{kind}:{ident}"


def entries(session: Session) -> list[tuple[datetime, str, object]]:
    """[(updated, kind, row)] newest first: ("advisory", Advisory) and ("announcement", Announcement)."""
    rows = [(a.updated_at or a.published_at, "advisory", a) for a in service.published_advisories(session, LIMIT)]
    rows += [(n.published_at, "announcement", n) for n in service.announcements(session, LIMIT)]
    rows.sort(key=lambda r: r[0], reverse=True)
    return rows[:LIMIT]


def render(session: Session, *, lang: str, now: datetime) -> bytes:
    ET.register_namespace("", ATOM)
    a = lambda name: f"{{{ATOM}}}{name}"  # noqa: E731
    feed = ET.Element(a("feed"))
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "zh-CN" if lang == "zh" else "en")
    company = emails.company_name(session)
    ET.SubElement(feed, a("title")).text = _("%(company)s security advisories", company=company)
    ET.SubElement(feed, a("id")).text = _tag("advisories", "feed")
    ET.SubElement(feed, a("link"), rel="self", href=external_url("advisories.feed_atom"))
    ET.SubElement(feed, a("link"), rel="alternate", href=external_url("advisories.index"))
    author = ET.SubElement(feed, a("author"))
    ET.SubElement(author, a("name")).text = company
    rows = entries(session)
    ET.SubElement(feed, a("updated")).text = _ts(rows[0][0] if rows else now)
    for updated, kind, row in rows:
        entry = ET.SubElement(feed, a("entry"))
        if kind == "advisory":
            title = f"{row.advisory_id}: {row.title_for(lang)} ({severity_name(row.severity)})"
            ident, link, published = _tag("advisory", row.advisory_id), external_url(
                "advisories.detail", advisory_id=row.advisory_id), row.published_at
            summary = row.body_for(lang)
        else:
            title = row.title_for(lang)
            ident, link, published = _tag("announcement", row.uid), external_url(
                "advisories.announcement", uid=row.uid), row.published_at
            summary = row.body_for(lang)
        ET.SubElement(entry, a("title")).text = title
        ET.SubElement(entry, a("id")).text = ident
        ET.SubElement(entry, a("updated")).text = _ts(updated)
        ET.SubElement(entry, a("published")).text = _ts(published)
        ET.SubElement(entry, a("link"), rel="alternate", href=link)
        if kind == "advisory":
            for cve in row.cve_ids or ():
                ET.SubElement(entry, a("category"), term=cve)
        ET.SubElement(entry, a("summary"), type="text").text = summary[:2000]
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
