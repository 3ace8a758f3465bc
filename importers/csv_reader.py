"""CSV questionnaires: UTF-8 (with or without BOM), UTF-16 and GB18030/GBK as Excel
writes them in China; comma, semicolon, tab or pipe separated."""
from __future__ import annotations

import csv
import io
import re
from collections import Counter

from openpyxl.utils.cell import get_column_letter

from .detect import TooManyQuestions, detect_table, mark_glyph, marked_choices
from .layout import sheet_hint
from .i18n_marker import N_
from .messages import Msg
from .model import ImportErrorWithContext, Locator, Question, Questionnaire, SheetDetection, new_column
from .csv_text import decode, sniff_delimiter
from .safety import Deadline, Limits

TABLE_NAME = "csv"  # the one "sheet" of a CSV, for SheetDetection and layout hints


# Characters a CSV written by a spreadsheet never holds: U+FFFD stands for bytes that did not decode
# (a row in another encoding), C0 controls other than tab/LF/CR for binary damage (a NUL byte).
DAMAGED_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


def damage_of(fields: list[str], encoding: str) -> Msg | None:
    """Why a record's text is damaged (a Msg: template and params for the row's error), or None."""
    for col, text in enumerate(fields, start=1):
        m = DAMAGED_CHARS.search(text)
        if m is None:
            continue
        column = get_column_letter(col)
        if m.group() == "\ufffd":
            return Msg(N_("column %(column)s holds bytes that are not valid %(encoding)s text (the file mixes "
                          "encodings); save the file again as UTF-8"), column=column, encoding=encoding)
        if m.group() == "\x00":
            return Msg(N_("column %(column)s holds a NUL byte (binary data): the file is damaged"), column=column)
        return Msg(N_("column %(column)s holds the control character %(char)s: the file is damaged"),
                   column=column, char=f"U+{ord(m.group()):04X}")
    return None


class CsvView:
    def __init__(self, records: dict[int, list[str]]):
        self.name = TABLE_NAME
        self.records = records
        self.max_col = max((len(r) for r in records.values()), default=0)
        self._rows = sorted(records)

    def rows(self):
        return self._rows

    def cols(self, row):
        rec = self.records.get(row, [])
        return [i + 1 for i, v in enumerate(rec) if v.strip()]

    def text(self, row, col):
        rec = self.records.get(row)
        return rec[col - 1] if rec and 0 < col <= len(rec) else ""

    def is_formula(self, row, col):
        return False

    def is_uncomputed(self, row, col):
        return False

    def has_list(self, row, col):
        return False

    def merge_cols(self, row, col):
        return 1


def read_records(text: str, delimiter: str, filename: str, limits: Limits,
                 deadline: Deadline, damage: dict | None = None,
                 encoding: str = "utf-8") -> dict[int, list[str]]:
    """line number where each record starts -> fields. With `damage`, each damaged record's line gets
    a Msg there: undecodable bytes, NUL or control characters, a quote never closed
    (it swallows the rows after it), a last row cut off in the middle."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    out: dict[int, list[str]] = {}
    cells = 0
    line = 1
    try:
        for rec in reader:
            deadline.check(TABLE_NAME)
            if any(x.strip() for x in rec):
                out[line] = rec
                cells += len(rec)
                if len(out) > limits.max_rows_per_sheet:
                    raise ImportErrorWithContext(
                        N_("the file has more than %(n)s rows; that is far beyond a questionnaire, "
                           "so it was not imported"), params={"n": f"{limits.max_rows_per_sheet:,}"},
                        file=filename, row=line)
                if cells > limits.max_cells:
                    raise ImportErrorWithContext(
                        N_("the file has more than %(n)s fields; that is far beyond a questionnaire, "
                           "so it was not imported"), params={"n": f"{limits.max_cells:,}"},
                        file=filename, row=line)
            line = reader.line_num + 1
    except csv.Error as e:
        raise ImportErrorWithContext(N_("the CSV cannot be read (%(error)s)"), params={"error": str(e)}, file=filename,
                                     row=reader.line_num) from None
    if damage is not None and out:
        _find_damage(text, delimiter, out, damage, encoding)
    return out


def _find_damage(text: str, delimiter: str, records: dict[int, list[str]], damage: dict, encoding: str) -> None:
    for line, rec in records.items():
        found = damage_of(rec, encoding)
        if found:
            damage[line] = found
    width = Counter(len(r) for r in records.values()).most_common(1)[0][0]
    last = max(records)
    tail = "\n".join(text.split("\n")[last - 1:])
    try:  # strict parsing of the last record alone: at the end of the text inside quotes?
        list(csv.reader(io.StringIO(tail), delimiter=delimiter, strict=True))
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            damage.setdefault(last, Msg(N_("a quote opened in this row is never closed: the rows after it "
                                           "were read into one field (the file is damaged or cut off)")))
    if not text.endswith("\n") and len(records) > 2 and len(records[last]) < width:
        damage.setdefault(last, Msg(N_("the file ends in the middle of this row (%(n)s of %(width)s fields): "
                                       "it looks cut off"), n=len(records[last]), width=width))
    for line, rec in records.items():  # a quote closed far too late: rows taken into one field
        if len(rec) < width and any("\n" in f and delimiter in f.split("\n", 1)[1] for f in rec):
            damage.setdefault(line, Msg(N_("a field in this row runs over several lines that look like rows "
                                           "of their own: a quote is probably not closed")))


def load_csv(data: bytes, filename: str, limits: Limits, deadline: Deadline,
             layout_hint: dict | None) -> Questionnaire:
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    damage: dict = {}
    records = read_records(text, delimiter, filename, limits, deadline, damage, encoding)
    if damage:  # a damaged row cannot be filled back faithfully: name the first one
        line = min(damage)
        why = damage[line]
        raise ImportErrorWithContext(why.template, params=why.params, file=filename, row=line)
    view = CsvView(records)
    det = SheetDetection(name=TABLE_NAME)
    q = Questionnaire(source_format="csv", filename=filename, questions=[], sheets=[det], warnings=[])
    if encoding == "cp1252":
        q.warnings.append(Msg(N_("the file is neither UTF-8 nor GB18030/GBK; it was read as Windows-1252 "
                                 "(Western European), so some characters may be wrong")))
    hint = sheet_hint(layout_hint, TABLE_NAME, filename)
    try:
        plan = detect_table(view, deadline, hint=hint, max_items=limits.max_questions)
    except TooManyQuestions as e:
        from .xlsx import too_many
        raise too_many(limits, filename, None, e.args[0]) from None
    if plan.skip_reason:
        raise ImportErrorWithContext(N_("no questions found: %(why)s"), params={"why": plan.skip_reason},
                                     file=filename)
    det.header_row = plan.header_row
    det.columns = plan.letters()
    det.notes = [Msg(N_("encoding %(encoding)s, delimiter %(delimiter)s"), encoding=encoding,
                     delimiter=repr(delimiter))] + plan.notes
    cols = plan.columns
    acol, ccol, gcol = cols.get("answer"), cols.get("comment"), cols.get("guidance")
    glyph = mark_glyph(view, [item.row for item in plan.items], plan.marks) if plan.marks else None
    for item in plan.items:
        r = item.row

        def loc(c):
            return Locator(kind="csv", row=r, column=c, extra={"column_letter": get_column_letter(c)})

        answer_at = loc(acol) if acol else None
        existing = view.text(r, acol).strip() or None if acol else None
        if plan.marks:  # the answer is a mark in one of the choice columns
            answer_at.extra.update(marks={label: c for c, label in plan.marks.items()}, mark=glyph)
            existing = marked_choices(view, r, plan.marks)

        comment_at = loc(ccol) if ccol else None
        if plan.new_columns:  # no answer column: the filled copy appends one (see detect._plan_new_columns)
            answer_at, comment_at = (loc(plan.new_columns[role]) for role in ("answer", "comment"))
            for role, at in (("answer", answer_at), ("comment", comment_at)):
                at.extra["new_column"] = new_column(role, plan.header_row, None)
        q.questions.append(Question(
            qid=item.qid, text=item.text, section=item.section, question_at=loc(cols["question"]),
            answer_at=answer_at, comment_at=comment_at,
            choices=list(plan.marks.values()) or None,
            existing_answer=existing,
            existing_comment=view.text(r, ccol).strip() or None if ccol else None,
            guidance=view.text(r, gcol).strip() or None if gcol else None))
    det.question_count = len(q.questions)
    if not q.questions:
        raise ImportErrorWithContext(N_("no question rows found"), file=filename)
    if not acol:
        q.warnings.append(Msg(N_("no answer column found; answers will need a new column")))
    return q
