"""Matching engine v2 behaviours: wider security vocabulary, nested concepts, query weighting,
optional question context, asides stripped from long entries (no app, no torch)."""
from __future__ import annotations

import pytest

from answers.matching import LibraryEntry, MatchIndex
from answers.matching.text import strip_asides, tokens, weighted_tokens


def concepts(text: str) -> set[str]:
    return {t for t in tokens(text) if t.startswith("c:")}


@pytest.mark.parametrize("a, b", [
    ("vulnerability scanning", "security scans"),
    ("penetration test", "red team exercise"),
    ("background check", "pre-employment screening"),
    ("encryption in transit", "TLS 1.2"),
    ("encrypted at rest", "full-disk encryption"),
    ("incident response plan", "CSIRT"),
    ("data retention", "retained for"),
    ("secure disposal", "media sanitization"),
    ("vendor", "subprocessor"),
    ("third-party management", "vendor risk"),
    ("change management", "change advisory board"),
    ("asset inventory", "CMDB"),
    ("SIEM", "security information and event management"),
    ("least privilege", "need-to-know basis"),
    ("separation of duties", "segregation of duties"),
    ("RBAC", "role-based access"),
    ("BYOD", "mobile device management"),
    ("physical security", "badge readers"),
    ("host-based intrusion prevention", "IDS/IPS"),
    ("password reset", "forgotten password"),
    ("LDAP", "Active Directory"),
    ("unsupported operating systems", "older versions of Windows"),
    ("fire suppression", "HVAC"),
    ("data residency", "geographic region"),
    ("output encoding", "escapes user input"),
    ("IDOR", "horizontal access control"),
    ("SBOM", "third-party libraries"),
    ("anonymize", "de-identified"),
    ("plaintext", "reversible encryption"),
])
def test_security_vocabulary_shares_a_concept(a, b):
    assert concepts(a) & concepts(b), (tokens(a), tokens(b))


@pytest.mark.parametrize("text, expected", [
    ("security and privacy training", {"c:awareness", "c:training"}),     # nested phrase keeps its own concept
    ("Do you use IDS/IPS?", {"c:ids", "c:ips", "c:intrusion"}),
    ("encrypted while at rest", {"c:atrest", "c:encryption"}),
])
def test_nested_phrases_yield_every_concept(text, expected):
    assert expected <= concepts(text)


@pytest.mark.parametrize("text, word, weight", [
    ("Are you using a web application firewall (WAF)?", "waf", 1.0),           # short abbreviation aside: full
    ("Do you assess vendors (e.g., hosting providers, cloud services)?", "host", 0.5),  # example list: half
    ("Do you assess vendors such as hosting providers?", "host", 0.5),
    ("Is sensitive data encrypted?", "data", 0.5),                               # generic word: half
    ("Is sensitive data encrypted?", "encrypt", 1.0),
])
def test_query_weights(text, word, weight):
    _, w = weighted_tokens(text)
    assert w[word] == pytest.approx(weight)


@pytest.mark.parametrize("text, expected", [
    ("Are systems scanned? (Note: this does not refer to anti-malware scans.)", "Are systems scanned?"),
    ("Are you using a WAF (web application firewall)?", None),   # short aside: nothing to strip
    ("Do you use SSO?", None),
])
def test_strip_asides(text, expected):
    assert strip_asides(text) == expected


LIBRARY = [
    LibraryEntry("NET-LOG", "Are logs produced by networking devices retained for six months?", category="Network"),
    LibraryEntry("APP-LOG", "Are logs produced by the application retained for six months?", category="Application"),
    LibraryEntry("SCAN", "Are all systems scanned for host-level vulnerabilities? (Note: this question does not "
                         "refer to anti-malware scans, but to scans for known vulnerabilities.)"),
    LibraryEntry("AV", "Do you run anti-malware on all servers?"),
    LibraryEntry("TRN", "How often do employees undergo information security and privacy training?"),
    LibraryEntry("IAM", "Do you enforce role-based access control for administrators?"),
]


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    return MatchIndex(LIBRARY, embedder=None)


@pytest.mark.parametrize("question, context, expected", [
    ("Are logs retained for six months?", "Network security", "NET-LOG"),
    ("Are logs retained for six months?", "Application security", "APP-LOG"),
    # context never outweighs the question's own words
    ("Are application logs retained for six months?", "Network", "APP-LOG"),
    ("Do you perform vulnerability scanning?", None, "SCAN"),
    ("Do you have a security awareness program?", None, "TRN"),
    ("Is access based on RBAC?", "Anything", "IAM"),
])
def test_context_and_vocabulary_in_matching(index, question, context, expected):
    r = index.match(question, context=context)
    assert r.candidates[0].ref == expected


def test_match_signature_stays_compatible(index):
    a = index.match("Do you perform vulnerability scanning?")
    b = index.match("Do you perform vulnerability scanning?", 5)
    many = index.match_many(["Do you perform vulnerability scanning?"], 5)
    with_ctx = index.match_many(["Do you perform vulnerability scanning?"], 5, contexts=[None])
    assert a == b == many[0] == with_ctx[0]
