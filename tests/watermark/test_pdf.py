"""PDF watermark: visible on every page, upright inside the visible box, over scans, traceable."""
from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from tests.watermark.builders import (ENCRYPTED_PDFS, ODD_PAGES, OTHER_VALID, SCANNED_PDF, TRUNCATED_PDF, VALID_PDF,
                                      odd_pages_pdf)
from bench.watermark.report import text_report_pdf
from vault.watermark import Recipient, WatermarkError, find_download_id, inspect_pdf, prepare_pdf, watermark_pdf
from vault.watermark.pdf import page_geometry

JANE = Recipient("Jane Doe", "jane.doe@prospect.example", "Prospect Inc.", "2026-11-24 05:40 UTC",
                 "AbCdEfGhIjKlMnOpQrStUv")
ZHANG = Recipient("张伟", "zhang.wei@example.cn", "示例云科技有限公司", "2026-11-24 05:40 UTC",
                  "Zz9_-Zz9_-Zz9_-Zz9_-Zz")


def marked(src, recipient=JANE) -> bytes:
    out = io.BytesIO()
    watermark_pdf(src, out, recipient)
    return out.getvalue()


@pytest.fixture(scope="module")
def aws_marked() -> bytes:
    return marked(VALID_PDF)


def test_every_page_carries_the_visible_mark(aws_marked):
    reader = PdfReader(io.BytesIO(aws_marked))
    assert len(reader.pages) == 77
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        for value in (JANE.name, JANE.email, JANE.company, JANE.downloaded_at, JANE.download_id):
            assert value in text, f"page {number} lacks {value!r}"
        assert f"Confidential — downloaded by {JANE.name} ({JANE.email}), {JANE.company}" in text


def test_original_text_kept(aws_marked):
    before = PdfReader(VALID_PDF).pages[10].extract_text()
    after = PdfReader(io.BytesIO(aws_marked)).pages[10].extract_text()
    assert before.strip()[:200] in after


def test_output_size_bounded(aws_marked):
    assert len(aws_marked) <= 1.15 * VALID_PDF.stat().st_size


def test_generated_report_size_bounded():
    src = text_report_pdf(40)
    out = marked(src)
    assert len(PdfReader(io.BytesIO(out)).pages) == 40
    assert len(out) <= 1.15 * len(src)


def test_output_is_valid_for_qpdf(aws_marked, tmp_path):
    if not shutil.which("qpdf"):
        pytest.skip("qpdf not installed (apt-get install qpdf)")
    path = tmp_path / "out.pdf"
    path.write_bytes(aws_marked)
    proc = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", OTHER_VALID, ids=lambda p: p.name)
def test_other_real_pdfs(path):
    out = marked(path, ZHANG)
    reader = PdfReader(io.BytesIO(out))
    assert len(reader.pages) == len(PdfReader(path).pages)
    for page in reader.pages:
        text = page.extract_text()
        assert ZHANG.name in text and ZHANG.company in text and ZHANG.download_id in text
    assert reader.metadata["/TrustvaultDownloadId"] == ZHANG.download_id


def test_chinese_name_round_trips_through_text_extraction():
    reader = PdfReader(io.BytesIO(marked(VALID_PDF, ZHANG)))
    text = reader.pages[0].extract_text()
    assert f"downloaded by {ZHANG.name} ({ZHANG.email}), {ZHANG.company}" in text
    fonts = [f for f in _fonts(reader.pages[0]) if "/FontFile" in str(f) or "/DescendantFonts" in f]
    assert fonts, "the Chinese text needs an embedded font"


def _fonts(page):
    for xobj in page["/Resources"]["/XObject"].values():
        xobj = xobj.get_object()
        if xobj.get("/Subtype") == "/Form" and "/Font" in xobj.get("/Resources", {}):
            for font in xobj["/Resources"]["/Font"].values():
                yield font.get_object()


def _widgets(reader):
    return [(a.get_object().get("/FT"), a.get_object().get("/T"), a.get_object().get("/Parent") is not None)
            for a in reader.pages[0]["/Annots"]]


def test_form_fields_keep_working():
    """SF424 page 2: widget annotations (fields) stay as they are: the form is kept, not flattened."""
    src = OTHER_VALID[1]
    before = _widgets(PdfReader(src))
    assert len(before) == 20
    assert _widgets(PdfReader(io.BytesIO(marked(src)))) == before


def _mark_placement(page):
    """(matrix, form bbox) of the watermark Form XObject drawn by the page's last content stream."""
    ops = page.get_contents().operations
    resources = page["/Resources"]["/XObject"]
    for i in range(len(ops) - 1, -1, -1):
        operands, op = ops[i]
        if op == b"Do" and str(operands[0]).startswith("/TVm"):
            cm = next(o for o, name in reversed(ops[:i]) if name == b"cm")
            return [float(v) for v in cm], [float(v) for v in resources[operands[0]]["/BBox"]]
    raise AssertionError("no mark drawn")


@pytest.mark.parametrize("index", range(len(ODD_PAGES)), ids=[row[0] for row in ODD_PAGES])
def test_mark_is_upright_inside_the_visible_box(index):
    reader = PdfReader(io.BytesIO(marked(odd_pages_pdf())))
    page = reader.pages[index]
    label, media, crop, rotation = ODD_PAGES[index]
    visible = crop or media
    (a, b, c, d, e, f), (bx0, by0, bx1, by1) = _mark_placement(page)
    for x, y in ((bx0, by0), (bx1, by0), (bx0, by1), (bx1, by1)):
        ux, uy = a * x + c * y + e, b * x + d * y + f
        assert visible[0] - 0.01 <= ux <= visible[2] + 0.01 and visible[1] - 0.01 <= uy <= visible[3] + 0.01, label
    # the mark's x axis turns with the page, so the viewer's rotation brings it back upright
    assert round(math.degrees(math.atan2(b, a))) % 360 == rotation
    # and it fills the visible box as the reader sees it
    assert abs((bx1 - bx0) * (by1 - by0) - (visible[2] - visible[0]) * (visible[3] - visible[1])) < 1
    text = page.extract_text()
    assert JANE.download_id in text and JANE.name in text, label


def test_geometry_ignores_crop_box_outside_media_box():
    writer = PdfWriter()
    page = writer.add_blank_page(200, 300)
    from pypdf.generic import RectangleObject
    page.cropbox = RectangleObject((150, 250, 400, 600))
    assert page_geometry(page).box == (150, 250, 200, 300)


def test_scanned_page_mark_drawn_over_the_image():
    reader = PdfReader(io.BytesIO(marked(SCANNED_PDF)))
    for page in reader.pages:
        ops = page.get_contents().operations
        xobjects = page["/Resources"]["/XObject"]
        draws = [(i, xobjects[o[0]].get("/Subtype")) for i, (o, name) in enumerate(ops) if name == b"Do"]
        images = [i for i, kind in draws if kind == "/Image"]
        marks_ = [i for i, (o, name) in enumerate(ops) if name == b"Do" and str(o[0]).startswith("/TVm")]
        assert images and marks_ and max(images) < min(marks_)


def test_original_content_wrapped_in_q_Q(aws_marked):
    page = PdfReader(io.BytesIO(aws_marked)).pages[3]
    contents = page["/Contents"]
    first, last = contents[0].get_object().get_data(), contents[-1].get_object().get_data()
    assert first.rstrip().endswith(b"Q q")  # dots drawn in their own q/Q, then the wrapper opens
    assert last.lstrip().startswith(b"Q /Artifact BMC q")  # the wrapper closes before the mark


@pytest.mark.parametrize("path", ENCRYPTED_PDFS, ids=lambda p: p.name)
def test_encrypted_refused(path):
    out = io.BytesIO()
    with pytest.raises(WatermarkError, match="encrypted or password-protected"):
        watermark_pdf(path, out, JANE)
    assert out.getvalue() == b""
    assert inspect_pdf(path).encrypted


@pytest.mark.parametrize("data", [TRUNCATED_PDF, b"%PDF-1.7\n" + b"garbage" * 100, b"not a pdf"],
                         ids=["truncated", "garbage", "not-pdf"])
def test_broken_refused(data):
    data = data.read_bytes() if isinstance(data, Path) else data  # read at run time: the corpus may be absent
    out = io.BytesIO()
    with pytest.raises(WatermarkError, match="cannot be read"):
        watermark_pdf(data, out, JANE)
    assert out.getvalue() == b""
    info = inspect_pdf(data)
    assert info.broken and not info.encrypted and info.pages is None


def test_inspect_valid():
    info = inspect_pdf(VALID_PDF)
    assert (info.pages, info.encrypted, info.broken, info.problem) == (77, False, False, "")


def test_bad_download_id_refused():
    with pytest.raises(WatermarkError, match="download id"):
        watermark_pdf(VALID_PDF, io.BytesIO(), Recipient("a", "b", "c", "d", "short id!"))


def test_control_characters_cleaned():
    out = marked(OTHER_VALID[0], Recipient("Eve\u202eliam\x00", "e@x", "Co\nrp", "today", JANE.download_id))
    text = PdfReader(io.BytesIO(out)).pages[0].extract_text()
    assert "Eve liam" in text and "Co rp" in text and "\u202e" not in text


def test_prepared_once_per_source():
    data = VALID_PDF.read_bytes()
    assert prepare_pdf(data) is prepare_pdf(io.BytesIO(data))


# --- tracing a leaked copy ------------------------------------------------------------------------

def _rewrite(data: bytes, *, strip: bool) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    if strip:
        writer.metadata = None
        writer._ID = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_trace_intact_copy(aws_marked):
    result = find_download_id(aws_marked)
    assert (result.download_id, result.confidence) == (JANE.download_id, "high")
    assert set(result.candidates) == {"invisible-text", "dot-pattern", "visible-text", "metadata", "file-id"}


def test_trace_after_metadata_stripped_and_pypdf_rewrite(aws_marked):
    stripped = _rewrite(aws_marked, strip=True)
    assert "/TrustvaultDownloadId" not in (PdfReader(io.BytesIO(stripped)).metadata or {})
    result = find_download_id(stripped)
    assert (result.download_id, result.confidence) == (JANE.download_id, "high")
    assert "metadata" not in result.candidates
    assert find_download_id(_rewrite(aws_marked, strip=False)).download_id == JANE.download_id


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.skip(f"{name} not installed")
    return path


def test_trace_after_qpdf_resave(tmp_path):
    qpdf = _tool("qpdf")
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(marked(odd_pages_pdf()))
    subprocess.run([qpdf, "--object-streams=disable", "--decode-level=generalized", str(src), str(out)], check=True)
    assert find_download_id(out.read_bytes()).download_id == JANE.download_id


def test_id_in_pdftotext_output(tmp_path):
    pdftotext = _tool("pdftotext")
    src = tmp_path / "in.pdf"
    src.write_bytes(marked(SCANNED_PDF, ZHANG))
    text = subprocess.run([pdftotext, str(src), "-"], capture_output=True, text=True, check=True).stdout
    assert f"[tv:{ZHANG.download_id}:" in text and ZHANG.name in text


def test_dot_pattern_survives_redistilling_without_text(tmp_path):
    gs = _tool("gs")
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(marked(odd_pages_pdf()))
    subprocess.run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-dFILTERTEXT",
                    f"-sOutputFile={out}", str(src)], check=True, capture_output=True)
    result = find_download_id(out.read_bytes())
    assert (result.download_id, result.method) == (JANE.download_id, "dot-pattern")


def test_trace_unmarked_file():
    result = find_download_id(OTHER_VALID[0].read_bytes())
    assert result.download_id is None and result.confidence == "none"


def test_trace_two_downloads_mixed_reports_both():
    a, b = marked(OTHER_VALID[0], JANE), marked(OTHER_VALID[0], ZHANG)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(a)))
    writer.append(PdfReader(io.BytesIO(b)))
    out = io.BytesIO()
    writer.write(out)
    result = find_download_id(out.getvalue())
    assert set(result.candidates["invisible-text"]) == {JANE.download_id, ZHANG.download_id}
    assert any("several ids" in note for note in result.notes)


def test_core_is_pure():
    root = Path(__file__).resolve().parents[2] / "vault" / "watermark"
    for path in root.glob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+(flask|sqlalchemy)", source, re.M), path.name


def test_script_outside_the_cjk_font_uses_the_fallback():
    arabic = Recipient("سارة", "sara@example.ae", "شركة", "2026-11-24", JANE.download_id)
    text = PdfReader(io.BytesIO(marked(OTHER_VALID[0], arabic))).pages[0].extract_text()
    assert JANE.download_id in text and "sara@example.ae" in text
