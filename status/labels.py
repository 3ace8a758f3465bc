"""Display labels (translated) for states, statuses and impacts, and the page's overall status."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from status.models import SEVERITY, Impact, IncidentStatus, State

STATE_LABELS = {
    State.OPERATIONAL: _l("Operational"),
    State.DEGRADED: _l("Degraded performance"),
    State.PARTIAL: _l("Partial outage"),
    State.MAJOR: _l("Major outage"),
    State.MAINTENANCE: _l("Under maintenance"),
}

STATUS_LABELS = {
    IncidentStatus.INVESTIGATING: _l("Investigating"),
    IncidentStatus.IDENTIFIED: _l("Identified"),
    IncidentStatus.MONITORING: _l("Monitoring"),
    IncidentStatus.RESOLVED: _l("Resolved"),
    IncidentStatus.SCHEDULED: _l("Scheduled"),
    IncidentStatus.IN_PROGRESS: _l("In progress"),
    IncidentStatus.VERIFYING: _l("Verifying"),
    IncidentStatus.COMPLETED: _l("Completed"),
}

IMPACT_LABELS = {
    Impact.NONE: _l("No impact"),
    Impact.MINOR: _l("Minor"),
    Impact.MAJOR: _l("Major"),
    Impact.CRITICAL: _l("Critical"),
    Impact.MAINTENANCE: _l("Maintenance"),
}

# Statuspage's page indicator for the worst component state.
INDICATOR = {State.OPERATIONAL: "none", State.MAINTENANCE: "maintenance", State.DEGRADED: "minor",
             State.PARTIAL: "major", State.MAJOR: "critical"}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def impact_label(impact: str) -> str:
    return str(IMPACT_LABELS.get(impact, impact))


def worst(states) -> str:
    return max(states, key=lambda s: SEVERITY.get(s, 0), default=State.OPERATIONAL.value)


def overall_text(state: str) -> str:
    return {
        State.OPERATIONAL: _("All systems operational"),
        State.MAINTENANCE: _("Service under maintenance"),
        State.DEGRADED: _("Degraded performance"),
        State.PARTIAL: _("Partial system outage"),
        State.MAJOR: _("Major system outage"),
    }.get(state, state)


def overall_text_en(state: str) -> str:
    """The API's description is always English, like Statuspage's."""
    return {State.OPERATIONAL: "All Systems Operational", State.MAINTENANCE: "Service Under Maintenance",
            State.DEGRADED: "Minor Service Outage", State.PARTIAL: "Partial System Outage",
            State.MAJOR: "Major System Outage"}.get(state, state)


def template_helpers() -> dict:
    from vault.markdown import render
    from status.uptime import format_percent
    return {"state_label": state_label, "status_label": status_label, "impact_label": impact_label,
            "uptime_percent": format_percent, "render_markdown": render}
