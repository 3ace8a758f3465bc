"""The potential-issues finder: two entries that answer the same question, differently (conflicts) or
twice (near-duplicates). Table-driven, without the app."""
from __future__ import annotations

import pytest

from answers.autofill.fit import meaning_of
from answers.library.issues import SAME_QUESTION_THRESHOLD, AnswerDifference, IssuePair, answer_difference, find_issues
from answers.matching import LibraryEntry, MatchIndex


def E(ref, question, answer="Yes", **kw) -> LibraryEntry:  # noqa: N802 - reads like a table row
    return LibraryEntry(ref=ref, question=question, answer_short=answer, **kw)


BACKGROUND = [
    E("BC-1", "Do you run background checks on new hires?"),
    E("IR-1", "Is there a documented incident response plan?"),
    E("ENC-1", "Do you encrypt customer data at rest?"),
    E("BCP-1", "Do you test your business continuity plan every year?", "No"),
    E("DPO-1", "Have you appointed a data protection officer?"),
]


@pytest.mark.parametrize("answer, expected", [
    ("Yes", "yes"), ("yes.", "yes"), ("YES, for all staff", "yes"), ("Y", "yes"), ("是", "yes"), ("是的", "yes"),
    ("是，所有员工", "yes"), ("已启用", "yes"), ("No", "no"), ("no - not yet", "no"), ("否", "no"), ("不支持", "no"),
    ("未启用", "no"), ("N/A", "na"), ("不适用", "na"), ("Partial", "partial"), ("", None), ("We use AES-256", None),
    ("Nothing to add", None),
])
def test_meaning_of_short_answers(answer, expected):
    """The finder compares answers by this meaning (the same one autofill uses to fit a dropdown)."""
    assert meaning_of(answer) == expected


def A(short, full="") -> LibraryEntry:  # noqa: N802
    return E("X", "?", short, answer_full=full)


@pytest.mark.parametrize("a, b, expected", [
    (A("Yes"), A("No"), AnswerDifference("answer", "yes", "no")),
    (A("是"), A("否"), AnswerDifference("answer", "yes", "no")),
    (A("N/A"), A("Yes"), AnswerDifference("answer", "na", "yes")),
    (A("Partial"), A("Yes"), AnswerDifference("answer", "partial", "yes")),
    (A("Yes"), A("Yes, we use AES-256"), None),
    (A("Yes"), A("We use AES-256 with keys in a KMS"), None),  # free text has no yes/no to compare
    (A("4 hours"), A("24 hours"), AnswerDifference("quantity", "4 hours", "24 hours")),
    (A("RTO 4 hours"), A("RTO 24 hours"), AnswerDifference("quantity", "RTO 4 hours", "RTO 24 hours")),
    (A("Yes", "RTO 4 hours, RPO 15 minutes"), A("Yes", "RTO 4 hours, RPO 1 hour"),
     AnswerDifference("quantity", "RPO 15 minutes", "RPO 1 hour")),
    (A("4小时"), A("24小时"), AnswerDifference("quantity", "4小时", "24小时")),
    (A("恢复时间目标为4小时"), A("RTO 4 hours"), None),
    (A("Annually"), A("Quarterly"), AnswerDifference("quantity", "Annually", "Quarterly")),
    (A("每年"), A("每季度"), AnswerDifference("quantity", "每年", "每季度")),
    (A("Yes", "Tested annually."), A("Yes", "Tested every 3 months."),
     AnswerDifference("quantity", "annually", "every 3 months")),
    (A("every 6 months"), A("semi-annually"), None),
    (A("365 days"), A("1 year"), None),
    (A("Yes", "Tested annually."), A("Yes", "We test the plan once a year."), None),
    (A("RTO 4 hours"), A("RPO 24 hours"), None),  # different quantities
    (E("X", "What is your recovery time objective (RTO)?", "24 hours"),
     E("Y", "What are your RTO and RPO?", "RTO 4 hours, RPO 1 hour"),
     AnswerDifference("quantity", "24 hours", "RTO 4 hours")),  # the question says which quantity "24 hours" is
    (A("Yes", "Reviewed quarterly and tested annually."), A("Yes", "Tested annually."), None),  # which is which?
    (A("Yes", "ISO 27001:2022, AES-256, TLS 1.2, 24/7"), A("Yes", "ISO 27001:2013, AES-128, TLS 1.3"), None),
    (A("是", "2022年完成测评"), A("是", "2023年完成测评"), None),  # years are dates here, not durations
])
def test_answer_difference_compares_meanings_not_strings(a, b, expected):
    assert answer_difference(a, b) == expected


BCP_ENTRY = E("BCP-01", "Do you have a business continuity and disaster recovery plan that is tested at least annually?",
              "Yes", alternatives=["Is your DR plan tested?", "What are your RTO and RPO?"],
              answer_full="The BCP/DR plan is tested yearly with a regional failover exercise. RTO 4 hours, RPO 15 minutes.")
IR_ENTRY = E("IR-01", "Do you have a documented incident response plan, and how quickly do you notify customers of a breach?",
             "Yes", alternatives=["What is your breach notification timeline?"])

CASES = [
    # --- the same question, answered differently: conflicts
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "No")],
        {}, [("MFA-1", "MFA-2", "yes", "no")], [], id="same question, Yes against No: a conflict"),
    pytest.param(
        [E("Z-1", "是否对所有员工启用多因素认证？", "是", language="zh"),
         E("Z-2", "所有员工是否都启用了多因素认证？", "否", language="zh")],
        {}, [("Z-1", "Z-2", "yes", "no")], [], id="Chinese, 是 against 否: a conflict"),
    pytest.param(
        [E("RTO-1", "What is your recovery time objective?", "4 hours"),
         E("RTO-2", "What is the recovery time objective of your service?", "24 hours")],
        {}, [("RTO-1", "RTO-2", "4 hours", "24 hours")], [], id="same question, 4 hours against 24 hours"),
    pytest.param(
        [E("ZRTO-1", "恢复时间目标（RTO）是多长时间？", "4小时", language="zh"),
         E("ZRTO-2", "系统的恢复时间目标（RTO）是多长时间？", "24小时", language="zh")],
        {}, [("ZRTO-1", "ZRTO-2", "4小时", "24小时")], [], id="Chinese, 4小时 against 24小时"),
    pytest.param(
        [E("ZPT-1", "渗透测试多久进行一次？", "每年", language="zh"),
         E("ZPT-2", "多久进行一次渗透测试？", "每季度", language="zh")],
        {}, [("ZPT-1", "ZPT-2", "每年", "每季度")], [], id="Chinese, 每年 against 每季度"),
    pytest.param(
        [E("PCI-1", "Do you process cardholder data?", "N/A"),
         E("PCI-2", "Do you store or process cardholder data?", "Yes")],
        {}, [("PCI-1", "PCI-2", "na", "yes")], [], id="same question, N/A against Yes"),
    pytest.param(
        [E("SSO-1", "Do you support SAML single sign-on?", "Yes"),
         E("SSO-2", "Do you support SAML single sign-on?", "No")],
        {}, [("SSO-1", "SSO-2", "yes", "no")], [], id="the same wording"),
    pytest.param(
        [E("PEN-1", "Do you perform penetration tests every year?", "Yes"),
         E("PEN-2", "Is security testing carried out every year?", "No",
           alternatives=["Do you perform penetration tests annually?"])],
        {}, [("PEN-1", "PEN-2", "yes", "no")], [], id="an other phrasing that asks the same counts"),
    # --- the same question, compatible answers: near-duplicates
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "Yes")],
        {}, [], [("MFA-1", "MFA-2")], id="same question, same answer: a near-duplicate"),
    pytest.param(
        [E("AT-1", "Do you encrypt stored data?", "Yes"),
         E("AT-2", "Is stored data encrypted?", "Yes, we use AES-256")],
        {}, [], [("AT-1", "AT-2")], id="Yes and 'Yes, we use AES-256' are compatible: a near-duplicate"),
    pytest.param(
        [E("BCT-1", "How often is the business continuity plan tested?", "At least once a year"),
         E("BCT-2", "How frequently do you test your business continuity plan?", "Annually")],
        {}, [], [("BCT-1", "BCT-2")], id="the same frequency said two ways"),
    # --- topic neighbours: neither conflict nor duplicate (found in a real test)
    pytest.param([IR_ENTRY, E("BR-1", "Have you had a breach?", "No")], {}, [], [],
                 id="incident response plan vs a past breach"),
    pytest.param([E("KEY-1", "Does your provider hold your keys?", "No")], {}, [], [],
                 id="encryption vs provider holds the keys"),
    pytest.param([BCP_ENTRY, E("RTO-1", "What is your RTO and RPO?", "RTO 4 hours, RPO 1 hour")], {}, [], [],
                 id="RTO/RPO question vs the Yes/No continuity entry filed with that phrasing"),
    # --- left out
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "No", status="retired")],
        {}, [], [], id="retired entries are left out"),
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "No")],
        {"skip_pairs": {frozenset(("MFA-1", "MFA-2"))}}, [], [], id="pairs known to be fine are skipped"),
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "Yes")],
        {"threshold": 0.999}, [], [], id="below the threshold nothing is reported"),
    pytest.param([], {}, [], [], id="only unrelated entries: nothing to report"),
]


@pytest.mark.parametrize("entries, options, conflicts, duplicates", CASES)
def test_find_issues(entries, options, conflicts, duplicates):
    library = BACKGROUND + entries
    found = find_issues(library, MatchIndex(library, embedder=None), **options)
    assert [(p.a, p.b, p.difference.a, p.difference.b) for p in found.conflicts] == conflicts
    assert [(p.a, p.b) for p in found.duplicates] == duplicates
    assert all(p.difference is None for p in found.duplicates)
    assert len(found) == len(conflicts) + len(duplicates)


@pytest.mark.parametrize("entries, pair", [
    pytest.param([E("BR-1", "Have you had a data breach?", "No"),
                  E("IR-2", "Do you have a documented incident response plan for data breaches?", "Yes")],
                 ("BR-1", "IR-2"), id="a past breach vs a response plan"),
    pytest.param([E("KEY-1", "Does your cloud provider hold your encryption keys?", "No")], ("ENC-1", "KEY-1"),
                 id="encryption vs the provider holds the keys"),
    pytest.param([IR_ENTRY, E("BR-1", "Have you had a breach?", "No")], ("BR-1", "IR-01"),
                 id="the incident response entry vs a past breach"),
    pytest.param([BCP_ENTRY, E("RTO-1", "What is your RTO and RPO?", "RTO 4 hours, RPO 1 hour")], ("BCP-01", "RTO-1"),
                 id="the RTO/RPO question vs the Yes/No continuity entry"),
    pytest.param([E("BCP-2", "Do you have a disaster recovery plan with a defined RTO and RPO?", "Yes"),
                  E("RTO-1", "What is your RTO and RPO?", "4 hours")], ("BCP-2", "RTO-1"),
                 id="a Yes/No entry and a 4-hour entry do not answer one question"),
    pytest.param([E("ZB-1", "是否发生过数据泄露事件？", "否", language="zh"),
                  E("ZIR-1", "是否制定了数据泄露事件应急响应预案？", "是", language="zh")], ("ZB-1", "ZIR-1"),
                 id="Chinese: a past breach vs a response plan"),
])
def test_topic_neighbours_are_not_paired_even_when_matching_alone_would_pair_them(entries, pair):
    """With no score threshold at all, every pair the index relates is considered: the question's intent
    and the kind of each answer still keep these apart."""
    library = BACKGROUND + entries
    found = find_issues(library, MatchIndex(library, embedder=None), threshold=0.0)
    assert pair not in {(p.a, p.b) for p in found.conflicts + found.duplicates}


def test_pairs_are_reported_once_strongest_first_with_scores():
    library = BACKGROUND + [
        E("A", "Do you enforce multi-factor authentication for all staff?"),
        E("B", "Do you enforce multi-factor authentication for all staff members?"),
        E("C", "Is multi-factor authentication enforced for all employees?"),
    ]
    found = find_issues(library, MatchIndex(library, embedder=None))
    pairs = [(p.a, p.b) for p in found.duplicates]
    assert len(pairs) == len(set(pairs)) and ("A", "B") in pairs
    assert all(p.a < p.b for p in found.duplicates)
    scores = [p.score for p in found.duplicates]
    assert scores == sorted(scores, reverse=True) and all(SAME_QUESTION_THRESHOLD <= s <= 1 for s in scores)
    assert isinstance(found.duplicates[0], IssuePair)


def test_the_same_wording_is_the_same_question_whatever_the_score():
    """Five copies of one question share the matches between them; each pair is still reported."""
    library = BACKGROUND + [E(f"S-{i}", "Solution Description", "Hosted on AWS in Frankfurt.") for i in range(5)]
    found = find_issues(library, MatchIndex(library, embedder=None))
    assert len(found.duplicates) == 10 and all(p.same_wording and p.score == 1.0 for p in found.duplicates)


def test_entries_missing_from_the_index_are_not_paired_with_ghosts():
    """The finder reports pairs among the entries it is given, even if the index holds more."""
    indexed = BACKGROUND + [E("A", "Do you enforce multi-factor authentication for all staff?"),
                            E("B", "Is multi-factor authentication enforced for all employees?", "No")]
    given = [e for e in indexed if e.ref != "B"]
    found = find_issues(given, MatchIndex(indexed, embedder=None))
    assert len(found) == 0
