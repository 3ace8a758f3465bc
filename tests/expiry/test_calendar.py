"""The iCalendar feed: parsed back with `icalendar`; private, tokenised and revocable."""
from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy import select

from tests.expiry.conftest import TODAY, document, user
from vault import db
from vault.audit import AuditEvent
from vault.expiry.models import CalendarFeed


def _create_feed(client, **form):
    resp = client.post("/expiry/feeds", data={"label": "Legal calendar", **form})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    start = html.index("https://vault.example.com/expiry/calendar/")
    return html[start:html.index('"', start)]


def _path(url: str) -> str:
    return url.replace("https://vault.example.com", "")


def test_feed_lists_every_date_and_parses_back(app, client_as, tmp_path):
    legal = client_as("legal")
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com", name="Olivia Owner")
        sess.commit()
        iso = document(app, sess, owner, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=45))
        document(app, sess, owner, tmp_path, "SOC 2 Type II report", doc_type="audit_report", frameworks=("soc2",),
                 audit_end=TODAY + timedelta(days=10))
        iso_uid = iso.uid
    url = _create_feed(legal)
    anonymous = app.test_client()  # calendar apps do not sign in
    resp = anonymous.get(_path(url))
    assert resp.status_code == 200
    assert resp.mimetype == "text/calendar" and "no-store" in resp.headers["Cache-Control"]
    cal = Calendar.from_ical(resp.data)
    assert str(cal["version"]) == "2.0"
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Document expires: ISO 27001 certificate", "Audit period ends: SOC 2 Type II report"}
    iso_event = events["Document expires: ISO 27001 certificate"]
    assert iso_event.decoded("dtstart") == TODAY + timedelta(days=45)
    assert iso_event.decoded("dtend") == TODAY + timedelta(days=46)
    assert str(iso_event["url"]) == f"https://vault.example.com/documents/{iso_uid}"
    assert "Olivia Owner" in str(iso_event["description"])
    assert len({str(e["uid"]) for e in events.values()}) == 2
    # Stable UIDs: a calendar that polls again updates the same events.
    again = Calendar.from_ical(anonymous.get(_path(url)).data)
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == {str(e["uid"]) for e in events.values()}
    with app.app_context():
        feed = db.session().scalar(select(CalendarFeed))
        assert feed.last_used_at is not None and len(feed.token_hash) == 64
        assert url.rsplit("/", 1)[1].removesuffix(".ics") not in feed.token_hash  # only the hash is stored
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "expiry.feed.create"))


def test_revoked_or_unknown_token_is_404(app, client_as):
    legal = client_as("legal")
    url = _create_feed(legal)
    anonymous = app.test_client()
    assert anonymous.get(_path(url)).status_code == 200
    assert anonymous.get(_path(url)[:-10] + "AAAAAA.ics").status_code == 404
    with app.app_context():
        uid = db.session().scalar(select(CalendarFeed.uid))
    other = client_as("legal")
    assert other.post(f"/expiry/feeds/{uid}/revoke").status_code == 404  # not theirs
    assert anonymous.get(_path(url)).status_code == 200
    resp = legal.post(f"/expiry/feeds/{uid}/revoke")
    assert resp.status_code == 302
    assert anonymous.get(_path(url)).status_code == 404
    with app.app_context():
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "expiry.feed.revoke"))


def test_feed_dies_with_its_users_access(app, client_as, make_user):
    legal = client_as("legal")
    url = _create_feed(legal)
    with app.app_context():
        from vault.auth.models import User
        sess = db.session()
        sess.get(User, legal.user.id).role = "sales"  # sales has no expiry.view
        sess.commit()
    assert app.test_client().get(_path(url)).status_code == 404


def test_mine_only_feed(app, client_as, tmp_path):
    legal = client_as("legal")
    with app.app_context():
        from vault.auth.models import User
        sess = db.session()
        me = sess.get(User, legal.user.id)
        other = user(sess, "security")
        sess.commit()
        document(app, sess, me, tmp_path, "My DPA", expiry=TODAY + timedelta(days=5))
        document(app, sess, other, tmp_path, "Their policy", expiry=TODAY + timedelta(days=5))
    url = _create_feed(legal, mine_only="y")
    cal = Calendar.from_ical(app.test_client().get(_path(url)).data)
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["Document expires: My DPA"]


def test_feed_management_needs_expiry_view(client_as):
    sales = client_as("sales")
    assert sales.get("/expiry/feeds").status_code == 403
    assert sales.post("/expiry/feeds", data={"label": "x"}).status_code == 403


def test_chinese_user_gets_a_chinese_calendar_name_and_utf8(app, client_as, tmp_path):
    legal = client_as("legal", locale="zh")
    with app.app_context():
        from vault.auth.models import User
        sess = db.session()
        document(app, sess, sess.get(User, legal.user.id), tmp_path, "等级保护测评报告",
                 expiry=date.today() + timedelta(days=3))
    url = _create_feed(legal)
    cal = Calendar.from_ical(app.test_client().get(_path(url)).data)
    [event] = cal.walk("VEVENT")
    assert "等级保护测评报告" in str(event["summary"])
