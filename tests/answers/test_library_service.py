"""Answer library: create, edit with history, restore, stale edits, overdue reviews — on both engines."""
from datetime import date

import pytest
from sqlalchemy import select

from answers.library import service
from answers.library.models import LibraryEntryRevision
from vault import audit, db
from vault.audit import Actor

ACTOR = Actor(label="tester@example.com")


def test_history_records_every_change_and_restore_brings_back_the_old_answer(any_db_app):
    with any_db_app.app_context():
        sess = db.session()
        entry = service.create_entry(sess, ACTOR, ref="IAM-01", question="Do you enforce MFA?",
                                     answer_short="Yes", answer_full="MFA is enforced for all staff.")
        sess.commit()
        service.update_entry(sess, entry, ACTOR, answer_full="MFA (TOTP or WebAuthn) is enforced for everyone.")
        service.update_entry(sess, entry, ACTOR, answer_short="No")
        sess.commit()
        revisions = sess.scalars(select(LibraryEntryRevision).where(LibraryEntryRevision.entry_id == entry.id)
                                 .order_by(LibraryEntryRevision.number)).all()
        assert [r.number for r in revisions] == [1, 2, 3]
        assert revisions[2].changed_fields == ["answer_short"]
        assert revisions[2].changed_by == "tester@example.com"

        changed = service.restore_revision(sess, entry, 1, ACTOR)
        sess.commit()
        assert sorted(changed) == ["answer_full", "answer_short"]
        assert entry.answer_short == "Yes" and entry.answer_full == "MFA is enforced for all staff."
        assert audit.verify_chain(sess).ok
        actions = [e.action for e in audit.query_events(sess, object_type="library_entry")]
        assert actions.count("library.update") == 3 and actions.count("library.create") == 1


def test_stale_edit_is_refused_rather_than_overwriting(app):
    with app.app_context():
        sess = db.session()
        entry = service.create_entry(sess, ACTOR, ref="ENC-01", question="Is data encrypted at rest?",
                                     answer_short="Yes")
        sess.commit()
        opened_at = entry.revision
        service.update_entry(sess, entry, ACTOR, expected_revision=opened_at, answer_full="AES-256.")
        sess.commit()
        with pytest.raises(service.StaleEdit, match="changed by someone else"):
            service.update_entry(sess, entry, ACTOR, expected_revision=opened_at, answer_full="Other text")


@pytest.mark.parametrize("values, message", [
    ({"question": "  "}, "question is empty"),
    ({"status": "published"}, "status must be one of"),
    ({"language": "fr"}, "language must be one of"),
    ({"review_interval_days": 0}, "review interval"),
])
def test_invalid_values_are_refused_with_a_reason(app, values, message):
    with app.app_context():
        sess = db.session()
        base = {"ref": "X-1", "question": "Q?", "answer_short": "Yes"}
        with pytest.raises(service.LibraryError, match=message):
            service.create_entry(sess, ACTOR, **{**base, **values})


def test_duplicate_reference_id_is_refused(app):
    with app.app_context():
        sess = db.session()
        service.create_entry(sess, ACTOR, ref="BCP-01", question="Do you have a BCP?", answer_short="Yes")
        with pytest.raises(service.LibraryError, match="exists already"):
            service.create_entry(sess, ACTOR, ref="BCP-01", question="Another?", answer_short="No")


def test_overdue_filter_uses_review_date_and_interval(app):
    with app.app_context():
        sess = db.session()
        service.create_entry(sess, ACTOR, ref="A", question="Reviewed recently?", answer_short="Yes",
                             last_reviewed_on=date(2026, 10, 1), review_interval_days=90)
        service.create_entry(sess, ACTOR, ref="B", question="Reviewed long ago?", answer_short="Yes",
                             last_reviewed_on=date(2025, 1, 1), review_interval_days=90)
        service.create_entry(sess, ACTOR, ref="C", question="Never reviewed?", answer_short="Yes")
        sess.commit()
        overdue = service.list_entries(sess, service.EntryFilter(overdue_on=date(2026, 11, 24)))
        assert [e.ref for e in overdue] == ["B", "C"]
