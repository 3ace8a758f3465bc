"""What other features may ask the status page: the one interface (tests/test_architecture.py INTERFACES)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.orm import Session

from status import labels, page, service, uptime


def headline(session: Session) -> dict | None:
    """The status page's headline for the trust center, so prospects see what is broken (and that we say so):
    {"state", "text", "incidents"}, or None while no component is configured."""
    components = service.list_components(session)
    if not components:
        return None
    state = labels.worst([c.state for c in components])
    return {"state": state, "text": labels.overall_text(state), "incidents": len(service.active_incidents(session))}


@dataclass(frozen=True)
class ComponentUptime:
    name: str  # in the language asked for
    uptime: str  # "99.95", "100" or "–" (no data), never rounded up to 100


@dataclass(frozen=True)
class IncidentSummary:
    title: str
    impact: str  # translated label
    started: datetime
    resolved: datetime | None
    minutes: int | None  # open to resolved; None while open


@dataclass(frozen=True)
class Summary90:
    start: date
    end: date
    overall: str  # uptime over every component (the mean of their figures), formatted as `uptime`
    components: tuple[ComponentUptime, ...]
    incidents: tuple[IncidentSummary, ...]  # public incidents opened in the window, newest first


def summary_90_days(session: Session, today: date, language: str = "en", *, now: datetime | None = None) -> Summary90:
    """The last 90 days as a custom trust report prints them: uptime per component (the page's figures) and
    the public incidents (drafts and maintenance left out), texts in `language` (needs an app context)."""
    from flask_babel import force_locale

    now = now or datetime.combine(today, time.max, tzinfo=timezone.utc)
    components = service.list_components(session)
    histories = page.component_histories(session, components, now=now, days=page.DAYS)
    figures = [histories[c.id].uptime for c in components if histories[c.id].uptime is not None]
    start = today - timedelta(days=page.DAYS - 1)
    since = datetime.combine(start, time.min, tzinfo=timezone.utc)
    incidents = [i for i in service.recent_incidents(session, limit=500, kind="incident") if i.created_at >= since]
    with force_locale(language):
        rows = tuple(IncidentSummary(
            i.title(language), labels.impact_label(i.impact), i.created_at, i.resolved_at,
            int((i.resolved_at - i.created_at).total_seconds() // 60) if i.resolved_at else None) for i in incidents)
    return Summary90(start, today, uptime.format_percent(sum(figures) / len(figures) if figures else None),
                     tuple(ComponentUptime(c.name(language), uptime.format_percent(histories[c.id].uptime))
                           for c in components), rows)
