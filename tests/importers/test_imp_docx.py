"""Word questionnaires: requirement tables (OWASP ASVS en/zh-cn), a real fill-in form
with merged cells (UK ICO DPIA template), numbered question paragraphs, and hostile
document.xml parts."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.oxml import OxmlElement

from importers import ImportErrorWithContext, load_questionnaire
from importers import safety
from importers.safety import check_docx_safe

from tests.corpus import SHARED_DATA, need

DIR = str(SHARED_DATA / "questionnaires" / "docx")
ASVS_EN = f"{DIR}/owasp_asvs_4.0.3-en.docx"
ASVS_ZH = f"{DIR}/owasp_asvs_4.0.3-zh-cn.docx"
ICO = f"{DIR}/ico_dpia-template_practical-data-privacy.docx"


@pytest.fixture(scope="module")
def asvs_en():
    return load_questionnaire(str(need(Path(ASVS_EN))))


@pytest.fixture(scope="module")
def asvs_zh():
    return load_questionnaire(str(need(Path(ASVS_ZH))))


def save(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ OWASP ASVS

def test_asvs_en_requirement_tables(asvs_en):
    q = asvs_en
    assert q.source_format == "docx"
    ids = [x.qid for x in q.questions]
    v = [i for i in ids if re.fullmatch(r"\d+\.\d+\.\d+", i)]
    c = [i for i in ids if i.startswith("C.")]
    # 286 requirement rows in V1-V14, 8 of them "[DELETED, ...]"; plus Appendix C (IoT) C.1-C.34
    assert (len(q.questions), len(v), len(c)) == (312, 278, 34)
    assert len(set(ids)) == len(ids)
    assert "1.4.2" not in ids and any("deleted/withdrawn" in w for w in q.warnings)
    first = q.questions[0]
    assert first.qid == "1.1.1" and first.text.startswith("Verify the use of a secure software "
                                                          "development lifecycle")
    assert first.section == "V1.1 Secure Software Development Lifecycle"
    assert first.answer_at is None and first.comment_at is None
    assert first.question_at.kind == "docx-table"
    assert {k: first.question_at.extra[k] for k in ("table", "row", "col")} == {
        "table": 3, "row": 1, "col": 1}
    assert first.question_at.extra["other"] == {"L1": "", "L2": "✓", "L3": "✓", "CWE": ""}
    assert q.questions[-1].qid == "C.34"
    # no answer column: imported with a warning, an exporter adds the column
    assert any("no answer column" in w and "new column" in w for w in q.warnings)
    tables = [s for s in q.sheets if not s.skipped]
    assert len(tables) == 70 and all(s.columns == {"id": "A", "question": "B"} for s in tables)
    assert all(s.header_row == 1 for s in tables)
    # contributor lists and the glossary are not question tables
    skipped = [s for s in q.sheets if s.skipped]
    assert len(skipped) == 5 and all("reference or layout" in s.skip_reason for s in skipped)


def test_asvs_zh_matches_en_by_id(asvs_en, asvs_zh):
    zh = asvs_zh
    assert len(zh.questions) == 312
    assert [x.qid for x in zh.questions] == [x.qid for x in asvs_en.questions]
    x = next(x for x in zh.questions if x.qid == "1.1.1")
    assert x.text.startswith("验证使用安全的软件开发生命周期")
    assert x.section == "V1.1 安全软件开发生命周期"  # the "说明" header is not a section
    assert "3.3.2" in {x.qid for x in zh.questions}
    # "说明" usually means comments; here the column of long text is the question column
    s = next(s for s in zh.sheets if s.name == "Table 4")
    assert s.columns == {"id": "A", "question": "B"} and s.header_row == 1


# ------------------------------------------------------------------ ICO DPIA form

def test_ico_dpia_form():
    q = load_questionnaire(str(need(Path(ICO))))
    assert len(q.questions) == 28 and not q.warnings
    texts = [x.text for x in q.questions]
    # label/value rows: the answer is the empty cell to the right
    name = q.questions[0]
    assert name.text == "Name of controller" and name.section == "Submitting controller details"
    assert name.answer_at.extra["table"] == 0 and (name.answer_at.extra["row"],
                                                   name.answer_at.extra["col"]) == (0, 1)
    # single-column boxes: the prompt above, the empty answer box below
    scope = next(x for x in q.questions if x.text.startswith("Describe the scope of the processing"))
    assert scope.section == "Step 2: Describe the processing"
    assert {k: scope.answer_at.extra[k] for k in ("table", "row", "col")} == {"table": 3, "row": 1,
                                                                               "col": 0}
    # the risk table: each column label is a question; the hint below gives the options
    lik = next(x for x in q.questions if x.text == "Likelihood of harm")
    assert lik.choices == ["Remote", "possible", "probable"]
    assert lik.answer_at.extra["prefilled_hint"] == "Remote, possible or probable"
    # the measures table sits under a merged (gridSpan=5) instruction row
    approved = next(x for x in q.questions if x.text == "Measure approved")
    assert approved.choices == ["Yes", "no"] and approved.answer_at.extra["row"] == 2
    assert approved.guidance.startswith("Identify additional measures you could take")
    # sign-off table: answer column B is empty, column C holds the template's notes
    by = next(x for x in q.questions if x.text == "Measures approved by:")
    assert by.answer_at.extra["col"] == 1 and by.guidance.startswith("Integrate actions back")
    assert by.comment_at is None
    # a full-width merged cell "Summary of DPO advice:" is answered inside the cell
    dpo = next(x for x in q.questions if x.text == "Summary of DPO advice")
    assert dpo.answer_at.extra["in_cell"] is True and dpo.answer_at.extra["merged"] == "3x1"
    assert dpo.section == "Step 7: Sign off and record outcomes"
    assert texts.index("Summary of DPO advice") == texts.index("DPO advice provided:") + 1
    assert sum(1 for s in q.sheets if not s.skipped) == 11


# ------------------------------------------------------------------ generated documents

def _set_span(cell, n):
    tcpr = cell._tc.get_or_add_tcPr()
    el = OxmlElement("w:gridSpan")
    el.set(qn("w:val"), str(n))
    tcpr.append(el)


def questionnaire_doc(chinese=False) -> bytes:
    d = docx.Document()
    d.add_heading("Vendor questionnaire", 1)
    d.add_paragraph("Please answer every question.")
    t = d.add_table(rows=6, cols=4)
    hdr = ["编号", "问题", "回答", "备注"] if chinese else ["No.", "Question", "Answer", "Comments"]
    for c, h in zip(t.rows[0].cells, hdr):
        c.text = h
    # row 1: section title merged over all four columns
    a = t.cell(1, 0).merge(t.cell(1, 3))
    a.text = "Access control"
    rows = [("AC-1", "Do you enforce MFA for administrators?", "Yes", "Since 2020"),
            ("AC-2", "Are accounts reviewed quarterly?", "", ""),
            ("AC-3", "Is SSO supported?", "", ""),
            ("AC-4", "Describe how access is revoked at termination.", "", "")]
    for r, vals in enumerate(rows, start=2):
        for c, v in enumerate(vals):
            if v:
                t.cell(r, c).text = v
    # answer cells of AC-3 and AC-4 merged vertically (one answer for both)
    t.cell(4, 2).merge(t.cell(5, 2))
    return save(d)


def test_generated_table_with_merges():
    q = load_questionnaire(questionnaire_doc(), "vendor.docx")
    assert [x.qid for x in q.questions] == ["AC-1", "AC-2", "AC-3", "AC-4"]
    s = q.sheets[0]
    assert (s.name, s.index, s.header_row, s.columns) == ("Table 1", 0, 1,
                                                          {"id": "A", "question": "B",
                                                           "answer": "C", "comment": "D"})
    ac1 = q.questions[0]
    assert ac1.section == "Vendor questionnaire / Access control"
    assert (ac1.existing_answer, ac1.existing_comment) == ("Yes", "Since 2020")
    assert ac1.answer_at.kind == "docx-table"
    assert {k: ac1.answer_at.extra[k] for k in ("table", "row", "col")} == {"table": 0, "row": 2, "col": 2}
    assert {k: ac1.comment_at.extra[k] for k in ("table", "row", "col")} == {"table": 0, "row": 2, "col": 3}
    ac3, ac4 = q.questions[2], q.questions[3]
    # vMerge: both rows point at the merge's top cell
    assert ac3.answer_at.extra["row"] == ac4.answer_at.extra["row"] == 4
    assert ac3.answer_at.extra["merged"] == "1x2"
    assert not q.warnings


def test_generated_chinese_table():
    q = load_questionnaire(questionnaire_doc(chinese=True), "供应商.docx")
    assert [x.qid for x in q.questions] == ["AC-1", "AC-2", "AC-3", "AC-4"]
    assert q.sheets[0].columns == {"id": "A", "question": "B", "answer": "C", "comment": "D"}


def test_dropdown_content_control_gives_choices():
    d = docx.Document()
    t = d.add_table(rows=3, cols=3)
    for c, h in zip(t.rows[0].cells, ["ID", "Question", "Response"]):
        c.text = h
    t.cell(1, 0).text, t.cell(1, 1).text = "Q1", "Do you encrypt backups?"
    t.cell(2, 0).text, t.cell(2, 1).text = "Q2", "Do you log admin access?"
    sdt = ('<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:sdtPr>'
           '<w:dropDownList><w:listItem w:displayText="Yes" w:value="Yes"/>'
           '<w:listItem w:displayText="No" w:value="No"/><w:listItem w:displayText="N/A" w:value="N/A"/>'
           '</w:dropDownList></w:sdtPr><w:sdtContent><w:p/></w:sdtContent></w:sdt>')
    from docx.oxml import parse_xml
    for r in (1, 2):
        t.cell(r, 2)._tc.append(parse_xml(sdt))
    q = load_questionnaire(save(d), "dd.docx")
    assert [x.choices for x in q.questions] == [["Yes", "No", "N/A"]] * 2


def test_numbered_paragraphs():
    d = docx.Document()
    d.add_heading("Security questionnaire", 1)
    d.add_paragraph("Intro text that is not a question.")
    for t in ["Do you encrypt data at rest?", "Describe your backup process",
              "Is MFA enforced for administrators?"]:
        d.add_paragraph(t, style="List Number")
        d.add_paragraph("")
    d.add_heading("Operations", 2)
    d.add_paragraph("2.1 Do you run yearly penetration tests?")
    d.add_paragraph("A bullet that asks nothing", style="List Bullet")
    d.add_paragraph("Why would anyone ask this without a number?")
    q = load_questionnaire(save(d), "paras.docx")
    assert [(x.qid, x.text) for x in q.questions] == [
        ("1", "Do you encrypt data at rest?"), ("2", "Describe your backup process"),
        ("3", "Is MFA enforced for administrators?"), ("2.1", "Do you run yearly penetration tests?")]
    first = q.questions[0]
    assert first.section == "Security questionnaire" and q.questions[3].section == "Operations"
    assert first.question_at.kind == first.answer_at.kind == "docx-paragraph"
    assert first.question_at.extra["paragraph"] == 2 == first.answer_at.extra["paragraph"]
    assert first.answer_at.extra["position"] == "after" and first.answer_at.extra["blank_paragraph"] == 3
    assert [p.text for p in docx.Document(io.BytesIO(save(d))).paragraphs][2] == first.text
    assert q.sheets[-1].name == "paragraphs" and q.sheets[-1].question_count == 4


def test_layout_hint_for_a_table():
    data = questionnaire_doc()
    hint = {"sheets": {"Table 1": {"header_row": 1, "columns": {"question": "B", "answer": "D"}}}}
    q = load_questionnaire(data, "v.docx", layout_hint=hint)
    assert all(x.answer_at.extra["col"] == 3 for x in q.questions) and q.questions[0].qid is None
    with pytest.raises(ImportErrorWithContext, match="no questions"):
        load_questionnaire(data, "v.docx", layout_hint={"sheets": {"Table 1": {"skip": True}}})


def test_no_questions_is_a_clear_error():
    d = docx.Document()
    d.add_paragraph("Just a letter. Nothing to answer.")
    with pytest.raises(ImportErrorWithContext, match='"letter.docx": no questions found'):
        load_questionnaire(save(d), "letter.docx")


# ------------------------------------------------------------------ hostile files

def rewrite(data: bytes, name: str, edit) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            raw = zin.read(info)
            zo.writestr(info, edit(raw) if info.filename == name else raw)
    return out.getvalue()


LAUGHS = (b'<?xml version="1.0" standalone="yes"?>\n<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">'
          b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
          b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n')


def test_entity_laced_document_xml_is_refused():
    """THREATS.md "docx huge_tree": python-docx would hand this to lxml with huge_tree=True."""
    def edit(raw: bytes) -> bytes:
        body = raw.split(b"?>", 1)[1]
        return LAUGHS + body.replace(b"<w:t>Is SSO supported?</w:t>", b"<w:t>&d;</w:t>")
    data = rewrite(questionnaire_doc(), "word/document.xml", edit)
    assert b"&d;" in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    for fn in (lambda: load_questionnaire(data, "bomb.docx"), lambda: check_docx_safe(data, "bomb.docx")):
        with pytest.raises(ImportErrorWithContext, match=r'"bomb.docx": part "word/document.xml" '
                                                         r"declares a DTD or XML entities"):
            fn()


def test_external_entity_in_styles_is_refused():
    xxe = (b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&e;</w:styles>')
    data = rewrite(questionnaire_doc(), "word/styles.xml", lambda raw: xxe)
    with pytest.raises(ImportErrorWithContext, match="XML bomb"):
        load_questionnaire(data, "xxe.docx")


def test_huge_document_xml_is_refused(monkeypatch):
    monkeypatch.setattr(safety, "MAX_PART_BYTES", 1_000)
    with pytest.raises(ImportErrorWithContext, match=r'part "word/document.xml" is .* MB of XML'):
        load_questionnaire(questionnaire_doc(), "big.docx")


def test_docx_zip_bomb_is_refused_before_parsing():
    pad = b"<w:p/>" * 2_000_000  # 12 MB that compresses > 200x
    data = rewrite(questionnaire_doc(), "word/document.xml",
                   lambda raw: raw.replace(b"</w:body>", pad + b"</w:body>"))
    with pytest.raises(ImportErrorWithContext, match="zip bomb"):
        load_questionnaire(data, "zb.docx")


def test_damaged_document_xml():
    data = rewrite(questionnaire_doc(), "word/document.xml", lambda raw: raw[: len(raw) // 2])
    with pytest.raises(ImportErrorWithContext, match="damaged"):
        load_questionnaire(data, "cut.docx")
    with pytest.raises(ImportErrorWithContext, match="damaged"):
        load_questionnaire(questionnaire_doc()[:3000], "cut.docx")


def test_legacy_doc_is_named():
    ole = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "WordDocument".encode("utf-16-le")
           + b"\x00" * 512)
    with pytest.raises(ImportErrorWithContext, match=r"legacy Word 97-2003 \.doc"):
        load_questionnaire(ole, "old.doc")


def test_check_docx_safe_accepts_real_files():
    for f in (ASVS_EN, ICO):
        check_docx_safe(open(f, "rb").read(), f)
