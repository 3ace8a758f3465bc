"""Test documents made on the fly: odd page geometries, scanned pages, DOCX files with sections."""
from __future__ import annotations

import io

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject, RectangleObject

from tests.corpus import pdf

VALID_PDF = pdf("aws-security-incident-response-guide.pdf")
SCANNED_PDF = pdf("Seige_of_Vicksburg_Sample_OCR.pdf")
ENCRYPTED_PDFS = [pdf("crazyones-encrypted-256.pdf"), pdf("r6-user-password.pdf")]
TRUNCATED_PDF = pdf("DERIVED-truncated-aws-security-incident-response-guide.pdf")
OTHER_VALID = [pdf("multilang.pdf"), pdf("SF424_page2.pdf"), pdf("missing_info.pdf"),
               pdf("outlines-with-invalid-destinations.pdf"), SCANNED_PDF]

# (label, media box, crop box or None, rotation)
ODD_PAGES = [
    ("A4", (0, 0, 595.28, 841.89), None, 0),
    ("Letter rotated 90", (0, 0, 612, 792), None, 90),
    ("Letter rotated 180", (0, 0, 612, 792), None, 180),
    ("Letter rotated 270", (0, 0, 612, 792), None, 270),
    ("A3 landscape", (0, 0, 1190.55, 841.89), None, 0),
    ("tiny", (0, 0, 90, 50), None, 0),
    ("media box not at origin", (200, -300, 812, 492), None, 0),
    ("crop box inside media box", (0, 0, 612, 792), (100, 150, 400, 500), 0),
    ("crop box, offset media box, rotated 90", (50, 50, 700, 900), (120, 200, 600, 800), 90),
    ("crop box rotated 270", (0, 0, 612, 792), (60, 80, 500, 700), 270),
]


def odd_pages_pdf() -> bytes:
    """One page per ODD_PAGES row, each with a line of body text naming the page."""
    pdf = FPDF(unit="pt")
    for label, media, _crop, _rot in ODD_PAGES:
        w, h = media[2] - media[0], media[3] - media[1]
        pdf.add_page(format=(w, h))
        pdf.set_font("helvetica", size=max(4, min(12, w / 30)))
        pdf.text(10, 20, f"Body text: {label}")
    reader = PdfReader(io.BytesIO(bytes(pdf.output())))
    writer = PdfWriter(clone_from=reader)
    for page, (_label, media, crop, rot) in zip(writer.pages, ODD_PAGES):
        if media[0] or media[1]:  # shift the content with the box so the body text stays visible
            page.add_transformation((1, 0, 0, 1, media[0], media[1]))
        page.mediabox = RectangleObject(media)
        if crop:
            page.cropbox = RectangleObject(crop)
        if rot:
            page[NameObject("/Rotate")] = NumberObject(rot)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sectioned_docx() -> bytes:
    """Three sections: the first with its own header, the second linked, the third with a different
    first-page header; body paragraphs and a table."""
    import docx
    from docx.enum.section import WD_SECTION

    document = docx.Document()
    document.add_heading("SOC 2 Type II report", 0)
    document.add_paragraph("Section one body: the system description.")
    document.sections[0].header.paragraphs[0].text = "Example Cloud Ltd. — confidential"
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 1).text = "Control", "Tested"
    document.add_section(WD_SECTION.NEW_PAGE)
    document.add_paragraph("Section two body: tests of controls.")
    third = document.add_section(WD_SECTION.NEW_PAGE)
    third.header.is_linked_to_previous = False
    third.header.paragraphs[0].text = "Appendix header"
    third.different_first_page_header_footer = True
    document.add_paragraph("Section three body: management's response. 管理层回应。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def count_font_calls(monkeypatch, module, name: str) -> list:
    """Replace module.name (a (path, font_number) callable) by one that records each path it gets."""
    calls = []
    real = getattr(module, name)

    def counting(path, font_number=0):
        calls.append(path)
        return real(path, font_number)

    monkeypatch.setattr(module, name, counting)
    return calls
