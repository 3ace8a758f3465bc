"""Patching one worksheet part: the target cells replaced or inserted as inline strings, merged ranges,
array formulas and formulas refused, and only the changed rows spliced back into the original bytes."""
from __future__ import annotations

import os
import re
from bisect import bisect_left
from typing import Iterable, NamedTuple

from lxml import etree

from exporters.package import local_name, parse_xml, xml_parser
from exporters.safety import is_formula_like
from exporters.xlsx_cells import CellProblem, CellWrite, XlsxExportError, a1, parse_range, parse_ref
from exporters.xml_splice import element_spans, first_element, serialise

XML_NS = "http://www.w3.org/XML/1998/namespace"


class Target(NamedTuple):
    write: CellWrite
    row: int
    col: int
    text: str


class _SpliceError(Exception):
    pass



class RangeIndex:
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


class BlankRuns:
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
            rng = parse_range(m.group(1).decode("ascii", "replace"))
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


class SheetPatcher:
    def __init__(self, sheet_name: str, part: str, data: bytes, rows: Iterable[int] = ()):
        self.sheet_name = sheet_name
        self.part = part
        # Long runs of empty rows are set aside before parsing (see BlankRuns), so the parse, the
        # indexes and the splice cost what the sheet really holds, not what it declares.
        self.blank_runs = BlankRuns(data, rows)
        data = self.blank_runs.reduced
        self.data = data
        self.tree = parse_xml(data, part, XlsxExportError)
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
                pos = parse_ref(ref) if ref else None
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
        new.set("r", a1(row, col))
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
                nxt.set("r", a1(row, cols[i]))
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
        rng = parse_range(dim.get("ref"))
        if rng is None:
            return
        r1, c1, r2, c2 = rng
        b = self._bounds
        if r1 <= b[0] and c1 <= b[1] and r2 >= b[2] and c2 >= b[3]:
            return
        nr1, nc1 = min(r1, b[0]), min(c1, b[1])
        nr2, nc2 = max(r2, b[2]), max(c2, b[3])
        dim.set("ref", f"{a1(nr1, nc1)}:{a1(nr2, nc2)}")
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
        t_el.set(f"{{{XML_NS}}}space", "preserve")
        t_el.text = text
        cell.insert(0, is_el)

    # ---- main
    def apply(self, targets: list[Target], merged: str) -> None:
        if local_name(self.root.tag) != "worksheet":
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
            rng = parse_range(el.get("ref") or "")
            if rng and rng[:2] != rng[2:]:
                merges.append(rng)
        arrays = []
        for f in sheet_data.iter(self.q("f")):
            if f.get("t") in ("array", "dataTable") and f.get("ref"):
                rng = parse_range(f.get("ref"))
                if rng:
                    arrays.append((rng, f.getparent().get("r") or "?"))

        self._index_rows(sheet_data)
        self._original_rows = list(self._rows)
        merge_at = RangeIndex(merges)
        array_at = RangeIndex([a[0] for a in arrays], [a[1] for a in arrays])
        seen: dict[tuple[int, int], CellWrite] = {}
        for t in sorted(targets, key=lambda t: (t.row, t.col)):
            row, col = t.row, t.col
            merge = merge_at.find(row, col)
            if merge and (row, col) != merge[:2]:
                top_left = a1(merge[0], merge[1])
                rng_txt = f"{top_left}:{a1(merge[2], merge[3])}"
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
        pos = parse_ref(ref)
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
        full = serialise(self.tree, self.data)
        try:
            spliced = self._splice(full)
        except _SpliceError:
            return full
        if spliced is None:
            return full
        try:
            same = (etree.tostring(etree.fromstring(spliced, xml_parser()), method="c14n")
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
        old_spans = element_spans(self.data, row_tag, self._tag("sheetData"))
        new_spans = element_spans(full, row_tag, self._tag("sheetData"))
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
            old_dim, new_dim = first_element(self.data, dim_tag), first_element(full, dim_tag)
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

