"""DOCX body mark in a document all in Chinese: traced after every attack, rendering unchanged."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import docx
import pytest
from docx.oxml.ns import qn
from lxml import etree
from PIL import Image, ImageChops

from tests.watermark.docx_attacks import (copy_body, empty_headers_footers, needs_writer, strip_properties,
                                          writer_convert)
from tests.watermark.test_docx_body import assert_traced, marked
from tests.watermark.test_pdf import ZHANG
from vault.watermark import marks
from vault.watermark.docx_body import mark_body

CLAUSES = ["生产系统访问每季度审查一次，由安全团队负责并记录在访问登记册中。", "所有员工必须完成年度安全意识培训",
           "数据在传输和静态存储时均使用加密保护。", "供应商须签署保密协议并接受安全评估",
           "安全事件须在发现后二十四小时内上报，并由事件响应小组跟进处理。"]


def chinese_docx(east_asian_font: str | None = "SimSun", paragraphs: int = 60) -> bytes:
    """Only Chinese text, the East Asian font named in the Normal style (SimSun: not installed here, so
    Writer falls back; None: the template's theme font), a heading, bold runs, a table."""
    document = docx.Document()
    if east_asian_font:
        props = document.styles["Normal"].element.get_or_add_rPr()
        fonts = props.find(qn("w:rFonts"))
        if fonts is None:
            fonts = etree.SubElement(props, qn("w:rFonts"))
        fonts.set(qn("w:eastAsia"), east_asian_font)
    document.add_heading("信息安全策略", 1)
    for i in range(paragraphs):
        p = document.add_paragraph(CLAUSES[i % len(CLAUSES)])
        if i % 3 == 0:
            p.add_run("（重要）").bold = True
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 1).text = "控制项", "已测试"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def leaked() -> bytes:
    return marked(chinese_docx(), ZHANG)


@pytest.fixture(scope="module")
def laundered(leaked) -> bytes:
    return strip_properties(empty_headers_footers(leaked))


def test_every_chinese_paragraph_carries_the_code_in_its_own_run(leaked):
    document = docx.Document(io.BytesIO(leaked))
    code = marks.zw_code(ZHANG.download_id)
    assert sum(p.runs[-1].text == code for p in document.paragraphs) == 61  # heading and 60 clauses
    for p in document.paragraphs:
        fonts = p.runs[-1]._r.find(qn("w:rPr") + "/" + qn("w:rFonts"))
        assert fonts is None or not {qn("w:eastAsia"), qn("w:eastAsiaTheme"), qn("w:hint")} & set(fonts.attrib)
    body = zipfile.ZipFile(io.BytesIO(leaked)).read("word/document.xml").decode()
    assert body.count(code) == 63  # and the two table cells


def test_the_code_run_keeps_the_size_and_latin_font():
    document = docx.Document()
    run = document.add_paragraph().add_run("标题")
    run.font.size, run.font.name, run.bold = 203200, "Arial", True
    run._r.rPr.rFonts.set(qn("w:eastAsia"), "SimHei")
    run._r.rPr.rFonts.set(qn("w:hint"), "eastAsia")
    assert mark_body(document.element.body, ZHANG.download_id) == 1
    code_run = document.paragraphs[0].runs[-1]
    assert (code_run.text, code_run.font.size, code_run.font.name, code_run.bold) == \
        (marks.zw_code(ZHANG.download_id), 203200, "Arial", True)
    assert set(code_run._r.rPr.rFonts.attrib) == {qn("w:ascii"), qn("w:hAnsi"), qn("w:cs")}
    assert document.paragraphs[0].runs[0].text == "标题"


def test_arabic_indic_emoji_still_unmarked():
    document = docx.Document()
    for text in ("تقرير الأمن", "नमस्ते", "安全 😀"):
        document.add_paragraph(text)
    assert mark_body(document.element.body, ZHANG.download_id) == 0


def test_headers_footers_emptied(leaked):
    assert_traced(empty_headers_footers(leaked), ZHANG)


def test_properties_stripped(leaked):
    assert_traced(strip_properties(leaked), ZHANG)


def test_both_stripped(laundered):
    assert_traced(laundered, ZHANG)


@pytest.mark.parametrize("part", [slice(None), slice(30, 31)])
def test_body_copied_into_a_new_document(leaked, part):
    assert_traced(copy_body(leaked, part), ZHANG)


@needs_writer
def test_writer_docx_to_pdf(laundered, tmp_path):
    assert_traced(writer_convert(laundered, "pdf", tmp_path), ZHANG)


@needs_writer
def test_writer_docx_to_docx_then_body_copy(laundered, tmp_path):
    again = writer_convert(laundered, "docx", tmp_path)
    assert_traced(again, ZHANG)
    assert_traced(copy_body(again), ZHANG)


def _pages(data: bytes, name: str, tmp_path):
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(writer_convert(data, "pdf", tmp_path / name))
    subprocess.run(["pdftoppm", "-r", "100", "-gray", str(pdf), str(tmp_path / name)], check=True)
    return sorted(tmp_path.glob(f"{name}-*.pgm"))


@needs_writer
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("east_asian_font", ["SimSun", None, "Noto Sans CJK SC"])
def test_rendering_unchanged(east_asian_font, tmp_path):
    """Rendered by Writer at 100 dpi, the marked body is pixel for pixel the original; appending the code
    to the Chinese text instead changed pixels with the theme font (measured: 18,930-50,421 per page), and
    so did a run of its own inheriting the theme's Latin font with SimSun (hence explicit fonts)."""
    original = chinese_docx(east_asian_font)
    document = docx.Document(io.BytesIO(original))
    assert mark_body(document.element.body, ZHANG.download_id) == 63
    out = io.BytesIO()
    document.save(out)
    before, after = _pages(original, "a", tmp_path), _pages(out.getvalue(), "b", tmp_path)
    assert len(before) == len(after) >= 2
    for a, b in zip(before, after):
        assert ImageChops.difference(Image.open(a), Image.open(b)).getbbox() is None, (a.name, b.name)
