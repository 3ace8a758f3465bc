"""Streaming reader for the parts of an .xlsx/.xlsm we need.

One defusedxml pass per sheet gives formulas *and* cached values, hidden rows and
columns, merged cells and both kinds of data validation (openpyxl would need two
loads for formulas + values and silently drops the x14 validations HECVAT uses).
Memory is bounded by Limits.max_cells; time by the Deadline.
"""
from __future__ import annotations

import math
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterator
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as DET
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
from openpyxl.utils.datetime import from_excel

from .i18n_marker import N_
from .model import ImportErrorWithContext
from .safety import ZIP_DAMAGE, Deadline, Limits, damaged_part, read_member

NS_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
REL_OFFICE = "officeDocument"


class XLError(str):
    """An Excel error value such as #N/A or #REF!."""


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


_CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def parse_ref(ref: str) -> tuple[int, int]:
    """'B12' -> (12, 2)."""
    m = _CELL_RE.match(ref.strip())
    if not m:
        raise ValueError(f"bad cell reference {ref!r}")
    return int(m.group(2)), column_index_from_string(m.group(1).upper())


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'A1:C3' -> (r1, c1, r2, c2); whole columns/rows allowed ('C:C', '3:3')."""
    ref = ref.replace("$", "").strip()
    a, _, b = ref.partition(":")
    b = b or a

    def one(x: str, is_end: bool) -> tuple[int, int]:
        if x.isdigit():
            return int(x), (16384 if is_end else 1)
        if x.isalpha():
            return (1048576 if is_end else 1), column_index_from_string(x.upper())
        return parse_ref(x)

    (r1, c1), (r2, c2) = one(a, False), one(b, True)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


@dataclass
class ValidationRule:
    ranges: list[tuple[int, int, int, int]]
    type: str  # "list", "whole", "decimal", ...
    formula1: str | None
    source: str  # "main" or "x14"

    def covers(self, row: int, col: int) -> bool:
        return any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in self.ranges)


@dataclass
class SheetData:
    name: str
    index: int
    state: str = "visible"
    kind: str = "worksheet"  # or "chartsheet"/"dialogsheet"/"missing"
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # cached values
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # text without "="
    uncached: set[tuple[int, int]] = field(default_factory=set)  # formulas with no cached value
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    validations: list[ValidationRule] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0
    _merge_map: dict[tuple[int, int], tuple[int, int, int, int]] | None = None
    _big_merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    def merge_at(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        """The merged range containing (row, col), if any."""
        if self._merge_map is None:
            self._merge_map = {}
            for m in self.merged:
                r1, c1, r2, c2 = m
                if (r2 - r1 + 1) * (c2 - c1 + 1) > 20_000:
                    self._big_merges.append(m)  # few and huge: checked one by one
                    continue
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        self._merge_map[(r, c)] = m
        m = self._merge_map.get((row, col))
        if m is None:
            for r1, c1, r2, c2 in self._big_merges:
                if r1 <= row <= r2 and c1 <= col <= c2:
                    return (r1, c1, r2, c2)
        return m


@dataclass
class WorkbookData:
    sheets: list[SheetData]
    defined_names: dict[str, list[tuple[int | None, str]]]  # lower name -> [(localSheetId, text)]
    macro_enabled: bool = False

    def sheet(self, name: str) -> SheetData | None:
        low = name.lower()
        for s in self.sheets:
            if s.name.lower() == low:
                return s
        return None

    def defined_name(self, name: str, sheet_index: int | None) -> str | None:
        entries = self.defined_names.get(name.lower())
        if not entries:
            return None
        for local_id, text in entries:  # a sheet-scoped name wins over the global one
            if local_id is not None and local_id == sheet_index:
                return text
        for local_id, text in entries:
            if local_id is None:
                return text
        return None


def _xml(data: bytes, part: str, filename: str):
    try:
        return DET.fromstring(data)
    except defusedxml.DefusedXmlException as e:
        raise entity_error(part, filename, e) from None
    except ParseError as e:
        raise ImportErrorWithContext(N_('the file is damaged: part "%(part)s" is not valid XML (%(error)s)'),
                                     params={"part": part, "error": str(e)}, file=filename) from None


def entity_error(part: str, filename: str, e: Exception, sheet: str | None = None):
    return ImportErrorWithContext(
        N_('part "%(part)s" declares XML entities or a DTD (%(kind)s), which a real '
           "spreadsheet never does; refused as a possible XML bomb / entity-expansion attack"),
        params={"part": part, "kind": type(e).__name__}, file=filename, sheet=sheet)


def _rels(zf: zipfile.ZipFile, part: str, filename: str, limits: Limits) -> dict[str, tuple[str, str]]:
    """Relationships of `part`: id -> (type suffix, absolute target path)."""
    base = posixpath.dirname(part)
    rels_name = posixpath.join(base, "_rels", posixpath.basename(part) + ".rels")
    if rels_name not in zf.NameToInfo:
        return {}
    root = _xml(read_member(zf, rels_name, filename, limits), rels_name, filename)
    out = {}
    for rel in root:
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(base, target))
        out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], path)
    return out


def _shared_strings(zf, path, filename, limits) -> list[str]:
    if not path or path not in zf.NameToInfo:
        return []
    out: list[str] = []
    try:
        with zf.open(path) as fh:
            for _, el in DET.iterparse(fh, events=("end",)):
                if local(el.tag) == "si":
                    out.append(_rich_text(el))
                    el.clear()
    except defusedxml.DefusedXmlException as e:
        raise entity_error(path, filename, e) from None
    except (ParseError, *ZIP_DAMAGE) as e:
        raise damaged_part(path, filename, e) from None
    return out


def _rich_text(el) -> str:
    """Text of an <si>/<is>: plain <t> or rich-text runs, without phonetic (rPh) hints."""
    parts = []
    for child in el:
        name = local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            for t in child:
                if local(t.tag) == "t":
                    parts.append(t.text or "")
    return "".join(parts)


_FIXED_DIGITS = re.compile(r"^(0+)(?:\.(0+))?$")


def _number_styles(zf, path, filename, limits) -> dict[int, str]:
    """Cell formats (cellXfs index) that change how a number reads: "date", or a fixed-digits format
    ("0.00", "000") whose text is what the sheet shows: control 5.10 is not 5.1, item 007 not 7."""
    if not path or path not in zf.NameToInfo:
        return {}
    root = _xml(read_member(zf, path, filename, limits), path, filename)
    custom: dict[int, str] = {}
    styles: dict[int, str] = {}
    for el in root:
        if local(el.tag) == "numFmts":
            for nf in el:
                try:
                    custom[int(nf.get("numFmtId", "-1"))] = nf.get("formatCode", "")
                except ValueError:
                    pass
        elif local(el.tag) == "cellXfs":
            for i, xf in enumerate(el):
                try:
                    fid = int(xf.get("numFmtId", "0"))
                except ValueError:
                    continue
                fmt = custom.get(fid) or BUILTIN_FORMATS.get(fid)
                if fmt and is_date_format(fmt):
                    styles[i] = "date"
                elif fmt and _FIXED_DIGITS.match(fmt) and fmt != "0":
                    styles[i] = fmt
    return styles


class ShownNumber(float):
    """A number that reads as its cell format shows it (`shown`); arithmetic sees the plain value."""

    shown: str


def read_workbook(zf: zipfile.ZipFile, filename: str, limits: Limits, deadline: Deadline) -> WorkbookData:
    root_rels = _rels(zf, "", filename, limits)
    wb_path = next((p for t, p in root_rels.values() if t == REL_OFFICE), "xl/workbook.xml")
    if wb_path not in zf.NameToInfo:
        raise ImportErrorWithContext(N_("the file is a zip archive but not an Excel workbook "
                                        "(no workbook part inside)"), file=filename)
    if wb_path.endswith(".bin"):
        raise ImportErrorWithContext(N_("this is a binary Excel workbook (.xlsb), which is not "
                                        "supported; save it as .xlsx"), file=filename)
    wb_root = _xml(read_member(zf, wb_path, filename, limits), wb_path, filename)
    rels = _rels(zf, wb_path, filename, limits)
    sst_path = next((p for t, p in rels.values() if t == "sharedStrings"), None)
    styles_path = next((p for t, p in rels.values() if t == "styles"), None)
    sst = _shared_strings(zf, sst_path, filename, limits)
    num_xfs = _number_styles(zf, styles_path, filename, limits)

    sheets: list[SheetData] = []
    names: dict[str, list[tuple[int | None, str]]] = {}
    for el in wb_root.iter():
        tag = local(el.tag)
        if tag == "sheet":
            rid = next((v for k, v in el.attrib.items() if local(k) == "id"), "")
            kind, path = rels.get(rid, ("missing", ""))
            sd = SheetData(name=el.get("name", f"Sheet{len(sheets) + 1}"), index=len(sheets),
                           state=el.get("state", "visible"), kind=kind)
            sd._path = path  # type: ignore[attr-defined]
            sheets.append(sd)
        elif tag == "definedName" and el.text:
            lid = el.get("localSheetId")
            names.setdefault(el.get("name", "").lower(), []).append(
                (int(lid) if lid and lid.isdigit() else None, el.text.strip()))

    total = 0
    for sd in sheets:
        path = getattr(sd, "_path", "")
        if sd.kind != "worksheet" or path not in zf.NameToInfo:
            if sd.kind == "worksheet":
                sd.kind = "missing"
            continue
        total = _read_sheet(zf, path, sd, sst, num_xfs, filename, limits, deadline, total)
    macro = any(n.endswith("vbaProject.bin") for n in zf.NameToInfo)
    return WorkbookData(sheets=sheets, defined_names=names, macro_enabled=macro)


def _cells(zf, path, filename, sheet_name) -> Iterator[tuple[str, Any]]:
    """(event, element) pairs of a sheet, mapping XML attacks and damage to clear errors."""
    try:
        with zf.open(path) as fh:
            yield from DET.iterparse(fh, events=("start", "end"))
    except defusedxml.DefusedXmlException as e:
        raise entity_error(path, filename, e, sheet_name) from None
    except ParseError as e:
        raise ImportErrorWithContext(N_("the sheet's XML is damaged (%(error)s)"), params={"error": str(e)},
                                     file=filename, sheet=sheet_name) from None
    except ZIP_DAMAGE as e:
        raise ImportErrorWithContext(N_("the sheet cannot be unpacked; the file is damaged (%(error)s)"),
                                     params={"error": str(e)}, file=filename, sheet=sheet_name) from None


def _read_sheet(zf, path, sd: SheetData, sst, num_xfs, filename, limits: Limits,
                deadline: Deadline, total: int) -> int:
    shared: dict[str, tuple[str, str]] = {}  # si -> (master formula, master ref)
    row_no = 0
    col_no = 0
    rows_with_data = 0
    row_had_data = False
    sheet_data_el = None
    for event, el in _cells(zf, path, filename, sd.name):
        tag = local(el.tag)
        if event == "start":
            if tag == "row":
                r = el.get("r")
                row_no = int(r) if r and r.isdigit() else row_no + 1
                col_no = 0
                row_had_data = False
                if el.get("hidden") in ("1", "true"):
                    sd.hidden_rows.add(row_no)
            elif tag == "sheetData":
                sheet_data_el = el
            continue
        # end events
        if tag == "c":
            deadline.check(sd.name)
            ref = el.get("r")
            if ref:
                try:
                    row_no, col_no = parse_ref(ref)
                except ValueError:
                    raise ImportErrorWithContext(N_("a cell has an invalid address %(ref)s"),
                                                 params={"ref": repr(ref)}, file=filename, sheet=sd.name) from None
            else:
                col_no += 1
            stored = _store_cell(el, sd, row_no, col_no, sst, num_xfs, shared)
            if stored:
                total += 1
                if not row_had_data:
                    row_had_data = True
                    rows_with_data += 1
                    if rows_with_data > limits.max_rows_per_sheet:
                        raise ImportErrorWithContext(
                            N_("the sheet has more than %(n)s rows with data; "
                               "that is far beyond a questionnaire, so it was not imported"),
                            params={"n": f"{limits.max_rows_per_sheet:,}"}, file=filename, sheet=sd.name,
                            row=row_no)
                if total > limits.max_cells:
                    raise ImportErrorWithContext(
                        N_("the workbook has more than %(n)s filled cells; "
                           "that is far beyond a questionnaire, so it was not imported"),
                        params={"n": f"{limits.max_cells:,}"}, file=filename, sheet=sd.name, row=row_no)
        elif tag == "row":
            deadline.check(sd.name)  # a million empty rows hold no cell but still take time
            if sheet_data_el is not None:
                sheet_data_el.clear()  # rows are consumed; keep memory flat
        elif tag == "col":
            if el.get("hidden") in ("1", "true"):
                try:
                    lo, hi = int(el.get("min", "0")), int(el.get("max", "0"))
                    sd.hidden_cols.update(range(lo, min(hi, 16384) + 1))
                except ValueError:
                    pass
        elif tag == "mergeCell":
            try:
                sd.merged.append(parse_range(el.get("ref", "")))
            except (ValueError, KeyError):
                pass
        elif tag == "dataValidation":
            rule = _validation(el)
            if rule:
                sd.validations.append(rule)
    return total


def _validation(el) -> ValidationRule | None:
    is_x14 = ns(el.tag) == NS_X14
    formula1 = None
    sqref = el.get("sqref", "")
    for child in el.iter():
        name = local(child.tag)
        if name == "formula1":
            if is_x14:
                f = next((g for g in child if local(g.tag) == "f"), None)
                formula1 = f.text if f is not None else None
            else:
                formula1 = child.text
        elif name == "sqref" and child is not el:
            sqref = child.text or ""
    ranges = []
    for part in sqref.split():
        try:
            ranges.append(parse_range(part))
        except (ValueError, KeyError):
            continue
    if not ranges:
        return None
    return ValidationRule(ranges=ranges, type=el.get("type", "any"),
                          formula1=formula1.strip() if formula1 else None,
                          source="x14" if is_x14 else "main")


def _store_cell(el, sd: SheetData, row: int, col: int, sst, num_xfs, shared) -> bool:
    t = el.get("t", "n")
    f_el = v_el = is_el = None
    for child in el:
        name = local(child.tag)
        if name == "f":
            f_el = child
        elif name == "v":
            v_el = child
        elif name == "is":
            is_el = child
    formula = None
    if f_el is not None:
        formula = f_el.text
        if f_el.get("t") == "shared":
            si = f_el.get("si", "")
            if formula:  # the master cell of a shared formula
                shared[si] = (formula, f"{_col_letter(col)}{row}")
            elif si in shared:
                master, origin = shared[si]
                try:
                    formula = Translator("=" + master, origin=origin).translate_formula(
                        f"{_col_letter(col)}{row}")[1:]
                except Exception:  # an untranslatable formula just stays uncomputed
                    formula = None
    # openpyxl and other writers emit an empty <v/> for "not computed"; only a string
    # result (t="str") can really be empty
    has_cached = is_el is not None or (v_el is not None and (bool(v_el.text) or t == "str"))
    value: Any = None
    if is_el is not None:
        value = _rich_text(is_el)
    elif v_el is not None:
        raw = v_el.text or ""
        if t == "s":
            try:
                value = sst[int(raw)]
            except (ValueError, IndexError):
                value = ""
        elif t in ("str", "inlineStr", "d"):
            value = raw
        elif t == "b":
            value = raw.strip() in ("1", "true")
        elif t == "e":
            value = XLError(raw)
        elif raw.strip():
            value = _number(raw, el.get("s"), num_xfs)
    if formula:
        sd.formulas[(row, col)] = formula
        if not has_cached:
            sd.uncached.add((row, col))
    elif value is None or value == "":
        return False
    if value is not None:
        sd.cells[(row, col)] = value
    sd.max_row = max(sd.max_row, row)
    sd.max_col = max(sd.max_col, col)
    return True


def _number(raw: str, style: str | None, num_xfs: dict[int, str]) -> Any:
    try:
        num = float(raw)
    except ValueError:
        return raw
    fmt = num_xfs.get(int(style)) if style and style.isdigit() else None
    if fmt == "date":
        try:
            return from_excel(num)
        except (ValueError, OverflowError):
            pass
    elif fmt and math.isfinite(num):
        whole, decimals = _FIXED_DIGITS.match(fmt).groups()
        places = len(decimals or "")
        shown = ShownNumber(num)
        shown.shown = f"{num:0{len(whole) + (places + 1 if places else 0)}.{places}f}"
        return shown
    return int(num) if num.is_integer() and abs(num) < 1e15 else num


def _col_letter(col: int) -> str:
    from openpyxl.utils.cell import get_column_letter
    return get_column_letter(col)


def coordinate(row: int, col: int) -> str:
    return f"{_col_letter(col)}{row}"


__all__ = ["WorkbookData", "SheetData", "ValidationRule", "XLError", "read_workbook",
           "parse_ref", "parse_range", "coordinate", "coordinate_from_string"]
