"""Cells of an .xlsx export: what to write (CellWrite), what went wrong (the errors), A1 references and
the text a cell may hold."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from exporters.package import PackageError
from exporters.safety import strip_illegal_xml_chars

#: Excel's limit on the characters in one cell (counted in UTF-16 code units).
MAX_CELL_CHARS = 32_767

MAX_ROW = 1_048_576
MAX_COL = 16_384


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


class XlsxExportError(PackageError):
    """The workbook cannot be patched (not an xlsx package, damaged, unsupported)."""


class XlsxCellError(XlsxExportError):
    """Some requested writes are not allowed; ``problems`` lists every one of them."""

    def __init__(self, problems: list[CellProblem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} cell(s) cannot be written:\n{lines}")


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


def parse_ref(ref: str) -> tuple[int, int] | None:
    """``"D12"`` -> ``(12, 4)`` (row, column), or None when it is not a valid cell."""
    m = _CELL_RE.match(ref.strip()) if isinstance(ref, str) else None
    if not m:
        return None
    col, row = _col_to_num(m.group(1)), int(m.group(2))
    if not (1 <= col <= MAX_COL and 1 <= row <= MAX_ROW):
        return None
    return row, col


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """``"B2:D4"`` -> ``(r1, c1, r2, c2)``; a single cell is a 1x1 range."""
    parts = ref.strip().split(":")
    if len(parts) not in (1, 2):
        return None
    a = parse_ref(parts[0])
    b = parse_ref(parts[-1])
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


def a1(row: int, col: int) -> str:
    return f"{_num_to_col(col)}{row}"


_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def prepare_text(value: str) -> str:
    """Clean one value for a cell: drop characters XML cannot hold, CR/CRLF -> LF (Excel's
    in-cell line break), and escape literal ``_xHHHH_`` (which OOXML readers would otherwise
    decode as a character) as ``_x005F_xHHHH_``."""
    text = strip_illegal_xml_chars(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ESCAPE_LIKE.sub(r"_x005F_\1", text)
