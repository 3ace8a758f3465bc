"""The audit trail page: chain status, filters, pages, CSV export."""
import csv
import io
from datetime import timedelta

from sqlalchemy import update

from tests.auth.helpers import events
from vault import audit, db
from vault.audit import AuditEvent
from vault.db import utcnow


def _seed(app, n):
    with app.app_context():
        sess = db.session()
        for i in range(1, n + 1):
            audit.record(sess, "document.download" if i % 3 == 0 else "auth.login",
                         actor="alice@example.com" if i % 2 else "bob@example.com",
                         object_type="document" if i % 3 == 0 else "user", object_id=i, ip="10.0.0.9")
        sess.commit()


def test_shows_intact_chain_and_events(client_as):
    admin = client_as("admin")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "Chain intact: 1 entries verified." in page  # the admin's own user.create
    assert "user.create" in page


def test_tampering_shows_an_alarm(app, client_as):
    admin = client_as("admin")
    _seed(app, 4)
    with app.app_context():
        sess = db.session()
        sess.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(ip="1.2.3.4"))
        sess.commit()
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "tampered with or damaged" in page and "entry #3: content does not match its hash" in page


def test_filters(app, client_as):
    admin = client_as("admin")
    _seed(app, 9)
    page = admin.get("/admin/audit?action=document.").get_data(as_text=True)
    assert "3 matching events." in page and "auth.login" not in page.split("<tbody>")[1]
    page = admin.get("/admin/audit?actor=bob").get_data(as_text=True)
    assert "4 matching events." in page
    page = admin.get("/admin/audit?object_type=document&object_id=6").get_data(as_text=True)
    assert "1 matching events." in page
    today = utcnow().date()
    page = admin.get(f"/admin/audit?since={today}&until={today}").get_data(as_text=True)
    assert "10 matching events." in page  # 9 + the admin's creation
    page = admin.get(f"/admin/audit?until={today - timedelta(days=1)}").get_data(as_text=True)
    assert "0 matching events." in page and "No events match these filters." in page
    page = admin.get("/admin/audit?action=%25").get_data(as_text=True)  # LIKE wildcards are literal
    assert "0 matching events." in page


def test_bad_filter_is_a_clear_400(client_as):
    resp = client_as("admin").get("/admin/audit?since=yesterday")
    assert resp.status_code == 400 and b"Not a valid date value." in resp.data


def test_pagination(app, client_as):
    admin = client_as("admin")
    _seed(app, 120)  # + 1 user.create = 121 -> 3 pages of 50
    first = admin.get("/admin/audit").get_data(as_text=True)
    assert "Page 1 of 3" in first and '<td data-label="#">121</td>' in first
    last = admin.get("/admin/audit?page=3&action=").get_data(as_text=True)
    assert "Page 3 of 3" in last and '<td data-label="#">1</td>' in last
    beyond = admin.get("/admin/audit?page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond
    # filters carry into the page links
    filtered = admin.get("/admin/audit?actor=alice").get_data(as_text=True)
    assert "Page 1 of 2" in filtered and "actor=alice" in filtered and "page=2" in filtered


def test_csv_export_is_filtered_streamed_and_audited(app, client_as):
    admin = client_as("admin")
    _seed(app, 9)
    resp = admin.get("/admin/audit/export.csv?action=document.")
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.mimetype == "text/csv" and resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["seq"] for r in rows] == ["4", "7", "10"]  # oldest first; seq 1 is the admin's creation
    exports = events(app, "audit.export")
    assert len(exports) == 1 and exports[0].detail == {"filters": {"action": "document."}}
