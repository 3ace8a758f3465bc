"""DOCX body mark (zero-width code at paragraph ends): `vault trace` finds the recipient after each attack."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import docx
import pytest

from tests.watermark.builders import sectioned_docx
from tests.watermark.docx_attacks import (copy_body, empty_headers_footers, needs_writer, strip_properties,
                                          writer_convert)
from tests.watermark.test_pdf import JANE, ZHANG
from vault.watermark import find_download_id, marks, watermark_docx
from vault.watermark.docx_body import mark_body, safe_after


def long_docx(paragraphs: int = 60) -> bytes:
    """A few pages of body text, a table, a Chinese paragraph, bold and italic runs."""
    document = docx.Document()
    document.add_heading("Information security policy", 1)
    for i in range(paragraphs):
        p = document.add_paragraph(f"Clause {i + 1}. Access to production systems is reviewed quarterly ")
        p.add_run("by the security team").bold = True
        p.add_run(f" and recorded in the access register, entry {i + 1}.").italic = True
    document.add_paragraph("信息安全策略：生产系统访问每季度审查一次。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 1).text = "Control", "Tested"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def marked(src: bytes, recipient=JANE) -> bytes:
    out = io.BytesIO()
    watermark_docx(src, out, recipient)
    return out.getvalue()


@pytest.fixture(scope="module")
def leaked() -> bytes:
    return marked(long_docx())


@pytest.fixture(scope="module")
def laundered(leaked) -> bytes:
    """Header and footer emptied and document properties stripped: only the body mark is left."""
    return strip_properties(empty_headers_footers(leaked))


def assert_traced(data: bytes, recipient=JANE) -> None:
    result = find_download_id(data)
    assert (result.download_id, result.confidence) == (recipient.download_id, "high"), result
    assert set(result.candidates["zero-width"]) == {recipient.download_id}, result


# --- the code ---------------------------------------------------------------------------------

@pytest.mark.parametrize("download_id", ["abcdefgh", JANE.download_id, "Zz9_-" * 12 + "abcd"])
def test_code_round_trip(download_id):
    code = marks.zw_code(download_id)
    assert set(code) == {marks.ZW0, marks.ZW1} and len(code) == 6 + 6 * len(download_id) + 16
    assert marks.zw_ids_in_text("text" + marks.ZW1 + code + code + " more" + code) == [download_id] * 3


def test_damaged_code_is_not_read_as_another_id():
    code = marks.zw_code(JANE.download_id)
    for i in range(0, len(code), 7):
        flipped = code[:i] + (marks.ZW1 if code[i] == marks.ZW0 else marks.ZW0) + code[i + 1:]
        assert marks.zw_ids_in_text(flipped) == []


# --- writing ------------------------------------------------------------------------------------

def test_body_carries_the_code_deterministically(leaked):
    body = zipfile.ZipFile(io.BytesIO(leaked)).read("word/document.xml").decode()
    assert body.count(marks.zw_code(JANE.download_id)) == 64  # heading, 60 clauses, the Chinese one, two table cells
    again = zipfile.ZipFile(io.BytesIO(marked(long_docx()))).read("word/document.xml").decode()
    assert again == body
    other = zipfile.ZipFile(io.BytesIO(marked(long_docx(), ZHANG))).read("word/document.xml").decode()
    assert other != body and marks.zw_ids_in_text(other)[0] == ZHANG.download_id


def test_visible_text_unchanged(leaked):
    before = docx.Document(io.BytesIO(long_docx()))
    after = docx.Document(io.BytesIO(leaked))
    strip = str.maketrans("", "", marks.ZW0 + marks.ZW1)
    # (a paragraph ending in Chinese gets a run holding only the code: empty once stripped)
    assert [[t for t in (r.text.translate(strip) for r in p.runs) if t] for p in after.paragraphs] == \
        [[r.text for r in p.runs] for p in before.paragraphs]


def test_not_after_letters_a_joiner_changes_nor_in_hidden_runs():
    document = docx.Document()
    document.add_paragraph("تقرير الأمن")  # Arabic: a joiner after the last letter would change its shape
    document.add_paragraph("नमस्ते")  # Devanagari
    hidden = document.add_paragraph("Shown text.")
    hidden.add_run(" hidden").font.hidden = True
    document.add_paragraph("")
    assert not safe_after("ر") and not safe_after("े") and not safe_after("😀")
    assert safe_after(".") and safe_after("a") and not safe_after("。") and not safe_after("界")
    assert mark_body(document.element.body, JANE.download_id) == 1
    assert [p.runs[0].text.endswith(marks.zw_code(JANE.download_id)) for p in document.paragraphs[:3]] == \
        [False, False, True]


def test_bounded_and_spread_over_a_long_document():
    document = docx.Document()
    for i in range(5000):
        document.add_paragraph(f"Paragraph {i}.")
    assert mark_body(document.element.body, JANE.download_id, limit=200) == 200
    code = marks.zw_code(JANE.download_id)
    carrying = [i for i, p in enumerate(document.paragraphs) if p.text.endswith(code)]
    assert len(carrying) == 200 and carrying[0] == 0 and carrying[-1] >= 4975
    assert max(b - a for a, b in zip(carrying, carrying[1:])) <= 26


# --- attacks ------------------------------------------------------------------------------------

def test_headers_footers_emptied_and_properties_stripped(laundered):
    names = zipfile.ZipFile(io.BytesIO(laundered)).namelist()
    assert "docProps/custom.xml" not in names
    result = find_download_id(laundered)
    assert set(result.candidates) == {"zero-width"} and result.method == "zero-width"
    assert_traced(laundered)


@pytest.mark.parametrize("part", [slice(None), slice(30, 31), slice(-3, None)])
def test_body_copied_into_a_new_document(leaked, part):
    copied = copy_body(leaked, part)
    assert "TrustvaultDownloadId" not in zipfile.ZipFile(io.BytesIO(copied)).read("docProps/core.xml").decode()
    assert_traced(copied)


def test_chinese_recipient_and_small_document():
    assert_traced(copy_body(marked(sectioned_docx(), ZHANG)), ZHANG)


def test_a_paragraph_ending_in_chinese_gets_the_code_in_a_run_of_its_own():
    document = docx.Document()
    document.add_paragraph("信息安全策略：生产系统访问每季度审查一次。")
    document.add_paragraph("访问审查（ISO 27001 A.9.2.5）")  # ends in a full-width bracket: CJK
    document.add_paragraph("访问审查 ISO 27001")
    assert mark_body(document.element.body, JANE.download_id) == 3
    code = marks.zw_code(JANE.download_id)
    assert [[r.text for r in p.runs][-1] == code for p in document.paragraphs] == [True, True, False]
    assert document.paragraphs[2].runs[-1].text.endswith(code)


@needs_writer
def test_writer_docx_to_pdf(laundered, tmp_path):
    pdf = writer_convert(laundered, "pdf", tmp_path)
    assert_traced(pdf)
    assert find_download_id(pdf).method == "zero-width"


@needs_writer
def test_writer_docx_to_pdf_of_a_body_copy(leaked, tmp_path):
    assert_traced(writer_convert(copy_body(leaked, slice(10, 12)), "pdf", tmp_path))


@needs_writer
def test_writer_docx_to_docx(laundered, tmp_path):
    again = writer_convert(laundered, "docx", tmp_path)
    assert_traced(again)
    assert_traced(copy_body(again))  # and a body copy of Writer's copy


@needs_writer
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_layout_unchanged_when_rendered(tmp_path):
    """Rendered by Writer, the body-marked document is pixel for pixel the original."""
    original = long_docx()
    document = docx.Document(io.BytesIO(original))
    assert mark_body(document.element.body, JANE.download_id) > 0
    out = io.BytesIO()
    document.save(out)
    pages = []
    for name, data in (("a", original), ("b", out.getvalue())):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(writer_convert(data, "pdf", tmp_path / name))
        subprocess.run(["pdftoppm", "-r", "60", "-gray", str(pdf), str(tmp_path / name)], check=True)
        pages.append(sorted(tmp_path.glob(f"{name}-*.pgm")))
    assert len(pages[0]) == len(pages[1]) >= 2
    for a, b in zip(*pages):
        assert a.read_bytes() == b.read_bytes(), (a.name, b.name)
