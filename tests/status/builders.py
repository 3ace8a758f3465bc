"""Data builders for the status tests."""
from __future__ import annotations

from status import service
from status.service import UpdateInput


def component(session, key: str, *, now, name_en: str = "", name_zh: str = "", group=None):
    return service.create_component(session, key=key, name_en=name_en or key.upper(), name_zh=name_zh, group=group,
                                    now=now, actor="test")


def incident(session, components, *, now, state: str = "major_outage", title: str = "API errors",
             notify: bool = False, next_minutes: int | None = 30, body: str = "We are investigating.", **kw):
    from datetime import timedelta
    return service.open_incident(
        session, title_en=title, impact=kw.pop("impact", "major"), now=now, author="test",
        update_=UpdateInput(status="investigating", body_en=body, notify=notify,
                            next_update_at=now + timedelta(minutes=next_minutes) if next_minutes else None,
                            states={c.id: state for c in components}), **kw)


def deliver(app):
    """Send whatever is still queued (the cron's `vault notify deliver`)."""
    from vault import db, notify
    with app.app_context():
        sess = db.session()
        report = notify.deliver_pending(sess)
        sess.commit()
        return report
