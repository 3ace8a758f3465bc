"""`vault audit verify` / `export` and tamper detection, on SQLite and PostgreSQL."""
import csv
import io
import json

import pytest
from sqlalchemy import delete, select, update

from vault import audit, db
from vault.audit import AuditEvent, AuditHead


def _seed(app, n=5):
    with app.app_context():
        sess = db.session()
        for i in range(1, n + 1):
            audit.record(sess, "document.view" if i % 2 else "auth.login", actor=f"user{i}@example.com",
                         object_type="document", object_id=i, ip="10.0.0.1", detail={"i": i})
        sess.commit()


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])  # output: stdout and stderr


def test_verify_ok_prints_count_and_head(any_db_app):
    _seed(any_db_app)
    result = _verify(any_db_app)
    with any_db_app.app_context():
        head = db.session().get(AuditHead, 1).hash
    assert result.exit_code == 0
    assert result.output.strip() == f"OK: 5 entries, head hash {head}"


def test_verify_empty_log(any_db_app):
    result = _verify(any_db_app)
    assert result.exit_code == 0 and "OK: 0 entries" in result.output


def test_edited_middle_row_is_named(any_db_app):
    _seed(any_db_app)
    with any_db_app.app_context():
        sess = db.session()
        sess.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="someone-else@example.com"))
        sess.commit()
    result = _verify(any_db_app)
    assert result.exit_code == 1
    assert "entry #3: content does not match its hash (edited)" in result.output
    assert "entry #2" not in result.output and "entry #4" not in result.output


def test_deleted_newest_row_is_detected(any_db_app):
    _seed(any_db_app)
    with any_db_app.app_context():
        sess = db.session()
        sess.execute(delete(AuditEvent).where(AuditEvent.seq == 5))
        sess.commit()
    result = _verify(any_db_app)
    assert result.exit_code == 1 and "newest entries were removed: head says #5, log ends at #4" in result.output


def test_deleted_middle_row_is_detected(any_db_app):
    _seed(any_db_app)
    with any_db_app.app_context():
        sess = db.session()
        sess.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
        sess.commit()
    result = _verify(any_db_app)
    assert result.exit_code == 1 and "entry #2 is missing" in result.output


def test_inserted_row_is_detected(any_db_app):
    """A forged entry with a well-formed hash, appended without moving the head."""
    _seed(any_db_app)
    with any_db_app.app_context():
        sess = db.session()
        last = sess.scalar(select(AuditEvent).where(AuditEvent.seq == 5))
        forged = AuditEvent(seq=6, created_at=last.created_at, actor_id=None, actor="admin@example.com",
                            action="user.create", object_type="user", object_id="77", ip="10.0.0.2",
                            outcome="ok", detail={}, prev_hash=last.hash)
        forged.hash = audit._digest(forged.prev_hash, audit._fields(forged))
        sess.add(forged)
        sess.commit()
    result = _verify(any_db_app)
    assert result.exit_code == 1 and "head says #5, log ends at #6" in result.output


def test_inserted_row_in_the_middle_is_detected(any_db_app):
    _seed(any_db_app, n=3)
    with any_db_app.app_context():
        sess = db.session()
        # make room: move entry 3 to 4, then put a forged entry at 3
        sess.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(seq=4))
        second = sess.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
        forged = AuditEvent(seq=3, created_at=second.created_at, actor="x", action="auth.login", object_type="",
                            object_id="", ip="", outcome="ok", detail={}, prev_hash=second.hash)
        forged.hash = audit._digest(forged.prev_hash, audit._fields(forged))
        sess.add(forged)
        sess.commit()
    result = _verify(any_db_app)
    assert result.exit_code == 1 and "entry #4" in result.output


def test_export_to_file_with_dates_and_action(any_db_app, tmp_path):
    _seed(any_db_app)
    out = tmp_path / "audit.csv"
    runner = any_db_app.test_cli_runner()
    result = runner.invoke(args=["audit", "export", "--since", "2000-01-01", "--until", "2999-12-31",
                                 "--action", "auth.", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["seq"] for r in rows] == ["2", "4"] and all(r["action"] == "auth.login" for r in rows)
    assert json.loads(rows[0]["detail"]) == {"i": 2}
    with any_db_app.app_context():
        ev = db.session().scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()))
        assert ev.action == "audit.export" and ev.actor.startswith("cli:")
    # a range with nothing in it still gives a header
    result = runner.invoke(args=["audit", "export", "--until", "2000-01-01"])
    assert result.exit_code == 0 and result.output.splitlines() == [",".join(audit.CSV_COLUMNS)]
    # bad dates are refused clearly
    result = runner.invoke(args=["audit", "export", "--since", "yesterday"])
    assert result.exit_code == 2 and "not a date like 2025-01-31" in result.output


@pytest.mark.parametrize("n", [0, 3])
def test_export_to_stdout_is_csv(app, n):
    _seed(app, n)
    result = app.test_cli_runner().invoke(args=["audit", "export"])
    lines = result.output.splitlines()
    assert lines[0] == ",".join(audit.CSV_COLUMNS)
    assert len(lines) == n + 2 and ",audit.export," in lines[-1]  # the export records itself first
