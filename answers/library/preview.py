"""The import preview: what was detected in each sheet, the mapping people correct, the first rows.

Pure: raw sheet records and an ImportPlan in, plain values for the template out.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Mapping

from openpyxl.utils.cell import get_column_letter

from answers.library.importing import ImportPlan
from importers.library import ROLES

MAX_COLUMNS = 40     # columns offered in the mapping form
SAMPLE_ROWS = 15     # rows shown as they will be imported
MAX_HEADER_ROW = 10000


@dataclass
class ColumnView:
    number: int
    letter: str
    header: str   # the cell text in the header row
    role: str     # "" = not imported


@dataclass
class SheetView:
    index: int
    key: str      # sheet name, or "csv"
    header_row: int | None
    columns: list[ColumnView]
    rows: int     # how many non-empty rows the sheet has

    @property
    def included(self) -> bool:
        return self.header_row is not None and any(c.role == "question" for c in self.columns)


@dataclass
class RowView:
    sheet: str | None
    row: int
    ref: str | None
    question: str
    answer_short: str
    answer_full: str
    action: str   # "create", "update", "unchanged"


def _columns(records: dict[int, list[str]], header_row: int | None, roles: dict[str, str]) -> list[ColumnView]:
    width = min(MAX_COLUMNS, max((len(r) for r in records.values()), default=0))
    header = records.get(header_row or 0, [])
    by_letter = {letter: role for role, letter in roles.items()}
    return [ColumnView(c, get_column_letter(c), header[c - 1] if c <= len(header) else "",
                       by_letter.get(get_column_letter(c), "")) for c in range(1, width + 1)]


def sheet_views(sheets: list[tuple[str, dict[int, list[str]]]], mapping: dict) -> list[SheetView]:
    """The mapping used (or detected), per sheet; sheets without one are listed for people to map."""
    used = mapping.get("sheets", {})
    out = []
    for i, (key, records) in enumerate(sheets):
        m = used.get(key) or {}
        header_row = m.get("header_row")
        out.append(SheetView(i, key, header_row, _columns(records, header_row, m.get("columns", {})), len(records)))
    return out


def mapping_from_form(form: Mapping[str, str], sheets: list[tuple[str, dict[int, list[str]]]]
                      ) -> tuple[dict, list[tuple[str, str]], list[SheetView]]:
    """(mapping, problems, views of what was chosen) from the fields h<sheet> and c<sheet>_<column>.

    problems are (sheet key, message code) pairs: "header_row", "duplicate:<role>", "no_question"."""
    mapping: dict = {"sheets": {}}
    problems: list[tuple[str, str]] = []
    views = []
    for i, (key, records) in enumerate(sheets):
        raw = (form.get(f"h{i}") or "").strip()
        header_row = int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_HEADER_ROW else None
        if raw and header_row is None:
            problems.append((key, "header_row"))
        roles: dict[str, str] = {}
        width = min(MAX_COLUMNS, max((len(r) for r in records.values()), default=0))
        for c in range(1, width + 1):
            role = form.get(f"c{i}_{c}") or ""
            if role not in ROLES:
                continue
            if role in roles:
                problems.append((key, f"duplicate:{role}"))
                continue
            roles[role] = get_column_letter(c)
        views.append(SheetView(i, key, header_row, _columns(records, header_row, roles), len(records)))
        if header_row is None:
            continue
        if "question" not in roles:
            if roles:
                problems.append((key, "no_question"))
            continue
        mapping["sheets"][key] = {"header_row": header_row, "columns": roles}
    return mapping, problems, views


def row_views(plan: ImportPlan, limit: int = SAMPLE_ROWS) -> list[RowView]:
    action = {id(row): "create" for row, _ in plan.creates}
    action.update({id(row): "update" for _, row, _ in plan.updates})
    action.update({id(row): "unchanged" for row in plan.unchanged})
    rows = [row for row, _ in plan.creates] + [row for _, row, _ in plan.updates] + list(plan.unchanged)
    rows.sort(key=lambda r: (r.sheet or "", r.row))
    return [RowView(r.sheet, r.row, r.ref, r.question, r.answer_short, r.answer_full, action[id(r)])
            for r in rows[:limit]]


def fingerprint(mapping: dict, default_status: str) -> str:
    """Ties a confirmation to the preview that was shown."""
    blob = json.dumps({"m": mapping, "s": default_status}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]
