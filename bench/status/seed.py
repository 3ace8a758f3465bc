"""A throw-away instance: 100 components in 10 groups, 90 days of state changes, 1,000 past incidents."""
from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

REGIONS = [("华东", "East China"), ("华北", "North China"), ("华南", "South China"), ("新加坡", "Singapore"),
           ("法兰克福", "Frankfurt"), ("弗吉尼亚", "Virginia"), ("东京", "Tokyo"), ("悉尼", "Sydney"),
           ("孟买", "Mumbai"), ("圣保罗", "São Paulo")]
SERVICES = ["API", "Web app", "Object storage", "Database", "Queue", "CDN", "DNS", "Auth", "Search", "Billing"]


def build_instance(instance: Path, *, components: int = 100, incidents: int = 1000, seed: int = 7) -> None:
    from vault import create_app, crypto
    from vault.db import Base
    import vault.models  # noqa: F401
    from vault import db
    from status import service
    from status.models import Component, Incident, IncidentUpdate, StateChange

    instance.mkdir(parents=True, exist_ok=True)
    (instance / "secret_key").write_text(secrets.token_hex(32))
    crypto.create_keyring_file(instance / "master_keys.json")
    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": (instance / "secret_key").read_text(),
                      "DATABASE_URL": f"sqlite:///{instance / 'vault.db'}"})
    Base.metadata.create_all(app.extensions["vault.engine"])
    rnd = random.Random(seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = now - timedelta(days=400)
    with app.app_context():
        sess = db.session()
        groups = [service.create_group(sess, name_en=en, name_zh=zh) for zh, en in REGIONS]
        comps: list[Component] = []
        for i in range(components):
            g = groups[i % len(groups)]
            name = SERVICES[(i // len(groups)) % len(SERVICES)]
            comps.append(service.create_component(sess, key=f"c{i:03d}", name_en=f"{name} ({g.name_en})",
                                                  name_zh=f"{g.name_zh} {name}", group=g, now=start, actor="bench"))
        sess.commit()
        # Recent history: a few outages per component in the last 90 days.
        for c in comps:
            for _ in range(rnd.randint(0, 4)):
                t = now - timedelta(minutes=rnd.randint(60, 89 * 1440))
                state = rnd.choice(["degraded_performance", "partial_outage", "major_outage", "under_maintenance"])
                sess.add(StateChange(component_id=c.id, state=state, at=t, source="bench"))
                sess.add(StateChange(component_id=c.id, state="operational",
                                     at=t + timedelta(minutes=rnd.randint(5, 300)), source="bench"))
        # Past incidents, resolved, with a timeline of four updates each.
        for n in range(incidents):
            t = start + timedelta(minutes=rnd.randint(0, 399 * 1440))
            affected = rnd.sample(comps, rnd.randint(1, 3))
            inc = Incident(kind="incident", title_en=f"Incident {n}: elevated errors", title_zh=f"事件 {n}：错误率升高",
                           impact=rnd.choice(["minor", "major", "critical"]), status="resolved", created_at=t,
                           updated_at=t + timedelta(hours=2), resolved_at=t + timedelta(hours=2),
                           components=affected)
            for k, status in enumerate(["investigating", "identified", "monitoring", "resolved"]):
                inc.updates.append(IncidentUpdate(status=status, body_en=f"Update {k} on incident {n}.",
                                                  body_zh=f"事件 {n} 的第 {k} 次更新。",
                                                  created_at=t + timedelta(minutes=40 * k), notified=True))
            sess.add(inc)
        # One live incident, so the page has something at the top.
        service.open_incident(sess, title_en="Elevated latency in Singapore", impact="minor", now=now, author="bench",
                              update_=service.UpdateInput(status="investigating", body_en="We are investigating.",
                                                          notify=False, next_update_at=now + timedelta(minutes=30),
                                                          states={comps[3].id: "degraded_performance"}))
        sess.commit()
    app.extensions["vault.engine"].dispose()
