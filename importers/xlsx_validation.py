"""Dropdown choices from data validation, per cell.

Rules come from both <dataValidations> and the x14 extension inside <extLst>
(which openpyxl drops; HECVAT keeps all its dropdowns there). A list source may be
a literal ("Yes,No,N/A"), a range on any sheet, or a defined name.
"""
from __future__ import annotations

from .xlsx_formulas import Evaluator, Range, Unsupported, _Parser, to_text, tokenize
from .xlsx_reader import SheetData, ValidationRule, XLError

MAX_CHOICES = 500


class ChoiceResolver:
    def __init__(self, evaluator: Evaluator):
        self.ev = evaluator
        self._cache: dict[int, tuple[list[str] | None, str | None]] = {}

    def rule_at(self, sheet: SheetData, row: int, col: int) -> ValidationRule | None:
        # Overlapping rules are legal; a list rule is the one that constrains the answer
        # (prompt-only rules often cover whole blocks, as in HECVAT).
        hit = None
        for rule in sheet.validations:
            if rule.covers(row, col) and (hit is None or rule.type == "list" or hit.type != "list"):
                hit = rule
        return hit

    def choices(self, sheet: SheetData, row: int, col: int) -> tuple[list[str] | None, str | None]:
        """(choices, note). choices is None when the cell has no list validation or the
        source cannot be resolved; note then says why (for Locator.extra)."""
        rule = self.rule_at(sheet, row, col)
        if rule is None or rule.type != "list":
            return None, None
        key = id(rule)
        if key not in self._cache:
            self._cache[key] = self._resolve(rule, sheet, row, col)
        return self._cache[key]

    def _resolve(self, rule: ValidationRule, sheet: SheetData, row: int, col: int):
        f = (rule.formula1 or "").strip()
        if not f:
            return None, "dropdown without a source"
        if f.startswith('"') and f.endswith('"'):
            items = [x.strip() for x in f[1:-1].replace('""', '"').split(",")]
            return _clean(items), None
        try:
            node = _Parser(tokenize(f.lstrip("="))).parse()
            value = self.ev.eval(node, sheet, row, col)
        except (Unsupported, RecursionError) as e:
            return None, f"dropdown source {f!r} not resolved ({e})"
        if isinstance(value, XLError):
            return None, f"dropdown source {f!r} gives {value}"
        if not isinstance(value, Range):
            return _clean(to_text(value).split(",")), None
        if (value.r2 - value.r1 + 1) * (value.c2 - value.c1 + 1) > 100_000:
            return None, f"dropdown source {f!r} is too large"
        try:
            items = [to_text(v) for v in self.ev._values(value, row, col)]
        except Unsupported as e:
            return None, f"dropdown source {f!r} not resolved ({e})"
        return _clean(items), None


def _clean(items: list[str]) -> list[str] | None:
    out: list[str] = []
    for x in items:
        if x and x.strip() and x not in out:
            out.append(x)
        if len(out) >= MAX_CHOICES:
            break
    return out or None
