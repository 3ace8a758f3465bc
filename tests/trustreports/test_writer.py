"""The PDF writer (pure): both languages, text that can be extracted, growth with content, long Chinese."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from exporters.trust_report import (Answer, ComponentUptime, DocumentSummary, IncidentLine, Labels, ReportData,
                                    Section, StatusSummary, _lines, available_font, trust_report_pdf)

ZH = "我们的平台在新加坡和法兰克福的数据中心运行，ISO 27001 认证覆盖全部生产环境（包括备份系统）。所有数据在传输和存储时均加密。"
EN = ("All customer data is encrypted in transit with TLS 1.2 or later and at rest with AES-256; keys live in a "
      "hardware security module and are rotated every year. ")
ZH_LABELS = Labels(title="安全与信任报告", prepared_for="报告对象", contents="目录", documents="文件",
                   answers="问题解答", status="服务状态（最近 90 天）", page="第 {page} 页，共 {pages} 页")


def data(language="en", n=1, text=None, **kw) -> ReportData:
    text = text or (ZH if language == "zh" else EN)
    return ReportData(
        company="Example Cloud Ltd." if language == "en" else "示例云科技有限公司", prospect_name="Alice Buyer 李伟",
        prospect_company="Buyer Ltd", date="6 December 2026", language=language,
        sections=[Section(f"Encryption {i}", [text * 2], [text[:60]]) for i in range(n)],
        documents=[DocumentSummary(f"ISO 27001 certificate {i}", "Certification", "Valid until 1 March 2027", text)
                   for i in range(n)],
        answers=[Answer(f"Do you encrypt data at rest? ({i})", text * 2) for i in range(n)],
        status=StatusSummary("8 Sep 2026 – 6 Dec 2026", "99.98 %", [ComponentUptime("API", "99.99 %")],
                             [IncidentLine("2026-11-02 08:00 UTC", "Elevated API errors", "Minor · 42 min")]),
        labels=ZH_LABELS if language == "zh" else Labels(), **kw)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def test_english_report_has_cover_contents_and_every_part():
    pdf = trust_report_pdf(data("en"))
    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    for expected in ("Security and trust report", "Prepared for", "Alice Buyer", "Buyer Ltd", "Contents",
                     "Encryption 0", "ISO 27001 certificate 0", "Valid until 1 March 2027",
                     "Do you encrypt data at rest?", "Elevated API errors", "99.98 %", "Page 1 of"):
        assert expected in text, expected


@pytest.mark.skipif(available_font("zh") is None, reason="no CJK font installed")
def test_chinese_report_text_is_extractable():
    text = text_of(trust_report_pdf(data("zh")))
    for expected in ("安全与信任报告", "示例云科技有限公司", "目录", "问题解答", "数据在传输和存储时均加密", "第 1 页"):
        assert expected in text.replace("\n", ""), expected


def test_page_count_grows_with_content():
    assert pages(trust_report_pdf(data("en", n=8))) > pages(trust_report_pdf(data("en", n=1))) >= 3


@pytest.mark.skipif(available_font("zh") is None, reason="no CJK font installed")
def test_long_chinese_text_wraps_without_losing_a_character():
    long = ZH * 60 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 20  # one paragraph, no spaces, and an unbreakable word
    pdf = trust_report_pdf(data("zh", text=long))
    flat = text_of(pdf).replace("\n", "").replace(" ", "")
    # Five copies (two in the section, the document summary, two in the answer) and the bullet's first 60
    # characters: every character is on some page, none was cut at the margin or the page end.
    assert flat.count("坡") == 5 * 60 + 1 and flat.count("XYZ") == 5 * 20


def test_lines_break_between_cjk_characters_and_keep_latin_words_whole():
    measure = len  # one unit per character
    lines = _lines("数据在传输和存储时均加密。security review", 8, measure)
    assert all(len(line) <= 8 for line in lines)
    assert "".join(lines).replace(" ", "") == "数据在传输和存储时均加密。securityreview"
    assert "security" in lines and "review" in lines
    assert not any(line.startswith("。") for line in lines)


def test_logo_and_controls_are_handled():
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (120, 40), (31, 78, 121)).save(buf, format="PNG")
    pdf = trust_report_pdf(data("en", logo=buf.getvalue(), text="Text\x00 with \u202econtrols\x07. "))
    assert "Text with controls." in text_of(pdf)
    assert trust_report_pdf(data("en", logo=b"not an image")).startswith(b"%PDF")  # a bad logo is left out


def test_an_empty_report_still_has_a_cover():
    pdf = trust_report_pdf(ReportData(company="X", prospect_name="P", prospect_company="C", date="today"))
    assert pages(pdf) == 1 and "Security and trust report" in text_of(pdf)
