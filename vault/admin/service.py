"""Reading the audit trail: filters, pages and the CSV export."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from vault import audit
from vault.audit import AuditEvent

PER_PAGE = 50


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None  # inclusive

    def as_query(self) -> dict[str, str]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.utc)


def filtered_events(filters: AuditFilters) -> Select:
    return audit.select_events(
        action=filters.action, actor=filters.actor, object_type=filters.object_type, object_id=filters.object_id,
        since=_day_start(filters.since) if filters.since else None,
        until=_day_start(filters.until + timedelta(days=1)) if filters.until else None)


@dataclass
class EventPage:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int


def page_of_events(session: Session, filters: AuditFilters, page: int = 1, per_page: int = PER_PAGE) -> EventPage:
    stmt = filtered_events(filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    events = list(session.scalars(stmt.order_by(AuditEvent.seq.desc()).offset((page - 1) * per_page).limit(per_page)))
    return EventPage(events=events, total=total, page=page, pages=pages)


def export_lines(session: Session, filters: AuditFilters) -> Iterator[str]:
    """CSV text of the filtered events, oldest first, read in batches (never the whole log in memory)."""
    rows = session.scalars(filtered_events(filters).order_by(AuditEvent.seq).execution_options(yield_per=500))
    yield from audit.export_csv(rows)
