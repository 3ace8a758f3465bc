"""Proposals from match results: dropdown fitting, stale entries, answers in the other language."""
import pytest

from answers.autofill.plan import _propose
from answers.matching import Candidate, LibraryEntry, MatchResult
from importers.model import Locator, Question

ZH = LibraryEntry(ref="ZH-1", question="是否启用多因素认证？", answer_short="是", answer_full="所有员工均启用。",
                  language="zh")
EN = LibraryEntry(ref="EN-1", question="Do you enforce MFA?", answer_short="Yes", answer_full="For all staff.")


def _q(text, choices=None):
    return Question(qid="1", text=text, section=None, question_at=Locator("cell", "S", "B2", 2, 2),
                    answer_at=Locator("cell", "S", "C2", 2, 3), comment_at=Locator("cell", "S", "D2", 2, 4),
                    choices=choices, existing_answer=None, existing_comment=None)


def _result(ref, confidence=0.99):
    return MatchResult(candidates=[Candidate(ref, 0.9)], confidence=confidence, answerable=True)


@pytest.mark.parametrize("question, entry, status, answer, comment", [
    (_q("Do you enforce multi-factor authentication?"), EN, "filled", "Yes", "For all staff."),
    (_q("Do you enforce multi-factor authentication?", ["YES", "NO"]), EN, "filled", "YES", "For all staff."),
    # The Chinese entry answers an English question: a dropdown choice may be filled, no Chinese text.
    (_q("Do you enforce multi-factor authentication?", ["Yes", "No"]), ZH, "filled", "Yes", None),
    (_q("Do you enforce multi-factor authentication?"), ZH, "suggested", "是", None),
    (_q("是否启用多因素认证？"), ZH, "filled", "是", "所有员工均启用。"),
])
def test_proposals(question, entry, status, answer, comment):
    p = _propose(question, _result(entry.ref), {entry.ref: entry})
    assert (p.status, p.answer, p.comment) == (status, answer, comment)


def test_an_answer_in_the_other_language_is_marked_so_no_page_adds_its_text_as_details():
    q = _q("Do you enforce multi-factor authentication?", ["Yes", "No"])
    assert _propose(q, _result("ZH-1"), {"ZH-1": ZH}).foreign is True
    assert _propose(q, _result("EN-1"), {"EN-1": EN}).foreign is False


def test_low_confidence_stale_and_draft_entries_are_only_suggested():
    q = _q("Do you enforce MFA?")
    assert _propose(q, _result("EN-1", 0.6), {"EN-1": EN}).status == "suggested"
    stale = LibraryEntry(ref="EN-1", question=EN.question, answer_short="Yes", stale=True)
    assert _propose(q, _result("EN-1"), {"EN-1": stale}).status == "suggested"
    draft = LibraryEntry(ref="EN-1", question=EN.question, answer_short="Yes", status="draft")
    proposal = _propose(q, _result("EN-1"), {"EN-1": draft})
    assert (proposal.status, proposal.answer) == ("suggested", "Yes")  # shown to the reviewer, never sent
    unanswerable = MatchResult(candidates=[Candidate("EN-1", 0.2)], confidence=0.1, answerable=False)
    assert _propose(q, unanswerable, {"EN-1": EN}).status == "unanswered"


IR = LibraryEntry(ref="IR-1", question="Do you have a documented incident response plan?", answer_short="Yes",
                  answer_full="Yes, tested annually.")
ENC = LibraryEntry(ref="ENC-1", question="Do you encrypt customer data at rest?", answer_short="Yes")
BCP = LibraryEntry(ref="BCP-1", question="Do you have a business continuity plan?", answer_short="Yes")


@pytest.mark.parametrize("question, entry, flag", [
    # the real cases: same topic, another question; a confident match alone must not send "Yes"
    ("Have you had a personal data breach reported to a government agency?", IR, "intent:past_event"),
    ("Does your cloud provider have access to your encryption keys?", ENC, "intent:subject"),
    ("What is your RTO and RPO?", BCP, "answer_type"),
])
def test_confident_topic_match_with_another_intent_is_only_suggested_with_the_reason(question, entry, flag):
    p = _propose(_q(question), _result(entry.ref), {entry.ref: entry})
    assert p.status == "suggested" and flag in p.flags
    assert p.answer == "Yes"  # still shown to the reviewer as a lead


def test_same_intent_is_filled_without_flags():
    p = _propose(_q("Is there a documented incident response plan?"), _result("IR-1"), {"IR-1": IR})
    assert (p.status, p.flags) == ("filled", [])


def test_a_number_question_gets_the_text_that_holds_the_number_not_a_bare_yes():
    bcp = LibraryEntry(ref="BCP-1", question="Do you have a DR plan tested annually?",
                       alternatives=["What are your RTO and RPO?"], answer_short="Yes",
                       answer_full="Tested yearly. RTO 4 hours, RPO 15 minutes.")
    p = _propose(_q("What is your RTO and RPO?"), _result("BCP-1"), {"BCP-1": bcp})
    assert (p.status, p.answer, p.comment, p.flags) == ("filled", "Tested yearly. RTO 4 hours, RPO 15 minutes.",
                                                        None, [])
    # a yes/no question still gets the short answer and the details beside it
    p = _propose(_q("Is your DR plan tested?"), _result("BCP-1"), {"BCP-1": bcp})
    assert (p.answer, p.comment) == ("Yes", "Tested yearly. RTO 4 hours, RPO 15 minutes.")
