"""Layout hints: a person's corrections to the detection, in a plain dict.

    {"sheets": {"Organization": {"skip": False, "header_row": 12,
                                 "columns": {"id": "A", "question": "B", "answer": "C",
                                             "comment": "D"}},
                "Questions": {"skip": True}}}

`Questionnaire.layout()` returns the same shape, so a confirmed layout can be stored
and replayed for the next file whose `layout_signature` matches.
"""
from __future__ import annotations

import hashlib
import json
import re

from openpyxl.utils.cell import column_index_from_string

from .i18n_marker import N_
from .model import ROLES, ImportErrorWithContext, Questionnaire


def sheet_hint(layout_hint: dict | None, sheet: str, filename: str) -> dict | None:
    """The normalised hint for one sheet (column letters -> 1-based indexes), or None."""
    if not layout_hint:
        return None
    sheets = layout_hint.get("sheets")
    if not isinstance(sheets, dict):
        raise ImportErrorWithContext(N_('layout hint must look like {"sheets": {name: {...}}}'),
                                     file=filename)
    raw = sheets.get(sheet)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ImportErrorWithContext(N_("layout hint for this sheet must be a dict"), file=filename,
                                     sheet=sheet)
    out: dict = {"skip": raw.get("skip")}
    hr = raw.get("header_row")
    if hr is not None:
        if not isinstance(hr, int) or hr < 1:
            raise ImportErrorWithContext(N_("layout hint header_row must be a row number, not %(value)s"),
                                         params={"value": repr(hr)}, file=filename, sheet=sheet)
        out["header_row"] = hr
    cols = raw.get("columns") or {}
    if cols:
        conv = {}
        for role, col in cols.items():
            if role not in ROLES:
                raise ImportErrorWithContext(
                    N_("layout hint names an unknown column role %(role)s (use one of %(roles)s)"),
                    params={"role": repr(role), "roles": ", ".join(ROLES)}, file=filename, sheet=sheet)
            if col is None:
                continue
            conv[role] = column_number(col, filename, sheet)
        if "question" not in conv:
            raise ImportErrorWithContext(N_("layout hint columns must include the question column"),
                                         file=filename, sheet=sheet)
        out["columns"] = conv
    return out


def column_number(col, filename: str, sheet: str | None) -> int:
    if isinstance(col, int) and not isinstance(col, bool) and 1 <= col <= 16384:
        return col
    if isinstance(col, str) and re.fullmatch(r"[A-Za-z]{1,3}", col.strip()):
        n = column_index_from_string(col.strip().upper())
        if n <= 16384:
            return n
    raise ImportErrorWithContext(N_("layout hint column %(column)s is not a column letter like 'C'"),
                                 params={"column": repr(col)}, file=filename, sheet=sheet)


def unknown_hint_sheets(layout_hint: dict | None, names: list[str]) -> list[str]:
    if not layout_hint or not isinstance(layout_hint.get("sheets"), dict):
        return []
    return [n for n in layout_hint["sheets"] if n not in names]


def layout_signature(questionnaire: Questionnaire) -> str:
    """Hash of the sheets' names and header rows: equal for files of the same layout."""
    key = [[s.name, s.header_row] for s in questionnaire.sheets]
    blob = json.dumps([questionnaire.source_format, key], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
