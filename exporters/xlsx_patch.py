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
"""
from __future__ import annotations

import copy
import io
import os
import posixpath
import re
import struct
import zipfile
import zlib
from bisect import bisect_left
from dataclasses import dataclass
from typing import BinaryIO, Iterable, NamedTuple

from lxml import etree

from exporters.safety import is_formula_like, strip_illegal_xml_chars

__all__ = [
    "CellWrite",
    "CellProblem",
    "XlsxExportError",
    "XlsxCellError",
    "fill_xlsx",
    "MAX_CELL_CHARS",
]

#: Excel's limit on the characters in one cell (counted in UTF-16 code units).
MAX_CELL_CHARS = 32_767
#: Upper bounds for untrusted packages.
MAX_ZIP_ENTRIES = 10_000
MAX_SHEET_PART_BYTES = 512 * 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 2 * 1024 * 1024 * 1024

_MAX_ROW = 1_048_576
_MAX_COL = 16_384

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOC_SUFFIX = "/officeDocument"
_WORKSHEET_SUFFIX = "/worksheet"


@dataclass(frozen=True)
class CellWrite:
    """One answer to write: ``value`` goes into ``cell`` of sheet ``sheet`` as plain text."""

    sheet: str  # sheet name as shown in Excel's tab
    cell: str  # A1 reference, e.g. "D12" ("$D$12" and "d12" are accepted too)
    value: str  # written as an inline string, never as a formula or number
    style_from: str | None = None  # A1 cell on the same sheet whose style the cell takes (a new header)


class CellProblem(NamedTuple):
    sheet: str
    cell: str
    reason: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}: {self.reason}"


class XlsxExportError(ValueError):
    """The workbook cannot be patched (not an xlsx package, damaged, unsupported)."""


class XlsxCellError(XlsxExportError):
    """Some requested writes are not allowed; ``problems`` lists every one of them."""

    def __init__(self, problems: list[CellProblem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} cell(s) cannot be written:\n{lines}")


# --------------------------------------------------------------------------- helpers

def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=False,
        strip_cdata=False,
    )


def _parse_xml(data: bytes, what: str) -> etree._ElementTree:
    try:
        tree = etree.parse(io.BytesIO(data), _parser())
    except etree.XMLSyntaxError as exc:
        raise XlsxExportError(f"{what} is not well-formed XML: {exc}") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XlsxExportError(f"{what} has a DOCTYPE, which OOXML does not allow")
    return tree


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


_CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def _col_to_num(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _num_to_col(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _parse_ref(ref: str) -> tuple[int, int] | None:
    """``"D12"`` -> ``(12, 4)`` (row, column), or None when it is not a valid cell."""
    m = _CELL_RE.match(ref.strip()) if isinstance(ref, str) else None
    if not m:
        return None
    col, row = _col_to_num(m.group(1)), int(m.group(2))
    if not (1 <= col <= _MAX_COL and 1 <= row <= _MAX_ROW):
        return None
    return row, col


def _parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """``"B2:D4"`` -> ``(r1, c1, r2, c2)``; a single cell is a 1x1 range."""
    parts = ref.strip().split(":")
    if len(parts) not in (1, 2):
        return None
    a = _parse_ref(parts[0])
    b = _parse_ref(parts[-1])
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


def _a1(row: int, col: int) -> str:
    return f"{_num_to_col(col)}{row}"


_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _prepare_text(value: str) -> str:
    """Clean one value for a cell: drop characters XML cannot hold, CR/CRLF -> LF (Excel's
    in-cell line break), and escape literal ``_xHHHH_`` (which OOXML readers would otherwise
    decode as a character) as ``_x005F_xHHHH_``."""
    text = strip_illegal_xml_chars(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ESCAPE_LIKE.sub(r"_x005F_\1", text)


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


def _open_zip(data: bytes) -> zipfile.ZipFile:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise XlsxExportError(
            "this is not an .xlsx package but an OLE file: a legacy .xls workbook or a "
            "password-protected (encrypted) .xlsx; ask for an unprotected .xlsx")
    try:
        zin = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise XlsxExportError(f"not an .xlsx (zip) package: {exc}") from None
    infos = zin.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise XlsxExportError(f"package has {len(infos)} entries (limit {MAX_ZIP_ENTRIES})")
    names = [i.filename for i in infos]
    if len(set(n.lower() for n in names)) != len(names):
        raise XlsxExportError("package has duplicate part names; it is not a valid .xlsx")
    if sum(i.file_size for i in infos) > MAX_TOTAL_UNCOMPRESSED:
        raise XlsxExportError("package is too large once uncompressed")
    # Every entry is copied as its compressed bytes: one that does not inflate or fails its CRC would
    # be copied into a broken file. Unpack each once (bounded by the total above) and name it.
    for info in infos:
        if info.is_dir() or info.flag_bits & 0x1:
            continue
        try:
            with zin.open(info) as fh:
                while fh.read(1 << 20):
                    pass
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
                RuntimeError) as exc:
            raise XlsxExportError(f"damaged package: part {info.filename!r} cannot be read "
                                  f"({' '.join(str(exc).split())[:200]})") from None
    return zin


class _Package:
    def __init__(self, zin: zipfile.ZipFile):
        self.zin = zin
        self.by_lower = {i.filename.lower(): i for i in zin.infolist()}

    def info(self, name: str) -> zipfile.ZipInfo | None:
        return self.by_lower.get(name.lower())

    def read(self, name: str, limit: int = MAX_SHEET_PART_BYTES) -> bytes:
        info = self.info(name)
        if info is None:
            raise XlsxExportError(f"package part {name!r} is missing")
        if info.file_size > limit:
            raise XlsxExportError(f"package part {name!r} is too large ({info.file_size} bytes)")
        try:
            return self.zin.read(info)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            raise XlsxExportError(f"cannot read package part {name!r}: {exc}") from None

    def rels(self, part: str) -> list[dict]:
        """The relationships of *part* (``""`` for the package itself)."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if self.info(rels_name) is None:
            return []
        root = _parse_xml(self.read(rels_name), rels_name).getroot()
        out = []
        for el in root:
            if _local(el.tag) != "Relationship":
                continue
            target = el.get("Target") or ""
            external = (el.get("TargetMode") or "").lower() == "external"
            if not external:
                if target.startswith("/"):
                    target = target.lstrip("/")
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
            out.append({"id": el.get("Id"), "type": el.get("Type") or "",
                        "target": target, "external": external})
        return out


def _sheet_parts(pkg: _Package) -> tuple[list[tuple[str, str | None, str]], str]:
    """[(sheet name, part name or None, relationship type)] in workbook order."""
    wb_part = None
    for rel in pkg.rels(""):
        if rel["type"].endswith(_OFFICE_DOC_SUFFIX) and not rel["external"]:
            wb_part = rel["target"]
            break
    if wb_part is None or pkg.info(wb_part) is None:
        raise XlsxExportError("no workbook part found: this is not a spreadsheet package")
    root = _parse_xml(pkg.read(wb_part), wb_part).getroot()
    if _local(root.tag) != "workbook":
        raise XlsxExportError(f"{wb_part} is not a spreadsheet workbook (.docx/.pptx?)")
    if wb_part.lower().endswith(".bin"):
        raise XlsxExportError("binary workbooks (.xlsb) are not supported")
    rels = {r["id"]: r for r in pkg.rels(wb_part)}
    sheets = []
    for el in root.iter():
        if _local(el.tag) != "sheet" or _local(el.getparent().tag) != "sheets":
            continue
        rid = next((v for k, v in el.attrib.items()
                    if etree.QName(k).namespace and etree.QName(k).localname == "id"), None)
        rel = rels.get(rid)
        if rel is None or rel["external"]:
            sheets.append((el.get("name") or "", None, ""))
        else:
            info = pkg.info(rel["target"])
            sheets.append((el.get("name") or "", info.filename if info else None, rel["type"]))
    return sheets, wb_part


# --------------------------------------------------------------------------- sheet patch

class _Target(NamedTuple):
    write: CellWrite
    row: int
    col: int
    text: str


class _SpliceError(Exception):
    pass


_ATTRS = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""


def _first_element(buf: bytes, tag: bytes) -> tuple[int, int] | None:
    """Byte span of the first empty element <tag .../> in *buf*."""
    m = re.search(b"<" + re.escape(tag) + _ATTRS + b"/>", buf)
    return (m.start(), m.end()) if m else None


def _element_spans(buf: bytes, tag: bytes, container: bytes):
    """Byte spans of the <tag> elements directly in <container> (rows in sheetData), and
    the position of </container>; None when the layout is not the plain one."""
    open_re = re.compile(b"<" + re.escape(container) + _ATTRS + b"(/?)>")
    m = open_re.search(buf)
    if not m or m.group(1):
        return None  # <sheetData/>: nothing to splice into
    end = buf.find(b"</" + container + b">", m.end())
    if end < 0:
        return None
    start_re = re.compile(b"<" + re.escape(tag) + b"(?=[\\s/>])" + _ATTRS + b"(/?)>")
    close = b"</" + tag + b">"
    spans, pos = [], m.end()
    while True:
        sm = start_re.search(buf, pos, end)
        if not sm:
            break
        if sm.group(1):
            spans.append((sm.start(), sm.end()))
            pos = sm.end()
            continue
        ce = buf.find(close, sm.end(), end)
        if ce < 0:
            return None
        spans.append((sm.start(), ce + len(close)))
        pos = ce + len(close)
    return spans, end


class _RangeIndex:
    """Which of some rectangular ranges (r1, c1, r2, c2) holds a cell: bucketed by row, so a
    sheet with thousands of merged rows is not scanned once per write."""

    _TALL = 256

    def __init__(self, ranges: list[tuple[int, int, int, int]], labels: list[str] | None = None):
        self.labels = dict(zip(ranges, labels)) if labels else {}
        self.by_row: dict[int, list] = {}
        self.tall: list = []
        for rng in ranges:
            if rng[2] - rng[0] >= self._TALL:
                self.tall.append(rng)
            else:
                for r in range(rng[0], rng[2] + 1):
                    self.by_row.setdefault(r, []).append(rng)

    def find(self, row: int, col: int):
        for rng in self.by_row.get(row, ()):
            if rng[1] <= col <= rng[3]:
                return rng
        for rng in self.tall:
            if rng[0] <= row <= rng[2] and rng[1] <= col <= rng[3]:
                return rng
        return None

    def label(self, rng) -> str:
        return self.labels.get(rng, "?")


class _BlankRuns:
    """Long runs of empty rows, set aside before a worksheet is parsed.

    A sheet may declare ``A1:XFD1048576`` and hold a million ``<row r="N" spans="1:16384"/>``
    elements with no cells; parsing them all with lxml took ~10 s and ~1.7 GB for a 2.4 MB file.
    A run of at least ``MIN_RUN`` consecutive self-closing rows (no cells, whatever their
    attributes) is replaced, in the bytes handed to lxml, by a comment marker, and the exact
    original bytes are put back in place of the marker after the patch. Kept as real elements:
    the first and last row of each run, and, inside a run, every row that may be written (a
    target row, the top row of a merge) with the rows just before and after it. So a target row
    is always parsed with its attributes (row style), and a row the patch has to create lands
    between two real neighbours, in row order. Nothing is dropped from the output: the file
    keeps every empty row it had, byte for byte.

    Not reduced (the whole sheet is parsed as before): a sheet where some ``<row>`` does not
    start with its ``r`` attribute (its index would depend on the rows set aside), or with a
    comment or CDATA section before ``</sheetData>``.
    """

    MIN_RUN = 64
    # atomic element, possessive repeat: no backtracking state is kept per row (a plain {64,} kept
    # ~280 MB of it for a million rows)
    _RUN = re.compile(rb'(?>(?:<(?:[\w.-]+:)?row\s+r="\d+"[^<>]*/>\s*)){%d,}+' % MIN_RUN)
    _ROW = re.compile(rb'<(?:[\w.-]+:)?row\s+r="(\d+)"[^<>]*/>')
    _NO_R = re.compile(rb'<(?:[\w.-]+:)?row(?=[\s/>])(?!\s+r=")')
    _MERGE_REF = re.compile(rb'<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*["\']([^"\']+)["\']')
    _WINDOW = 16 * 1024

    def __init__(self, data: bytes, rows: Iterable[int]):
        self.reduced = data
        self.pieces: dict[bytes, bytes] = {}
        self.marker = b""
        close = re.search(rb"</(?:[\w.-]+:)?sheetData\s*>", data)
        if close is None or self._NO_R.search(data, 0, close.start()):
            return
        if data.find(b"<!--", 0, close.start()) >= 0 or data.find(b"<![CDATA[", 0, close.start()) >= 0:
            return  # a run inside a comment or CDATA would get a marker nested in it
        runs = [m.span() for m in self._RUN.finditer(data, 0, close.start())]
        if not runs:
            return
        self.marker = b"tv-blank-rows-" + os.urandom(6).hex().encode() + b"-"
        if self.marker in data:  # cannot happen in practice; never risk a collision
            return
        wanted = set(rows)
        for m in self._MERGE_REF.finditer(data, close.end()):
            rng = _parse_range(m.group(1).decode("ascii", "replace"))
            if rng:
                wanted.add(rng[0])
        firsts = [int(self._ROW.match(data, a).group(1)) for a, _ in runs]
        out, cursor = [], 0
        for (start, end), first in zip(runs, firsts):
            elements = self._elements_to_keep(data, start, end, first, wanted)
            out.append(data[cursor:start])
            pos = start
            for a, b in elements:
                if a > pos:
                    out.append(self._hide(data[pos:a]))
                out.append(data[a:b])
                pos = b
            if end > pos:
                out.append(data[pos:end])  # trailing whitespace after the last kept row
            cursor = end
        out.append(data[cursor:])
        self.reduced = b"".join(out)

    def _hide(self, piece: bytes) -> bytes:
        key = self.marker + str(len(self.pieces)).encode()
        self.pieces[key] = piece
        return b"<!--" + key + b"-->"

    def _elements_to_keep(self, data: bytes, start: int, end: int, first: int, wanted: set[int]):
        """Spans of the rows of the run data[start:end] that stay real elements, in order."""
        keep = {self._ROW.match(data, start).span()}
        last = None
        for m in self._ROW.finditer(data, max(start, end - 4096), end):
            last = m
        if last is None:  # more than 4 KiB of whitespace after the last row
            for m in self._ROW.finditer(data, start, end):
                last = m
        keep.add(last.span())
        top = int(last.group(1))
        for n in sorted(r for r in wanted if first <= r <= top):
            keep.update(self._around(data, start, end, n))
        return sorted(keep)

    def _around(self, data: bytes, start: int, end: int, n: int):
        """The row elements of the run with the largest r <= n and the smallest r > n."""
        lo, hi, le = start, end, None
        # every row starting before lo has r <= n; every row starting at or after hi has r > n
        while hi - lo > self._WINDOW:
            m = self._ROW.search(data, (lo + hi) // 2, hi)
            if m is None:
                hi = (lo + hi) // 2
            elif int(m.group(1)) <= n:
                lo, le = m.end(), m
            else:
                hi = m.start()
        gt = None
        for m in self._ROW.finditer(data, lo, end):
            if int(m.group(1)) <= n:
                le = m
            else:
                gt = m
                break
        return [m.span() for m in (le, gt) if m is not None]

    def restore(self, patched: bytes) -> bytes:
        if not self.pieces:
            return patched
        return re.sub(b"<!--(" + re.escape(self.marker) + rb"\d+)-->",
                      lambda m: self.pieces[m.group(1)], patched)


class _SheetPatcher:
    def __init__(self, sheet_name: str, part: str, data: bytes, rows: Iterable[int] = ()):
        self.sheet_name = sheet_name
        self.part = part
        # Long runs of empty rows are set aside before parsing (see _BlankRuns), so the parse, the
        # indexes and the splice cost what the sheet really holds, not what it declares.
        self.blank_runs = _BlankRuns(data, rows)
        data = self.blank_runs.reduced
        self.data = data
        self.tree = _parse_xml(data, part)
        self.root = self.tree.getroot()
        self.ns = etree.QName(self.root).namespace
        self.problems: list[CellProblem] = []
        self._row_keys: list[int] = []
        self._rows: list = []
        self._cells: dict[int, tuple[list[int], list]] = {}
        self._col_styles: list[tuple[int, int, str]] | None = None
        self._bounds: list[int] | None = None  # r1, c1, r2, c2 of created cells
        self._original_rows: list = []  # <row> elements as parsed, in document order
        self._dirty: set[int] = set()  # id() of original rows that were changed
        self._dimension_changed = False
        self.quoted: list = []  # <c> elements given formula-like text: they get a quotePrefix style

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}" if self.ns else name

    def problem(self, w: CellWrite, reason: str) -> None:
        self.problems.append(CellProblem(w.sheet, w.cell, reason))

    # ---- indexes
    def _index_rows(self, sheet_data) -> None:
        prev = 0
        for el in sheet_data:
            if el.tag != self.q("row"):
                continue
            r = el.get("r")
            idx = int(r) if r and r.isdigit() else prev + 1
            prev = idx
            self._row_keys.append(idx)
            self._rows.append(el)

    def _row_cells(self, row_el, key: int) -> tuple[list[int], list]:
        """(columns, <c> elements) of the row numbered *key*, computed once."""
        if key not in self._cells:
            cols, els, prev = [], [], 0
            for c in row_el:
                if c.tag != self.q("c"):
                    continue
                ref = c.get("r")
                pos = _parse_ref(ref) if ref else None
                idx = pos[1] if pos else prev + 1
                prev = idx
                cols.append(idx)
                els.append(c)
            self._cells[key] = (cols, els)
        return self._cells[key]

    def _column_style(self, col: int) -> str | None:
        if self._col_styles is None:
            self._col_styles = []
            cols = self.root.find(self.q("cols"))
            for el in (cols if cols is not None else []):
                try:
                    lo, hi = int(el.get("min")), int(el.get("max"))
                except (TypeError, ValueError):
                    continue
                if el.get("style"):
                    self._col_styles.append((lo, hi, el.get("style")))
        for lo, hi, style in self._col_styles:
            if lo <= col <= hi:
                return style
        return None

    # ---- structure edits
    def _get_row(self, sheet_data, row: int):
        i = bisect_left(self._row_keys, row)
        if i < len(self._row_keys) and self._row_keys[i] == row:
            return self._rows[i]
        new = etree.Element(self.q("row"))
        new.set("r", str(row))
        if i < len(self._rows):
            nxt = self._rows[i]
            if not nxt.get("r"):  # keep the implicit index of the next row right
                nxt.set("r", str(self._row_keys[i]))
                self._dirty.add(id(nxt))
            nxt.addprevious(new)
        elif self._rows:
            self._rows[-1].addnext(new)
        else:
            sheet_data.append(new)
        self._row_keys.insert(i, row)
        self._rows.insert(i, new)
        return new

    def _get_cell(self, row_el, row: int, col: int):
        cols, els = self._row_cells(row_el, row)
        i = bisect_left(cols, col)
        if i < len(cols) and cols[i] == col:
            return els[i], False
        new = etree.Element(self.q("c"))
        new.set("r", _a1(row, col))
        style = None
        if row_el.get("customFormat") in ("1", "true") and row_el.get("s"):
            style = row_el.get("s")
        else:
            style = self._column_style(col)
        if style and style != "0":
            new.set("s", style)
        if i < len(els):
            nxt = els[i]
            if not nxt.get("r"):
                nxt.set("r", _a1(row, cols[i]))
            nxt.addprevious(new)
        elif els:
            els[-1].addnext(new)
        else:
            # cells come first in <row>; an <extLst> may follow them
            ext = row_el.find(self.q("extLst"))
            if ext is not None:
                ext.addprevious(new)
            else:
                row_el.append(new)
        cols.insert(i, col)
        els.insert(i, new)
        self._widen_spans(row_el, col)
        if self._bounds is None:
            self._bounds = [row, col, row, col]
        else:
            b = self._bounds
            b[0], b[1], b[2], b[3] = min(b[0], row), min(b[1], col), max(b[2], row), max(b[3], col)
        return new, True

    @staticmethod
    def _widen_spans(row_el, col: int) -> None:
        spans = row_el.get("spans")
        if not spans:
            return
        pairs = []
        for tok in spans.split():
            lo, _, hi = tok.partition(":")
            if lo.isdigit() and hi.isdigit():
                pairs.append((int(lo), int(hi)))
        if not pairs or any(lo <= col <= hi for lo, hi in pairs):
            return
        lo = min(min(p[0] for p in pairs), col)
        hi = max(max(p[1] for p in pairs), col)
        row_el.set("spans", f"{lo}:{hi}")

    def _widen_dimension(self) -> None:
        if self._bounds is None:
            return
        dim = self.root.find(self.q("dimension"))
        if dim is None or not dim.get("ref"):
            return
        rng = _parse_range(dim.get("ref"))
        if rng is None:
            return
        r1, c1, r2, c2 = rng
        b = self._bounds
        if r1 <= b[0] and c1 <= b[1] and r2 >= b[2] and c2 >= b[3]:
            return
        nr1, nc1 = min(r1, b[0]), min(c1, b[1])
        nr2, nc2 = max(r2, b[2]), max(c2, b[3])
        dim.set("ref", f"{_a1(nr1, nc1)}:{_a1(nr2, nc2)}")
        self._dimension_changed = True

    def _set_text(self, cell, text: str) -> None:
        for child in list(cell):
            if child.tag in (self.q("v"), self.q("is"), self.q("f")):
                cell.remove(child)
        for attr in ("vm", "cm"):  # value / cell metadata belonged to the old value
            if attr in cell.attrib:
                del cell.attrib[attr]
        if text == "":
            if "t" in cell.attrib:
                del cell.attrib["t"]
            return
        cell.set("t", "inlineStr")
        is_el = etree.Element(self.q("is"))
        t_el = etree.SubElement(is_el, self.q("t"))
        t_el.set(f"{{{_XML_NS}}}space", "preserve")
        t_el.text = text
        cell.insert(0, is_el)

    # ---- main
    def apply(self, targets: list[_Target], merged: str) -> None:
        if _local(self.root.tag) != "worksheet":
            for t in targets:
                self.problem(t.write, f"part {self.part} is not a worksheet")
            return
        sheet_data = self.root.find(self.q("sheetData"))
        if sheet_data is None:
            for t in targets:
                self.problem(t.write, "worksheet has no <sheetData>")
            return

        merges = []
        mc = self.root.find(self.q("mergeCells"))
        for el in (mc if mc is not None else []):
            rng = _parse_range(el.get("ref") or "")
            if rng and rng[:2] != rng[2:]:
                merges.append(rng)
        arrays = []
        for f in sheet_data.iter(self.q("f")):
            if f.get("t") in ("array", "dataTable") and f.get("ref"):
                rng = _parse_range(f.get("ref"))
                if rng:
                    arrays.append((rng, f.getparent().get("r") or "?"))

        self._index_rows(sheet_data)
        self._original_rows = list(self._rows)
        merge_at = _RangeIndex(merges)
        array_at = _RangeIndex([a[0] for a in arrays], [a[1] for a in arrays])
        seen: dict[tuple[int, int], CellWrite] = {}
        for t in sorted(targets, key=lambda t: (t.row, t.col)):
            row, col = t.row, t.col
            merge = merge_at.find(row, col)
            if merge and (row, col) != merge[:2]:
                top_left = _a1(merge[0], merge[1])
                rng_txt = f"{top_left}:{_a1(merge[2], merge[3])}"
                if merged == "top-left":
                    row, col = merge[0], merge[1]
                else:
                    self.problem(t.write, f"inside merged range {rng_txt}; only its top-left "
                                          f"cell {top_left} can hold a value")
                    continue
            if (row, col) in seen:
                self.problem(t.write, f"written twice (as {seen[(row, col)].cell!r} and "
                                      f"{t.write.cell!r})")
                continue
            seen[(row, col)] = t.write
            arr = array_at.find(row, col)
            if arr:
                self.problem(t.write, f"inside the array formula of {array_at.label(arr)}")
                continue
            row_el = self._get_row(sheet_data, row)
            cell, _created = self._get_cell(row_el, row, col)
            self._dirty.add(id(row_el))
            f = cell.find(self.q("f"))
            if f is not None:
                formula = (f.text or "").strip()
                shown = f"={formula[:80]}" if formula else "a shared formula"
                self.problem(t.write, f"holds a formula ({shown}); it is not an answer cell")
                continue
            self._set_text(cell, t.text)
            if t.write.style_from:
                self._copy_style(cell, t.write.style_from)
            if t.text and (is_formula_like(t.write.value) or is_formula_like(t.text)):
                self.quoted.append(cell)
        self._widen_dimension()

    def _copy_style(self, cell, ref: str) -> None:
        """Give *cell* the style index of the existing cell *ref* (no cell there: left as it is)."""
        pos = _parse_ref(ref)
        i = bisect_left(self._row_keys, pos[0]) if pos else len(self._row_keys)
        if i == len(self._row_keys) or self._row_keys[i] != pos[0]:
            return
        cols, els = self._row_cells(self._rows[i], pos[0])
        j = bisect_left(cols, pos[1])
        if j < len(cols) and cols[j] == pos[1] and els[j].get("s"):
            cell.set("s", els[j].get("s"))

    def serialise(self) -> bytes:
        """The patched part.  Only the changed <row> elements (and <dimension>, if widened)
        are spliced into the original bytes, so everything else stays byte-identical --
        attribute order, quoting, entity forms included.  The splice is checked against
        the full lxml serialisation and that is used instead if they ever differ."""
        return self.blank_runs.restore(self._serialise_reduced())

    def _serialise_reduced(self) -> bytes:
        full = _serialise(self.tree, self.data)
        try:
            spliced = self._splice(full)
        except _SpliceError:
            return full
        if spliced is None:
            return full
        try:
            same = (etree.tostring(etree.fromstring(spliced, _parser()), method="c14n")
                    == etree.tostring(self.root, method="c14n"))
        except etree.XMLSyntaxError:
            same = False
        return spliced if same else full

    def _tag(self, local: str) -> bytes:
        prefix = self.root.prefix
        return (f"{prefix}:{local}" if prefix else local).encode()

    def _splice(self, full: bytes) -> bytes | None:
        enc = (self.tree.docinfo.encoding or "UTF-8").upper().replace("-", "")
        if enc != "UTF8":
            return None
        row_tag = self._tag("row")
        old_spans = _element_spans(self.data, row_tag, self._tag("sheetData"))
        new_spans = _element_spans(full, row_tag, self._tag("sheetData"))
        if old_spans is None or new_spans is None:
            return None
        old_rows, sd_end_old = old_spans
        new_rows, _ = new_spans
        if len(old_rows) != len(self._original_rows) or len(new_rows) != len(self._rows):
            return None
        old_pos = {id(el): span for el, span in zip(self._original_rows, old_rows)}
        edits: list[tuple[int, int, int, bytes]] = []  # (start, end, order, replacement)
        next_start = sd_end_old
        # walk backwards so that a new row knows where the next original row starts
        for order in range(len(self._rows) - 1, -1, -1):
            el = self._rows[order]
            ns, ne = new_rows[order]
            span = old_pos.get(id(el))
            if span is None:  # a new row: insert before the next original row
                edits.append((next_start, next_start, order, full[ns:ne]))
                continue
            if id(el) in self._dirty:
                edits.append((span[0], span[1], order, full[ns:ne]))
            next_start = span[0]
        if self._dimension_changed:
            dim_tag = self._tag("dimension")
            old_dim, new_dim = _first_element(self.data, dim_tag), _first_element(full, dim_tag)
            if old_dim is None or new_dim is None:
                return None
            edits.append((old_dim[0], old_dim[1], -1, full[new_dim[0]:new_dim[1]]))
        edits.sort(key=lambda e: (e[0], e[2]))
        out, cursor = [], 0
        for start, end, _order, repl in edits:
            if start < cursor:
                raise _SpliceError
            out.append(self.data[cursor:start])
            out.append(repl)
            cursor = end
        out.append(self.data[cursor:])
        return b"".join(out)


def _serialise(tree: etree._ElementTree, original: bytes) -> bytes:
    """Serialise *tree*, keeping *original*'s XML declaration (and what follows it) verbatim."""
    enc = (tree.docinfo.encoding or "UTF-8").upper()
    if enc.replace("-", "") != "UTF8":
        return etree.tostring(tree, encoding=enc, xml_declaration=True,
                              standalone=tree.docinfo.standalone)
    m = re.match(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml\b.*?\?>\s*)?", original, re.S)
    prefix = m.group(0) if m else b""
    return prefix + etree.tostring(tree, encoding="UTF-8", xml_declaration=False)


# --------------------------------------------------------------------------- quotePrefix styles

_STYLES_SUFFIX = "/styles"


def _styles_part(pkg: _Package, wb_part: str) -> str | None:
    for rel in pkg.rels(wb_part):
        if rel["type"].endswith(_STYLES_SUFFIX) and not rel["external"]:
            info = pkg.info(rel["target"])
            return info.filename if info else None
    return None


def _style_index(cell) -> int:
    s = cell.get("s") or "0"
    return int(s) if s.isdigit() else 0


def _add_quote_prefix_styles(data: bytes, part: str, sources: set[int]) -> tuple[bytes, dict[int, int]]:
    """styles.xml with, for each cell style index in *sources*, a copy of that ``<xf>`` with
    ``quotePrefix="1"`` appended to ``<cellXfs>`` (and its ``count``), and the map old -> new
    index. An ``<xf>`` that already has ``quotePrefix`` maps to itself. The existing styles are
    not touched: the new ``<xf>`` elements are spliced in before ``</cellXfs>``, and only the
    ``count`` attribute of the ``<cellXfs>`` start tag changes (checked against lxml's full
    serialisation, as for the worksheets)."""
    tree = _parse_xml(data, part)
    root = tree.getroot()
    ns = etree.QName(root).namespace
    q = (lambda n: f"{{{ns}}}{n}") if ns else (lambda n: n)
    cell_xfs = root.find(q("cellXfs"))
    if _local(root.tag) != "styleSheet" or cell_xfs is None:
        raise XlsxExportError(f"{part} has no cell styles (<cellXfs>); cannot mark formula-like answers as text")
    xfs = [el for el in cell_xfs if el.tag == q("xf")]
    if not xfs:
        raise XlsxExportError(f"{part} has no cell style to copy; cannot mark formula-like answers as text")
    mapping: dict[int, int] = {}
    added = 0
    for src in sorted(sources):
        base = xfs[src] if src < len(xfs) else xfs[0]
        if base.get("quotePrefix") in ("1", "true"):
            mapping[src] = src if src < len(xfs) else 0
            continue
        new = copy.deepcopy(base)
        new.set("quotePrefix", "1")
        new.tail = None
        cell_xfs.append(new)
        mapping[src] = len(xfs) + added
        added += 1
    if not added:
        return data, mapping
    if cell_xfs.get("count") is not None:
        cell_xfs.set("count", str(len(xfs) + added))
    full = _serialise(tree, data)
    return _splice_appended(data, full, root, cell_xfs, added), mapping


def _splice_appended(data: bytes, full: bytes, root, container, added: int) -> bytes:
    """*data* with the last *added* children of *container* (as serialised in *full*) put before its
    end tag and its start tag's ``count`` updated; *full* when the splice does not check out."""
    prefix = (root.prefix + ":") if root.prefix else ""
    tag, child = (prefix + "cellXfs").encode(), (prefix + "xf").encode()
    old, new = _element_spans(data, child, tag), _element_spans(full, child, tag)
    start = re.compile(b"<" + re.escape(tag) + _ATTRS + b">").search(data)
    if old is None or new is None or start is None or len(new[0]) < added:
        return full
    new_children = b"".join(full[a:b] for a, b in new[0][-added:])
    head = data[start.start():start.end()]
    if container.get("count") is not None:
        head, n = re.subn(rb'(\scount\s*=\s*)(["\'])\d*\2', lambda m: m.group(1) + m.group(2)
                          + container.get("count").encode() + m.group(2), head, count=1)
        if n != 1:
            return full
    end = old[1]
    spliced = data[:start.start()] + head + data[start.end():end] + new_children + data[end:]
    return _checked_splice(spliced, root, full)


def _checked_splice(spliced: bytes, root, full: bytes) -> bytes:
    """The spliced bytes when they parse to the same tree as the full rewrite, else the full rewrite."""
    try:
        same = (etree.tostring(etree.fromstring(spliced, _parser()), method="c14n")
                == etree.tostring(root, method="c14n"))
    except etree.XMLSyntaxError:
        same = False
    return spliced if same else full


# CT_Workbook children that come after <calcPr>, in schema order.
_AFTER_CALCPR = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                 "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


def _set_full_calc_on_load(data: bytes, part: str) -> bytes:
    """workbook.xml with <calcPr fullCalcOnLoad="1">: Excel recomputes every formula when
    the file is opened, so cached results that depend on the answers are not shown stale."""
    tree = _parse_xml(data, part)
    root = tree.getroot()
    ns = etree.QName(root).namespace
    calc = root.find(f"{{{ns}}}calcPr")
    if calc is None:
        calc = etree.Element(f"{{{ns}}}calcPr")
        later = next((el for el in root if _local(el.tag) in _AFTER_CALCPR), None)
        if later is not None:
            later.addprevious(calc)
        else:
            root.append(calc)
    calc.set("fullCalcOnLoad", "1")
    full = _serialise(tree, data)
    # splice just the <calcPr/> element into the original bytes when we can, and check it
    tag = (f"{root.prefix}:calcPr" if root.prefix else "calcPr").encode()
    old_span, new_span = _first_element(data, tag), _first_element(full, tag)
    if old_span is None or new_span is None:
        return full
    spliced = data[:old_span[0]] + full[new_span[0]:new_span[1]] + data[old_span[1]:]
    return _checked_splice(spliced, root, full)


# --------------------------------------------------------------------------- zip output
#
# The package is rewritten by a small zip writer of our own rather than zipfile's: the
# parts we do not patch are copied as their *compressed* bytes (no inflate / deflate), so
# they stay byte-identical down to the compressed stream, and copying is fast.  Local
# headers are rewritten from the central directory's CRC and sizes (a data descriptor, if
# the source used one, is dropped), zip64 extra fields are dropped (the size limits above
# keep every offset below 4 GiB).

_LOCAL_SIG = b"PK\x03\x04"
_LOCAL_FMT = "<4s5H3I2H"  # sig, version, flags, method, time, date, crc, csize, usize, nlen, xlen
_CENTRAL_FMT = "<4s6H3I5H2I"
_EOCD_FMT = "<4s4H2IH"


def _strip_zip64_extra(extra: bytes) -> bytes:
    out, i = bytearray(), 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack("<HH", extra[i:i + 4])
        if hid != 0x0001:
            out += extra[i:i + 4 + size]
        i += 4 + size
    return bytes(out)


def _raw_entry(data: bytes, info: zipfile.ZipInfo) -> tuple[bytes, bytes, int, int, bytes]:
    """(raw name, local extra, dos time, dos date, compressed bytes) of *info* in *data*."""
    off = info.header_offset
    head = data[off:off + 30]
    if len(head) < 30 or head[:4] != _LOCAL_SIG:
        raise XlsxExportError(f"damaged zip: bad local header for {info.filename!r}")
    (_sig, _ver, _flags, _method, dos_time, dos_date, _crc, _cs, _us,
     nlen, xlen) = struct.unpack(_LOCAL_FMT, head)
    name = data[off + 30:off + 30 + nlen]
    extra = data[off + 30 + nlen:off + 30 + nlen + xlen]
    start = off + 30 + nlen + xlen
    body = data[start:start + info.compress_size]
    if len(body) != info.compress_size:
        raise XlsxExportError(f"damaged zip: {info.filename!r} is truncated")
    return name, _strip_zip64_extra(extra), dos_time, dos_date, body


def _write_package(data: bytes, zin: zipfile.ZipFile, replaced: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    central = []
    for info in zin.infolist():
        if info.flag_bits & 0x1:
            raise XlsxExportError(f"zip entry {info.filename!r} is encrypted")
        name, lextra, dos_time, dos_date, body = _raw_entry(data, info)
        flags = info.flag_bits & ~0x0008  # no data descriptor: sizes are in the header
        method, version = info.compress_type, info.extract_version
        crc, usize = info.CRC, info.file_size
        if info.filename in replaced:
            plain = replaced[info.filename]
            crc, usize = zlib.crc32(plain) & 0xFFFFFFFF, len(plain)
            if method == zipfile.ZIP_STORED:
                body = plain
            else:
                method, version = zipfile.ZIP_DEFLATED, max(version, 20)
                comp = zlib.compressobj(6, zlib.DEFLATED, -15)
                body = comp.compress(plain) + comp.flush()
                flags &= ~0x0006  # compression-option bits described the old stream
        offset = out.tell()
        if max(offset, len(body), usize) > 0xFFFFFFFF:
            raise XlsxExportError("package too large (needs zip64)")
        out.write(struct.pack(_LOCAL_FMT, _LOCAL_SIG, version, flags, method, dos_time, dos_date,
                              crc, len(body), usize, len(name), len(lextra)))
        out.write(name)
        out.write(lextra)
        out.write(body)
        cextra = _strip_zip64_extra(info.extra)
        comment = info.comment or b""
        central.append(struct.pack(
            _CENTRAL_FMT, b"PK\x01\x02", (info.create_system << 8) | (info.create_version & 0xFF),
            version, flags, method, dos_time, dos_date, crc, len(body), usize, len(name),
            len(cextra), len(comment), 0, info.internal_attr, info.external_attr & 0xFFFFFFFF,
            offset) + name + cextra + comment)
    cd_offset = out.tell()
    for rec in central:
        out.write(rec)
    cd_size = out.tell() - cd_offset
    comment = (zin.comment or b"")[:0xFFFF]
    out.write(struct.pack(_EOCD_FMT, b"PK\x05\x06", 0, 0, len(central), len(central),
                          cd_size, cd_offset, len(comment)))
    out.write(comment)
    return out.getvalue()


# --------------------------------------------------------------------------- public API

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
    zin = _open_zip(data)
    pkg = _Package(zin)
    sheets, wb_part = _sheet_parts(pkg)
    exact = {name: (part, typ) for name, part, typ in sheets}
    folded = {name.casefold(): (name, part, typ) for name, part, typ in sheets}

    problems: list[CellProblem] = []
    per_part: dict[str, tuple[str, list[_Target]]] = {}
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
        if not typ.endswith(_WORKSHEET_SUFFIX) or part.lower().endswith(".bin"):
            problems.append(CellProblem(w.sheet, w.cell, "not a worksheet (chart or dialog sheet)"))
            continue
        pos = _parse_ref(w.cell)
        if pos is None:
            problems.append(CellProblem(w.sheet, w.cell, "not a cell reference like 'D12'"))
            continue
        text = _prepare_text(w.value)
        logical = strip_illegal_xml_chars(w.value).replace("\r\n", "\n")
        units = len(logical.encode("utf-16-le")) // 2
        if units > MAX_CELL_CHARS:
            problems.append(CellProblem(w.sheet, w.cell, f"value has {units} characters; Excel "
                                                         f"holds at most {MAX_CELL_CHARS} in a cell"))
            continue
        per_part.setdefault(part, (name, []))[1].append(_Target(w, pos[0], pos[1], text))

    replaced: dict[str, bytes] = {}
    patchers = []
    for part, (name, targets) in per_part.items():
        rows = {t.row for t in targets}
        patcher = _SheetPatcher(name, part, pkg.read(part), rows)
        patcher.apply(targets, merged)
        problems.extend(patcher.problems)
        patchers.append(patcher)
    if problems:
        raise XlsxCellError(problems)
    quoted = [cell for p in patchers for cell in p.quoted]
    if quoted:
        # Formula-like text stays text when a person edits the cell or saves as CSV: quotePrefix.
        styles = _styles_part(pkg, wb_part)
        if styles is None:
            raise XlsxExportError("the workbook has no styles part; cannot mark formula-like answers as text")
        replaced[styles], new_index = _add_quote_prefix_styles(
            pkg.read(styles), styles, {_style_index(c) for c in quoted})
        for cell in quoted:
            idx = new_index[_style_index(cell)]
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
        replaced[wb_name] = _set_full_calc_on_load(pkg.read(wb_name), wb_name)
    return _write_package(data, zin, replaced)
