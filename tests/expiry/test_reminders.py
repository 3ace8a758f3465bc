"""`run_reminders` with an injected clock: thresholds, once only, digests, overdue repeats, crash-and-resume."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.expiry.conftest import TODAY, at, body, deliver, document, entry, mails_to, run, user
from vault import db
from vault.expiry.models import SentReminder
from vault.notify.models import Outbox


def _counts(app):
    with app.app_context():
        sess = db.session()
        return (sess.scalar(select(func.count()).select_from(Outbox)),
                sess.scalar(select(func.count()).select_from(SentReminder)))


@pytest.fixture
def people(app):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com", name="Olivia Owner")
        legal = user(sess, "legal", email="legal@example.com", name="Lee Legal")
        sess.commit()
        return owner.id, legal.id


def _doc(app, tmp_path, owner_email, title, **kw):
    from vault.auth.models import User
    with app.app_context():
        sess = db.session()
        owner = sess.scalar(select(User).where(User.email == owner_email))
        return document(app, sess, owner, tmp_path, title, **kw).uid


def test_each_threshold_once_then_weekly_while_overdue(app, people, tmp_path, smtp_sink):
    _doc(app, tmp_path, "owner@example.com", "ISO 27001 certificate", expiry=TODAY + timedelta(days=100))
    walk = [  # (day offset, stage expected or None)
        (0, None), (9, None), (10, "before:90"), (10, None), (40, None), (70, "before:30"), (71, None),
        (93, "before:7"), (98, None), (99, "before:1"), (100, None), (101, "overdue:0"), (107, None),
        (108, "overdue:1"), (114, None), (115, "overdue:2"),
    ]
    for offset, expected in walk:
        report = run(app, at(TODAY + timedelta(days=offset)))
        assert [d.stage for d in report.due] == ([expected] if expected else []), offset
    deliver(app)
    stages = ["before:90", "before:30", "before:7", "before:1", "overdue:0", "overdue:1", "overdue:2"]
    for email in ("owner@example.com", "legal@example.com"):
        assert len(mails_to(smtp_sink, email)) == len(stages)
    subjects = [m["Subject"] for m in mails_to(smtp_sink, "owner@example.com")]
    assert subjects[0] == "Reminder: Document expires: ISO 27001 certificate (Due in 90 days)"
    assert subjects[4] == "Reminder: Document expires: ISO 27001 certificate (Overdue by 1 day)"
    with app.app_context():
        ledger = db.session().scalars(select(SentReminder).order_by(SentReminder.id)).all()
        assert [r.stage for r in ledger] == stages
        assert ledger[0].recipients == ["legal@example.com", "owner@example.com"]


def test_running_twice_sends_nothing_new(app, people, tmp_path, smtp_sink):
    _doc(app, tmp_path, "owner@example.com", "SOC 2 report", expiry=TODAY + timedelta(days=30))
    first = run(app, at(TODAY))
    assert len(first.due) == 1
    counts = _counts(app)
    again = run(app, at(TODAY, hour=10))
    assert again.due == [] and _counts(app) == counts
    deliver(app)
    deliver(app)
    assert len(mails_to(smtp_sink, "owner@example.com")) == 1


def test_a_missed_week_sends_the_latest_stage_only(app, people, tmp_path):
    _doc(app, tmp_path, "owner@example.com", "Pen test", expiry=TODAY + timedelta(days=5))
    report = run(app, at(TODAY))
    assert [d.stage for d in report.due] == ["before:7"]  # not 90 and 30 as well


def test_one_digest_per_person(app, people, tmp_path, smtp_sink):
    for title, days in (("ISO 27001 certificate", 30), ("SOC 2 report", 7), ("Pen test summary", -3)):
        _doc(app, tmp_path, "owner@example.com", title, expiry=TODAY + timedelta(days=days))
    report = run(app, at(TODAY))
    assert len(report.due) == 3 and sorted(report.emails) == ["legal@example.com", "owner@example.com"]
    deliver(app)
    owner_mail = mails_to(smtp_sink, "owner@example.com")
    assert len(owner_mail) == 1 and len(mails_to(smtp_sink, "legal@example.com")) == 1
    msg = owner_mail[0]
    assert msg["Subject"] == "Compliance reminders: 3 dates need attention, 1 overdue"
    assert msg["To"].addresses[0].display_name == "Olivia Owner"
    text = body(msg)
    assert text.index("Pen test summary") < text.index("SOC 2 report") < text.index("ISO 27001 certificate")
    assert "Overdue by 3 days" in text and "Due in 7 days" in text
    assert "https://vault.example.com/documents/" in text and "https://vault.example.com/expiry/" in text
    html = msg.get_body(("html",)).get_content()
    assert 'href="https://vault.example.com/documents/' in html


def test_digest_in_the_recipients_language(app, tmp_path, smtp_sink):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="zhang@example.com", name="张三", locale="zh")
        sess.commit()
        document(app, sess, owner, tmp_path, "等级保护测评报告", expiry=TODAY + timedelta(days=7))
    run(app, at(TODAY))
    deliver(app)
    [msg] = mails_to(smtp_sink, "zhang@example.com")
    assert msg["To"].addresses[0].display_name == "张三"
    assert "等级保护测评报告" in msg["Subject"]


def test_legal_group_extra_addresses_and_no_owner_reminders(app, people, tmp_path, smtp_sink):
    from vault.expiry import service
    with app.app_context():
        sess = db.session()
        s = service.get_settings(sess)
        s.notify_owner, s.legal_emails = False, "counsel@lawfirm.example"
        sess.commit()
    _doc(app, tmp_path, "owner@example.com", "DPA", expiry=TODAY + timedelta(days=1))
    report = run(app, at(TODAY))
    assert sorted(report.emails) == ["counsel@lawfirm.example", "legal@example.com"]


def test_library_reviews_go_to_the_owner_only(app, people, tmp_path):
    from vault.auth.models import User
    with app.app_context():
        sess = db.session()
        owner = sess.scalar(select(User).where(User.email == "owner@example.com"))
        entry(sess, question="Do you encrypt data at rest?", owner=owner, reviewed=TODAY - timedelta(days=360))
        entry(sess, question="Unowned entry?", reviewed=TODAY - timedelta(days=360))
        sess.commit()
    report = run(app, at(TODAY))
    assert {(d.obligation.kind, d.stage) for d in report.due} == {("library_review", "before:7")}
    assert list(report.emails) == ["owner@example.com"]
    [waiting] = report.unaddressed  # the unowned entry: nobody to tell, so nothing recorded
    assert "Unowned entry?" in waiting.obligation.title


def test_nobody_to_tell_is_not_recorded_and_is_sent_later(app, tmp_path, smtp_sink):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="gone@example.com")
        owner.active = False
        sess.commit()
        document(app, sess, owner, tmp_path, "Orphan certificate", expiry=TODAY + timedelta(days=30))
    report = run(app, at(TODAY))
    assert report.due == [] and len(report.unaddressed) == 1 and _counts(app) == (0, 0)
    with app.app_context():
        sess = db.session()
        user(sess, "legal", email="new-legal@example.com")
        sess.commit()
    assert len(run(app, at(TODAY, hour=10)).due) == 1
    deliver(app)
    assert len(mails_to(smtp_sink, "new-legal@example.com")) == 1


def test_crash_halfway_loses_nothing_and_duplicates_nothing(app, tmp_path, smtp_sink, monkeypatch):
    from vault.expiry import reminders
    with app.app_context():
        sess = db.session()
        owners = [user(sess, "security", email=f"owner{i}@example.com") for i in range(3)]
        user(sess, "legal", email="legal@example.com")
        sess.commit()
        for i, owner in enumerate(owners):
            document(app, sess, owner, tmp_path, f"Certificate {i}", expiry=TODAY - timedelta(days=i + 1))

    real = reminders._enqueue_email
    calls = {"n": 0}

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(reminders, "_enqueue_email", crash_on_third)
    with pytest.raises(RuntimeError, match="power cut"):
        run(app, at(TODAY))
    assert calls["n"] == 3 and _counts(app) == (0, 0)  # the two enqueued before the crash are gone too
    monkeypatch.setattr(reminders, "_enqueue_email", real)

    report = run(app, at(TODAY))
    assert len(report.due) == 3 and _counts(app) == (4, 3)
    assert run(app, at(TODAY, hour=11)).due == []
    deliver(app)
    deliver(app)
    for i in range(3):
        assert len(mails_to(smtp_sink, f"owner{i}@example.com")) == 1
    [legal_mail] = mails_to(smtp_sink, "legal@example.com")
    assert all(f"Certificate {i}" in body(legal_mail) for i in range(3))


def test_a_concurrent_run_that_recorded_first_wins(app, people, tmp_path, monkeypatch, smtp_sink):
    """Two runs read the ledger before either committed: the later commit fails on the ledger's unique
    key, rolls back its outbox rows with it, and its retry finds nothing to do."""
    from vault.expiry import reminders
    _doc(app, tmp_path, "owner@example.com", "ISO 27001 certificate", expiry=TODAY + timedelta(days=7))
    run(app, at(TODAY))  # the "other" run, committed
    real = reminders._already_sent
    blind = {"n": 0}

    def stale_read(session, pairs):
        blind["n"] += 1
        return set() if blind["n"] == 1 else real(session, pairs)

    monkeypatch.setattr(reminders, "_already_sent", stale_read)
    report = run(app, at(TODAY, hour=10))
    assert blind["n"] == 2 and report.due == []
    deliver(app)
    assert len(mails_to(smtp_sink, "owner@example.com")) == 1


def test_dry_run_records_nothing(app, people, tmp_path):
    _doc(app, tmp_path, "owner@example.com", "ISO 27001 certificate", expiry=TODAY + timedelta(days=7))
    report = run(app, at(TODAY), dry_run=True)
    assert len(report.due) == 1 and report.dry_run and _counts(app) == (0, 0)
    assert len(run(app, at(TODAY)).due) == 1


def test_key_flows_on_both_databases(db_app, tmp_path, smtp_sink, monkeypatch):
    """Thresholds, once only and crash-and-resume on SQLite and PostgreSQL."""
    from vault.expiry import reminders
    app = db_app
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com")
        user(sess, "legal", email="legal@example.com")
        sess.commit()
        document(app, sess, owner, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=30))
        document(app, sess, owner, tmp_path, "SOC 2 report", expiry=TODAY - timedelta(days=2))

    real = reminders._enqueue_email
    monkeypatch.setattr(reminders, "_enqueue_email", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("crash"))
                        if a[1].email == "owner@example.com" else real(*a, **k))
    with pytest.raises(RuntimeError):
        run(app, at(TODAY))
    assert _counts(app) == (0, 0)
    monkeypatch.setattr(reminders, "_enqueue_email", real)
    assert {d.stage for d in run(app, at(TODAY)).due} == {"before:30", "overdue:0"}
    assert run(app, at(TODAY)).due == []
    assert [d.stage for d in run(app, at(TODAY + timedelta(days=7))).due] == ["overdue:1"]
    deliver(app)
    assert len(mails_to(smtp_sink, "owner@example.com")) == 2
    assert len(mails_to(smtp_sink, "legal@example.com")) == 2
