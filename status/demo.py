"""Demo status data: a few components (incl. a China region) and one past, resolved incident."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from status import service

COMPONENTS = [
    ("api", "API", "接口服务"),
    ("web", "Web app", "网页应用"),
    ("cn-east", "华东 East China", "华东"),
    ("sg", "Singapore", "新加坡"),
]


def load_demo_status(session: Session, now: datetime) -> int:
    if service.list_components(session):
        return 0
    start = now - timedelta(days=89)
    group = service.create_group(session, name_en="Regions", name_zh="区域")
    made = {}
    for key, en, zh in COMPONENTS:
        made[key] = service.create_component(session, key=key, name_en=en, name_zh=zh,
                                             group=group if key in ("cn-east", "sg") else None,
                                             now=start, actor="vault demo")
    session.flush()
    began = now - timedelta(days=12, hours=3)
    api = made["api"]
    incident = service.open_incident(
        session, title_en="Elevated API error rates", title_zh="接口错误率升高", impact="minor",
        update_=service.UpdateInput(
            status="investigating", body_en="We are investigating elevated error rates on the API.",
            body_zh="我们正在调查接口错误率升高的问题。", next_update_at=began + timedelta(minutes=30),
            notify=False, states={api.id: "partial_outage"}),
        now=began, author="vault demo")
    service.post_update(session, incident, service.UpdateInput(
        status="identified", body_en="A faulty configuration change was identified and is being rolled back.",
        body_zh="已定位到一次错误的配置变更，正在回滚。", next_update_at=began + timedelta(hours=1), notify=False,
        states={api.id: "degraded_performance"}), now=began + timedelta(minutes=25), author="vault demo")
    service.post_update(session, incident, service.UpdateInput(
        status="resolved", body_en="The rollback completed and error rates are back to normal.",
        body_zh="回滚已完成，错误率恢复正常。", notify=False, states={api.id: "operational"}),
        now=began + timedelta(minutes=70), author="vault demo")
    return len(made)
