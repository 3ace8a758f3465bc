"""Answers for questionnaires whose file has no place for them.

* `answer_sheet_xlsx` / `answer_sheet_docx`: a separate answer sheet (id, section, question,
  answer, details), for PDF text questionnaires, VSAQ and tables without an answer column.
* `fill_pdf_form`: a PDF AcroForm with its fields filled (pypdf, in a bounded child process:
  the PDF is the customer's upload, see importers/sandbox.py).
* `vsaq_answers`: VSAQ's own answers format (`{"id": "value"}`), which the VSAQ app loads.

Every spreadsheet cell is written as a string (`data_type "s"`), never a formula.
"""
from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass

from exporters.safety import strip_illegal_xml_chars


@dataclass
class SheetRow:
    qid: str | None
    section: str | None
    question: str
    answer: str | None
    comment: str | None = None


HEADERS = ("ID", "Section", "Question", "Answer", "Details")


def _text(value) -> str:
    return strip_illegal_xml_chars(str(value or ""))


def string_cell(ws, value):
    """A write-only cell that holds `value` as text even when it looks like a formula."""
    from openpyxl.cell import WriteOnlyCell
    cell = WriteOnlyCell(ws, value=_text(value))
    cell.data_type = "s"  # openpyxl would make "=..." a formula
    return cell


def answer_sheet_xlsx(title: str, rows: list[SheetRow], *, headers=HEADERS) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from exporters.xlsx_save import create_sheet, save_workbook

    wb = Workbook(write_only=True)
    ws = create_sheet(wb, "Answers")
    for letter, width in zip("ABCDE", (14, 24, 70, 24, 60)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A3"
    head = string_cell(ws, title)
    head.font = Font(bold=True, size=13)
    ws.append([head])
    bold = []
    for h in headers:
        c = string_cell(ws, h)
        c.font = Font(bold=True)
        bold.append(c)
    ws.append(bold)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        cells = [string_cell(ws, v) for v in (r.qid, r.section, r.question, r.answer, r.comment)]
        for c in cells:
            c.alignment = wrap
        ws.append(cells)
    out = io.BytesIO()
    save_workbook(wb, out)
    return out.getvalue()


def answer_sheet_docx(title: str, rows: list[SheetRow], *, headers=HEADERS) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(_text(title), level=1)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, h in zip(table.rows[0].cells, (headers[0], headers[2], headers[3], headers[4])):
        cell.text = ""
        cell.paragraphs[0].add_run(_text(h)).bold = True
    section = None
    for r in rows:
        if r.section and r.section != section:
            section = r.section
            row = table.add_row().cells
            merged = row[0].merge(row[3])
            merged.paragraphs[0].add_run(_text(section)).bold = True
        cells = table.add_row().cells
        for cell, value in zip(cells, (r.qid, r.question, r.answer, r.comment)):
            cell.text = _text(value)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ PDF forms

class PdfFormError(ValueError):
    pass


def fill_pdf_form(src: bytes, values: dict[str, str], *, seconds: float = 60,
                  memory_bytes: int = 1 << 30) -> bytes:
    """The PDF with its form fields set (`values`: field full name -> display value)."""
    from importers.sandbox import SandboxError, run_bounded

    try:
        payload = run_bounded("exporters.answer_sheet:_fill_pdf_child", src, {"values": values},
                              memory_bytes=memory_bytes, seconds=seconds)
    except SandboxError as exc:
        raise PdfFormError(f"the PDF form could not be filled ({exc.kind}: {exc.detail})") from None
    if payload.get("missing"):
        raise PdfFormError("these form fields are not in the PDF: " + ", ".join(payload["missing"][:5]))
    return base64.b64decode(payload["pdf"])


def _fill_pdf_child(data: bytes, values: dict) -> dict:  # pragma: no cover - runs in the child
    # Fields are found through each page's widgets, as the importer does: forms such as SF424
    # have no /AcroForm in the catalog, so pypdf's own form helpers see no fields at all.
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, NameObject, TextStringObject

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")
    writer = PdfWriter(clone_from=reader)
    found: dict[str, list] = {}
    tops: dict[int, object] = {}
    for page in writer.pages:
        for ref in page.get("/Annots") or []:
            widget = ref.get_object()
            if widget.get("/Subtype") != "/Widget":
                continue
            field = widget if "/T" in widget or "/Parent" not in widget else widget["/Parent"].get_object()
            top_ref, top = ref, widget
            while "/Parent" in top:
                top_ref = top.raw_get("/Parent")
                top = top_ref.get_object()
            if hasattr(top_ref, "idnum"):
                tops[top_ref.idnum] = top_ref
            name = _full_name(field)
            if name in values:
                found.setdefault(name, []).append((field, widget))
    missing = [name for name in values if name not in found]
    if missing:
        return {"missing": missing}
    for name, pairs in found.items():
        field, value = pairs[0][0], values[name]
        kind = _inherited(field, "/FT")
        if kind == "/Btn":
            state = NameObject("/" + value.lstrip("/"))
            field[NameObject("/V")] = state
            for _f, widget in pairs:
                states = list((widget.get("/AP") or {}).get("/N", {}).keys())
                widget[NameObject("/AS")] = state if state in states else NameObject("/Off")
            continue
        if kind == "/Ch":  # the stored value is the export value of the shown option
            for opt in _inherited(field, "/Opt") or []:
                if isinstance(opt, list) and len(opt) == 2 and str(opt[1]) == value:
                    value = str(opt[0])
        field[NameObject("/V")] = TextStringObject(value)
        for _f, widget in pairs:
            if "/AP" in widget:
                del widget["/AP"]  # the viewer draws the new value (NeedAppearances below)
    root = writer._root_object
    acro = root.get("/AcroForm")
    if acro is None:
        acro = DictionaryObject({NameObject("/Fields"): ArrayObject(tops.values()),
                                 NameObject("/DA"): TextStringObject("/Helv 0 Tf 0 g")})
        root[NameObject("/AcroForm")] = writer._add_object(acro)
    acro = root["/AcroForm"].get_object()
    acro[NameObject("/NeedAppearances")] = BooleanObject(True)
    if drop_active_content(writer):  # the removed actions' objects would still be written: drop orphans
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return {"pdf": base64.b64encode(out.getvalue()).decode("ascii")}


# Actions that run code or reach outside the document: never passed on to the customer in our copy.
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm", "/Rendition", "/GoToE"}


def drop_active_content(writer) -> list[str]:  # pragma: no cover - runs in the child
    """Remove what a viewer would run on opening or on events: the catalog's /OpenAction when it is an
    action (a destination is kept), every /AA (additional actions: catalog, pages, fields, widgets), the
    /JavaScript and /EmbeddedFiles name trees, and link/widget /A actions of the kinds above. Returns what
    was removed (for tests)."""
    removed = []
    root = writer._root_object
    opening = root.get("/OpenAction")
    if opening is not None and not isinstance(opening.get_object(), list):
        del root["/OpenAction"]
        removed.append("/OpenAction")
    if "/AA" in root:
        del root["/AA"]
        removed.append("/AA")
    names = root.get("/Names")
    names = names.get_object() if names is not None else None
    for tree in ("/JavaScript", "/EmbeddedFiles"):
        if names is not None and tree in names:
            del names[tree]
            removed.append(tree)
    for page in writer.pages:
        if "/AA" in page:
            del page["/AA"]
            removed.append("page /AA")
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            chain = [annot]
            parent = annot.get("/Parent")
            while parent is not None and len(chain) < 32:
                chain.append(parent.get_object())
                parent = chain[-1].get("/Parent")
            for obj in chain:
                if "/AA" in obj:
                    del obj["/AA"]
                    removed.append("field /AA")
            action = annot.get("/A")
            action = action.get_object() if action is not None else None
            if action is not None and action.get("/S") in ACTIVE_ACTIONS:
                del annot["/A"]
                removed.append(f"annotation {action.get('/S')}")
    return removed


def _inherited(field, key):
    while field is not None:
        if key in field:
            return field[key]
        parent = field.get("/Parent")
        field = parent.get_object() if parent is not None else None
    return None


def _full_name(obj) -> str:
    parts = []
    while obj is not None:
        if "/T" in obj:
            parts.append(str(obj["/T"]))
        parent = obj.get("/Parent")
        obj = parent.get_object() if parent is not None else None
    return ".".join(reversed(parts))


# ------------------------------------------------------------------ VSAQ

def vsaq_answers(answers: list[tuple[dict, list | None, str | None, str | None]]) -> bytes:
    """VSAQ answers JSON from (answer locator extra, choices, answer, comment).

    Radio/check groups store the chosen *choice id* as "checked" (VSAQ keeps group answers under
    choice ids); yes/no items store "yes"/"no"; free-text items store the text under their id.
    An answer that is not one of a group's choices goes nowhere (VSAQ has no place for it)."""
    out: dict[str, str] = {}
    for extra, choices, answer, comment in answers:
        choices = choices or []
        ids, values = extra.get("choice_ids"), extra.get("choice_values")
        if ids and answer:
            chosen = [i for i, t in zip(ids, choices) if t == answer and i]
            if chosen:
                out[chosen[0]] = "checked"
            continue
        if values and answer and extra.get("id"):
            if answer in choices:
                out[extra["id"]] = values[choices.index(answer)]
            continue
        text = "\n\n".join(v for v in (answer, comment) if v)
        if text and extra.get("id"):
            out[extra["id"]] = text
    return json.dumps(out, ensure_ascii=False, indent=1).encode("utf-8")
