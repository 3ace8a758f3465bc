"""DOCX watermark: Word-style watermark shape in every header, footer line, custom property, body intact."""
from __future__ import annotations

import copy
import io
import zipfile

import docx
import pytest

from importers.safety import Limits
from tests.watermark.builders import sectioned_docx
from tests.watermark.test_pdf import JANE, ZHANG
from vault.watermark import WatermarkError, find_download_id, watermark_docx
from vault.watermark import docx as wdocx

VML = "urn:schemas-microsoft-com:vml"


def marked(src: bytes, recipient=ZHANG) -> bytes:
    out = io.BytesIO()
    watermark_docx(src, out, recipient)
    return out.getvalue()


def _effective(sections, index: int, kind: str):
    """The header/footer Word shows for a section: the nearest defined one, going back."""
    for section in reversed(sections[:index + 1]):
        item = getattr(section, kind)
        if not item.is_linked_to_previous:
            return item
    return None


@pytest.fixture(scope="module")
def original() -> bytes:
    return sectioned_docx()


@pytest.fixture(scope="module")
def result(original) -> bytes:
    return marked(original)


def test_every_section_header_has_the_watermark_shape(result):
    document = docx.Document(io.BytesIO(result))
    assert len(document.sections) == 3
    for i, section in enumerate(document.sections):
        kinds = ["header"] + (["first_page_header"] if section.different_first_page_header_footer else [])
        for kind in kinds:
            header = _effective(document.sections, i, kind)
            assert header is not None, (i, kind)
            xml = header._element.xml
            assert f'xmlns:v="{VML}"' in xml or VML in xml
            assert "<v:textpath" in xml and ZHANG.name in xml and ZHANG.download_id in xml, (i, kind)
            assert "<w:vanish/>" in xml and f"[tv:{ZHANG.download_id}:" in xml


def test_every_section_footer_has_the_line(result):
    document = docx.Document(io.BytesIO(result))
    for i in range(len(document.sections)):
        footer = _effective(document.sections, i, "footer")
        text = "\n".join(p.text for p in footer.paragraphs)
        assert f"Confidential — downloaded by {ZHANG.name} ({ZHANG.email}), {ZHANG.company}" in text
        assert ZHANG.download_id in text


def test_existing_headers_kept(result):
    document = docx.Document(io.BytesIO(result))
    assert document.sections[0].header.paragraphs[0].text == "Example Cloud Ltd. — confidential"
    assert document.sections[2].header.paragraphs[0].text == "Appendix header"


def test_body_unchanged_but_for_zero_width_code(original, result):
    """The body differs only by the zero-width code at paragraph ends (docx_body): same visible text,
    same runs and properties."""
    before, after = docx.Document(io.BytesIO(original)), docx.Document(io.BytesIO(result))
    assert [_visible(p.text) for p in after.paragraphs] == [p.text for p in before.paragraphs]
    assert _visible(after.tables[0].cell(1, 1).text) == "Tested"
    assert _without_sections(after) == _without_sections(before)  # only header/footer references differ


def _visible(text: str) -> str:
    return text.replace("\u200c", "").replace("\u200d", "")


def _without_sections(document) -> str:
    body = copy.deepcopy(document.element.body)
    for sect in list(body.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}sectPr")):
        sect.getparent().remove(sect)
    for t in list(body.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")):
        if t.text and not _visible(t.text):  # the run of its own holding the code after Chinese text
            t.getparent().getparent().remove(t.getparent())
    return _visible(body.xml)


def test_custom_property(result):
    xml = zipfile.ZipFile(io.BytesIO(result)).read("docProps/custom.xml").decode()
    assert 'name="TrustvaultDownloadId"' in xml and ZHANG.download_id in xml
    types = zipfile.ZipFile(io.BytesIO(result)).read("[Content_Types].xml").decode()
    assert "custom-properties+xml" in types


def test_custom_property_replaced_not_duplicated(result):
    again = marked(result, JANE)
    xml = zipfile.ZipFile(io.BytesIO(again)).read("docProps/custom.xml").decode()
    assert xml.count('name="TrustvaultDownloadId"') == 1 and JANE.download_id in xml


def test_trace(result):
    traced = find_download_id(result)
    assert (traced.download_id, traced.confidence) == (ZHANG.download_id, "high")
    assert {"invisible-text", "metadata"} <= set(traced.candidates)


def test_trace_after_custom_properties_removed(result):
    src = zipfile.ZipFile(io.BytesIO(result))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != "docProps/custom.xml":
                dst.writestr(info, src.read(info.filename))
    traced = find_download_id(out.getvalue())
    assert traced.download_id == ZHANG.download_id and "metadata" not in traced.candidates


@pytest.mark.parametrize("data, message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "encrypted"),
    (b"PK\x03\x04 not really a zip", "cannot be read"),
    (b"plain text", "cannot be read"),
])
def test_unreadable_refused(data, message):
    out = io.BytesIO()
    with pytest.raises(WatermarkError, match=message):
        watermark_docx(data, out, JANE)
    assert out.getvalue() == b""


def test_zip_bomb_refused(original, monkeypatch):
    monkeypatch.setattr(wdocx, "LIMITS", Limits(max_uncompressed_bytes=1000))
    with pytest.raises(WatermarkError, match="too large"):
        watermark_docx(original, io.BytesIO(), JANE)


def test_zip_without_document_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(WatermarkError, match="cannot be read"):
        watermark_docx(out.getvalue(), io.BytesIO(), JANE)
