"""XLSX/XLSM questionnaires: every sheet, questions with their answer cells."""
from __future__ import annotations

import re

from openpyxl.utils.cell import get_column_letter

from .detect import TablePlan, TooManyQuestions, detect_table, mark_glyph, marked_choices
from .layout import sheet_hint, unknown_hint_sheets
from .i18n_marker import N_
from .messages import Msg
from .model import ImportErrorWithContext, Locator, Question, Questionnaire, SheetDetection, new_column
from .safety import Deadline, Limits, open_zip
from .xlsx_formulas import Evaluator, to_text
from .xlsx_reader import SheetData, WorkbookData, read_workbook
from .xlsx_validation import ChoiceResolver

_INSTRUCTION_NAME = re.compile(
    r"instruction|read ?me|cover|guide|introduction|overview|how to|start here|contents|"
    r"glossary|definitions|change ?log|version|说明|填写|封面|指南|目录|简介|版本", re.IGNORECASE)
_SHEET_REF = re.compile(r"(?:'((?:[^']|'')+)'|([^\W\d][\w.]*))!")


class XlsxView:
    """A sheet as detect.View: merge-aware text with formulas computed when needed."""

    def __init__(self, sheet: SheetData, ev: Evaluator, choices: ChoiceResolver):
        self.sheet, self.ev, self.choices = sheet, ev, choices
        self.name = sheet.name
        self.max_col = sheet.max_col
        self._by_row: dict[int, list[int]] = {}
        for (r, c) in list(sheet.cells) + list(sheet.formulas):
            self._by_row.setdefault(r, []).append(c)
        for cols in self._by_row.values():
            cols.sort()
        self._text: dict[tuple[int, int], str] = {}

    def rows(self) -> list[int]:
        return sorted(self._by_row)

    def cols(self, row: int) -> list[int]:
        return sorted(set(self._by_row.get(row, [])))

    def origin(self, row: int, col: int) -> tuple[int, int]:
        m = self.sheet.merge_at(row, col)
        return (m[0], m[1]) if m else (row, col)

    def text(self, row: int, col: int) -> str:
        key = self.origin(row, col)
        t = self._text.get(key)
        if t is None:
            v = self.ev.value(self.sheet, *key)
            # a number in its cell's fixed-digits format reads as shown ("5.10"); formulas compute on the value
            t = "" if v is None else getattr(v, "shown", None) or to_text(v)
            if t.startswith("#") and t.endswith(("!", "?", "A")) and len(t) <= 8:
                t = ""  # an error value (#REF!, #N/A) is not text
            self._text[key] = t
        return t

    def is_formula(self, row: int, col: int) -> bool:
        return self.origin(row, col) in self.sheet.formulas

    def is_uncomputed(self, row: int, col: int) -> bool:
        key = self.origin(row, col)
        if key not in self.sheet.uncached:
            return False
        self.text(row, col)
        return self.ev.is_uncomputed(self.sheet, *key)

    def has_list(self, row: int, col: int) -> bool:
        rule = self.choices.rule_at(self.sheet, row, col)
        return rule is not None and rule.type == "list"

    def merge_cols(self, row: int, col: int) -> int:
        m = self.sheet.merge_at(row, col)
        return m[3] - m[1] + 1 if m else 1


def load_xlsx(data: bytes, filename: str, limits: Limits, deadline: Deadline,
              layout_hint: dict | None) -> Questionnaire:
    zf = open_zip(data, filename, limits)
    wb = read_workbook(zf, filename, limits, deadline)
    ev = Evaluator(wb, deadline, limits.max_formula_steps)
    resolver = ChoiceResolver(ev)
    referenced = _referenced_sheets(wb)
    q = Questionnaire(source_format="xlsm" if wb.macro_enabled else "xlsx", filename=filename,
                      questions=[], sheets=[], warnings=[])
    if wb.macro_enabled:
        q.warnings.append(Msg(N_("the workbook contains macros; they are ignored (never run)")))
    for name in unknown_hint_sheets(layout_hint, [s.name for s in wb.sheets]):
        q.warnings.append(Msg(N_('layout hint names sheet "%(name)s", which is not in this file'), name=name))

    plans: list[tuple[SheetData, SheetDetection, TablePlan | None]] = []
    for sd in wb.sheets:
        det = SheetDetection(name=sd.name, index=sd.index, state=sd.state)
        hint = sheet_hint(layout_hint, sd.name, filename)
        plan = None
        reason = _pre_skip(sd, hint, referenced)
        if reason is None:
            view = XlsxView(sd, ev, resolver)
            try:
                plan = detect_table(view, deadline, hint=hint, max_items=limits.max_questions)
            except TooManyQuestions as e:
                raise too_many(limits, filename, sd.name, e.args[0]) from None
            reason = plan.skip_reason
            if reason is None and not (hint and hint.get("skip") is False):
                reason = _post_skip(sd, plan)
        if reason:
            det.skipped, det.skip_reason = True, reason
        plans.append((sd, det, plan))

    # A sheet without an answer column is a reference/lookup sheet when other sheets
    # have one (HECVAT "Analyst Reference"); alone, its questions are still worth having.
    with_answers = any(p and not d.skipped and "answer" in p.columns for _, d, p in plans)
    for sd, det, plan in plans:
        if det.skipped or plan is None:
            q.sheets.append(det)
            continue
        hint = sheet_hint(layout_hint, sd.name, filename)
        if with_answers and "answer" not in plan.columns and not (hint and hint.get("skip") is False):
            det.skipped = True
            det.skip_reason = Msg(N_("no answer column on this sheet (reference sheet); other sheets hold the answers"))
            q.sheets.append(det)
            continue
        det.header_row = plan.header_row
        det.columns = plan.letters()
        det.notes = list(plan.notes)
        questions = _questions(sd, plan, ev, resolver)
        det.question_count = len(questions)
        if len(q.questions) + len(questions) > limits.max_questions:
            raise too_many(limits, filename, sd.name, None)
        q.questions.extend(questions)
        if sd.state != "visible":
            q.warnings.append(Msg(N_('hidden sheet "%(name)s" was imported because it holds questions'), name=sd.name))
        if "answer" not in plan.columns:
            q.warnings.append(Msg(N_('sheet "%(name)s": no answer column found; answers will need a new column'),
                                 name=sd.name))
        q.sheets.append(det)

    imported = {d.name for d in q.sheets if not d.skipped}
    failed = [(s, r, c) for s, r, c in ev.failures if s in imported]
    if failed:
        sample = ", ".join(f"'{s}'!{get_column_letter(c)}{r}" for s, r, c in failed[:5])
        q.warnings.append(Msg(N_("%(n)s formulas on imported sheets have no saved value and could "
                                 "not be computed (e.g. %(sample)s); those cells were read as empty"),
                              n=len(failed), sample=sample))
    if not q.questions:
        reasons = "; ".join(f'"{d.name}": {d.skip_reason}' for d in q.sheets if d.skip_reason)
        raise ImportErrorWithContext(N_("no questions were found in any sheet (%(reasons)s)"),
                                     params={"reasons": reasons}, file=filename)
    return q


def too_many(limits: Limits, filename: str, sheet: str | None, row: int | None):
    return ImportErrorWithContext(
        N_("the file has more than %(n)s questions, the most one import accepts "
           "(nothing was imported rather than a part); split the questionnaire into smaller files"),
        params={"n": f"{limits.max_questions:,}"}, file=filename, sheet=sheet, row=row)


def _pre_skip(sd: SheetData, hint: dict | None, referenced: set[str]) -> str | None:
    if sd.kind == "chartsheet":
        return Msg(N_("chart sheet"))
    if sd.kind != "worksheet":
        return Msg(N_("not a worksheet"))
    if hint and hint.get("skip") is True:
        return Msg(N_("skipped by the layout hint"))
    if hint and hint.get("skip") is False:
        return None
    if not sd.cells and not sd.formulas:
        return Msg(N_("the sheet is empty"))
    if sd.state != "visible" and sd.name.lower() in referenced:
        return Msg(N_("%(state)s sheet used as a lookup table by formulas or dropdowns on other "
                      "sheets (for example the question bank behind VLOOKUPs)"), state=sd.state)
    return None


def _post_skip(sd: SheetData, plan: TablePlan) -> str | None:
    n = len(plan.items)
    if n == 0 and plan.computed_answer_rows:
        return Msg(N_("every answer cell on this sheet is a formula filled in from other sheets "
                      "(an evaluation or summary sheet)"))
    if n == 0:
        return Msg(N_("no question rows found"))
    if _INSTRUCTION_NAME.search(sd.name) and n < 3:
        return Msg(N_("instructions / cover sheet"))
    if sd.state != "visible" and "answer" not in plan.columns:
        return Msg(N_("%(state)s sheet without an answer column"), state=sd.state)
    return None


def _referenced_sheets(wb: WorkbookData) -> set[str]:
    """Lower-case names of sheets that other sheets' formulas or dropdowns point into."""
    out: set[str] = set()

    def scan(text: str, own: str | None):
        for m in _SHEET_REF.finditer(text):
            name = (m.group(1).replace("''", "'") if m.group(1) else m.group(2)).lower()
            if name != own:
                out.add(name)

    for sd in wb.sheets:
        own = sd.name.lower()
        for f in sd.formulas.values():
            scan(f, own)
        for rule in sd.validations:
            if rule.formula1:
                scan(rule.formula1, own)
    for entries in wb.defined_names.values():
        for _, text in entries:
            scan(text, None)
    return out


def _loc(sd: SheetData, view_origin: tuple[int, int], hidden: bool, **extra) -> Locator:
    r, c = view_origin
    ex = {k: v for k, v in extra.items() if v}
    if hidden:
        ex["hidden"] = True
    return Locator(kind="cell", sheet=sd.name, cell=f"{get_column_letter(c)}{r}", row=r, column=c,
                   extra=ex)


def _questions(sd: SheetData, plan: TablePlan, ev: Evaluator, resolver: ChoiceResolver) -> list[Question]:
    view = XlsxView(sd, ev, resolver)
    cols = plan.columns
    qcol, acol, ccol, gcol = cols["question"], cols.get("answer"), cols.get("comment"), cols.get("guidance")
    out: list[Question] = []
    seen_answer: dict[tuple[int, int], int] = {}
    glyph = mark_glyph(view, [item.row for item in plan.items], plan.marks) if plan.marks else None
    header_style = f"{get_column_letter(qcol)}{plan.header_row}" if plan.header_row else None
    for item in plan.items:
        r = item.row
        hidden = r in sd.hidden_rows
        q_at = _loc(sd, view.origin(r, qcol), hidden, formula=view.is_formula(r, qcol))
        answer_at = comment_at = None
        choices = None
        existing_answer = existing_comment = None
        if acol:
            origin = view.origin(r, acol)
            merged = sd.merge_at(r, acol)
            shared_with = seen_answer.get(origin)
            seen_answer.setdefault(origin, r)
            choices, note = resolver.choices(sd, *origin)
            answer_at = _loc(sd, origin, hidden,
                             merged=_range_text(merged), shared_with_row=shared_with,
                             choices_unresolved=note, hidden_column=acol in sd.hidden_cols)
            existing_answer = view.text(r, acol).strip() or None
            if plan.marks:  # the answer is a mark in one of the choice columns: the headers are the choices
                choices = list(plan.marks.values())
                answer_at.extra.update(marks={label: c for c, label in plan.marks.items()}, mark=glyph)
                existing_answer = marked_choices(view, r, plan.marks)
        if ccol and not view.is_formula(r, ccol):
            comment_at = _loc(sd, view.origin(r, ccol), hidden, merged=_range_text(sd.merge_at(r, ccol)))
            existing_comment = view.text(r, ccol).strip() or None
        if plan.new_columns:  # no answer column: the filled copy appends one (see detect._plan_new_columns)
            answer_at, comment_at = (
                _loc(sd, (r, plan.new_columns[role]), hidden,
                     new_column=new_column(role, plan.header_row, header_style))
                for role in ("answer", "comment"))
        guidance = view.text(r, gcol).strip() or None if gcol else None
        out.append(Question(qid=item.qid, text=item.text, section=item.section, question_at=q_at,
                            answer_at=answer_at, comment_at=comment_at, choices=choices,
                            existing_answer=existing_answer, existing_comment=existing_comment,
                            guidance=guidance))
    return out


def _range_text(m) -> str | None:
    if not m:
        return None
    r1, c1, r2, c2 = m
    return f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
