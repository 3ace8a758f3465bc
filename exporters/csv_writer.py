"""Write answers into the customer's own CSV file, keeping everything else byte-identical.

The file is split into records and fields with their exact positions (RFC 4180 quoting:
``"..."`` with ``""`` for a quote; a quoted field may span lines).  Only the records that
receive a value are rebuilt, and in them only the target fields; every other byte -- other
records, other fields' quoting, the delimiter, the line endings, the BOM, the encoding --
is kept as it was.

Rows and columns are 1-based: row N is the N-th *record* (what ``csv.reader`` yields as
its N-th row; a quoted field with line breaks does not start a new row, a blank line is a
row).  A short record is extended with empty fields; rows past the end are appended.

Every written value goes through :func:`exporters.safety.neutralise` (formula injection):
see docs/exporters.md.
"""
from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from exporters.safety import neutralise

__all__ = ["CsvExportError", "CsvFormat", "detect_csv_format", "fill_csv"]

_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (b"\x84\x31\x95\x33", "gb18030"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
MAX_CSV_BYTES = 256 * 1024 * 1024


class CsvExportError(ValueError):
    """The CSV cannot be read or written as asked."""


@dataclass(frozen=True)
class CsvFormat:
    encoding: str  # Python codec used for the text after the BOM: "utf-8", "gb18030", ...
    bom: bytes  # the byte-order mark the file starts with (b"" if none)
    delimiter: str
    line_ending: str  # "\r\n", "\n" or "\r": the file's most common record terminator
    quotechar: str = '"'

    @property
    def label(self) -> str:
        """A short human name: "utf-8-sig", "utf-8", "gb18030", ..."""
        if self.bom and self.encoding == "utf-8":
            return "utf-8-sig"
        return self.encoding


# --------------------------------------------------------------------------- scanning

class _Record:
    __slots__ = ("start", "end", "fields", "terminator")

    def __init__(self, start: int, end: int, fields: list[tuple[int, int]], terminator: str):
        self.start = start
        self.end = end  # end of the record's text, before its terminator
        self.fields = fields  # [(start, end)] raw spans, quotes included
        self.terminator = terminator  # "\r\n", "\n", "\r" or "" at end of text


def _scan(text: str, delim: str, quote: str = '"', limit: int | None = None) -> list[_Record]:
    """Split *text* into records of raw field spans, like ``csv.reader`` (strict=False)."""
    q, d = re.escape(quote), re.escape(delim)
    quoted = re.compile(f"{q}[^{q}]*(?:{q}{q}[^{q}]*)*(?:{q}|\\Z)")
    unquoted = re.compile(f"[^{d}\\r\\n]*")
    records: list[_Record] = []
    n = len(text)
    pos = 0
    while pos < n:
        if limit is not None and len(records) >= limit:
            break
        rec_start = pos
        fields = []
        while True:
            f_start = pos
            if pos < n and text[pos] == quote:
                pos = quoted.match(text, pos).end()
            pos = unquoted.match(text, pos).end()  # (junk after a closing quote is kept)
            fields.append((f_start, pos))
            if pos < n and text[pos] == delim:
                pos += 1
                continue
            break
        rec_end = pos
        if text.startswith("\r\n", pos):
            term = "\r\n"
        elif pos < n and text[pos] in "\r\n":
            term = text[pos]
        else:
            term = ""
        pos += len(term)
        records.append(_Record(rec_start, rec_end, fields, term))
    return records


def _sniff_delimiter(text: str) -> str:
    sample = text[:_SNIFF_CHARS]
    best, best_score = ",", (0.0, 0)
    for delim in _DELIMITERS:
        if delim not in sample:
            continue
        records = _scan(sample, delim, limit=200)
        if len(records) > 1 and len(sample) < len(text):
            records = records[:-1]  # the last one may be cut off by the sample
        counts = [len(r.fields) for r in records if r.end > r.start]
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        score = (hits / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


# --------------------------------------------------------------------------- format

def _decode(data: bytes, encoding: str | None) -> tuple[str, str, bytes]:
    bom, body = b"", data
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise CsvExportError(f"unknown encoding {encoding!r}") from None
        if name == "utf-8-sig":
            name = "utf-8"
        for mark, enc in _BOMS:
            if enc == name and data.startswith(mark):
                bom, body = mark, data[len(mark):]
        candidates = [name]
    else:
        for mark, enc in _BOMS:
            if data.startswith(mark):
                bom, body, candidates = mark, data[len(mark):], [enc]
                break
        else:
            candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            text = body.decode(enc)
        except UnicodeDecodeError:
            continue
        if text.encode(enc) != body:  # must round-trip byte for byte
            continue
        return text, enc, bom
    tried = ", ".join(candidates)
    raise CsvExportError(f"cannot decode the CSV losslessly as {tried}; pass encoding=...")


def _line_ending(records: list[_Record]) -> str:
    counts = Counter(r.terminator for r in records if r.terminator)
    return counts.most_common(1)[0][0] if counts else "\r\n"


def detect_csv_format(data: bytes, *, encoding: str | None = None,
                      delimiter: str | None = None) -> CsvFormat:
    """Encoding (with BOM), delimiter and line ending of a CSV file."""
    text, enc, bom = _decode(bytes(data), encoding)
    delim = delimiter or _sniff_delimiter(text)
    records = _scan(text[:_SNIFF_CHARS], delim, limit=1000)
    return CsvFormat(encoding=enc, bom=bom, delimiter=delim, line_ending=_line_ending(records))


# --------------------------------------------------------------------------- writing

def _render_field(value: str, fmt: CsvFormat, quote_style: bool) -> str:
    q = fmt.quotechar
    needs = (fmt.delimiter in value or q in value or "\r" in value or "\n" in value
             or value != value.strip(" \t"))
    if needs or quote_style:
        return q + value.replace(q, q + q) + q
    return value


def fill_csv(src_bytes: bytes, writes: Iterable[tuple[int, int, str]], *,
             encoding: str | None = None, delimiter: str | None = None,
             neutralise_formulas: bool = True) -> bytes:
    """Return *src_bytes* with each ``(row, col, value)`` written (1-based record, column).

    The encoding (UTF-8, UTF-8 with BOM, GB18030/GBK, UTF-16 with BOM, or *encoding*),
    delimiter (sniffed among ``, ; TAB |`` unless given), quoting and line endings of the
    source are kept; untouched records and fields stay byte-identical.  Values are
    neutralised against formula injection unless ``neutralise_formulas=False``.
    """
    data = bytes(src_bytes)
    if len(data) > MAX_CSV_BYTES:
        raise CsvExportError(f"CSV too large ({len(data)} bytes)")
    text, enc, bom = _decode(data, encoding)
    delim = delimiter or _sniff_delimiter(text)
    head = _scan(text[:_SNIFF_CHARS], delim, limit=1000)
    fmt = CsvFormat(encoding=enc, bom=bom, delimiter=delim, line_ending=_line_ending(head))

    by_row: dict[int, dict[int, str]] = {}
    for item in writes:
        try:
            row, col, value = item
        except (TypeError, ValueError):
            raise CsvExportError(f"each write must be (row, col, value), got {item!r}") from None
        if not (isinstance(row, int) and isinstance(col, int)) or row < 1 or col < 1:
            raise CsvExportError(f"row and column are 1-based integers, got ({row!r}, {col!r})")
        if not isinstance(value, str):
            raise CsvExportError(f"value for ({row}, {col}) must be str, not {type(value).__name__}")
        cells = by_row.setdefault(row, {})
        if col in cells:
            raise CsvExportError(f"cell ({row}, {col}) is written twice")
        if neutralise_formulas:
            value = neutralise(value)
        try:
            value.encode(fmt.encoding)
        except UnicodeEncodeError as exc:
            raise CsvExportError(f"value for ({row}, {col}) cannot be written in "
                                 f"{fmt.label}: {exc.reason}") from None
        cells[col] = value

    # records after the last one written to are never looked at (nor rebuilt)
    records = _scan(text, fmt.delimiter, fmt.quotechar, limit=max(by_row, default=0))
    q = fmt.quotechar

    def build(raw_fields: list[str], cells: dict[int, str]) -> str:
        width = max(len(raw_fields), max(cells))
        raw_fields = raw_fields + [""] * (width - len(raw_fields))
        non_empty = [f for f in raw_fields if f]
        all_quoted = bool(non_empty) and all(f.startswith(q) for f in non_empty)
        for col, value in cells.items():
            was_quoted = raw_fields[col - 1].startswith(q)
            raw_fields[col - 1] = _render_field(value, fmt, was_quoted or all_quoted)
        return fmt.delimiter.join(raw_fields)

    pieces: list[str] = []
    pos = 0
    for idx, rec in enumerate(records, start=1):
        cells = by_row.get(idx)
        if not cells:
            continue
        raw = [text[s:e] for s, e in rec.fields]
        if raw == [""]:
            raw = []  # a blank line is a record with no fields yet
        pieces.append(text[pos:rec.start])
        pieces.append(build(raw, cells))
        pos = rec.end
    pieces.append(text[pos:])

    extra_rows = sorted(r for r in by_row if r > len(records))
    if extra_rows:
        eol = fmt.line_ending
        ends_open = bool(records) and records[-1].terminator == ""
        trailing = not ends_open  # the file ended with a line break (or was empty)
        new_lines = []
        for r in range(len(records) + 1, extra_rows[-1] + 1):
            new_lines.append(build([], by_row[r]) if r in by_row else "")
        tail = eol.join(new_lines)
        if ends_open:
            tail = eol + tail
        if trailing:
            tail += eol
        pieces.append(tail)

    return fmt.bom + "".join(pieces).encode(fmt.encoding)
