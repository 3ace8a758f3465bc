"""Builders for trust report tests: a grant for Alice of Buyer Ltd (and one for Bob of Other Co), library
answers, a status component with an incident, and an overview item."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.access.builders import access_link, approve, journey_to_review, request_uid


def grant_for(app, smtp_sink, seeded, staff, email="alice@buyer.example", **kw) -> tuple[str, str]:
    """(grant uid, personal link path) of a new grant to the SOC 2 report and the pen-test summary."""
    from vault import db
    from vault.access.models import Grant
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded, email=email, **kw)
    r = approve(app, staff, request_uid(app, email), [seeded.soc2, seeded.pentest])
    assert r.status_code == 302, r.data
    with app.app_context():
        uid = db.session().scalar(select(Grant.uid).where(Grant.email == email))
    return uid, access_link(smtp_sink, email)


def add_content(app) -> None:
    """Two approved answers and a draft, a component with a resolved incident, an encryption overview item."""
    from vault import audit, db
    from vault.db import utcnow
    from answers.library import service as library
    from status import service as status
    from vault.overview import service as overview

    with app.app_context():
        sess = db.session()
        actor = audit.Actor(label="test")
        library.create_entry(sess, actor, ref="ENC-01", question="Do you encrypt customer data at rest?",
                             answer_full="Yes. Every document is encrypted with AES-256-GCM under its own key.",
                             status="approved")
        library.create_entry(sess, actor, ref="BCP-02", question="How often do you test restores?",
                             answer_full="Every quarter, from the encrypted backups.", status="approved")
        library.create_entry(sess, actor, ref="DRAFT-9", question="Unreviewed encrypt question",
                             answer_full="Not yet approved.", status="draft")
        now = utcnow()
        api = status.create_component(sess, key="api", name_en="Public API", name_zh="开放接口",
                                      now=now - timedelta(days=30))
        began, ended = now - timedelta(days=3), now - timedelta(days=3) + timedelta(minutes=42)
        incident = status.open_incident(
            sess, title_en="Elevated API errors", title_zh="接口错误率升高", impact="minor",
            update_=status.UpdateInput(status="investigating", body_en="Looking into it.", notify=False),
            now=began, author="test")
        incident.status, incident.resolved_at = "resolved", ended
        status.set_state(sess, api, "major_outage", now=began, source="test")
        status.set_state(sess, api, "operational", now=ended, source="test")
        item = overview.create_item(sess, overview.get_section(sess, "encryption"),
                                    overview.ItemFields("At rest: AES-256", "静态加密：AES-256",
                                                        "Databases and backups are encrypted.",
                                                        "数据库和备份均已加密。", ""))
        assert item is not None
        sess.commit()
