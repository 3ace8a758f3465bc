"""Write answers into the customer's own .xlsx by patching the package at the XML level.

The customer's workbook is the contract: it must come back intact.  Loading and saving it
with openpyxl is not enough -- openpyxl drops what it does not understand (x14 data
validations stored in ``extLst``, x14 conditional formatting, slicers, ...) and rewrites
column widths and styles.  So :func:`fill_xlsx` works on the zip package directly:

* every zip entry is copied unchanged (same name, order, compression type, timestamp and
  attributes; the uncompressed bytes identical), except the worksheet parts written into;
* a written worksheet is parsed with lxml (no entities, no network, no DTD), only the
  target ``<c>`` elements are replaced or inserted, and the document is serialised again
  with its original XML declaration and namespace prefixes (``mc:Ignorable`` keeps
  working);
* every value is written as an *inline string* (``t="inlineStr"``): plain text that Excel
  and LibreOffice never evaluate, and that leaves ``sharedStrings.xml`` untouched.  The
  cell keeps its style index ``s`` (so it keeps its formatting and dropdown); a new cell
  takes its row's or column's style, as Excel does when you type into an empty cell.

Refused, with one :class:`XlsxCellError` listing every offending cell: a target cell that
holds a formula (it is not an answer cell), a cell inside an array formula's range, a
cell inside a merged range other than its top-left cell (unless ``merged="top-left"``),
two writes to the same cell, a value longer than Excel's 32,767 characters, an unknown
sheet or a chart sheet.

The work is split by what it does: the zip package (``exporters.package``, opened within the limits
of ``importers.safety``), byte-preserving XML splices (``exporters.xml_splice``), cells and errors
(``exporters.xlsx_cells``), one worksheet (``exporters.xlsx_sheet``) and the workbook-level parts
(``exporters.xlsx_workbook``).  This module puts them together.
"""
from __future__ import annotations

import os
from typing import BinaryIO, Iterable

from exporters.package import Package, open_package, write_package
from exporters.safety import strip_illegal_xml_chars
from exporters.xlsx_cells import (
    MAX_CELL_CHARS,
    CellProblem,
    CellWrite,
    XlsxCellError,
    XlsxExportError,
    parse_ref,
    prepare_text,
)
from exporters.xlsx_sheet import SheetPatcher, Target
from exporters.xlsx_workbook import (
    WORKSHEET_SUFFIX,
    add_quote_prefix_styles,
    set_full_calc_on_load,
    sheet_parts,
    style_index,
    styles_part,
)

__all__ = [
    "CellWrite",
    "CellProblem",
    "XlsxExportError",
    "XlsxCellError",
    "fill_xlsx",
    "MAX_CELL_CHARS",
]


def _read_source(src) -> bytes:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as fh:
            return fh.read()
    if hasattr(src, "read"):
        data = src.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("fill_xlsx: the file object must be opened in binary mode")
        return bytes(data)
    raise TypeError(f"fill_xlsx: unsupported source type {type(src).__name__}")



def fill_xlsx(src: bytes | str | os.PathLike | BinaryIO, writes: Iterable[CellWrite], *,
              merged: str = "error", recalc_on_load: bool = False) -> bytes:
    """Return the bytes of *src* (an .xlsx/.xlsm package) with each write's value put into
    its cell as plain text, and nothing else changed.

    ``merged="error"`` (default) refuses a write into a merged range anywhere but its
    top-left cell; ``merged="top-left"`` redirects it to the top-left cell.
    Formulas that depend on the written cells keep their cached results until the file
    is recalculated; ``recalc_on_load=True`` also sets ``fullCalcOnLoad="1"`` in
    workbook.xml (the one change outside the written worksheets) so Excel recalculates
    everything when the customer opens the file.

    Raises :class:`XlsxCellError` (listing every bad cell) or :class:`XlsxExportError`.
    """
    if merged not in ("error", "top-left"):
        raise ValueError("merged must be 'error' or 'top-left'")
    writes = list(writes)
    data = _read_source(src)
    zin = open_package(data, ".xlsx", XlsxExportError)
    pkg = Package(zin, XlsxExportError)
    sheets, wb_part = sheet_parts(pkg)
    exact = {name: (part, typ) for name, part, typ in sheets}
    folded = {name.casefold(): (name, part, typ) for name, part, typ in sheets}

    problems: list[CellProblem] = []
    per_part: dict[str, tuple[str, list[Target]]] = {}
    for w in writes:
        if not isinstance(w, CellWrite):
            raise TypeError(f"fill_xlsx expects CellWrite items, got {type(w).__name__}")
        if not isinstance(w.value, str):
            problems.append(CellProblem(w.sheet, w.cell, f"value must be str, not {type(w.value).__name__}"))
            continue
        if w.sheet in exact:
            name, (part, typ) = w.sheet, exact[w.sheet]
        elif isinstance(w.sheet, str) and w.sheet.casefold() in folded:
            name, part, typ = folded[w.sheet.casefold()]
        else:
            known = ", ".join(repr(n) for n, _, _ in sheets)
            problems.append(CellProblem(w.sheet, w.cell, f"no such sheet (sheets: {known})"))
            continue
        if part is None:
            problems.append(CellProblem(w.sheet, w.cell, "the sheet's part is missing from the package"))
            continue
        if not typ.endswith(WORKSHEET_SUFFIX) or part.lower().endswith(".bin"):
            problems.append(CellProblem(w.sheet, w.cell, "not a worksheet (chart or dialog sheet)"))
            continue
        pos = parse_ref(w.cell)
        if pos is None:
            problems.append(CellProblem(w.sheet, w.cell, "not a cell reference like 'D12'"))
            continue
        text = prepare_text(w.value)
        logical = strip_illegal_xml_chars(w.value).replace("\r\n", "\n")
        units = len(logical.encode("utf-16-le")) // 2
        if units > MAX_CELL_CHARS:
            problems.append(CellProblem(w.sheet, w.cell, f"value has {units} characters; Excel "
                                                         f"holds at most {MAX_CELL_CHARS} in a cell"))
            continue
        per_part.setdefault(part, (name, []))[1].append(Target(w, pos[0], pos[1], text))

    replaced: dict[str, bytes] = {}
    patchers = []
    for part, (name, targets) in per_part.items():
        rows = {t.row for t in targets}
        patcher = SheetPatcher(name, part, pkg.read(part), rows)
        patcher.apply(targets, merged)
        problems.extend(patcher.problems)
        patchers.append(patcher)
    if problems:
        raise XlsxCellError(problems)
    quoted = [cell for p in patchers for cell in p.quoted]
    if quoted:
        # Formula-like text stays text when a person edits the cell or saves as CSV: quotePrefix.
        styles = styles_part(pkg, wb_part)
        if styles is None:
            raise XlsxExportError("the workbook has no styles part; cannot mark formula-like answers as text")
        replaced[styles], new_index = add_quote_prefix_styles(
            pkg.read(styles), styles, {style_index(c) for c in quoted})
        for cell in quoted:
            idx = new_index[style_index(cell)]
            if idx:
                cell.set("s", str(idx))
            elif "s" in cell.attrib:
                del cell.attrib["s"]
    for patcher in patchers:
        replaced[patcher.part] = patcher.serialise()
    if not replaced:
        return data
    if recalc_on_load:
        wb_name = pkg.info(wb_part).filename
        replaced[wb_name] = set_full_calc_on_load(pkg.read(wb_name), wb_name)
    return write_package(data, zin, replaced, XlsxExportError)
