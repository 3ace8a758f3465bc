"""Review never loses a reviewer's work: accept takes what the fields hold, an edit is not an accept,
Yes/No contradictions are flagged, bulk accept is not a person's review, "match again" keeps
touched questions."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from answers.questionnaires import service
from answers.questionnaires.models import SentAnswer
from tests.questionnaires.builders import (JSON, LIBRARY, QUESTIONS, add_library, events, item_by_qid, upload_and_match,
                                           workbook)
from vault import db
from vault.audit import Actor

YES_DETAILS = "Yes, covering Security, Availability and Confidentiality."


def _post(c, uid, item, **data):
    data.setdefault("revision", item.revision)
    return c.post(f"/questionnaires/{uid}/items/{item.uid}", data=data, headers=JSON)


@pytest.mark.parametrize("answer, details, expected", [
    ("No", YES_DETAILS, True),
    ("NO", "Yes.", True),
    ("Yes", "No, we do not.", True),
    ("否", "是，所有员工都使用多因素认证。", True),
    ("是", "否。", True),
    ("Yes", YES_DETAILS, False),
    ("N/A", YES_DETAILS, False),  # not a Yes/No meaning
    ("No", "We never store card data.", False),  # free text: no meaning to compare
    (None, "Yes", False),
    ("No", None, False),
])
def test_contradicts(answer, details, expected):
    assert service.contradicts(answer, details) is expected


def test_accept_takes_the_fields_not_the_proposal(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = item_by_qid(app, uid, "1.1")
    assert (mfa.proposed_answer, mfa.status) == ("YES", "suggested")
    # Textareas post CRLF: still the reviewer's text, and spelled as the dropdown spells it.
    r = _post(c, uid, mfa, action="accept", answer="n/a", comment="Contractors only.\r\nStaff use SSO.")
    assert r.status_code == 200
    mfa = item_by_qid(app, uid, "1.1")
    assert (mfa.status, mfa.final_answer, mfa.final_comment, mfa.how, mfa.final_entry_ref) == (
        "accepted", "N/A", "Contractors only.\nStaff use SSO.", "edited", "IAM-01")
    assert mfa.reviewed_by_id == c.user.id and mfa.bulk_threshold is None
    # Accepting the proposal's own text (as the page posts it) is still "as the library proposed".
    enc = item_by_qid(app, uid, "1.2")
    _post(c, uid, enc, action="accept", answer=enc.proposed_answer, comment=enc.proposed_comment + "\r\n")
    assert item_by_qid(app, uid, "1.2").how == "library"


def test_an_edit_is_not_an_accept_and_accept_then_keeps_it(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = item_by_qid(app, uid, "1.1")
    r = _post(c, uid, mfa, action="edit", answer="NO", comment=mfa.proposed_comment)
    assert r.status_code == 200
    assert r.json["progress"]["accepted"] == 0 and r.json["progress"]["edited"] == 1
    assert "qn-edited" in r.json["html"] and "Edited, not accepted" in r.json["html"]
    mfa = item_by_qid(app, uid, "1.1")
    assert (mfa.status, mfa.final_answer, mfa.reviewed_by_id, mfa.how) == ("edited", "NO", None, "edited")
    # Not written to the customer's file unless unreviewed answers are asked for; then the edit, not the proposal.
    assert events(app, "questionnaire.item.edit")
    # Accept without fields (an API client) accepts the edit shown, never the library text behind it.
    _post(c, uid, mfa, action="accept")
    mfa = item_by_qid(app, uid, "1.1")
    assert (mfa.status, mfa.final_answer, mfa.how, mfa.reviewed_by_id) == ("accepted", "NO", "edited", c.user.id)
    # Saving an accepted answer unchanged keeps it accepted; changing it takes it back to "edited".
    _post(c, uid, mfa, action="edit", answer="NO", comment=mfa.final_comment)
    assert item_by_qid(app, uid, "1.1").status == "accepted"
    _post(c, uid, mfa, action="edit", answer="YES", comment="SSO.")
    assert item_by_qid(app, uid, "1.1").status == "edited"


def test_edited_answers_are_exported_only_with_unreviewed_ones(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = item_by_qid(app, uid, "1.1")
    _post(c, uid, mfa, action="edit", answer="N/A", comment="Contractors only.")
    cell = mfa.locator["answer_at"]["cell"]
    plain = load_workbook(io.BytesIO(c.post(f"/questionnaires/{uid}/export").data))["Security"]
    assert plain[cell].value is None
    both = c.post(f"/questionnaires/{uid}/export", data={"include_suggested": "1"})
    assert load_workbook(io.BytesIO(both.data))["Security"][cell].value == "N/A"
    with app.app_context():
        assert list(db.session().scalars(select(SentAnswer))) == []  # nothing accepted, nothing recorded as sent


def test_contradiction_is_flagged_until_fixed_or_accepted(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = item_by_qid(app, uid, "1.1")
    r = _post(c, uid, mfa, action="edit", answer="NO", comment=YES_DETAILS)
    assert "qn-flag" in r.json["html"] and "the details say the opposite" in r.json["html"]
    mfa = item_by_qid(app, uid, "1.1")
    assert service.contradiction(mfa)
    page = c.get(f"/questionnaires/{uid}").get_data(as_text=True)
    assert page.count('class="qn-flag"') == 1
    # Fixed: the details now agree.
    r = _post(c, uid, mfa, action="edit", answer="NO", comment="No, not for contractors.")
    assert "qn-flag" not in r.json["html"]
    # Contradicting again, then explicitly accepted: accepted as written, flag gone, the audit says so.
    mfa = item_by_qid(app, uid, "1.1")
    _post(c, uid, mfa, action="edit", answer="NO", comment=YES_DETAILS)
    mfa = item_by_qid(app, uid, "1.1")
    r = _post(c, uid, mfa, action="accept", answer="NO", comment=YES_DETAILS)
    assert r.status_code == 200 and "qn-flag" not in r.json["html"]
    assert item_by_qid(app, uid, "1.1").final_answer == "NO"
    assert events(app, "questionnaire.item.accept")[0].detail["contradiction"] is True


def test_contradiction_flag_in_chinese(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = item_by_qid(app, uid, "1.1")
    _post(c, uid, mfa, action="edit", answer="NO", comment=YES_DETAILS)
    page = c.get(f"/questionnaires/{uid}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "请核对此答案" in page and "已编辑，未接受" in page


BULK_LIBRARY = [*LIBRARY[:1], ("ENC-01", "Is customer data encrypted at rest?", "No", YES_DETAILS),
                *LIBRARY[2:]]


def test_bulk_accept_is_recorded_as_bulk_not_as_a_review(app, client_as):
    add_library(app, BULK_LIBRARY)
    c = client_as("sales")
    uid = upload_and_match(c, workbook(), customer="Globex")
    assert item_by_qid(app, uid, "1.2").proposed_answer == "NO"  # and details saying "Yes, ..."
    c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "1"})
    mfa, enc, bg = (item_by_qid(app, uid, q) for q in ("1.1", "1.2", "1.3"))
    assert (mfa.status, mfa.bulk_threshold, mfa.reviewed_by_id) == ("accepted", 0.01, c.user.id)
    assert enc.status == "suggested"  # answer and details disagree: left to a person
    assert bg.status == "accepted"
    page = c.get(f"/questionnaires/{uid}").get_data(as_text=True)
    assert "accepted in bulk at 1% or more, by Sales" in page and "Reviewed by" not in page
    assert "2 of them accepted in bulk" in page

    # A person reviews one of them: from then on it is that person's review.
    _post(c, uid, bg, action="reopen")
    bg = item_by_qid(app, uid, "1.3")
    _post(c, uid, bg, action="accept", answer=bg.proposed_answer, comment=bg.proposed_comment)
    assert item_by_qid(app, uid, "1.3").bulk_threshold is None

    c.post(f"/questionnaires/{uid}/export")
    with app.app_context():
        sent = {r.entry_ref: (r.bulk_threshold, r.accepted_by_id) for r in db.session().scalars(select(SentAnswer))}
    assert sent == {"IAM-01": (0.01, c.user.id), "HR-01": (None, c.user.id)}
    ledger = c.get("/questionnaires/sent?customer=Globex").get_data(as_text=True)
    assert "accepted in bulk at 1% or more, by Sales" in ledger and "Reviewed by Sales" in ledger

    wb = load_workbook(io.BytesIO(c.get(f"/questionnaires/{uid}/report.xlsx").data))
    summary = list(wb["Summary"].iter_rows(values_only=True))
    who = f"Sales <{c.user.email}>"
    bulk_at = summary.index(("Accepted in bulk", None))
    assert summary[bulk_at + 1] == (f"accepted in bulk at 1% or more, by {who}", 1)
    reviewers = summary.index(("Reviewed by", None))
    assert summary[reviewers + 1] == (who, 1)  # only the question the person accepted
    rows = {r[0]: r for r in wb["Questions"].iter_rows(values_only=True)}
    assert rows["1.1"][10] == f"accepted in bulk at 1% or more, by {who}" and rows["1.3"][10] == who


def _match_again(c, uid):
    return c.post(f"/questionnaires/{uid}/match-again", follow_redirects=True)


def test_match_again_keeps_touched_questions_and_reproposes_the_rest(app, client_as):
    without_hr = [row for row in LIBRARY if row[0] not in ("HR-01", "ENC-01")]
    add_library(app, without_hr)
    c = client_as("sales")
    uid = upload_and_match(c, workbook(questions=[
        *QUESTIONS, ("1.5", "Do you perform background checks on contractors?")]))
    mfa, bg, swallow = (item_by_qid(app, uid, q) for q in ("1.1", "1.3", "1.4"))
    assert bg.proposed_entry_ref != "HR-01"
    _post(c, uid, mfa, action="edit", answer="NO", comment="Only for admins.")
    _post(c, uid, swallow, action="reject")
    before = {i: item_by_qid(app, uid, i) for i in ("1.1", "1.2", "1.3", "1.4", "1.5")}

    add_library(app, [row for row in LIBRARY if row[0] in ("HR-01", "ENC-01")])
    page = _match_again(c, uid).get_data(as_text=True)
    assert "Matched again against the current library" in page
    after = {i: item_by_qid(app, uid, i) for i in before}
    # Touched: exactly as they were.
    for qid in ("1.1", "1.4"):
        a, b = after[qid], before[qid]
        assert (a.status, a.final_answer, a.final_comment, a.proposed_entry_ref, a.revision, a.alternatives) == (
            b.status, b.final_answer, b.final_comment, b.proposed_entry_ref, b.revision, b.alternatives)
    # Untouched: proposed from the grown library, with a new revision so a stale page cannot accept the old one.
    assert after["1.3"].proposed_entry_ref == "HR-01" and after["1.3"].status == "suggested"
    assert after["1.2"].proposed_entry_ref == "ENC-01"
    assert after["1.3"].revision == before["1.3"].revision + 1
    detail = events(app, "questionnaire.match_again")[0].detail
    assert detail["kept"] == 2 and detail["reproposed"] >= 2 and detail["reproposed"] + detail["unchanged"] == 3
    r = _post(c, uid, before["1.3"], action="accept", answer="YES", comment="")
    assert r.status_code == 409  # the old proposal's page


def test_match_again_keeps_bulk_accepted_and_needs_edit_rights(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "1"})
    accepted = [i for i in (item_by_qid(app, uid, q) for q in ("1.1", "1.2", "1.3")) if i.status == "accepted"]
    assert accepted
    assert client_as("viewer").post(f"/questionnaires/{uid}/match-again").status_code == 403
    _match_again(c, uid)
    for old in accepted:
        new = item_by_qid(app, uid, old.qid)
        assert (new.status, new.bulk_threshold, new.revision) == ("accepted", 0.01, old.revision)
    assert events(app, "questionnaire.match_again")[0].detail["kept"] == len(accepted)


def test_match_again_uses_the_one_matching_path(app, client_as, monkeypatch):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    calls = []
    real = service.propose_answers
    monkeypatch.setattr(service, "propose_answers", lambda parsed, *a, **kw: calls.append(
        [q.qid for q in parsed.questions]) or real(parsed, *a, **kw))
    _post(c, uid, item_by_qid(app, uid, "1.1"), action="reject")
    _match_again(c, uid)
    assert calls == [["1.2", "1.3", "1.4"]]


def test_match_again_needs_csrf(tmp_path):
    from tests.conftest import make_app
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.test_client() as client:
        assert client.post("/questionnaires/x/match-again").status_code == 400


def test_edit_bulk_and_match_again_on_both_databases(any_db_app):
    from answers.library.index import app_index, synced_index
    from answers.questionnaires import export
    app = any_db_app
    add_library(app, [row for row in LIBRARY if row[0] != "HR-01"])
    actor = Actor(label="svc@example.com")
    with app.app_context():
        sess = db.session()
        qn = service.upload(sess, actor, customer="Hooli", filename="q.xlsx", data=workbook())
        with synced_index(sess) as index:
            service.start_review(sess, actor, qn, index, app_index().entries(sess))
        sess.commit()
        by_qid = {i.qid: i for i in qn.items}
        mfa = by_qid["1.1"]
        service.review_item(sess, actor, mfa, "edit", expected_revision=1, answer="no", comment="Admins only.")
        assert by_qid["1.3"].status == "open"  # nothing in the library for it yet
        assert service.bulk_accept(sess, actor, qn, 0.01).accepted == 1
        sess.commit()
        assert (mfa.status, mfa.final_answer) == ("edited", "NO")  # bulk accept never takes an edit
        enc = by_qid["1.2"]
        assert (enc.status, enc.bulk_threshold) == ("accepted", 0.01)
        export.export_filled(sess, actor, qn)
        sess.commit()
        row = sess.scalar(select(SentAnswer).where(SentAnswer.item_id == enc.id))
        assert row.bulk_threshold == 0.01
    add_library(app, [row for row in LIBRARY if row[0] == "HR-01"])
    with app.app_context():
        sess = db.session()
        qn = service.get_questionnaire(sess, qn.uid)
        with synced_index(sess) as index:
            result = service.match_again(sess, actor, qn, index, app_index().entries(sess))
        sess.commit()
        by_qid = {i.qid: i for i in qn.items}
        assert result == service.Rematch(reproposed=1, unchanged=1, kept=2)
        assert (by_qid["1.1"].status, by_qid["1.1"].final_answer) == ("edited", "NO")
        assert (by_qid["1.2"].status, by_qid["1.2"].bulk_threshold) == ("accepted", 0.01)
        assert (by_qid["1.3"].status, by_qid["1.3"].proposed_entry_ref) == ("suggested", "HR-01")


BREACH = ("2.1", "Have you had a personal data breach reported to a government agency?")
IR = ("IR-01", "Do you have a documented incident response plan covering personal data breaches?", "Yes",
      "Tested every year; regulators and customers are notified within 72 hours.")
RTO = ("2.2", "What is your recovery time objective (RTO)?")
DR = ("DR-01", "Do you have a defined recovery time objective (RTO)?", "Yes", "Documented in the DR plan.")
PAST_EVENT_EN = "asks about a past event (breach, incident, fine, outage), not about a control"
PAST_EVENT_ZH = "问的是过去发生的事件（泄露、事故、处罚、中断），而非控制措施"


def _card_html(page: str, item) -> str:
    card = page[page.index(f'id="item-{item.uid}"'):]
    return card[:card.index("</article>")]


def test_a_past_breach_question_is_never_answered_from_the_incident_plan(app, client_as):
    """Issue #12: "Yes" from the incident-response entry went into a past-breach question. The intent rule
    halves the confidence (no good match), and the entry, still offered as an alternative, says why."""
    add_library(app, [*LIBRARY, IR])
    c = client_as("sales")
    uid = upload_and_match(c, workbook(questions=[*QUESTIONS, BREACH]))
    breach = item_by_qid(app, uid, "2.1")
    assert breach.status in ("open", "suggested") and not breach.auto
    flagged = [f for f in ([breach.flags] if breach.proposed_entry_ref == "IR-01" else [])
               + [a["flags"] for a in breach.alternatives if a["ref"] == "IR-01"]]
    assert flagged and all("intent:past_event" in f for f in flagged)
    assert item_by_qid(app, uid, "1.2").flags == []  # an ordinary confident match carries no flag

    page = c.get(f"/questionnaires/{uid}").get_data(as_text=True)
    card = _card_html(page, breach)
    assert PAST_EVENT_EN in card and "High confidence" not in card and "Ready to accept" not in card
    zh = _card_html(c.get(f"/questionnaires/{uid}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True),
                    breach)
    assert PAST_EVENT_ZH in zh

    c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "50"})
    assert item_by_qid(app, uid, "2.1").status in ("open", "suggested")
    assert item_by_qid(app, uid, "1.1").status == "accepted"


def test_a_flagged_proposal_is_suggested_with_its_reasons_and_skipped_by_bulk_accept(app, client_as):
    add_library(app, [*LIBRARY, DR])
    c = client_as("sales")
    uid = upload_and_match(c, workbook(questions=[*QUESTIONS, RTO]))
    rto = item_by_qid(app, uid, "2.2")
    assert (rto.proposed_entry_ref, rto.status, rto.auto) == ("DR-01", "suggested", False)
    assert rto.flags == ["intent:duration", "answer_type"]

    page = c.get(f"/questionnaires/{uid}").get_data(as_text=True)
    assert 'name="threshold" min="1" max="100" value="96"' in page  # the auto-fill threshold, not 80
    card = _card_html(page, rto)
    assert "Not filled automatically; a person must decide:" in card
    assert "asks for a duration (how long, RTO/RPO, retention)" in card
    assert "the library answer is not the kind of answer asked for" in card
    assert "High confidence" not in card and "Similar wording" in card
    zh = _card_html(c.get(f"/questionnaires/{uid}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True), rto)
    assert "未自动填写，需由人工决定" in zh and "要求回答时长" in zh and "答案类型不符" in zh

    page = c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "50"},
                  follow_redirects=True).get_data(as_text=True)
    assert item_by_qid(app, uid, "2.2").status == "suggested"
    assert item_by_qid(app, uid, "1.1").status == "accepted"
    assert "1 left for a person: the library entry asks another question" in page
    assert events(app, "questionnaire.bulk_accept")[0].detail["flagged"] == 1
    # A person may still accept it: the flag informs, it does not forbid.
    rto = item_by_qid(app, uid, "2.2")
    assert _post(c, uid, rto, action="accept", answer="N/A", comment="RTO: 4 hours.").status_code == 200
    assert item_by_qid(app, uid, "2.2").status == "accepted"


def test_flags_follow_match_again(app, client_as):
    add_library(app, LIBRARY)
    c = client_as("sales")
    uid = upload_and_match(c, workbook(questions=[*QUESTIONS, RTO]))
    before = item_by_qid(app, uid, "2.2")
    assert before.proposed_entry_ref != "DR-01"
    add_library(app, [DR])
    _match_again(c, uid)
    rto = item_by_qid(app, uid, "2.2")
    assert rto.proposed_entry_ref == "DR-01" and rto.flags == ["intent:duration", "answer_type"]
    assert rto.revision == before.revision + 1


@pytest.mark.parametrize("value, flagged, words", [
    (0.98, False, "High confidence (98%)"),
    (0.9, False, "Medium confidence (90%)"),  # 0.8 was "high" before the threshold was fitted
    (0.98, True, "Similar wording (98%), check before accepting"),
    (0.3, True, "Low confidence (30%)"),
    (None, False, "No match"),
])
def test_confidence_band_uses_the_autofill_threshold(app, value, flagged, words):
    from answers.questionnaires.forms import confidence_band
    with app.test_request_context():
        band = confidence_band(value, flagged)
    assert band[1] == words and (band[0] == "badge-valid") == (words.startswith("High"))
