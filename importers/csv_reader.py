"""CSV questionnaires: UTF-8 (with or without BOM), UTF-16 and GB18030/GBK as Excel
writes them in China; comma, semicolon, tab or pipe separated."""
from __future__ import annotations

import codecs
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
from .safety import Deadline, Limits

TABLE_NAME = "csv"  # the one "sheet" of a CSV, for SheetDetection and layout hints
DELIMITERS = (",", ";", "\t", "|")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Tries BOMs, strict UTF-8, GB18030, then cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        non_ascii = [ch for ch in text if ord(ch) > 127]
        # GB18030 maps nearly any byte pair, so demand that the result is mostly Chinese.
        if non_ascii and sum(1 for ch in non_ascii if _CJK.match(ch)) / len(non_ascii) >= 0.6:
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter that gives the most consistent column count over the first lines."""
    sample = text[:64 * 1024]
    best, best_key = ",", (-1.0, 0)
    for d in DELIMITERS:
        try:
            rows = [r for _, r in zip(range(60), csv.reader(io.StringIO(sample), delimiter=d))]
        except csv.Error:
            continue
        counts = Counter(len(r) for r in rows if any(x.strip() for x in r))
        if not counts:
            continue
        width, n = counts.most_common(1)[0]
        if width < 2:
            continue
        key = (n / sum(counts.values()), width)
        if key > best_key:
            best, best_key = d, key
    return best


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
                 deadline: Deadline) -> dict[int, list[str]]:
    """line number where each record starts -> fields."""
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
    return out


def load_csv(data: bytes, filename: str, limits: Limits, deadline: Deadline,
             layout_hint: dict | None) -> Questionnaire:
    text, encoding = decode(data)
    if "\x00" in text:
        raise ImportErrorWithContext(N_("the file contains binary data (NUL bytes); it is not a CSV"),
                                     file=filename)
    delimiter = sniff_delimiter(text)
    records = read_records(text, delimiter, filename, limits, deadline)
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
