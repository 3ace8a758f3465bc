"""A custom trust report for one prospect, as a branded PDF (fpdf2).

    data = trust_report_pdf(ReportData(company="Example Cloud", prospect_name=..., sections=[...], ...))

Pure: plain data in, PDF bytes out; the caller translates the fixed words (`Labels`) and formats dates.
Chinese is set in the machine's CJK font (the watermark's finder, `vault.watermark.fontfiles`), English in
DejaVu Sans; each falls back on the other for characters it lacks, and both are subset into the file.

Why our own line breaking: fpdf2 breaks lines only at spaces, so a Chinese paragraph (no spaces) becomes
one word that is either cut anywhere (CHAR mode, which also splits English words) or stretched across a
justified line. `_lines` breaks between CJK characters and at spaces, never splits a Latin word that fits
on a line, and keeps closing punctuation (，。）) off the start of a line.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

from vault.watermark import fontfiles

MAX_TEXT = 20_000  # characters of one paragraph or answer: a report is read, not an archive


class ReportFontMissing(Exception):
    """No font for the report's language (Chinese needs a CJK font; see vault.watermark.fontfiles)."""


@dataclass(frozen=True)
class Labels:
    """The report's fixed words, in the report's language (the caller translates)."""

    title: str = "Security and trust report"
    prepared_for: str = "Prepared for"
    prepared_on: str = "Date"
    confidential: str = "Confidential"
    notice: str = ("This report was prepared for the recipient named above only. Every copy is marked with the "
                   "recipient's name and a download id.")
    contents: str = "Contents"
    documents: str = "Documents"
    answers: str = "Answers to your questions"
    status: str = "Service status, last 90 days"
    document_type: str = "Type"
    validity: str = "Validity"
    uptime: str = "Uptime"
    overall_uptime: str = "Overall uptime"
    component: str = "Component"
    incidents: str = "Incidents"
    no_incidents: str = "No incidents in this period."
    page: str = "Page {page} of {pages}"  # {pages} becomes the page count


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # bullet points after the paragraphs


@dataclass(frozen=True)
class DocumentSummary:
    title: str
    type: str  # already a label, e.g. "Certification"
    validity: str  # e.g. "Valid until 2027-03-01"
    summary: str = ""


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str


@dataclass(frozen=True)
class ComponentUptime:
    name: str
    uptime: str  # formatted, e.g. "99.95 %"


@dataclass(frozen=True)
class IncidentLine:
    when: str  # e.g. "2026-11-02 – 2026-11-02"
    title: str
    detail: str = ""  # impact, duration


@dataclass(frozen=True)
class StatusSummary:
    period: str  # e.g. "2026-09-08 – 2026-12-06"
    overall: str  # formatted uptime over every component, e.g. "99.98 %"
    components: list[ComponentUptime] = field(default_factory=list)
    incidents: list[IncidentLine] = field(default_factory=list)


@dataclass(frozen=True)
class ReportData:
    company: str
    prospect_name: str
    prospect_company: str
    date: str
    language: str = "en"  # en or zh
    logo: bytes | None = None  # PNG or JPEG
    sections: list[Section] = field(default_factory=list)
    documents: list[DocumentSummary] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    status: StatusSummary | None = None
    labels: Labels = field(default_factory=Labels)


# --- line breaking ---------------------------------------------------------------------------------

_CJK = ("\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
        "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f")
# One CJK character (with any closing punctuation that must stay on its line), a Latin word with the spaces
# after it, or a run of spaces.
_TOKEN = re.compile(rf"[{_CJK}][，。、；：！？）》」』】〉,.;:!?)\]}}%]*|[^\s{_CJK}]+\s*|\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean(text: str | None) -> str:
    """Printable text: controls and invisible direction marks dropped, tabs as spaces, length capped."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROL.sub("", text)[:MAX_TEXT]


def _lines(text: str, width: float, measure) -> list[str]:
    """`text` broken into lines no wider than `width` (`measure(s)` gives a string's width)."""
    out: list[str] = []
    for para in text.split("\n"):
        line, line_w = "", 0.0
        for token in _TOKEN.findall(para):
            w = measure(token)
            if line and line_w + measure(token.rstrip()) > width:
                out.append(line.rstrip())
                line, line_w = "", 0.0
                if token.isspace():
                    continue
            if not line and measure(token.rstrip()) > width:  # longer than a line (a URL, a hash): cut it
                for ch in token:
                    cw = measure(ch)
                    if line and line_w + cw > width:
                        out.append(line)
                        line, line_w = "", 0.0
                    line, line_w = line + ch, line_w + cw
                continue
            line, line_w = line + token, line_w + w
        out.append(line.rstrip())
    return out


# --- the document ----------------------------------------------------------------------------------

ACCENT = (31, 78, 121)
MUTED = (100, 100, 100)
MARGIN = 18


class _Pdf(FPDF):
    def __init__(self, data: ReportData) -> None:
        super().__init__(format="A4")
        self.data = data
        self.set_margins(MARGIN, MARGIN + 4, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        self.body_font = ""
        self.bold_font = ""

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_xy(MARGIN, 8)
        self.set_font(self.body_font, size=8)
        self.set_text_color(*MUTED)
        text = f"{self.data.company} · {self.data.labels.title} · {self.data.prospect_company}"
        self.cell(self.epw * 0.7, 5, _fit(text, self.epw * 0.7, self.get_string_width))
        self.set_text_color(*ACCENT)
        self.cell(self.epw * 0.3, 5, self.data.labels.confidential, align="R")
        self.set_draw_color(*ACCENT)
        self.line(MARGIN, 14, self.w - MARGIN, 14)
        self.set_text_color(0)
        self.set_xy(MARGIN, MARGIN + 4)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.body_font, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, self.data.labels.page.format(page=self.page_no(), pages="{nb}"), align="C")
        self.set_text_color(0)


def _fit(text: str, width: float, measure) -> str:
    """One line of at most `width`, shortened with an ellipsis (the running header)."""
    if measure(text) <= width:
        return text
    while text and measure(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _fonts(pdf: _Pdf, language: str) -> None:
    cjk = fontfiles.find_cjk_font()
    latin = fontfiles.find_fallback_font()
    latin_bold = latin.with_name("DejaVuSans-Bold.ttf") if latin is not None else None
    names: list[str] = []
    if cjk is not None:
        pdf.add_font("cjk", fname=str(cjk), collection_font_number=fontfiles.collection_index(cjk))
    if latin is not None:
        pdf.add_font("latin", fname=str(latin))
        if latin_bold is not None and latin_bold.is_file():
            pdf.add_font("latin", style="B", fname=str(latin_bold))
        else:
            pdf.add_font("latin", style="B", fname=str(latin))
    if language == "zh":
        if cjk is None:
            raise ReportFontMissing("no Chinese font: install fonts-wqy-microhei or set VAULT_CJK_FONT")
        names = ["cjk"] + (["latin"] if latin is not None else [])
        pdf.body_font = pdf.bold_font = "cjk"  # the CJK font has no bold face: headings use size and colour
    else:
        if latin is None and cjk is None:
            raise ReportFontMissing("no Unicode font: install fonts-dejavu-core")
        names = (["latin"] if latin is not None else []) + (["cjk"] if cjk is not None else [])
        pdf.body_font = names[0]
        pdf.bold_font = names[0]
    if len(names) > 1:
        pdf.set_fallback_fonts(names[1:], exact_match=False)


class _Writer:
    def __init__(self, data: ReportData) -> None:
        self.data = data
        self.pdf = _Pdf(data)
        _fonts(self.pdf, data.language)
        self.pdf.set_title(clean(f"{data.labels.title} – {data.prospect_company}"))
        self.pdf.set_author(clean(data.company))
        self.pdf.set_lang("zh-CN" if data.language == "zh" else "en")

    # text primitives
    def text(self, text: str, *, size: float = 10, height: float | None = None, indent: float = 0,
             color=(0, 0, 0), bold: bool = False, align: str = "L") -> None:
        pdf = self.pdf
        pdf.set_font(pdf.bold_font if bold else pdf.body_font, style="B" if bold and pdf.bold_font == "latin" else "",
                     size=size)
        pdf.set_text_color(*color)
        height = height or size * 0.55
        width = pdf.epw - indent
        for line in _lines(clean(text), width - 2 * pdf.c_margin, pdf.get_string_width):
            pdf.set_x(pdf.l_margin + indent)
            pdf.cell(width, height, line, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)

    def room(self, needed: float) -> None:
        """A new page unless `needed` millimetres are left (keeps a heading with its first lines)."""
        if self.pdf.get_y() + needed > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def heading(self, title: str, *, level: int = 0) -> None:
        pdf = self.pdf
        self.room(30 if level == 0 else 22)
        if level == 0:
            pdf.ln(2)
            pdf.start_section(clean(title)[:200] or "-", level=0)
            top = pdf.get_y()
            self.text(title, size=15, height=8, color=ACCENT, bold=True, indent=3)
            pdf.set_fill_color(*ACCENT)
            pdf.rect(pdf.l_margin, top + 1, 1.2, pdf.get_y() - top - 2, style="F")
            pdf.ln(2)
        else:
            pdf.ln(1.5)
            self.text(title, size=11, height=6, bold=True)

    def bullet(self, text: str) -> None:
        pdf = self.pdf
        y, page = pdf.get_y(), pdf.page
        self.text(text, indent=6)
        if pdf.page == page:  # the dot beside the first line (a line pushed to the next page has its own)
            pdf.set_fill_color(*ACCENT)
            pdf.ellipse(pdf.l_margin + 2, y + 2.1, 1.4, 1.4, style="F")

    # the parts
    def cover(self) -> None:
        d, pdf, lab = self.data, self.pdf, self.data.labels
        pdf.add_page()
        pdf.set_fill_color(*ACCENT)
        pdf.rect(0, 0, pdf.w, 10, style="F")
        pdf.set_y(28)
        if d.logo:
            try:
                pdf.image(io.BytesIO(d.logo), x=MARGIN, y=24, h=18, keep_aspect_ratio=True, w=60)
                pdf.set_y(50)
            except Exception:  # noqa: BLE001 - a logo fpdf2 cannot read is left out, never a failed report
                pdf.set_y(28)
        self.text(d.company, size=14, height=8, color=MUTED)
        pdf.ln(18)
        self.text(lab.title, size=26, height=13, color=ACCENT, bold=True)
        pdf.ln(8)
        self.text(lab.prepared_for, size=10, color=MUTED)
        self.text(d.prospect_name, size=16, height=9)
        self.text(d.prospect_company, size=13, height=7)
        pdf.ln(6)
        self.text(lab.prepared_on, size=10, color=MUTED)
        self.text(d.date, size=12, height=7)
        pdf.ln(14)
        pdf.set_draw_color(*ACCENT)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(4)
        self.text(lab.confidential.upper() if d.language == "en" else lab.confidential, size=10, color=ACCENT,
                  bold=True)
        self.text(lab.notice, size=9, color=MUTED)

    def contents(self) -> None:
        lab = self.data.labels

        def render(pdf: FPDF, outline) -> None:
            self.text(lab.contents, size=15, height=9, color=ACCENT, bold=True)
            pdf.ln(3)
            entries = [s for s in outline if s.level == 0]
            step = 7 if len(entries) <= 30 else max(3.5, 210 / len(entries))
            pdf.set_font(pdf.body_font, size=10 if step >= 7 else 8)
            for entry in entries:
                number = str(entry.page_number)
                nw = pdf.get_string_width(number) + 4
                name = _fit(entry.name, pdf.epw - nw - 6, pdf.get_string_width)
                pdf.cell(pdf.epw - nw, step, name, link=pdf.add_link(page=entry.page_number))
                pdf.cell(nw, step, number, align="R", new_x="LMARGIN", new_y="NEXT")

        self.pdf.add_page()
        self.pdf.insert_toc_placeholder(render, pages=1)

    def sections(self) -> None:
        for section in self.data.sections:
            self.heading(section.title)
            for para in section.paragraphs:
                self.text(para)
                self.pdf.ln(2)
            for item in section.items:
                self.bullet(item)
                self.pdf.ln(1)

    def documents(self) -> None:
        lab = self.data.labels
        self.heading(lab.documents)
        for doc in self.data.documents:
            self.room(20)
            self.heading(doc.title, level=1)
            meta = " · ".join(p for p in (doc.type, doc.validity) if p)
            if meta:
                self.text(meta, size=9, color=MUTED)
            if doc.summary:
                self.pdf.ln(1)
                self.text(doc.summary)
            self.pdf.ln(2)

    def answers(self) -> None:
        self.heading(self.data.labels.answers)
        for ans in self.data.answers:
            self.room(18)
            self.heading(ans.question, level=1)
            self.text(ans.answer)
            self.pdf.ln(2)

    def status(self) -> None:
        st, lab, pdf = self.data.status, self.data.labels, self.pdf
        self.heading(lab.status)
        self.text(st.period, size=9, color=MUTED)
        pdf.ln(1)
        self.text(f"{lab.overall_uptime}: {st.overall}", size=12, height=7)
        pdf.ln(2)
        if st.components:
            self.room(14)
            self._row(lab.component, lab.uptime, muted=True)
            for comp in st.components:
                self._row(comp.name, comp.uptime)
        pdf.ln(3)
        self.heading(lab.incidents, level=1)
        if not st.incidents:
            self.text(lab.no_incidents, color=MUTED)
        for inc in st.incidents:
            self.room(14)
            self.text(inc.title, bold=True)
            self.text(" · ".join(p for p in (inc.when, inc.detail) if p), size=9, color=MUTED)
            pdf.ln(1.5)

    def _row(self, name: str, value: str, *, muted: bool = False) -> None:
        """A two-column line: the name wrapped on the left, the value on the right of its first line."""
        pdf = self.pdf
        pdf.set_font(pdf.body_font, size=10)
        value_w = max(30.0, pdf.get_string_width(value) + 4)
        name_w = pdf.epw - value_w
        lines = _lines(clean(name), name_w - 2 * pdf.c_margin, pdf.get_string_width)
        self.room(5.5 * len(lines) + 1)
        color = MUTED if muted else (0, 0, 0)
        pdf.set_text_color(*color)
        for i, line in enumerate(lines):
            pdf.cell(name_w, 5.5, line)
            pdf.cell(value_w, 5.5, value if i == 0 else "", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(220, 220, 220)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.set_text_color(0)

    def write(self) -> bytes:
        self.cover()
        d = self.data
        if d.sections or d.documents or d.answers or d.status is not None:
            self.contents()
        self.sections()
        if self.data.documents:
            self.documents()
        if self.data.answers:
            self.answers()
        if self.data.status is not None:
            self.status()
        return bytes(self.pdf.output())


def trust_report_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes. Raises ReportFontMissing when the language's font is not installed."""
    return _Writer(data).write()


def available_font(language: str) -> Path | None:
    """The font file the report would use for `language` (None: that language cannot be written)."""
    return fontfiles.find_cjk_font() if language == "zh" else (fontfiles.find_fallback_font()
                                                               or fontfiles.find_cjk_font())
