"""The public page's data: overall state, grouped components with 90-day bars, active incidents and maintenance.

Built with a fixed number of queries whatever the number of components (the page is served under load).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from status import service, uptime
from status.labels import worst
from status.models import Component, ComponentGroup, Incident

DAYS = 90
RECENT_DAYS = 7  # resolved incidents stay on the page this long, so "all fine" still shows what happened


@dataclass
class ComponentRow:
    component: Component
    history: uptime.History
    runs: list  # [(index, length, Day)] for the bar


@dataclass
class GroupBlock:
    group: ComponentGroup | None
    rows: list[ComponentRow] = field(default_factory=list)

    @property
    def state(self) -> str:
        return worst([r.component.state for r in self.rows])


@dataclass
class PageData:
    state: str
    blocks: list[GroupBlock]
    incidents: list[Incident]
    maintenance: list[Incident]
    now: datetime
    resolved: list[Incident] = field(default_factory=list)
    recent_days: int = RECENT_DAYS


def component_histories(session: Session, components: list[Component], *, now: datetime,
                        days: int = DAYS) -> dict[int, uptime.History]:
    since = datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), tzinfo=now.tzinfo)
    changes = service.changes_since(session, since)
    return {c.id: uptime.history([uptime.Change(ch.at, ch.state) for ch in changes.get(c.id, [])],
                                 created_at=c.created_at, now=now, days=days)
            for c in components}


def build(session: Session, *, now: datetime) -> PageData:
    components = service.list_components(session)
    histories = component_histories(session, components, now=now)
    blocks: list[GroupBlock] = []
    by_group: dict[int, GroupBlock] = {}
    for c in components:  # a group appears where its first component does
        if c.group_id is None:
            block = GroupBlock(None)
            blocks.append(block)
        elif c.group_id in by_group:
            block = by_group[c.group_id]
        else:
            block = by_group[c.group_id] = GroupBlock(c.group)
            blocks.append(block)
        h = histories[c.id]
        block.rows.append(ComponentRow(c, h, uptime.runs(h.days)))
    return PageData(state=worst([c.state for c in components]), blocks=blocks,
                    incidents=service.active_incidents(session),
                    maintenance=service.maintenances(session, open_only=True), now=now,
                    resolved=service.resolved_since(session, now - timedelta(days=RECENT_DAYS)))
