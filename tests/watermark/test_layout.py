"""The three diagonal lines fit the page: every line's rotated box inside it, at every size and /Rotate."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from tests.watermark.builders import ODD_PAGES, odd_pages_pdf
from tests.watermark.test_pdf import JANE, ZHANG
from vault.watermark import Recipient, watermark_pdf
from vault.watermark.base import checked, diagonal_lines
from vault.watermark.layout import diagonal_layout
from vault.watermark.pdf import page_geometry

LONG = Recipient("Maximilian Alexander von Habsburg-Lothringen", "maximilian.alexander.von.habsburg@"
                 "very-long-subsidiary-name.example-holdings.co.uk", "Example Holdings International "
                 "Reinsurance and Asset Management GmbH & Co. KG", "2026-11-24 05:40 UTC", "A" * 64)
SIZES = [("A4", 595.28, 841.89), ("Letter", 612, 792), ("A4 landscape", 841.89, 595.28),
         ("Letter landscape", 792, 612), ("A3 landscape", 1190.55, 841.89), ("strip", 1000, 120),
         ("tall strip", 120, 1000), ("tiny", 90, 50), ("square", 500, 500)]


def widths(recipient: Recipient) -> list[float]:
    """Line widths at 1 pt in Helvetica; CJK characters counted as 1 em (the font draws them square)."""
    pdf = FPDF(unit="pt")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_font("helvetica", size=1)
    return [sum(1.0 if ord(ch) > 0x2E80 else pdf.get_string_width(ch) for ch in line)
            for line in diagonal_lines(checked(recipient))]


def assert_inside(layout, w: float, h: float) -> None:
    for j, box in enumerate(layout.boxes):
        for x, y in box:
            assert -1e-6 <= x <= w + 1e-6 and -1e-6 <= y <= h + 1e-6, (j, x, y, w, h)


@pytest.mark.parametrize("label, w, h", SIZES)
@pytest.mark.parametrize("recipient", [JANE, ZHANG, LONG], ids=["jane", "zhang", "long"])
def test_every_line_box_inside_the_page(label, w, h, recipient):
    layout = diagonal_layout(w, h, widths(recipient))
    assert len(layout.boxes) == 3
    assert_inside(layout, w, h)


@pytest.mark.parametrize("index", range(len(ODD_PAGES)), ids=[row[0] for row in ODD_PAGES])
def test_rotated_and_cropped_pages_use_the_size_the_reader_sees(index):
    page = PdfReader(io.BytesIO(odd_pages_pdf())).pages[index]
    w, h = page_geometry(page).size
    if page_geometry(page).rotation in (90, 270):
        assert (w, h) == (round(float(page.cropbox.height), 2), round(float(page.cropbox.width), 2))
    assert_inside(diagonal_layout(w, h, widths(JANE)), w, h)


def test_a_line_starting_left_of_the_page_is_drawn_there():
    """The cause of the line off the corner: fpdf2's set_xy reads a negative x as measured from the
    right edge, and the longest line, wider than the page before it is turned, starts at x < 0."""
    from vault.watermark.pdf import _text
    pdf = FPDF(unit="pt")
    pdf.add_page(format=(200, 200))
    pdf.c_margin = 0
    pdf.set_font("helvetica", size=10)
    _text(pdf, -50, 100, "wide line")
    content = pdf.pages[1].contents.decode("latin-1")
    assert "BT -50.00 " in content, content


@pytest.mark.parametrize("label, w, h", [("strip", 1000, 120), ("A4", 595.28, 841.89)])
def test_the_size_is_as_large_as_fits(label, w, h):
    """Not shrunk more than needed: 5 % larger, a box leaves the page less the margin, or a cap applies."""
    import math
    from vault.watermark import layout as mod
    lines = widths(LONG)
    layout = diagonal_layout(w, h, lines)
    diag = math.hypot(w, h)
    capped = min(mod.MAX_LENGTH * diag / max(lines), mod.MAX_SIZE * diag)
    bigger = [[mod._rotate(w / 2, h / 2, layout.angle, dx, dy) for dx, dy in box]
              for box in mod._corners(lines, layout.size * 1.05)]
    margin = mod.MARGIN * min(w, h)
    leaves = any(not (margin <= x <= w - margin and margin <= y <= h - margin) for box in bigger for x, y in box)
    assert leaves or abs(layout.size - capped) < 1e-9


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("recipient", [JANE, LONG], ids=["jane", "long"])
def test_rendered_mark_does_not_touch_the_border(tmp_path, recipient):
    """Rendered with pdftoppm (which turns /Rotate pages), no pixel of the outermost 2 px ring is
    drawn on, on every page of the odd-geometry file but the 90 x 50 pt one (its dot row sits 1 pt
    from the top by design)."""
    from PIL import Image

    out = io.BytesIO()
    watermark_pdf(odd_pages_pdf(), out, recipient)
    (tmp_path / "m.pdf").write_bytes(out.getvalue())
    subprocess.run(["pdftoppm", "-r", "72", "-gray", str(tmp_path / "m.pdf"), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1]))
    assert len(pages) == len(ODD_PAGES)
    for (label, *_), path in zip(ODD_PAGES, pages):
        if label == "tiny":
            continue
        image = Image.open(path)
        w, h = image.size
        ring = [image.getpixel((x, y)) for x in range(w) for y in (0, 1, h - 2, h - 1)]
        ring += [image.getpixel((x, y)) for y in range(h) for x in (0, 1, w - 2, w - 1)]
        assert min(ring) == 255, (label, min(ring))
