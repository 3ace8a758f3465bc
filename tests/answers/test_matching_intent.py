"""answers.matching.intent: question intent, intent mismatch, answer kinds; and the contrast set's shape."""
import re
from collections import Counter

import pytest

from answers.matching.intent import Intent, answer_fits, answer_kind, explain, intent_mismatch, question_intent

# (question, wants, past_event, subject, negated)
INTENT_CASES = [
    # yes/no controls, including the false alarms named in issue #12
    ("Do you encrypt data at rest?", "yesno", False, "self", False),
    ("Have you implemented MFA?", "yesno", False, "self", False),
    ("Do you notify customers of breaches?", "yesno", False, "self", False),
    ("Do you require your vendors to encrypt data?", "yesno", False, "self", False),
    ("Do you assess third-party security?", "yesno", False, "self", False),
    ("Do you have a process to prevent data loss?", "yesno", False, "self", False),
    ("3.2 Is two-factor authentication required for administrators? (SaaS only)", "yesno", False, "self", False),
    ("Verify that TLS is used for all client connectivity.", "yesno", False, "self", False),
    ("Have you undergone a SOC 2 audit?", "yesno", False, "self", False),
    ("Do you comply with applicable breach notification laws?", "yesno", False, "self", False),
    ("Will you share data with third parties?", "yesno", False, "self", False),
    # past events
    ("Have you had a personal data breach reported to a government agency?", "yesno", True, "self", False),
    ("Has your organization experienced a ransomware attack in the last 3 years?", "yesno", True, "self", False),
    ("Have you been fined by a regulator in the past five years?", "yesno", True, "self", False),
    ("Were there any security incidents involving customer data last year?", "yesno", True, "self", False),
    # third parties
    ("Does your cloud provider have access to your encryption keys?", "yesno", False, "third_party", False),
    ("Do your subprocessors store customer data outside the EU?", "yesno", False, "third_party", False),
    ("Does an independent third party perform penetration tests?", "yesno", False, "third_party", False),
    ("Are penetration tests performed by an external vendor?", "yesno", False, "third_party", False),
    ("Can customers manage their own encryption keys?", "yesno", False, "third_party", False),
    ("Do you or your subprocessors sell personal data?", "yesno", False, "self", False),
    # negation
    ("Do you NOT store passwords in plaintext?", "yesno", False, "self", True),
    ("Do you never share customer data with advertisers?", "yesno", False, "self", True),
    ("Do you prohibit the use of personal devices?", "yesno", False, "self", True),
    ("Is customer data shared without consent?", "yesno", False, "self", True),
    ("Do you encrypt all data, including but not limited to backups?", "yesno", False, "self", False),
    ("Do you test backups? If not, explain why.", "yesno", False, "self", False),
    # wanted kinds
    ("How often do you run vulnerability scans?", "frequency", False, "self", False),
    ("Do you review access rights? If so, how frequently?", "frequency", False, "self", False),
    ("What is your RTO and RPO?", "duration", False, "self", False),
    ("How long are logs retained?", "duration", False, "self", False),
    ("How many employees do you have?", "number", False, "self", False),
    ("What percentage of staff completed security training?", "number", False, "self", False),
    ("When was your last penetration test?", "date", False, "self", False),
    ("When an employee leaves, is access revoked?", "yesno", False, "self", False),
    ("List all subprocessors that handle customer data.", "list", False, "self", False),
    ("Which of the following SSO protocols do you support?", "list", False, "self", False),
    ("Describe your incident response process.", "text", False, "self", False),
    ("How do you protect backups?", "text", False, "self", False),
    ("Solution Provider Name", "text", False, "self", False),
    # Chinese
    ("是否制定了安全事件应急预案？", "yesno", False, "self", False),
    ("是否发生过数据泄露事件？", "yesno", True, "self", False),
    ("过去三年内是否曾受到监管部门的处罚？", "yesno", True, "self", False),
    ("云服务商是否能够访问贵公司的加密密钥？", "yesno", False, "third_party", False),
    ("贵公司是否要求供应商对数据进行加密？", "yesno", False, "self", False),
    ("是否禁止使用共享账户？", "yesno", False, "self", True),
    ("应用程序是否不记录用户口令？", "yesno", False, "self", True),
    ("是否采用密码技术，包括但不限于传输加密？", "yesno", False, "self", False),
    ("多久进行一次漏洞扫描？", "frequency", False, "self", False),
    ("漏洞扫描的频率是多少？", "frequency", False, "self", False),
    ("日志保存多长时间？", "duration", False, "self", False),
    ("贵公司有多少名员工？", "number", False, "self", False),
    ("最近一次渗透测试是什么时候？", "date", False, "self", False),
    ("请列出所有数据中心所在的国家。", "list", False, "self", False),
    ("请描述贵公司的事件响应流程。", "text", False, "self", False),
    ("应对登录的用户进行身份标识和鉴别。", "yesno", False, "self", False),
]


@pytest.mark.parametrize("question, wants, past, subject, negated", INTENT_CASES)
def test_question_intent(question, wants, past, subject, negated):
    assert question_intent(question) == Intent(wants, past, subject, negated)


# (question, entry, flagged, a reason that must be given)
MISMATCH_CASES = [
    ("Have you had a personal data breach reported to a government agency?", "Do you have an incident response plan?",
     True, "past_event"),
    ("Does your cloud provider have access to your encryption keys?", "Do you encrypt data at rest?", True, "subject"),
    ("Do you encrypt data at rest?", "Does your cloud provider encrypt data at rest?", True, "subject_self"),
    ("What is your RTO and RPO?", "Do you have a business continuity plan?", True, "duration"),
    ("How often do you scan for vulnerabilities?", "Do you scan for vulnerabilities?", True, "frequency"),
    ("How many employees work in security?", "Do you have a dedicated security team?", True, "number"),
    ("When was your last audit?", "Do you undergo annual audits?", True, "date"),
    ("List your subprocessors.", "Do you use subprocessors?", True, "list"),
    ("Do you allow shared accounts?", "Do you prohibit shared accounts?", True, "negation"),
    ("Do you test your DR plan quarterly?", "Do you test your DR plan annually?", True, "period"),
    ("Do you retain logs for at least 12 months?", "Do you retain logs for at least six months?", True, "quantity"),
    ("是否发生过数据泄露事件？", "是否制定了数据泄露应急预案？", True, "past_event"),
    ("多久进行一次漏洞扫描？", "是否定期进行漏洞扫描？", True, "frequency"),
    # same intent
    ("Do you require your vendors to encrypt data?", "Do you assess third-party security?", False, None),
    ("Have you implemented MFA?", "Do you enforce multi-factor authentication?", False, None),
    ("Do you notify customers of breaches?", "Do you inform affected customers about security incidents?", False, None),
    ("Do you test your DR plan annually?", "Do you test your DR plan at least quarterly?", False, None),
    ("Do you retain logs for 6 months?", "Do you retain logs for at least six months?", False, None),
    ("How frequently are backups taken?", "How often do you back up data?", False, None),
    ("是否定期进行漏洞扫描？", "应能发现可能存在的已知漏洞，并及时修补漏洞。", False, None),
]


@pytest.mark.parametrize("question, entry, flagged, reason", MISMATCH_CASES)
def test_intent_mismatch(question, entry, flagged, reason):
    score, reasons = intent_mismatch(question, entry)
    assert 0.0 <= score <= 1.0
    assert (score >= 0.5) == flagged, (score, reasons)
    if reason:
        assert reason in reasons
    else:
        assert score == 0.0 and reasons == []


def test_same_question_has_no_mismatch_and_reasons_read_well():
    assert intent_mismatch("Do you encrypt backups?", "Do you encrypt backups?") == (0.0, [])
    _, reasons = intent_mismatch("Have you had a breach in the last 3 years?", "Do you have an incident response plan?")
    assert explain(reasons) == ["asks about a past event (breach, incident, fine, outage), not about a control"]
    assert explain(["subject"], "zh")[0].startswith("问的是第三方")


# (short, full, kind)
KIND_CASES = [
    ("Yes", "", "yesno"), ("No.", "We do not.", "yesno"), ("N/A", "", "yesno"), ("是", "", "yesno"),
    ("4 hours", "", "duration"), ("30 days", "", "duration"), ("180天", "", "duration"),
    ("Quarterly", "", "frequency"), ("Every 90 days", "", "frequency"), ("每年一次", "", "frequency"),
    ("2024-03-01", "", "date"), ("March 2024", "", "date"), ("2023年5月", "", "date"),
    ("250", "", "number"), ("About 250 employees", "", "number"),
    ("", "We use AES-256 for data at rest and TLS 1.2+ in transit.", "text"), ("", "", "empty"),
]


@pytest.mark.parametrize("short, full, kind", KIND_CASES)
def test_answer_kind(short, full, kind):
    assert answer_kind(short, full) == kind


# (question, short, full, fits)
FIT_CASES = [
    ("What is your RTO?", "Yes", "", False),
    ("What is your RTO?", "4 hours", "", True),
    ("What is your RTO?", "", "Our RTO is 4 hours and our RPO is 1 hour.", True),
    ("How often do you scan?", "Yes", "", False),
    ("How often do you scan?", "Yes", "We scan weekly with an authenticated scanner.", True),
    ("How many employees do you have?", "Yes", "", False),
    ("How many employees do you have?", "About 250 employees", "", True),
    ("When was your last penetration test?", "Yes", "", False),
    ("When was your last penetration test?", "", "The last test was in March 2024.", True),
    ("Do you scan for vulnerabilities?", "Yes", "", True),
    ("Do you scan for vulnerabilities?", "Monthly", "", False),
    ("Do you scan for vulnerabilities?", "250", "", False),
    ("Do you scan for vulnerabilities?", "", "We scan all hosts weekly.", True),
    ("Describe your incident response process.", "Yes", "", False),
    ("Describe your incident response process.", "Yes", "A documented plan with 24x7 on-call and yearly tests.", True),
    ("Do you have a DR plan?", "", "", False),
    ("日志保存多长时间？", "是", "", False),
    ("日志保存多长时间？", "180天", "", True),
    ("是否定期进行漏洞扫描？", "是", "", True),
]


@pytest.mark.parametrize("question, short, full, fits", FIT_CASES)
def test_answer_fits(question, short, full, fits):
    assert answer_fits(question, short, full) is fits


def test_contrast_set_shape():
    from bench.matching.contrast import KINDS, pair_rows
    pairs = pair_rows()
    assert len(pairs) >= 150
    ids = [p.id for p in pairs]
    assert len(ids) == len(set(ids))
    relations = Counter(p.relation for p in pairs)
    assert set(relations) == {"paraphrase", "differs"}
    assert min(relations.values()) >= 0.4 * len(pairs)
    assert {p.kind for p in pairs if p.relation == "differs"} == set(KINDS)
    assert {p.kind for p in pairs if p.relation == "paraphrase"} == {"none"}
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", p.question + p.entry)) for p in pairs) >= 20
    assert all(p.question and p.entry and p.source for p in pairs)
    assert {p.split for p in pairs} == {"dev", "holdout"}
