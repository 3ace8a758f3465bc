"""The summary report of a questionnaire: what was auto-filled, who reviewed what, what is still open.

    data = summary_report_xlsx(ReportInfo(...), [ReportRow(...), ...], labels)

Pure: plain data in, XLSX bytes out. Every cell is written as text (never a formula), so a
question or answer that starts with "=" stays inert. `labels` lets the caller translate.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

from exporters.answer_sheet import string_cell


@dataclass
class ReportInfo:
    customer: str
    filename: str
    uploaded_by: str
    uploaded_at: str
    exported_by: str
    exported_at: str


@dataclass
class ReportRow:
    qid: str | None
    section: str | None
    question: str
    status: str  # open | suggested | accepted | rejected
    answer: str | None
    comment: str | None
    how: str  # how the answer came to be: "library" (accepted as proposed), "alternative", "edited", "written", ""
    auto: bool  # the engine was confident enough to fill it on its own
    entry_ref: str | None
    confidence: float | None
    reviewed_by: str | None
    reviewed_at: str | None
    assignee: str | None
    comments: int = 0
    bulk_threshold: float | None = None  # accepted by bulk accept at this threshold; reviewed_by triggered it
    stale: str = ""  # why its library entry is stale today (evidence and day), "" when it stands


DEFAULT_LABELS = {
    "summary": "Summary", "questions": "Questions", "customer": "Customer", "file": "File",
    "uploaded": "Uploaded", "exported": "Exported", "by": "by", "total": "Questions in total",
    "accepted": "Answered (accepted)", "auto_accepted": "Accepted as the library proposed",
    "edited": "Accepted after editing or written by a reviewer", "suggested": "Suggested, not yet reviewed",
    "open": "Open (no answer yet)", "rejected": "Rejected", "reviewers": "Reviewed by",
    "still_open": "Still open", "edited_only": "Edited, not accepted", "bulk": "Accepted in bulk",
    "bulk_by": "accepted in bulk at %(pct)s or more, by %(who)s",
    "columns": ["ID", "Section", "Question", "Status", "Answer", "Details", "How", "Auto-filled",
                "Library entry", "Confidence", "Reviewed by", "Reviewed at", "Assigned to", "Comments",
                "Stale evidence"],
    "status": {"open": "open", "suggested": "suggested", "edited": "edited, not accepted", "accepted": "accepted",
               "rejected": "rejected"},
    "how": {"library": "library answer", "alternative": "alternative library answer", "edited": "edited",
            "written": "written by reviewer", "": ""},
    "yes": "yes", "no": "no",
    "stale": "From a stale library entry (evidence expired or withdrawn)",
}


@dataclass
class Counts:
    total: int = 0
    by_status: Counter = field(default_factory=Counter)
    as_proposed: int = 0
    changed: int = 0
    reviewers: Counter = field(default_factory=Counter)
    bulk: Counter = field(default_factory=Counter)  # (threshold, who triggered it) -> answers


def count(rows: list[ReportRow]) -> Counts:
    c = Counts(total=len(rows))
    for r in rows:
        c.by_status[r.status] += 1
        if r.status == "accepted":
            if r.how in ("library", "alternative"):
                c.as_proposed += 1
            else:
                c.changed += 1
        if r.status == "accepted" and r.bulk_threshold is not None:
            c.bulk[(r.bulk_threshold, r.reviewed_by or "")] += 1  # nobody read these: not a review
        elif r.reviewed_by and r.status in ("accepted", "rejected"):
            c.reviewers[r.reviewed_by] += 1
    return c


def summary_report_xlsx(info: ReportInfo, rows: list[ReportRow], labels: dict | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from exporters.xlsx_save import create_sheet, save_workbook

    L = {**DEFAULT_LABELS, **(labels or {})}
    c = count(rows)
    wb = Workbook(write_only=True)
    ws = create_sheet(wb, L["summary"][:31])
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 48
    bold = Font(bold=True)

    def line(*values, strong=False):
        cells = []
        for v in values:
            cell = string_cell(ws, v) if not isinstance(v, int) else _int_cell(ws, v)
            if strong:
                cell.font = bold
            cells.append(cell)
        ws.append(cells)

    line(info.filename, strong=True)
    line(L["customer"], info.customer)
    line(L["uploaded"], f"{info.uploaded_at} {L['by']} {info.uploaded_by}")
    line(L["exported"], f"{info.exported_at} {L['by']} {info.exported_by}")
    line()
    line(L["total"], c.total)
    line(L["accepted"], c.by_status["accepted"])
    line(L["auto_accepted"], c.as_proposed)
    line(L["edited"], c.changed)
    line(L["edited_only"], c.by_status["edited"])
    line(L["suggested"], c.by_status["suggested"])
    line(L["open"], c.by_status["open"])
    line(L["rejected"], c.by_status["rejected"])
    if c.reviewers:
        line()
        line(L["reviewers"], strong=True)
        for who, n in c.reviewers.most_common():
            line(who, n)
    if c.bulk:
        line()
        line(L["bulk"], strong=True)
        for (threshold, who), n in sorted(c.bulk.items()):
            line(_bulk_by(L, threshold, who), n)
    stale = [r for r in rows if r.stale]
    if stale:
        line()
        line(L["stale"], len(stale), strong=True)
        for r in stale:
            line(r.qid or "", f"{r.entry_ref}: {r.stale}")
    still = [r for r in rows if r.status != "accepted"]
    if still:
        line()
        line(L["still_open"], strong=True)
        for r in still:
            line(r.qid or "", r.question)

    ws = create_sheet(wb, L["questions"][:31])
    for letter, width in zip("ABCDEFGHIJKLMNO", (12, 20, 60, 12, 24, 48, 20, 10, 14, 11, 24, 18, 24, 10, 48)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    head = []
    for h in L["columns"]:
        cell = string_cell(ws, h)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        values = [r.qid, r.section, r.question, L["status"].get(r.status, r.status), r.answer, r.comment,
                  L["how"].get(r.how, r.how), L["yes"] if r.auto else L["no"], r.entry_ref,
                  f"{r.confidence:.0%}" if r.confidence is not None else "",
                  _bulk_by(L, r.bulk_threshold, r.reviewed_by) if r.bulk_threshold is not None else r.reviewed_by,
                  r.reviewed_at,
                  r.assignee]
        cells = [string_cell(ws, v) for v in values] + [_int_cell(ws, r.comments), string_cell(ws, r.stale)]
        for cell in cells:
            cell.alignment = wrap
        ws.append(cells)
    out = io.BytesIO()
    save_workbook(wb, out)
    return out.getvalue()


def _bulk_by(L: dict, threshold: float, who: str | None) -> str:
    return L["bulk_by"] % {"pct": f"{threshold:.0%}", "who": who or "?"}


def _int_cell(ws, value: int):
    from openpyxl.cell import WriteOnlyCell
    return WriteOnlyCell(ws, value=int(value))
