"""The timeline page, its filters and CSV export, the settings page (admin) and permissions."""
import csv
import io
from datetime import timedelta

from sqlalchemy import select

from tests.expiry.conftest import TODAY, document, user
from vault import db
from vault.audit import AuditEvent


def _seed(app, tmp_path):
    with app.app_context():
        sess = db.session()
        alice = user(sess, "security", email="alice@example.com", name="Alice")
        bob = user(sess, "legal", email="bob@example.com", name="Bob")
        sess.commit()
        document(app, sess, alice, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=20))
        document(app, sess, bob, tmp_path, "SOC 2 report", expiry=TODAY + timedelta(days=50), frameworks=("soc2",),
                 doc_type="audit_report")
        document(app, sess, alice, tmp_path, "Old pen test", expiry=TODAY - timedelta(days=3), frameworks=())
        document(app, sess, bob, tmp_path, "=HYPERLINK(\"http://evil.example\",\"x\")", expiry=TODAY + timedelta(days=80),
                 frameworks=())
        document(app, sess, alice, tmp_path, "SOC 2 bridge letter", expiry=TODAY + timedelta(days=85),
                 frameworks=("soc2",), doc_type="audit_report")
        return alice.id, bob.id


def test_timeline_and_filters(app, client_as, tmp_path):
    alice_id, bob_id = _seed(app, tmp_path)
    legal = client_as("legal")

    def titles(**args):
        html = legal.get("/expiry/", query_string=args).get_data(as_text=True)
        return [t for t in ("ISO 27001 certificate", "SOC 2 report", "Old pen test", "HYPERLINK", "bridge letter")
                if t in html]

    assert titles() == ["ISO 27001 certificate", "SOC 2 report", "Old pen test", "HYPERLINK", "bridge letter"]
    assert titles(horizon="overdue") == ["Old pen test"]
    assert titles(horizon="30") == ["ISO 27001 certificate", "Old pen test"]
    assert titles(horizon="60") == ["ISO 27001 certificate", "SOC 2 report", "Old pen test"]
    assert titles(framework="soc2") == ["SOC 2 report", "bridge letter"]
    assert titles(owner=str(bob_id)) == ["SOC 2 report", "HYPERLINK"]
    assert titles(type="bridge_letter") == ["bridge letter"]
    html = legal.get("/expiry/").get_data(as_text=True)
    assert "Overdue by 3 days" in html and "Due in 20 days" in html and "badge-expired" in html
    assert "<script" not in html.split("<main>")[1]


def test_csv_export_neutralises_formulas(app, client_as, tmp_path):
    _seed(app, tmp_path)
    legal = client_as("legal")
    resp = legal.get("/expiry/export.csv?horizon=90")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Due date", "When", "Type", "Title"]
    by_title = {r[3]: r for r in rows[1:]}
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in by_title
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    assert by_title["Old pen test"][1] == "Overdue by 3 days"
    assert by_title["SOC 2 bridge letter"][2] == "Bridge letter ends"
    with app.app_context():
        event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "expiry.export"))
        assert event.detail["rows"] == 5


def test_permissions(client_as):
    for role in ("sales", "viewer"):
        c = client_as(role)
        assert c.get("/expiry/").status_code == 403
        assert c.get("/expiry/export.csv").status_code == 403
    security = client_as("security")
    assert security.get("/expiry/").status_code == 200
    assert security.get("/expiry/settings").status_code == 403
    assert security.post("/expiry/settings/run").status_code == 403
    assert client_as("legal").get("/expiry/settings").status_code == 403


def _settings_form(**kw):
    data = {"thresholds": "60, 14, 3", "overdue_repeat_days": "3", "notify_owner": "y", "notify_legal_role": "y",
            "legal_emails": "counsel@lawfirm.example\nLegal Team <team@example.com>",
            "scheduler_interval_minutes": "15"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_save_and_refuse_bad_input(app, client_as):
    from vault.expiry.service import get_settings
    admin = client_as("admin")
    assert admin.get("/expiry/settings").status_code == 200
    resp = admin.post("/expiry/settings", data=_settings_form())
    assert resp.status_code == 302
    with app.app_context():
        s = get_settings(db.session())
        assert s.thresholds == [60, 14, 3] and s.overdue_repeat_days == 3 and not s.scheduler_enabled
        assert s.legal_emails.split() == ["counsel@lawfirm.example", "team@example.com"]
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "expiry.settings"))
    for bad, message in ((dict(thresholds="30, soon"), "is not a number of days"),
                         (dict(thresholds=""), "This field is required"),
                         (dict(legal_emails="not an address"), "is not an email address"),
                         (dict(overdue_repeat_days="0"), "Number must be between 1 and 365")):
        resp = admin.post("/expiry/settings", data=_settings_form(**bad))
        assert resp.status_code == 400 and message in resp.get_data(as_text=True), bad
    with app.app_context():
        assert get_settings(db.session()).thresholds == [60, 14, 3]  # nothing stored


def test_destinations_on_the_settings_page(app, client_as, receiver):
    admin = client_as("admin")
    resp = admin.post("/expiry/settings/destinations", data={"channel": "dingtalk", "label": "法务群",
                                                              "target": receiver.url("/robot/send", "access_token=SECRET"),
                                                              "secret": "SECabc"})
    assert resp.status_code == 302
    html = admin.get("/expiry/settings").get_data(as_text=True)
    assert "法务群" in html and "SECRET" not in html and "SECabc" not in html  # tokens never shown
    app.config["NOTIFY_ALLOW_PRIVATE_TARGETS"] = False
    resp = admin.post("/expiry/settings/destinations", data={"channel": "slack", "target": "http://169.254.169.254/x"})
    assert resp.status_code == 400 and "refused" in resp.get_data(as_text=True)
    from vault.expiry.models import ReminderDestination
    with app.app_context():
        [dest] = db.session().scalars(select(ReminderDestination)).all()
    assert admin.post(f"/expiry/settings/destinations/{dest.uid}/delete").status_code == 302
    with app.app_context():
        assert db.session().scalars(select(ReminderDestination)).all() == []
        actions = set(db.session().scalars(select(AuditEvent.action)))
        assert {"expiry.destination.add", "expiry.destination.remove"} <= actions


def test_run_now_sends_after_the_request(app, client_as, tmp_path, smtp_sink):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com")
        sess.commit()
        document(app, sess, owner, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=7))
    admin = client_as("admin")
    resp = admin.post("/expiry/settings/run")
    assert resp.status_code == 302
    assert [m["to"] for m in smtp_sink.messages] == [["owner@example.com"]]  # the after-commit hook sent it
    admin.post("/expiry/settings/run")
    assert len(smtp_sink.messages) == 1
    assert "before:7" in admin.get("/expiry/settings").get_data(as_text=True)


def test_nav_link(client_as):
    assert 'href="/expiry/"' in client_as("legal").get("/expiry/").get_data(as_text=True)
