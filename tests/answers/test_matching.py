"""Matching engine: normalisation, index behaviour, persistence (no app, no torch)."""
from __future__ import annotations

import time

import pytest

from answers.matching import AUTOFILL_THRESHOLD, LibraryEntry, MatchIndex, MatchResult
from answers.matching.text import clean, stem, tokens

LIBRARY = [
    LibraryEntry("IAM-01", "Do you require multi-factor authentication for administrative access?",
                 answer_short="Yes", answer_full="All admin logins use hardware tokens or an authenticator app."),
    LibraryEntry("IAM-02", "Does the application support single sign-on via SAML 2.0 or OpenID Connect?",
                 alternatives=["Can users log in with their corporate identity provider?"], answer_short="Yes"),
    LibraryEntry("BCK-01", "Are backups encrypted and tested regularly?",
                 answer_full="Nightly backups are encrypted with AES-256 and restore tests run quarterly."),
    LibraryEntry("BCP-01", "Do you have a business continuity plan that is tested annually?", answer_short="Yes"),
    LibraryEntry("DR-01", "Do you maintain a disaster recovery plan with defined RTO and RPO?", answer_short="Yes"),
    LibraryEntry("DLP-01", "Do you use data loss prevention tools to stop exfiltration of customer data?"),
    LibraryEntry("SDL-01", "Do you follow a secure software development lifecycle?"),
    LibraryEntry("PRV-01", "How do you protect personal data of customers?",
                 answer_full="PII is encrypted, access is need-to-know, and retention is limited."),
    LibraryEntry("LOG-01", "Are security event logs retained for at least one year?"),
    LibraryEntry("PEN-01", "Does an independent third party perform penetration tests annually?"),
    LibraryEntry("ZH-01", "是否符合网络安全等级保护第三级要求？", language="zh", answer_short="是"),
    LibraryEntry("ZH-02", "机房出入口是否配置电子门禁系统？", language="zh", answer_short="是"),
]


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    return MatchIndex(LIBRARY, embedder=None)


def top(index: MatchIndex, q: str) -> str | None:
    r = index.match(q)
    return r.candidates[0].ref if r.candidates else None


@pytest.mark.parametrize("raw, expected", [
    ("3.2.1 Do you encrypt backups?", "do you encrypt backups?"),
    ("IAM-02.1 Do you encrypt backups?", "do you encrypt backups?"),
    ("V1.2.3 Verify that backups are encrypted", "verify that backups are encrypted"),
    ("(a) Do you encrypt backups?", "do you encrypt backups?"),
    ("Q12: Do you encrypt backups?", "do you encrypt backups?"),
    ("Do you encrypt backups? (SaaS only)", "do you encrypt backups?"),
    ("For customers not using SSO, do you enforce password complexity?", "do you enforce password complexity?"),
    ("TLS 1.2 is enforced", "tls 1.2 is enforced"),
])
def test_clean_strips_numbering_ids_and_qualifiers(raw, expected):
    assert clean(raw) == expected


@pytest.mark.parametrize("a, b", [
    ("MFA", "multi-factor authentication"),
    ("2FA", "two-factor authentication"),
    ("SSO", "single sign-on"),
    ("DLP", "data loss prevention"),
    ("BCP", "business continuity plan"),
    ("DR plan", "disaster recovery"),
    ("SDLC", "software development life cycle"),
    ("PII", "personal data"),
    ("MLPS", "等保"),
    ("等保", "网络安全等级保护"),
    ("多因素认证", "multi-factor authentication"),
    ("单点登录", "SSO"),
    ("个人信息", "personal information"),
])
def test_synonyms_share_a_concept_token(a, b):
    shared = {t for t in tokens(a) if t.startswith("c:")} & {t for t in tokens(b) if t.startswith("c:")}
    assert shared, (tokens(a), tokens(b))


@pytest.mark.parametrize("text, absent", [
    ("Please describe how your organization encrypts backups", {"please", "describe", "organization"}),
    ("Does your company encrypt backups?", {"does", "your", "company"}),
])
def test_boilerplate_is_dropped(text, absent):
    assert not absent & set(tokens(text))


@pytest.mark.parametrize("words", [
    ("encrypt", "encrypted", "encryption", "encrypting"),
    ("log", "logs", "logging", "logged"),
    ("policy", "policies"),
    ("comply", "compliance"),
])
def test_stemming_conflates_forms(words):
    assert len({stem(w) for w in words}) == 1


def test_chinese_without_spaces_is_segmented():
    toks = tokens("是否支持多因素认证")
    assert "c:mfa" in toks and any(t.startswith("zh:") for t in toks)


@pytest.mark.parametrize("question, ref", [
    ("1.4 Is MFA required for admins? (SaaS only)", "IAM-01"),
    ("Does your organization support 2FA for privileged administrator accounts?", "IAM-01"),
    ("Do you support SSO?", "IAM-02"),
    ("Can staff sign in using the company identity provider?", "IAM-02"),   # via the alternative
    ("Are restore tests performed on your backups?", "BCK-01"),            # via the answer text
    ("Please describe your BCP", "BCP-01"),
    ("Is there a DR plan?", "DR-01"),
    ("Do you have DLP controls?", "DLP-01"),
    ("Describe your SDLC.", "SDL-01"),
    ("How is PII protected?", "PRV-01"),
    ("Are backups encyrpted?", "BCK-01"),                                  # typo
    ("tested annually continuity business plan", "BCP-01"),                # word order
])
def test_english_questions_find_their_entry(index, question, ref):
    assert top(index, question) == ref


@pytest.mark.parametrize("question, ref", [
    ("是否支持多因素认证？", "IAM-01"),            # zh question -> en entry
    ("备份数据是否加密？", "BCK-01"),
    ("Do you comply with MLPS level 3?", "ZH-01"),  # en question -> zh entry
    ("Is the data center entrance protected by electronic access control?", "ZH-02"),
])
def test_cross_language(index, question, ref):
    assert top(index, question) == ref


@pytest.mark.parametrize("question", [
    "What is the name of your company's founder?",
    "Do you offer a vegetarian option in the staff canteen?",
])
def test_uncovered_question_is_not_answerable(index, question):
    r = index.match(question)
    assert isinstance(r, MatchResult)
    assert r.answerable is False
    assert r.confidence < AUTOFILL_THRESHOLD


def test_result_shape(index):
    r = index.match("Do you require MFA?", top_k=3)
    assert 1 <= len(r.candidates) <= 3
    assert all(0.0 <= c.score <= 1.0 for c in r.candidates)
    assert [c.score for c in r.candidates] == sorted((c.score for c in r.candidates), reverse=True)
    assert 0.0 <= r.confidence <= 1.0


def test_retired_never_returned():
    entries = [LibraryEntry("OLD", "Do you encrypt backups?", status="retired"),
               LibraryEntry("NEW", "Are backup copies protected?")]
    idx = MatchIndex(entries, embedder=None)
    for q in ["Do you encrypt backups?", "backups encrypt"]:
        assert "OLD" not in [c.ref for c in idx.match(q).candidates]
    idx.add(LibraryEntry("NEW", "Do you encrypt backups?", status="retired"))  # retire by update
    assert idx.match("Do you encrypt backups?").candidates == []


def test_approved_preferred_over_draft_and_drafts_keep_their_confidence():
    idx = MatchIndex([LibraryEntry("D", "Do you encrypt backups?", status="draft"),
                      LibraryEntry("A", "Do you encrypt backups?", status="approved")], embedder=None)
    assert [c.ref for c in idx.match("Do you encrypt backups?").candidates][:2] == ["A", "D"]
    # A library of questions only (every entry a draft) is as confident as the same library approved.
    drafts = [LibraryEntry(e.ref, e.question, e.alternatives, language=e.language, status="draft") for e in LIBRARY]
    approved = [LibraryEntry(e.ref, e.question, e.alternatives, language=e.language) for e in LIBRARY]
    for q in ["Do you support SSO?", "Is there a DR plan?"]:
        a, d = MatchIndex(approved, embedder=None).match(q), MatchIndex(drafts, embedder=None).match(q)
        assert [c.ref for c in a.candidates] == [c.ref for c in d.candidates] and a.confidence == d.confidence


def test_add_remove_update_incremental():
    idx = MatchIndex(LIBRARY, embedder=None)
    q = "Do you rotate break-glass emergency credentials?"
    assert top(idx, q) != "NEW-1"
    t0 = time.perf_counter()
    idx.add(LibraryEntry("NEW-1", "Are break-glass emergency credentials rotated after use?"))
    assert top(idx, q) == "NEW-1"
    assert time.perf_counter() - t0 < 0.5  # generous here; the benchmark measures the real figure
    idx.add(LibraryEntry("NEW-1", "Do you scan containers for vulnerabilities?"))  # update, same ref
    assert top(idx, "container vulnerability scanning") == "NEW-1"
    assert top(idx, q) != "NEW-1"
    idx.remove("NEW-1")
    assert "NEW-1" not in idx
    assert "NEW-1" not in [c.ref for c in idx.match("container vulnerability scanning").candidates]
    idx.remove("does-not-exist")  # no error


def test_save_load_round_trip(tmp_path, index):
    path = tmp_path / "library.tvidx"
    idx = MatchIndex(LIBRARY + [LibraryEntry("GONE", "Old question", status="retired")], embedder=None)
    idx.save(path)
    loaded = MatchIndex.load(path, embedder=None)
    assert len(loaded) == len(idx)
    assert loaded.get("GONE").status == "retired"
    for q in ["Do you support SSO?", "是否支持多因素认证？", "Is there a DR plan?"]:
        a, b = idx.match(q), loaded.match(q)
        assert [c.ref for c in a.candidates] == [c.ref for c in b.candidates]
        assert a.confidence == pytest.approx(b.confidence)
    loaded.add(LibraryEntry("X-1", "Do you run a bug bounty programme?"))
    assert top(loaded, "bug bounty") == "X-1"


def test_results_do_not_depend_on_the_order_entries_were_added():
    # BM25 weights use the library's exact average length (they once froze a running mean per entry).
    questions = ["Do you support SSO?", "是否支持多因素认证？", "Is there a DR plan?", "How are backups protected?"]
    at_once = MatchIndex(LIBRARY, embedder=None)
    reversed_ = MatchIndex(list(reversed(LIBRARY)), embedder=None)
    one_by_one = MatchIndex([], embedder=None)
    for entry in LIBRARY[::2] + LIBRARY[1::2]:
        one_by_one.add(entry)
    for q in questions:
        expected = at_once.match(q)
        assert reversed_.match(q) == expected and one_by_one.match(q) == expected


def test_saved_file_is_not_a_pickle(tmp_path):
    import zipfile
    path = tmp_path / "i.tvidx"
    MatchIndex(LIBRARY[:2], embedder=None).save(path)
    with zipfile.ZipFile(path) as z:
        assert set(z.namelist()) <= {"index.json", "emb.npy"}


def test_empty_index_and_empty_question():
    idx = MatchIndex(embedder=None)
    r = idx.match("anything")
    assert r.candidates == [] and r.answerable is False
    assert MatchIndex(LIBRARY, embedder=None).match("   ").answerable is False


def test_match_many_matches_one_by_one(index):
    qs = ["Do you support SSO?", "Is there a DR plan?"]
    assert [r.candidates[0].ref for r in index.match_many(qs)] == [top(index, q) for q in qs]


class _FakeEmbedder:
    """Bag-of-letters vectors: exercises the embedding code path without torch."""
    name = "fake"
    dim = 26

    def encode(self, texts):
        import numpy as np
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def test_embedding_path_with_a_fake_encoder(tmp_path):
    idx = MatchIndex(LIBRARY, embedder=_FakeEmbedder())
    assert top(idx, "Do you support SSO?") == "IAM-02"
    idx.add(LibraryEntry("E-1", "Do you run a bug bounty programme?"))
    path = tmp_path / "e.tvidx"
    idx.save(path)
    loaded = MatchIndex.load(path, embedder=_FakeEmbedder())
    assert top(loaded, "bug bounty programme") == "E-1"


def test_add_many_adds_replaces_and_retires_like_add():
    idx = MatchIndex(LIBRARY, embedder=None)
    first = LIBRARY[0]
    idx.add_many([LibraryEntry("NEW-1", "Do you run a bug bounty programme?"),
                  LibraryEntry(first.ref, first.question, status="retired")])
    assert top(idx, "bug bounty programme") == "NEW-1"
    assert first.ref not in idx and len(idx) == len(LIBRARY)
    idx.add_many([LibraryEntry(first.ref, first.question)])
    assert first.ref in idx and len(idx) == len(LIBRARY) + 1


def test_the_same_wording_is_always_found_even_when_every_word_is_generic():
    # "Solution Description" (HECVAT GNRL-03) is made of boilerplate words only: no tokens, and it
    # once got no candidate at all against an entry with exactly that text.
    lib = [LibraryEntry("GNRL-03", "Solution Description", answer_full="A SaaS trust center."),
           LibraryEntry("ENC-1", "Do you encrypt data at rest?", answer_short="Yes")]
    idx = MatchIndex(lib, embedder=None)
    for q in ["Solution Description", "3.1 solution  description:"]:
        r = idx.match(q)
        assert [c.ref for c in r.candidates] == ["GNRL-03"] and r.answerable
    assert idx.match("Please describe.").candidates == []
    idx.remove("GNRL-03")
    assert idx.match("Solution Description").candidates == []
