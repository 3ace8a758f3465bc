"""Services on the real databases: state changes, incidents, maintenance job, reminders, reports, search."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from status import service
from status.models import StateChange
from status.service import StatusError, UpdateInput
from tests.status import builders
from vault import db


def test_every_state_change_is_recorded_with_its_time(status_db_app, clock):
    with status_db_app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        t1 = clock.advance(minutes=5)
        assert service.set_state(sess, api, "major_outage", now=t1, source="staff", actor="a@example.com")
        assert not service.set_state(sess, api, "major_outage", now=clock.advance(minutes=1), source="staff")
        t2 = clock.advance(minutes=10)
        service.set_state(sess, api, "operational", now=t2, source="push")
        sess.commit()
        rows = sess.scalars(select(StateChange).where(StateChange.component_id == api.id).order_by(StateChange.at)).all()
        assert [(r.state, r.at, r.source) for r in rows][1:] == [("major_outage", t1, "staff"),
                                                                  ("operational", t2, "push")]


def test_component_checks(app, clock):
    with app.app_context():
        sess = db.session()
        builders.component(sess, "cn-east", now=clock.now, name_en="East China", name_zh="华东")
        with pytest.raises(StatusError) as exc:
            builders.component(sess, "cn-east", now=clock.now)
        assert exc.value.code == "key_taken"
        for bad in ("", "Has Space", "../x", "x" * 65):
            with pytest.raises(StatusError):
                builders.component(sess, bad, now=clock.now)
        with pytest.raises(StatusError) as exc:
            service.create_component(sess, key="ok", name_en="", name_zh="", now=clock.now)
        assert exc.value.field == "name_en"


def test_resolving_restores_components_not_held_by_another_incident(status_db_app, clock):
    with status_db_app.app_context():
        sess = db.session()
        api, web = builders.component(sess, "api", now=clock.now), builders.component(sess, "web", now=clock.now)
        first = builders.incident(sess, [api, web], now=clock.advance(minutes=1))
        builders.incident(sess, [web], now=clock.advance(minutes=1), title="Web slow", state="degraded_performance")
        upd = service.post_update(sess, first, UpdateInput(status="resolved", body_en="Fixed."),
                                  now=clock.advance(minutes=30), author="t")
        sess.commit()
        assert first.status == "resolved" and first.resolved_at == clock.now and first.next_update_at is None
        assert api.state == "operational"
        assert web.state == "degraded_performance"  # the second incident still holds it
        assert [a["code"] for a in upd.affected] == [api.uid]
        with pytest.raises(StatusError) as exc:
            service.post_update(sess, first, UpdateInput(status="monitoring", body_en="x"), now=clock.now, author="t")
        assert exc.value.code == "closed"


@pytest.mark.parametrize("kw,field", [
    ({"status": "bogus", "body_en": "x"}, "status"),
    ({"status": "identified"}, "body_en"),
    ({"status": "identified", "body_en": "x\x00"}, "body_en"),
    ({"status": "identified", "body_en": "x" * 20_001}, "body_en"),
    ({"status": "identified", "body_zh": "已定位", "states": {1: "on_fire"}}, "state"),
])
def test_bad_updates_are_refused_and_store_nothing(app, clock, kw, field):
    with app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        incident = builders.incident(sess, [api], now=clock.now)
        sess.commit()
        with pytest.raises(StatusError) as exc:
            service.post_update(sess, incident, UpdateInput(**kw), now=clock.advance(minutes=1), author="t")
        assert exc.value.field == field
        sess.rollback()
        assert len(service.get_incident(sess, incident.uid, public=False).updates) == 1


def test_promised_time_must_be_in_the_future(app, clock):
    with app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        incident = builders.incident(sess, [api], now=clock.now)
        with pytest.raises(StatusError) as exc:
            service.post_update(sess, incident, UpdateInput(status="identified", body_en="x",
                                                            next_update_at=clock.now - timedelta(minutes=1)),
                                now=clock.now, author="t")
        assert exc.value.code == "next_update"


def test_maintenance_starts_and_ends_by_the_job(status_db_app, clock):
    with status_db_app.app_context():
        sess = db.session()
        db_ = builders.component(sess, "db", now=clock.now)
        start, end = clock.now + timedelta(hours=2), clock.now + timedelta(hours=3)
        m = service.schedule_maintenance(sess, title_en="Database upgrade", component_ids=[db_.id], starts_at=start,
                                         ends_at=end, body_en="Planned upgrade.", notify=False, now=clock.now,
                                         author="t")
        sess.commit()
        assert service.run_maintenance(sess, now=clock.advance(hours=1)) == []
        assert [a for _, a in service.run_maintenance(sess, now=clock.advance(hours=1, minutes=1))] == ["started"]
        assert m.status == "in_progress" and db_.state == "under_maintenance"
        assert service.run_maintenance(sess, now=clock.advance(minutes=10)) == []  # idempotent
        assert [a for _, a in service.run_maintenance(sess, now=clock.advance(hours=1))] == ["completed"]
        sess.commit()
        assert m.status == "completed" and db_.state == "operational"
        assert [u.status for u in m.updates] == ["completed", "in_progress", "scheduled"]


@pytest.mark.parametrize("starts,ends,field", [(None, 3, "starts_at"), (3, 2, "ends_at"), (-3, -1, "ends_at")])
def test_bad_maintenance_windows(app, clock, starts, ends, field):
    with app.app_context():
        sess = db.session()
        c = builders.component(sess, "db", now=clock.now)
        h = lambda n: clock.now + timedelta(hours=n) if n is not None else None  # noqa: E731
        with pytest.raises(StatusError) as exc:
            service.schedule_maintenance(sess, title_en="x", component_ids=[c.id], starts_at=h(starts), ends_at=h(ends),
                                         body_en="x", now=clock.now, author="t")
        assert exc.value.field == field


def test_overdue_update_reminds_staff_once_per_promise(app, clock, smtp_sink, make_user):
    make_user("security", email="oncall@example.com")
    make_user("viewer", email="viewer@example.com")
    with app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        incident = builders.incident(sess, [api], now=clock.now, next_minutes=30)
        sess.commit()
        assert service.remind_overdue_updates(sess, now=clock.advance(minutes=29)) == []
        assert service.remind_overdue_updates(sess, now=clock.advance(minutes=2)) == [incident]
        sess.commit()
        assert service.remind_overdue_updates(sess, now=clock.advance(minutes=5)) == []  # already reminded
        service.post_update(sess, incident, UpdateInput(status="identified", body_en="Found it.",
                                                        next_update_at=clock.now + timedelta(minutes=15)),
                            now=clock.now, author="t")
        sess.commit()
        assert service.remind_overdue_updates(sess, now=clock.advance(minutes=16)) == [incident]  # a new promise
        sess.commit()
    builders.deliver(app)
    to = [m["to"] for m in smtp_sink.messages]
    assert to == [["oncall@example.com"], ["oncall@example.com"]]  # viewers cannot post updates: not reminded
    assert "Update overdue: API errors" == smtp_sink.messages[0]["message"]["Subject"]


def test_search_matches_titles_and_update_texts_in_both_languages(status_db_app, clock):
    with status_db_app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        builders.incident(sess, [api], now=clock.now, title="DNS failure", body="Resolver timeouts.")
        i2 = builders.incident(sess, [api], now=clock.advance(minutes=1), title="Slow uploads", body="Storage.")
        service.post_update(sess, i2, UpdateInput(status="identified", body_zh="对象存储延迟 100%_高"),
                            now=clock.advance(minutes=1), author="t")
        builders.incident(sess, [api], now=clock.advance(minutes=1), title="Draft thing", draft=True)
        sess.commit()
        assert [i.title_en for i in service.search_incidents(sess, q="dns")[0]] == ["DNS failure"]
        assert [i.title_en for i in service.search_incidents(sess, q="对象存储")[0]] == ["Slow uploads"]
        assert [i.title_en for i in service.search_incidents(sess, q="100%_")[0]] == ["Slow uploads"]
        assert service.search_incidents(sess, q="s%e")[1] == 0  # wildcards are literal
        assert service.search_incidents(sess, q="")[1] == 2  # drafts are not public
        assert service.search_incidents(sess, q="", include_drafts=True)[1] == 3


def test_report_is_kept_as_a_vault_document_with_a_new_version_per_publication(app, clock, make_user):
    from vault.auth.models import User
    from vault.documents.models import Document
    from vault.documents.service import commit_upload, open_version

    user = make_user("security")
    with app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        incident = builders.incident(sess, [api], now=clock.now)
        author = sess.get(User, user.id)
        with pytest.raises(StatusError) as exc:
            service.save_report(sess, incident, root_cause="x", actions="y", publish=True, author=author, now=clock.now)
        assert exc.value.code == "open"
        service.post_update(sess, incident, UpdateInput(status="resolved", body_en="Fixed."), now=clock.now, author="t")
        with pytest.raises(StatusError):
            service.save_report(sess, incident, root_cause="only cause", actions="", publish=True, author=author,
                                now=clock.now)
        assert service.save_report(sess, incident, root_cause="Draft", actions="", publish=False, author=author,
                                   now=clock.now) is None
        v1 = service.save_report(sess, incident, root_cause="A bad **deploy**.", actions="- Canary releases",
                                 publish=True, author=author, now=clock.advance(hours=1))
        commit_upload(sess, v1)
        v2 = service.save_report(sess, incident, root_cause="A bad deploy (corrected).", actions="- Canary releases",
                                 publish=True, author=author, now=clock.advance(hours=1))
        commit_upload(sess, v2)
        doc = sess.get(Document, incident.report_document_id)
        assert [v.number for v in doc.versions] == [1, 2] and doc.visibility == "public"
        assert doc.title_for("en") == "Post-incident report: API errors"
        text = b"".join(open_version(v2)).decode()
        assert "## Root cause" in text and "(corrected)" in text and "- Canary releases" in text
        assert v2.media_type == "text/markdown" and v2.filename == f"post-incident-report-{incident.uid}.md"


@pytest.mark.parametrize("markdown,forbidden", [
    ("<img src=x onerror=alert(1)>", "<img"),
    ("[click](javascript:alert(1))", "href=\"javascript"),
    ("<a href=\"javascript:alert(1)\">x</a>", "<a"),
    ("<script>alert(1)</script>", "<script"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "href=\"data"),
    ('<a href="https://e.com" onclick="x()">a</a>', "<a "),
])
def test_report_markdown_is_sanitised(markdown, forbidden):
    from vault.markdown import render
    html = str(render(markdown))
    assert forbidden not in html


def test_report_markdown_keeps_formatting():
    from vault.markdown import render
    html = str(render("## Cause\n\n**bold** [link](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<h2>Cause</h2>" in html and "<strong>bold</strong>" in html and "<table>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
