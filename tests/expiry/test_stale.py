"""Answers that depend on evidence: expiry or withdrawal makes them stale (suggested, never filled, owner
reminded); renewal clears it; the questionnaires that received the answer are listed."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.expiry.conftest import TODAY, at, body, deliver, document, entry, mails_to, new_version, run, user
from importers.model import Locator, Question, Questionnaire
from vault import db

ISO_QUESTION = "Do you hold a current ISO 27001 certification?"


def _questionnaire():
    q = Question(qid="1", text=ISO_QUESTION, section=None,
                 question_at=Locator("cell", sheet="S", cell="B2", row=2, column=2),
                 answer_at=Locator("cell", sheet="S", cell="C2", row=2, column=3), comment_at=None,
                 choices=None, existing_answer=None, existing_comment=None)
    return Questionnaire(source_format="xlsx", filename="q.xlsx", questions=[q], sheets=[])


def _propose(app, tmp_path, today):
    from answers.autofill import propose_answers
    from answers.library.index import LibraryIndex
    with app.app_context():
        sess = db.session()
        lib = LibraryIndex(tmp_path / "index")
        [proposal] = propose_answers(_questionnaire(), lib.sync(sess), lib.entries(sess, today=today))
        return proposal.status, proposal.entry.ref if proposal.entry else None


@pytest.fixture
def seeded(app, tmp_path):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="answers@example.com", name="Anna Answers")
        cert_owner = user(sess, "legal", email="legal@example.com")
        sess.commit()
        iso = document(app, sess, cert_owner, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=5))
        entry(sess, ref="ISO-01", question=ISO_QUESTION, answer="Yes", owner=owner, evidence=[iso],
              reviewed=TODAY)
        entry(sess, ref="ENC-01", question="Is customer data encrypted at rest?", answer="Yes", reviewed=TODAY)
        entry(sess, ref="MFA-01", question="Is multi-factor authentication enforced for administrators?",
              answer="Yes", reviewed=TODAY)
        sess.commit()
        return iso.uid


def test_expired_evidence_makes_the_answer_stale_until_renewed(app, tmp_path, seeded, smtp_sink):
    from vault.documents.service import get_document
    from answers.library.stale import stale_entries
    assert _propose(app, tmp_path, TODAY) == ("filled", "ISO-01")

    expired_day = TODAY + timedelta(days=6)
    assert _propose(app, tmp_path, expired_day) == ("suggested", "ISO-01")  # still offered, never filled
    with app.app_context():
        [s] = stale_entries(db.session(), expired_day)
        assert (s.entry.ref, s.problem.reason, s.problem.since) == ("ISO-01", "expired", expired_day)

    report = run(app, at(expired_day))
    stale = [d for d in report.due if d.obligation.kind == "stale_answer"]
    assert [(d.stage, d.obligation.owner_email) for d in stale] == [("overdue:0", "answers@example.com")]
    deliver(app)
    [mail] = mails_to(smtp_sink, "answers@example.com")
    assert "Answer is stale" in body(mail) and "ISO-01" in body(mail)
    # One date rule (documents.status.expired_since): the expiry date is the last valid day.
    assert (f"Its evidence “ISO 27001 certificate” has been expired since {expired_day.isoformat()} "
            f"(last valid day {(TODAY + timedelta(days=5)).isoformat()}).") in body(mail)
    assert run(app, at(expired_day + timedelta(days=1))).due == []  # once per stage
    # Still stale a week later: reminded again.
    assert any(d.obligation.kind == "stale_answer" and d.stage == "overdue:1"
               for d in run(app, at(expired_day + timedelta(days=7))).due)

    with app.app_context():  # renewal clears the flag
        sess = db.session()
        from vault.auth.models import User
        doc = get_document(sess, seeded)
        new_version(app, sess, doc, sess.scalar(select(User).where(User.email == "legal@example.com")), tmp_path,
                    expiry=TODAY + timedelta(days=400))
        assert stale_entries(sess, expired_day) == []
    assert _propose(app, tmp_path, expired_day) == ("filled", "ISO-01")
    assert not [d for d in run(app, at(expired_day + timedelta(days=14))).due if d.obligation.kind == "stale_answer"]


def test_withdrawn_evidence_makes_the_answer_stale(app, tmp_path, seeded):
    from vault.auth.models import User
    from vault.documents.service import get_document, withdraw_version
    from answers.library.stale import stale_refs
    with app.app_context():
        sess = db.session()
        doc = get_document(sess, seeded)
        withdraw_version(sess, doc.versions[0], by=sess.scalar(select(User).where(User.email == "legal@example.com")),
                         reason="Certificate suspended by the registrar")
        sess.commit()
        assert stale_refs(sess, TODAY) == {"ISO-01"}
    assert _propose(app, tmp_path, TODAY) == ("suggested", "ISO-01")


def test_stale_page_lists_the_questionnaires_that_received_the_answer(app, tmp_path, seeded, client_as):
    from answers.library import stale

    def sent_to(session, entry):
        if entry.ref != "ISO-01":
            return []
        return [stale.AnswerUse(questionnaire="Acme vendor assessment.xlsx", customer="Acme Corp",
                                answered_on=TODAY - timedelta(days=40))]

    stale.register_answer_uses(sent_to)
    try:
        legal = client_as("legal")
        assert "No answer is stale." in legal.get("/expiry/stale").get_data(as_text=True)
        # Move the evidence past its date: withdraw it (the page uses today's date).
        from vault.auth.models import User
        from vault.documents.service import get_document, withdraw_version
        with app.app_context():
            sess = db.session()
            withdraw_version(sess, get_document(sess, seeded).versions[0],
                             by=sess.scalar(select(User).where(User.email == "legal@example.com")), reason="expired")
            sess.commit()
        html = legal.get("/expiry/stale").get_data(as_text=True)
        assert "ISO-01" in html and "ISO 27001 certificate" in html and "Withdrawn" in html
        assert "Acme vendor assessment.xlsx" in html and "Acme Corp" in html
    finally:
        stale.ANSWER_USES_HOOKS.remove(sent_to)


def test_sent_answers_of_the_questionnaires_feature_are_listed(app, tmp_path, seeded):
    models = pytest.importorskip("answers.questionnaires.models")
    from answers.library.stale import answer_uses
    from vault.storage.service import save_blob
    from answers.library.models import LibraryEntry
    with app.app_context():
        sess = db.session()
        blob = save_blob(sess, [b"questionnaire bytes"], context="questionnaire:q1")
        qn = models.Questionnaire(uid="q1", customer="Globex", filename="Globex security review.xlsx",
                                  source_format="xlsx", blob_id=blob.id, layout_signature="sig")
        sess.add(qn)
        sess.flush()
        item = models.QuestionItem(questionnaire_id=qn.id, position=0, locator={}, text=ISO_QUESTION)
        sess.add(item)
        sess.flush()
        sess.add(models.SentAnswer(customer="Globex", questionnaire_id=qn.id, item_id=item.id, entry_ref="ISO-01",
                                   entry_revision=1, answer="Yes"))
        sess.commit()
        iso = sess.scalar(select(LibraryEntry).where(LibraryEntry.ref == "ISO-01"))
        [use] = answer_uses(sess, iso)
        assert (use.questionnaire, use.customer, use.link_endpoint) == (
            "Globex security review.xlsx", "Globex", "questionnaires.review")
