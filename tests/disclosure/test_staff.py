"""Staff pages: who may see them, every view audited, the state machine, replies on the private link,
internal notes kept from the reporter, the SLA clock's wording and the hall of fame."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from tests.access.builders import last_mail_to, mail_text
from tests.disclosure.builders import file_report, only_report, private_link


def _filed(client, app, **kw):
    assert file_report(client, app, **kw).status_code == 200
    return only_report(app)[-1]


def test_sales_and_anonymous_are_refused(client, app, client_as):
    report = _filed(client, app)
    sales = client_as("sales")
    for path in ("/admin/disclosure/", f"/admin/disclosure/{report.uid}", "/admin/disclosure/settings"):
        assert sales.get(path).status_code == 403, path
        assert client.get(path).status_code in (302, 401), path
    assert sales.post(f"/admin/disclosure/{report.uid}/state", data={"state": "triaged"}).status_code == 403
    assert only_report(app)[0].state == "new"


def test_security_sees_the_report_and_the_view_is_audited(client, app, client_as):
    report = _filed(client, app, files=[("poc.txt", b"GET /invoices/export?id=1002\n")])
    staff = client_as("security")
    listing = staff.get("/admin/disclosure/?state=new").get_data(as_text=True)
    assert report.reference in listing and "IDOR" not in listing  # the list decrypts nothing
    page = staff.get(f"/admin/disclosure/{report.uid}")
    assert page.status_code == 200 and "other tenants" in page.get_data(as_text=True)
    assert "due in 3 days" in page.get_data(as_text=True)
    att = report.attachments[0]
    download = staff.get(f"/admin/disclosure/{report.uid}/attachments/{att.uid}")
    assert download.status_code == 200 and download.data == b"GET /invoices/export?id=1002\n"
    assert client_as("admin").get(f"/admin/disclosure/{report.uid}").status_code == 200
    assert staff.get("/admin/disclosure/not-a-report").status_code == 404
    from vault import db
    from vault.audit import AuditEvent
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.object_id.in_(
            (report.uid, att.uid)))).all()
    assert actions.count("disclosure.report.view") == 2 and "disclosure.attachment.download" in actions


def test_state_transitions_are_validated(client, app, client_as, smtp_sink):
    report = _filed(client, app, credit="y")
    staff = client_as("security")
    url = f"/admin/disclosure/{report.uid}/state"
    r = staff.post(url, data={"state": "fixed", "severity": "high"})
    assert r.status_code == 400 and "cannot become" in r.get_data(as_text=True)
    assert only_report(app)[0].state == "new"
    assert client.get("/trust/security/thanks").get_data(as_text=True).count("Mallory Finder") == 0
    for state in ("triaged", "accepted", "fixed"):
        assert staff.post(url, data={"state": state, "severity": "critical"}).status_code == 303, state
    report = only_report(app)[0]
    assert report.state == "fixed" and report.severity == "critical"
    assert report.acknowledged_at and report.triaged_at and report.fixed_at
    assert "Mallory Finder" in client.get("/trust/security/thanks").get_data(as_text=True)
    assert staff.post(url, data={"state": "new", "severity": "critical"}).status_code == 400
    assert staff.post(url, data={"state": "published", "severity": "critical"}).status_code == 303
    assert staff.post(url, data={"state": "triaged", "severity": "critical"}).status_code == 400  # published is final
    status_page = client.get(private_link(smtp_sink)).get_data(as_text=True)
    assert "Publicly disclosed" in status_page and "Fixed" in status_page
    assert "now “Publicly disclosed”" in mail_text(last_mail_to(smtp_sink, "mallory@research.example"))


def test_reply_reaches_the_reporter_and_notes_do_not(client, app, client_as, smtp_sink):
    report = _filed(client, app)
    link = private_link(smtp_sink)
    staff = client_as("security")
    assert staff.post(f"/admin/disclosure/{report.uid}/reply", data={"text": "Thanks, we reproduced it."}).status_code == 303
    assert staff.post(f"/admin/disclosure/{report.uid}/note", data={"text": "Owner: billing team"}).status_code == 303
    assert staff.post(f"/admin/disclosure/{report.uid}/reply", data={"text": "  "}).status_code == 400
    mail = last_mail_to(smtp_sink, "mallory@research.example")
    assert report.reference in mail["Subject"] and "reproduced" not in mail_text(mail)
    page = client.get(link).get_data(as_text=True)
    assert "Thanks, we reproduced it." in page and "billing team" not in page
    assert "billing team" in staff.get(f"/admin/disclosure/{report.uid}").get_data(as_text=True)
    assert only_report(app)[0].acknowledged_at is not None


def test_due_today_is_not_overdue(app):
    from flask_babel import force_locale
    from vault.disclosure import service
    today = date(2026, 12, 6)
    with app.test_request_context(), force_locale("en"):
        assert str(service.due_words(today, today)) == "due today"
        assert str(service.due_words(today + timedelta(days=1), today)) == "due in 1 day"
        assert str(service.due_words(today - timedelta(days=1), today)) == "overdue by 1 day"
        assert str(service.due_words(today - timedelta(days=4), today)) == "overdue by 4 days"
    with app.test_request_context(), force_locale("zh"):
        assert str(service.due_words(today, today)) != "due today"  # translated


def test_sla_clock_counts_calendar_days(client, app, client_as):
    """Received three days ago with a three-day acknowledgement target: due today, on the page too."""
    report = _filed(client, app)
    from vault import db
    from vault.db import utcnow
    from vault.disclosure.models import Report
    with app.app_context():
        sess = db.session()
        row = sess.scalar(select(Report).where(Report.id == report.id))
        row.created_at = utcnow().replace(hour=0, minute=1) - timedelta(days=3)
        sess.commit()
    page = client_as("security").get(f"/admin/disclosure/{report.uid}").get_data(as_text=True)
    assert "due today" in page and "overdue" not in page


def test_policy_text_is_editable_and_falls_back(client, app, client_as):
    assert "We welcome reports" in client.get("/trust/security/disclosure").get_data(as_text=True)
    admin = client_as("admin")
    r = admin.post("/admin/disclosure/settings", data={"text_en": "Our own policy: be kind.", "text_zh": ""})
    assert r.status_code == 303
    assert "Our own policy: be kind." in client.get("/trust/security/disclosure?lang=zh").get_data(as_text=True)
    r = admin.post("/admin/disclosure/settings", data={"text_en": "bad \x07 bell", "text_zh": ""})
    assert r.status_code == 400 and "control characters" in r.get_data(as_text=True)


def test_fixed_report_becomes_a_draft_advisory(client, app, client_as):
    report = _filed(client, app, credit="y")
    staff = client_as("security")
    url = f"/admin/disclosure/{report.uid}"
    assert staff.post(f"{url}/advisory").status_code == 409  # not fixed yet
    for state in ("triaged", "accepted", "fixed"):
        staff.post(f"{url}/state", data={"state": state, "severity": "high"})
    assert "Publish as advisory" in staff.get(url).get_data(as_text=True)
    r = staff.post(f"{url}/advisory")
    assert r.status_code == 303 and "/admin/advisories/" in r.headers["Location"]
    report = only_report(app)[0]
    assert report.advisory_ref
    from vault import db
    from vault.advisories.service import get_advisory
    with app.app_context():
        advisory = get_advisory(db.session(), report.advisory_ref)
        assert advisory.state == "draft" and advisory.title_en == "IDOR in invoice export"
        assert "Mallory Finder" in advisory.body_en and "other tenants" not in advisory.body_en
    assert staff.post(f"{url}/advisory").status_code == 409  # once


def test_demo_shows_two_cases_and_a_credit(app, client):
    from vault import db
    from vault.db import utcnow
    from vault.disclosure.demo import load_demo_disclosure
    with app.app_context():
        assert load_demo_disclosure(db.session(), utcnow().date()) == 2
        db.session().commit()
        assert load_demo_disclosure(db.session(), utcnow().date()) == 0
    states = sorted(r.state for r in only_report(app))
    assert states == ["fixed", "triaged"]
    assert "Lin Wei" in client.get("/trust/security/thanks").get_data(as_text=True)
