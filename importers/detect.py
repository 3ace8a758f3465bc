"""Find the question table on one sheet: header row, column roles, section rows and
question rows. Works on any `View` (an xlsx sheet or a CSV file)."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from openpyxl.utils.cell import get_column_letter

from .headers import (ROLE_WEIGHT, choice_run, classify_header, id_prefix, is_mark, looks_like_heading,
                      looks_like_id, looks_like_question, looks_like_sentence, normalize)
from .i18n_marker import N_
from .margins import is_end_mark, is_page_mark, looks_like_footer, trailing_footer
from .messages import Msg
from .safety import Deadline

HEADER_SCAN_ROWS = 150
_CJK = re.compile(r"[\u3400-\u9fff]")
CONTENT_SAMPLE_ROWS = 3000
FILLABLE = ("id", "question", "answer", "comment", "section", "guidance")


class View(Protocol):
    name: str
    max_col: int

    def rows(self) -> list[int]: ...
    def cols(self, row: int) -> list[int]: ...  # columns with a value (merge origins only)
    def text(self, row: int, col: int) -> str: ...  # display text, merge-aware
    def is_formula(self, row: int, col: int) -> bool: ...
    def is_uncomputed(self, row: int, col: int) -> bool: ...
    def has_list(self, row: int, col: int) -> bool: ...
    def merge_cols(self, row: int, col: int) -> int: ...  # columns spanned by the merge (1 = none)


class TooManyQuestions(Exception):
    """More question rows than the caller allows; raised as soon as it is known."""


@dataclass
class RowItem:
    row: int
    qid: str | None
    text: str
    section: str | None


@dataclass
class TablePlan:
    header_row: int | None = None
    columns: dict[str, int] = field(default_factory=dict)  # role -> 1-based column
    items: list[RowItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    computed_answer_rows: list[int] = field(default_factory=list)
    skip_reason: str | None = None
    marks: dict[int, str] = field(default_factory=dict)  # column -> choice, when the answer is a mark in one
    # role -> 1-based column of an answer/comment column the filled copy appends (the table has neither)
    new_columns: dict[str, int] = field(default_factory=dict)

    def letters(self) -> dict[str, str]:
        return {role: get_column_letter(c) for role, c in self.columns.items() if role in FILLABLE}


# ------------------------------------------------------------------ header row

def _header_candidates(view: View, row: int) -> tuple[dict[str, tuple[int, int]], float]:
    """role -> (col, strength) for the header-looking cells of one row, and the share of
    the row's cells that look like headers."""
    found: dict[str, list[tuple[int, int]]] = {}
    cols = [c for c in view.cols(row) if view.text(row, c).strip()]
    for c in cols:
        hit = classify_header(view.text(row, c))
        if hit:
            found.setdefault(hit[0], []).append((c, hit[1]))
    out = {}
    for role, hits in found.items():
        best = max(s for _, s in hits)
        strongest = [c for c, s in hits if s == best]
        out[role] = (strongest[-1] if role == "section" else strongest[0], best)
    share = sum(len(h) for h in found.values()) / len(cols) if cols else 0.0
    return out, share


def _header_score(cands: dict[str, tuple[int, int]]) -> float:
    return sum(ROLE_WEIGHT.get(role, 0) * (0.5 + 0.25 * strength)
               for role, (_, strength) in cands.items())


def find_header(view: View, rows: list[int]) -> tuple[int | None, dict[str, tuple[int, int]]]:
    best_row, best, best_score = None, {}, 0.0
    for r in rows[:HEADER_SCAN_ROWS]:
        if any(looks_like_sentence(view.text(r, c)) for c in view.cols(r)):
            continue  # a row of values with a requirement sentence in it, however header-like its other cells
        cands, share = _header_candidates(view, r)
        if not ({"question", "answer"} & cands.keys()):
            continue
        if len(cands) < 2 and "answer" not in cands:
            continue
        score = _header_score(cands) * (0.5 + share)
        if score > best_score + 1e-9:
            best_row, best, best_score = r, cands, score
    return best_row, best


# ------------------------------------------------------------------ content stats

@dataclass
class _ColStats:
    filled: int = 0
    total_len: int = 0
    ids: int = 0
    questions: int = 0
    values: Counter = field(default_factory=Counter)
    lists: int = 0

    @property
    def avg_len(self) -> float:
        return self.total_len / self.filled if self.filled else 0.0


def _width(text: str) -> int:
    """Length with a Chinese character counted as two: 职责分离 says as much as a dozen letters."""
    return len(text) + len(_CJK.findall(text))


def _stats(view: View, rows: list[int]) -> dict[int, _ColStats]:
    stats: dict[int, _ColStats] = {}
    for r in rows[:CONTENT_SAMPLE_ROWS]:
        for c in view.cols(r):
            t = view.text(r, c).strip()
            if not t:
                continue
            s = stats.setdefault(c, _ColStats())
            s.filled += 1
            s.total_len += min(_width(t), 400)
            s.ids += looks_like_id(t)
            s.questions += looks_like_question(t)
            if len(s.values) < 5000:
                s.values[t] += 1
    return stats


def _pick_question_col(stats: dict[int, _ColStats], taken: set[int], n_rows: int) -> int | None:
    best, best_score = None, 0.0
    for c, s in stats.items():
        if c in taken or s.filled < max(2, 0.2 * n_rows) or s.avg_len < 12:
            continue
        if s.ids / s.filled > 0.5:
            continue
        score = s.filled * min(s.avg_len, 200) * (1 + 2 * s.questions / s.filled)
        if score > best_score:
            best, best_score = c, score
    return best


def _pick_id_col(stats: dict[int, _ColStats], taken: set[int], qcol: int, n_q: int) -> int | None:
    best, best_score = None, 0.0
    for c, s in stats.items():
        if c in taken or c > qcol or not s.filled:
            continue
        frac = s.ids / s.filled
        unique = len(s.values) / s.filled
        if frac < 0.6 or unique < 0.8 or s.ids < max(2, 0.3 * n_q):
            continue
        score = s.ids * frac - 0.01 * (qcol - c)  # nearest column left of the question wins ties
        if score > best_score:
            best, best_score = c, score
    return best


def id_column_from_values(view: View, rows: list[int], qcol: int, taken: set[int]) -> int | None:
    """The id column found from its values alone (unique id-like texts left of the question)."""
    stats = _stats(view, rows)
    return _pick_id_col(stats, taken, qcol, stats.get(qcol, _ColStats()).filled)


# ------------------------------------------------------------------ main entry

def detect_table(view: View, deadline: Deadline, *, hint: dict | None = None,
                 max_items: int | None = None) -> TablePlan:
    plan = TablePlan()
    rows = view.rows()
    if not rows:
        plan.skip_reason = Msg(N_("the sheet is empty"))
        return plan

    hinted = _apply_hint(hint, plan)
    if not hinted:
        if plan.header_row is not None:  # the hint gave only the header row
            header_row, cands = plan.header_row, _header_candidates(view, plan.header_row)[0]
        else:
            header_row, cands = find_header(view, rows)
        plan.header_row = header_row
        plan.columns = {role: c for role, (c, _) in cands.items() if role in FILLABLE}
        _merge_repeated_headers(view, rows, plan)
        _merge_sub_headers(view, rows, plan)

    data_rows = [r for r in rows if plan.header_row is None or r > plan.header_row]
    stats = _stats(view, data_rows)
    if not hinted:
        _resolve_ties(view, plan, stats)
        _drop_contradicted(plan, stats)
    _mark_columns(view, rows, plan, hinted)
    taken = set(plan.columns.values()) | set(plan.marks)
    if "question" not in plan.columns:
        q = _pick_question_col(stats, taken, len(data_rows))
        if q is None:
            plan.skip_reason = Msg(N_("no question column found (no header such as Question/问题 and "
                                   "no column of question-like text)"))
            return plan
        plan.columns["question"] = q
        taken.add(q)
    qcol = plan.columns["question"]
    if "id" not in plan.columns and not hinted:
        n_q = stats.get(qcol, _ColStats()).filled
        idc = _pick_id_col(stats, taken, qcol, n_q)
        if idc is not None:
            plan.columns["id"] = idc
            taken.add(idc)
    if "answer" not in plan.columns and not hinted:
        ans = _pick_answer_by_dropdown(view, data_rows, qcol, taken)
        if ans is not None:
            plan.columns["answer"] = ans
            plan.notes.append(Msg(N_("answer column %(col)s found from its dropdowns"), col=get_column_letter(ans)))
    for role in ("answer", "comment", "guidance", "section", "id"):
        if plan.columns.get(role) == qcol:
            del plan.columns[role]

    if plan.header_row is None and not hinted:
        plan.header_row = _unnamed_header(view, rows, qcol, stats)
    _collect_rows(view, rows, plan, deadline, max_items)
    if "id" not in plan.columns:
        _ids_before_text(plan.items)
    _plan_new_columns(view, plan)
    return plan


MAX_COLUMN = 16384


def _plan_new_columns(view: View, plan: TablePlan) -> None:
    """No answer and no comment column (OWASP ASVS, NIST/ISO control lists: id + requirement): the
    answers go into two columns right after the last one the header and question rows use."""
    if not plan.items or {"answer", "comment"} & plan.columns.keys() or plan.marks:
        return
    rows = [item.row for item in plan.items] + ([plan.header_row] if plan.header_row else [])
    last = max((c + view.merge_cols(r, c) - 1 for r in rows for c in view.cols(r)), default=0)
    if last + 2 <= MAX_COLUMN:
        plan.new_columns = {"answer": last + 1, "comment": last + 2}


def _mark_columns(view: View, rows: list[int], plan: TablePlan, hinted: bool) -> None:
    """Choice headers side by side, in the header row or the row below a group header ("Consensus
    Assessment Answers" over Yes | No | Not Applicable): one answer field, answered by marking a column."""
    if plan.header_row is None:
        return
    below = [r for r in rows if r > plan.header_row][:1]
    for r in [plan.header_row] + below:
        cells = {c: view.text(r, c) for c in view.cols(r)}
        run = choice_run(cells)
        acol = plan.columns.get("answer")
        if run is None or (acol is not None or hinted) and acol not in run:
            continue
        plan.marks = {c: cells[c].strip() for c in run}
        for role, c in list(plan.columns.items()):
            if c in run:  # "No" read as a number column, "Not Applicable" as an answer header
                del plan.columns[role]
        plan.columns["answer"] = run[0]
        return


def marked_choices(view: View, row: int, marks: dict[int, str]) -> str | None:
    """What a row already answers in its choice columns: the chosen header(s), or None."""
    chosen = [label for c, label in marks.items() if view.text(row, c).strip()]
    return ", ".join(chosen) or None


def mark_glyph(view: View, rows: list[int], marks: dict[int, str]) -> str:
    """The mark the sheet already uses ("X", "√"), so a written answer looks like the customer's own."""
    seen = Counter(t for r in rows for t in (view.text(r, c).strip() for c in marks) if is_mark(t))
    return seen.most_common(1)[0][0] if seen else "X"


def _unnamed_header(view: View, rows: list[int], qcol: int, stats: dict[int, _ColStats]) -> int | None:
    """No cell reads as a header we know, yet the first row names the columns ("Function | Category |
    Subcategory"): short labels, the one above the question column far shorter than the text below."""
    first = rows[0]
    labels = [t for t in (view.text(first, c).strip() for c in view.cols(first)) if t]
    q, s = view.text(first, qcol).strip(), stats.get(qcol)
    if (len(labels) >= 2 and q and s and _width(q) * 3 < s.avg_len
            and all(len(t) <= 40 and not looks_like_id(t) and not looks_like_question(t) for t in labels)):
        return first
    return None


def _ids_before_text(items: list[RowItem]) -> None:
    """No id column, but most texts start with one ("GV.OC-01: The organizational mission ..."): take it."""
    found = [id_prefix(item.text) for item in items]
    if sum(1 for f in found if f) >= max(2, len(items) / 2):
        for item, qid in zip(items, found):
            item.qid = item.qid or qid


def _merge_repeated_headers(view: View, rows: list[int], plan: TablePlan) -> None:
    """Blocks may repeat the header with extra columns (HECVAT: "Additional Information"
    is missing from the first block's header only); take roles from all repeats."""
    key = plan.columns.get("answer") or plan.columns.get("question")
    if plan.header_row is None or key is None:
        return
    want = normalize(view.text(plan.header_row, key))
    taken = set(plan.columns.values())
    for r in rows:
        if r == plan.header_row or normalize(view.text(r, key)) != want:
            continue
        cands, _ = _header_candidates(view, r)
        for role, (c, _) in cands.items():
            if role in FILLABLE and role not in plan.columns and c not in taken:
                plan.columns[role] = c
                taken.add(c)


def _merge_sub_headers(view: View, rows: list[int], plan: TablePlan) -> None:
    """A group header merged over several columns ("Vendor Response" over Answer | Comments) leaves
    the names of those columns to the row below it: take the roles that row adds."""
    below = [r for r in rows if plan.header_row is not None and r > plan.header_row][:1]
    q = plan.columns.get("question")
    # the question's header merged down over both rows reads the same in the row below
    if not below or (q and view.text(below[0], q).strip() not in ("", view.text(plan.header_row, q).strip())):
        return
    cands, share = _header_candidates(view, below[0])
    if share < 0.5:
        return
    taken = set(plan.columns.values())
    for role, (c, _) in cands.items():
        if role in FILLABLE and role not in plan.columns and c not in taken:
            plan.columns[role] = c
            taken.add(c)


def _resolve_ties(view: View, plan: TablePlan, stats: dict[int, _ColStats]) -> None:
    """Two headers as strong for one role: "Control Title" beside "Control Description" (the fuller
    text is the question), "Control ID" beside "Question ID" (the id that names each row)."""
    if plan.header_row is None:
        return
    for role in ("question", "id"):
        chosen = plan.columns.get(role)
        if chosen is None:
            continue
        hit = classify_header(view.text(plan.header_row, chosen))
        others = set(plan.columns.values()) - {chosen}
        tied = [c for c in view.cols(plan.header_row)
                if c not in others and classify_header(view.text(plan.header_row, c)) == hit]
        if len(tied) < 2:
            continue
        empty = _ColStats()
        if role == "question":
            plan.columns[role] = max(tied, key=lambda c: (stats.get(c, empty).total_len, -c))
        else:
            plan.columns[role] = max(tied, key=lambda c: (len(stats.get(c, empty).values), -c))


def _drop_contradicted(plan: TablePlan, stats: dict[int, _ColStats]) -> None:
    """A header word is not enough: " Required Questions" above a column of ids is a
    section title, not the question column."""
    q = plan.columns.get("question")
    s = stats.get(q) if q else None
    if s and s.filled >= 3 and (s.ids / s.filled > 0.5 or s.avg_len < 8):
        del plan.columns["question"]
    i = plan.columns.get("id")
    s = stats.get(i) if i else None
    if s and s.filled >= 3 and s.avg_len > 30:
        del plan.columns["id"]


def _apply_hint(hint: dict | None, plan: TablePlan) -> bool:
    if not hint or not hint.get("columns"):
        if hint and hint.get("header_row"):
            plan.header_row = int(hint["header_row"])
        return False
    plan.header_row = hint.get("header_row")
    plan.columns = dict(hint["columns"])  # already validated and converted to indexes
    return True


def _pick_answer_by_dropdown(view: View, rows: list[int], qcol: int, taken: set[int]) -> int | None:
    counts: Counter = Counter()
    n = 0
    for r in rows[:CONTENT_SAMPLE_ROWS]:
        if not view.text(r, qcol).strip():
            continue
        n += 1
        for c in range(qcol + 1, min(view.max_col, qcol + 8) + 1):
            if c not in taken and view.has_list(r, c):
                counts[c] += 1
    if not counts or not n:
        return None
    c, k = counts.most_common(1)[0]
    return c if k >= max(2, 0.3 * n) else None


def _header_texts(view: View, plan: TablePlan) -> dict[int, str]:
    """column -> normalised header text, for the header cells that really are headers."""
    if plan.header_row is None:
        return {}
    out = {}
    for role, c in plan.columns.items():
        t = view.text(plan.header_row, c)
        hit = classify_header(t)
        if hit and hit[0] == role:
            out[c] = normalize(t)
    return out


def _collect_rows(view: View, rows: list[int], plan: TablePlan, deadline: Deadline,
                  max_items: int | None) -> None:
    cols = plan.columns
    qcol, idcol = cols["question"], cols.get("id")
    acol, seccol = cols.get("answer"), cols.get("section")
    header = _header_texts(view, plan)
    first_header = plan.header_row
    # a repeated header (HECVAT repeats "Answer | Additional Information" above every
    # block) is a section row whose title sits in the other cells
    repeat_rows: set[int] = set()
    key_col = next((c for c in (acol, qcol, idcol) if c in header), None)
    if key_col is not None:
        for r in rows:
            if normalize(view.text(r, key_col)) == header[key_col] and not (
                    idcol and looks_like_id(view.text(r, idcol).strip())):
                repeat_rows.add(r)
        first_header = min(repeat_rows | {plan.header_row})
        plan.header_row = first_header
    if plan.header_row is not None:
        repeat_rows.add(plan.header_row)

    section: str | None = None
    fill_section: str | None = None
    uncomputed: list[int] = []
    page_marks: list[int] = []
    titles: list[RowItem] = []  # rows read as section titles
    for r in rows:
        deadline.check(view.name)
        if r in repeat_rows:
            # the title sits left of / in the question column; other cells are headers
            rest = [view.text(r, c).strip() for c in view.cols(r)
                    if c <= qcol and normalize(view.text(r, c)) != header.get(c)]
            rest = [t for t in rest if t]
            section = rest[0] if rest and header else None
            continue
        qtext = view.text(r, qcol).strip()
        # a title merged over the id column ("HECVAT 4.1.4" across A:E) is no id of its own
        qid = view.text(r, idcol).strip() if idcol and _own_cell(view, r, qcol, idcol) else ""
        filled = [c for c in view.cols(r) if view.text(r, c).strip()]
        before_header = first_header is not None and r < first_header

        if len(filled) == 1 and not (idcol and looks_like_id(qid)) and is_page_mark(view.text(r, filled[0])):
            if not before_header:
                page_marks.append(r)
            continue  # "© 2024 ACME", "Page 2 of 5": printed on every page, neither question nor section
        if not qtext:
            if view.is_uncomputed(r, qcol) and (not idcol or looks_like_id(qid)):
                uncomputed.append(r)
            elif len(filled) == 1 and filled[0] <= qcol and filled[0] != acol:
                t = view.text(r, filled[0]).strip()
                if looks_like_heading(t) or filled[0] < qcol:
                    section = t
            continue
        if before_header and not (idcol and looks_like_id(qid) and _title_free(view, r, qtext, plan)):
            if len(filled) == 1:
                section = qtext
            continue
        if _is_section_row(view, r, qtext, qid, filled, plan):
            section = qtext
            titles.append(RowItem(row=r, qid=qid or None, text=qtext, section=None))
            continue
        if header.get(qcol) and normalize(qtext) == header[qcol]:
            continue
        if qtext.replace(".", "").replace(",", "").isdigit():
            continue
        if acol and view.is_formula(r, acol):
            plan.computed_answer_rows.append(r)
            continue
        row_section = section
        if seccol:
            sv = view.text(r, seccol).strip()
            if sv:
                fill_section = sv
            row_section = fill_section or section
        plan.items.append(RowItem(row=r, qid=qid or None, text=qtext, section=row_section))
        if max_items is not None and len(plan.items) > max_items:
            raise TooManyQuestions(r)

    if not plan.items and len(titles) >= 2:
        # Nothing but "titles": a list of short controls ("Segregation of duties"), not of sections.
        plan.items = titles
        if max_items is not None and len(titles) > max_items:
            raise TooManyQuestions(titles[max_items].row)
    _drop_footer(view, rows, plan)
    if plan.computed_answer_rows:
        plan.notes.append(Msg(
            N_("%(n)s question rows left out because their answer cell "
               "is a formula (filled in from elsewhere): rows %(rows)s"),
            n=len(plan.computed_answer_rows), rows=_rows_text(plan.computed_answer_rows)))
    if page_marks:
        plan.notes.append(Msg(N_("%(n)s copyright or page-number lines left out: rows %(rows)s"),
                              n=len(page_marks), rows=_rows_text(page_marks)))
    if uncomputed:
        plan.notes.append(Msg(
            N_("%(n)s question rows left out because their text is a formula that could "
               "not be computed: rows %(rows)s"), n=len(uncomputed), rows=_rows_text(uncomputed)))


def _own_cell(view: View, r: int, qcol: int, c: int) -> bool:
    """Column c holds a cell of its own on row r, not part of the question cell's merge."""
    return not (view.merge_cols(r, qcol) > 1 and view.text(r, c) == view.text(r, qcol))


def _title_free(view: View, r: int, qtext: str, plan: TablePlan) -> bool:
    """A row above the header with an id is a question (HECVAT "START HERE") unless it reads as a
    title or stamp, or its answer cell is its own question cell."""
    acol = plan.columns.get("answer")
    return not looks_like_footer(qtext) and not (acol and not _own_cell(view, r, plan.columns["question"], acol))


def _drop_footer(view: View, rows: list[int], plan: TablePlan) -> None:
    """Lines below the last question (copyright, "End of Standard", "Page 1 of 3", "Confidential",
    "Version 4.1.4 – last updated …", "注：…"): one filled cell, no id, footer wording. Listed in notes."""
    if not plan.items:
        return
    ends = [r for r in rows if r > (plan.header_row or 0) and _single_text(view, r)
            and is_end_mark(_single_text(view, r))]
    n = trailing_footer(plan.items, lambda it: not it.qid and _one_line(view, it.row),
                        lambda it: it.text, lambda it: any(e < it.row for e in ends))
    if n:
        dropped = [it.row for it in plan.items[-n:]]
        del plan.items[-n:]
        plan.notes.append(Msg(N_("%(n)s rows below the table left out as footer lines (copyright, end "
                                 "or page marks, notes): rows %(rows)s"), n=n, rows=_rows_text(dropped)))


def _one_line(view: View, r: int) -> bool:
    """One filled cell, or a print footer spread over several ("Page 1 of 3 | | Confidential")."""
    texts = [t for t in (view.text(r, c).strip() for c in view.cols(r)) if t]
    return len(texts) == 1 or all(looks_like_footer(t) for t in texts)


def _single_text(view: View, r: int) -> str:
    """The text of a row that fills one cell (merged or not), else ""."""
    texts = [t for t in (view.text(r, c).strip() for c in view.cols(r)) if t]
    return texts[0] if len(texts) == 1 else ""


def _is_section_row(view: View, r: int, qtext: str, qid: str, filled: list[int],
                    plan: TablePlan) -> bool:
    qcol, idcol, acol = plan.columns["question"], plan.columns.get("id"), plan.columns.get("answer")
    if idcol and looks_like_id(qid):
        return False
    if not (len(filled) == 1 or (len(filled) == 2 and idcol in filled and qcol in filled)):
        return False
    if acol and view.has_list(r, acol):
        return False  # a dropdown to answer: it's a question
    if view.merge_cols(r, qcol) >= 2 and len(qtext) <= 150 and not looks_like_question(qtext):
        return True
    return looks_like_heading(qtext)


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:12])
    return shown + (f" … (+{len(rows) - 12})" if len(rows) > 12 else "")
