"""/trust/faq: the public page shows published answers only, searches by GET, in the reader's language."""
from __future__ import annotations

from datetime import timedelta
from html import unescape
from urllib.parse import unquote

from tests.expiry.conftest import document, user
from tests.faq.builders import TODAY, entry
from vault import db

SECRET_BITS = ("DRAFT-SECRET", "PRIVATE-SECRET", "STALE-SECRET", "OVERDUE-SECRET", "RETIRED-SECRET",
               "Acme Secret Ltd", "secret-owner@example.com", "Secret Owner", "Other phrasing secret",
               "SOC 2 CC6.1 secret", "SECRET-REF", "Internal evidence title")


def seed(app, tmp_path) -> dict:
    """One published entry carrying internal fields, plus every kind of entry that must stay off the page."""
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="secret-owner@example.com", name="Secret Owner")
        evidence = document(app, sess, owner, tmp_path, "Internal evidence title", expiry=TODAY + timedelta(days=90))
        expired = document(app, sess, owner, tmp_path, "Expired report", expiry=TODAY - timedelta(days=2))
        shown = entry(sess, ref="SECRET-REF", question="Is customer data encrypted at rest?",
                      answer="AES-256 in every data store.", category="Cryptography", tags=["encryption"],
                      owner=owner, evidence=[evidence], source={"customer": "Acme Secret Ltd", "file": "acme.xlsx"})
        shown.alternatives = ["Other phrasing secret"]
        shown.framework_refs = ["SOC 2 CC6.1 secret"]
        entry(sess, question="Encrypted DRAFT-SECRET?", answer="DRAFT-SECRET answer", status="draft")
        entry(sess, question="Encrypted PRIVATE-SECRET?", answer="PRIVATE-SECRET answer", public=False)
        entry(sess, question="Encrypted STALE-SECRET?", answer="STALE-SECRET answer", evidence=[expired])
        entry(sess, question="Encrypted OVERDUE-SECRET?", answer="OVERDUE-SECRET answer",
              reviewed=TODAY - timedelta(days=366))
        entry(sess, question="Encrypted RETIRED-SECRET?", answer="RETIRED-SECRET answer", status="retired")
        en = entry(sess, question="Do you enforce multi-factor authentication?", answer="WebAuthn keys for all staff.",
                   category="Identity", tags=["MFA"])
        entry(sess, question="是否强制启用多因素认证？", answer="所有员工使用安全密钥登录。", language="zh",
              category="身份与访问", tags=["多因素认证"], translation_of=en)
        entry(sess, question="是否通过等保三级测评？", answer="已完成第三级备案与测评。", language="zh", category="合规")
        sess.commit()
        return {"anchor_mfa": None}


def page(client, **params) -> str:
    resp = client.get("/trust/faq", query_string=params)
    assert resp.status_code == 200
    return unescape(resp.get_data(as_text=True))


def test_the_page_shows_published_answers_grouped_with_anchors(app, client, tmp_path):
    seed(app, tmp_path)
    html = page(client)
    assert "Is customer data encrypted at rest?" in html and "AES-256 in every data store." in html
    assert "<h2 id=\"faq-cat-1\">Cryptography</h2>" in html and ">Identity</h2>" in html
    assert f"Last reviewed {TODAY.isoformat()}" in html
    assert 'id="q-' in html and 'href="#q-' in html
    # the Chinese-only question, after the English ones, marked with its language
    assert html.index("Do you enforce multi-factor") < html.index("是否通过等保三级测评？")
    assert 'lang="zh-CN">是否通过等保三级测评？' in html and "faq-lang" in html
    assert "是否强制启用多因素认证？" not in html  # the English version of that pair is shown to English readers


def test_no_private_data_ever_shows_on_the_page_or_in_search(app, client, tmp_path):
    seed(app, tmp_path)
    for params in ({}, {"q": "encrypted"}, {"q": "secret"}, {"q": "acme"}, {"tag": "encryption"}, {"lang": "zh"},
                   {"q": "SOC"}, {"q": "phrasing"}):
        html = page(client, **params)
        leaked = [bit for bit in SECRET_BITS if bit.lower() in html.lower()]
        assert leaked == [], (params, leaked)
    # a search for a hidden entry's words finds nothing
    assert "No answer matches your search." in page(client, q="DRAFT-SECRET")
    assert "No answer matches your search." in page(client, q="acme")  # the source is not searched


def test_search_by_get_in_english_and_chinese(app, client, tmp_path):
    seed(app, tmp_path)
    html = page(client, q="ENCRYPTED")
    assert "Is customer data encrypted at rest?" in html and "multi-factor" not in html
    assert '1 answer for “ENCRYPTED”.' in html and 'value="ENCRYPTED"' in html
    html = page(client, q="等保", lang="zh")
    assert "是否通过等保三级测评？" in html and "是否强制启用多因素认证？" not in html
    html = page(client, q="安全密钥", lang="zh")
    assert "是否强制启用多因素认证？" in html and "等保" not in html.split("</form>", 1)[1]


def test_chinese_readers_get_chinese_first_and_english_marked(app, client, tmp_path):
    seed(app, tmp_path)
    html = page(client, lang="zh")
    assert "是否强制启用多因素认证？" in html and "Do you enforce multi-factor" not in html
    assert html.index("是否强制启用多因素认证？") < html.index("Is customer data encrypted at rest?")
    assert 'lang="en">Is customer data encrypted at rest?' in html
    assert "安全问答" in html or "问答" in html  # the page itself is in Chinese


def test_a_language_chosen_by_link_survives_the_search(app, client, tmp_path):
    seed(app, tmp_path)
    html = page(client, lang="zh")
    assert '<input type="hidden" name="lang" value="zh">' in html and "/trust/faq?tag=多因素认证&lang=zh" in unquote(html)
    assert 'name="lang"' not in page(client)


def test_tag_links_filter_the_page(app, client, tmp_path):
    seed(app, tmp_path)
    html = page(client)
    assert 'href="/trust/faq?tag=MFA"' in html
    html = page(client, tag="MFA")
    assert "Do you enforce multi-factor authentication?" in html and "encrypted at rest" not in html
    assert "1 answer in MFA." in html


def test_untrusted_text_is_escaped(app, client):
    with app.app_context():
        sess = db.session()
        entry(sess, question='<script>alert("q")</script>?', answer='<img src=x onerror=alert(1)>',
              category="<b>cat</b>", tags=['"><svg onload=alert(1)>'])
        sess.commit()
    raw = client.get("/trust/faq", query_string={"q": '<script>"'}).get_data(as_text=True)
    assert "<script>alert" not in raw and "<img src=x" not in raw and "<svg onload" not in raw and "<b>cat" not in raw
    raw = client.get("/trust/faq").get_data(as_text=True)
    assert "&lt;script&gt;" in raw and "&lt;img src=x onerror=alert(1)&gt;" in raw


def test_odd_searches_never_fail(app, client, tmp_path):
    seed(app, tmp_path)
    for q in ("x" * 5000, "\x00\x1b[31m", "%", "_", "\\", "'; drop table library_entries; --", "\u202eevil", "  "):
        assert client.get("/trust/faq", query_string={"q": q, "tag": q}).status_code == 200
    assert "Is customer data encrypted at rest?" in page(client, q="  ")


def test_empty_faq_says_so_and_the_trust_center_links_to_it(app, client):
    assert "No answers are published yet." in page(client)
    home = client.get("/trust/").get_data(as_text=True)
    assert 'href="/trust/faq"' in home
