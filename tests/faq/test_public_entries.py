"""answers.library.public: which entries the trust center may show, in which language, found by which words."""
from __future__ import annotations

from datetime import timedelta

import pytest

from answers.library import public
from tests.expiry.conftest import document, user
from tests.faq.builders import TODAY, entry
from vault import db


def shown(sess, locale="en", **kw) -> list:
    return public.public_entries(sess, today=TODAY, locale=locale, **kw)


def questions(sess, locale="en", **kw) -> list[str]:
    return [p.question for p in shown(sess, locale, **kw)]


def test_only_public_approved_reviewed_current_entries_are_published(app, tmp_path):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com")
        expired = document(app, sess, owner, tmp_path, "Old ISO certificate", expiry=TODAY - timedelta(days=1))
        valid = document(app, sess, owner, tmp_path, "ISO certificate", expiry=TODAY + timedelta(days=100))
        entry(sess, question="Published?")
        entry(sess, question="With valid evidence?", evidence=[valid])
        entry(sess, question="Private?", public=False)
        entry(sess, question="Draft?", status="draft")
        entry(sess, question="Retired?", status="retired")
        entry(sess, question="Never reviewed?", reviewed=None)
        entry(sess, question="Overdue?", reviewed=TODAY - timedelta(days=400))
        entry(sess, question="Due today?", reviewed=TODAY - timedelta(days=30), interval=30)
        entry(sess, question="Stale?", evidence=[expired])
        sess.commit()
        assert sorted(questions(sess)) == ["Due today?", "Published?", "With valid evidence?"]


def test_hidden_because_names_every_failing_rule(app, tmp_path):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security")
        expired = document(app, sess, owner, tmp_path, "Old report", expiry=TODAY - timedelta(days=3))
        e = entry(sess, question="Everything wrong?", public=False, status="draft",
                  reviewed=TODAY - timedelta(days=400), evidence=[expired])
        assert public.hidden_because(e, TODAY) == ["not_public", "not_approved", "review_overdue", "stale"]
        ok = entry(sess, question="Fine?")
        assert public.hidden_because(ok, TODAY) == []
        assert public.hidden_because(entry(sess, question="Unreviewed?", reviewed=None), TODAY) == ["never_reviewed"]


def test_plain_data_carries_no_internal_fields(app):
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="secret-owner@example.com")
        entry(sess, question="Is data encrypted?", answer="AES-256 everywhere.", short="Yes", owner=owner,
              tags=["encryption"], category="Cryptography", source={"customer": "Acme Secret Ltd"})
        sess.commit()
        (item,) = shown(sess)
        assert (item.question, item.answer, item.short_answer, item.category, item.tags, item.language,
                item.fallback, item.last_reviewed_on) == ("Is data encrypted?", "AES-256 everywhere.", "Yes",
                                                          "Cryptography", ("encryption",), "en", False, TODAY)
        assert set(vars(item)) == {"anchor", "question", "short_answer", "answer", "category", "tags",
                                   "last_reviewed_on", "language", "fallback"}
        assert item.anchor.startswith("q-") and "FAQ-" not in item.anchor


def test_the_short_answer_stands_in_for_a_missing_full_answer(app):
    with app.app_context():
        sess = db.session()
        entry(sess, question="Do you have SOC 2?", answer="", short="Yes, Type II")
        (item,) = shown(sess)
        assert item.answer == "Yes, Type II"


@pytest.mark.parametrize("query, expected", [
    ("encrypt", ["Is customer data encrypted at rest?"]),
    ("ENCRYPTED", ["Is customer data encrypted at rest?"]),
    ("aes", ["Is customer data encrypted at rest?"]),  # in the full answer
    ("encrypted rest", ["Is customer data encrypted at rest?"]),  # every word, anywhere
    ("encrypted backups", []),
    ("100%", []),  # LIKE wildcards are literal
    ("_", []),
    ("multi-factor", ["Is multi-factor authentication enforced?"]),
])
def test_search_in_english_is_case_insensitive(app, query, expected):
    with app.app_context():
        sess = db.session()
        entry(sess, question="Is customer data encrypted at rest?", answer="AES-256 with keys in a KMS.")
        entry(sess, question="Is multi-factor authentication enforced?", answer="For all staff.")
        entry(sess, question="Private encrypted thing?", public=False)
        assert questions(sess, query=query) == expected


def test_search_in_chinese_matches_substrings(app):
    with app.app_context():
        sess = db.session()
        entry(sess, question="客户数据在存储时是否加密？", answer="使用 AES-256 加密。", language="zh", category="加密")
        entry(sess, question="是否启用多因素认证？", answer="所有员工强制启用。", language="zh", category="身份")
        assert questions(sess, "zh", query="加密") == ["客户数据在存储时是否加密？"]
        assert questions(sess, "zh", query="多因素") == ["是否启用多因素认证？"]
        assert questions(sess, "zh", query="员工") == ["是否启用多因素认证？"]  # in the answer
        assert questions(sess, "zh", query="区块链") == []


def test_reader_language_first_with_fallback_marked(app):
    with app.app_context():
        sess = db.session()
        en = entry(sess, question="Is data encrypted at rest?", category="Cryptography")
        entry(sess, question="数据是否加密存储？", language="zh", category="加密", translation_of=en)
        entry(sess, question="是否通过等保三级测评？", language="zh", category="合规")  # Chinese only
        entry(sess, question="Do you hold ISO 27001?", category="Compliance")  # English only

        english = shown(sess, "en")
        assert [(p.question, p.fallback) for p in english] == [
            ("Do you hold ISO 27001?", False), ("Is data encrypted at rest?", False), ("是否通过等保三级测评？", True)]
        chinese = shown(sess, "zh_Hans_CN")
        assert [(p.question, p.language, p.fallback) for p in chinese] == [
            ("数据是否加密存储？", "zh", False), ("是否通过等保三级测评？", "zh", False),
            ("Do you hold ISO 27001?", "en", True)]
        # one link for both readers: the pair shares its anchor
        assert english[1].anchor == chinese[0].anchor


def test_a_private_or_stale_translation_falls_back_to_the_published_one(app, tmp_path):
    with app.app_context():
        sess = db.session()
        en = entry(sess, question="Do you run backups?")
        entry(sess, question="是否定期备份？（草稿）", language="zh", status="draft", translation_of=en)
        assert [(p.question, p.fallback) for p in shown(sess, "zh")] == [("Do you run backups?", True)]


def test_search_matches_a_question_through_its_translation(app):
    """A Chinese reader typing an English term still finds the Chinese version of that question."""
    with app.app_context():
        sess = db.session()
        en = entry(sess, question="Do you enforce MFA?", answer="WebAuthn security keys for all staff.")
        entry(sess, question="是否强制多因素认证？", language="zh", translation_of=en)
        assert questions(sess, "zh", query="webauthn") == ["是否强制多因素认证？"]


def test_tag_filter(app):
    with app.app_context():
        sess = db.session()
        entry(sess, question="Backups?", tags=["backups", "resilience"])
        entry(sess, question="Disaster recovery?", tags=["resilience"])
        entry(sess, question="Private backups?", tags=["backups"], public=False)
        assert questions(sess, tag="backups") == ["Backups?"]
        assert sorted(questions(sess, tag="resilience")) == ["Backups?", "Disaster recovery?"]
        assert questions(sess, tag="resilience", query="disaster") == ["Disaster recovery?"]


def test_rules_and_search_on_sqlite_and_postgresql(any_db_app):
    with any_db_app.app_context():
        sess = db.session()
        en = entry(sess, question="Is data ENCRYPTED at rest?", answer="AES-256; 100% of stores.")
        entry(sess, question="数据是否加密存储？", language="zh", translation_of=en)
        entry(sess, question="Encrypted private?", public=False)
        entry(sess, question="Encrypted overdue?", reviewed=TODAY - timedelta(days=366))
        sess.commit()
        assert questions(sess, query="encrypted") == ["Is data ENCRYPTED at rest?"]
        assert questions(sess, query="100%") == ["Is data ENCRYPTED at rest?"]
        assert questions(sess, query="1_0") == []
        assert questions(sess, "zh", query="加密") == ["数据是否加密存储？"]
        assert questions(sess, "zh", query="aes") == ["数据是否加密存储？"]
