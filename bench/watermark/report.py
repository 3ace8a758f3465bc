"""A synthetic audit report for the benchmark: text-only A4 pages, about 2.7 KB each once compressed."""
from __future__ import annotations

import random

from fpdf import FPDF

WORDS = ("control access review evidence auditor logical change management encryption incident vendor backup "
         "monitoring availability confidentiality policy exception sample population operating effectiveness "
         "deviation noted quarterly annual privileged user provisioning termination ticket approval segregation "
         "duties firewall configuration baseline vulnerability scan remediation penetration test results "
         "management response criteria service organization subservice carve-out complementary user entity "
         "controls system description boundaries infrastructure software people procedures data").split()


def text_report_pdf(pages: int, seed: int = 7) -> bytes:
    """`pages` A4 pages of 72 lines of report-like words (line by line: fpdf2's multi_cell is slow)."""
    rng = random.Random(seed)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    for i in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=13)
        pdf.text(15, 18, f"Section {i + 1}: Description of tests of controls and results")
        pdf.set_font("helvetica", size=8.5)
        for line in range(72):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(7, 11)))
            pdf.text(15, 28 + line * 3.65, f"CC{i % 9 + 1}.{line + 1} {words}")
        pdf.set_font("helvetica", size=8)
        pdf.text(100, 290, f"Page {i + 1} of {pages}")
    return bytes(pdf.output())
