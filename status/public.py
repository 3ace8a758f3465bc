"""What other features may ask the status page: the one interface (tests/test_architecture.py INTERFACES)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from status import labels, service


def headline(session: Session) -> dict | None:
    """The status page's headline for the trust center, so prospects see what is broken (and that we say so):
    {"state", "text", "incidents"}, or None while no component is configured."""
    components = service.list_components(session)
    if not components:
        return None
    state = labels.worst([c.state for c in components])
    return {"state": state, "text": labels.overall_text(state), "incidents": len(service.active_incidents(session))}
