"""Legal's timeline on /metrics: days to the next date of each kind, and how many are overdue.

Asks every obligation provider (several queries), so a result is reused for five minutes in each process:
days change once a day, and a scrape every 15 s must not re-read the library and the grants each time.
"""
from __future__ import annotations

from datetime import datetime

from prometheus_client.core import GaugeMetricFamily

from vault.expiry.obligations import KINDS, collect
from vault.metrics import source


@source("expiry", ttl=300)
def expiry_metrics(session, now: datetime):
    today = now.date()
    obligations = collect(session, today).obligations
    upcoming: dict[str, int] = {}
    overdue = dict.fromkeys(KINDS, 0)
    for o in obligations:
        if o.is_overdue(today):
            overdue[o.kind] = overdue.get(o.kind, 0) + 1
        else:
            upcoming[o.kind] = min(upcoming.get(o.kind, o.days_left(today)), o.days_left(today))
    days = GaugeMetricFamily("trustvault_days_to_next_expiry",
                             "Days until the soonest date on legal's timeline that has not passed, per kind",
                             labels=["kind"])
    for kind, value in sorted(upcoming.items()):
        days.add_metric([kind], value)
    yield days
    late = GaugeMetricFamily("trustvault_obligations_overdue", "Dates on legal's timeline already passed, per kind",
                             labels=["kind"])
    for kind, value in sorted(overdue.items()):
        late.add_metric([kind], value)
    yield late
