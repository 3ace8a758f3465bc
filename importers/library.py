"""Answer-library files (CSV or XLSX) -> rows for the library, with per-row problems.

Columns are recognised from their headers (id/ref, question, answer, details/comment, category,
tags, alternative phrasings, framework references, status, language); a `mapping` from the preview
page overrides the detection. Pure: the caller decides what to do with the rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from .csv_reader import CsvView, damage_of
from .detect import detect_table, id_column_from_values
from .headers import choice_run, classify_header, id_prefix, looks_like_id, looks_like_sentence, normalize
from .i18n_marker import N_, render
from .margins import is_end_mark, is_page_mark, looks_like_footer, trailing_footer
from .model import ImportErrorWithContext
from .safety import DEFAULT_LIMITS, Deadline, Limits, describe_ole, open_zip, sniff

ROLES = ("id", "question", "answer", "comment", "category", "tags", "alternatives", "frameworks",
         "status", "language")
_LIST_SPLIT = re.compile(r"\s*[;\n|；]\s*")
_OWN_RULES: list[tuple[str, re.Pattern]] = [
    ("alternatives", re.compile(r"alternat|synonym|variant|other phrasing|also asked|paraphras|相似问题|同义|别名")),
    ("tags", re.compile(r"^tags?$|keywords?|标签|关键词")),
    ("frameworks", re.compile(r"framework|standard|mapping|control ref|soc ?2|iso ?27001|caiq|标准|框架|条款(?!号|编号)")),
    ("status", re.compile(r"^(entry )?status$|^状态$")),
    ("language", re.compile(r"^(lang|language|locale)$|^语言$")),
    ("category", re.compile(r"categor|domain|section|topic|area|group|family|分类|类别|领域|控制域|章节")),
]
_QUESTION_WORD = re.compile(r"\bquestions?\b(?! ?(id|no|num|number|ref|#)\b)|问题(?!编号)")
_ANSWER_WORD = re.compile(r"\banswers?\b|\bresponses?\b|答复|回答|应答")
_TAG_SPLIT = re.compile(r"\s*[;,\n|；，、]\s*")
_SHORT_ANSWERS = {"yes", "no", "n/a", "na", "partial", "not applicable", "是", "否", "不适用", "部分"}
STATUSES = ("draft", "approved", "retired")


@dataclass
class LibraryRow:
    sheet: str | None
    row: int  # 1-based, as the spreadsheet shows it (CSV: line number)
    ref: str | None
    question: str
    answer_short: str = ""
    answer_full: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    framework_refs: list[str] = field(default_factory=list)
    status: str | None = None
    language: str | None = None

    @property
    def needs_answer(self) -> bool:
        return not (self.answer_short or self.answer_full)


@dataclass
class RowProblem:
    """A row left out (or read with a remark): `template` is marked with N_, `params` fill it."""

    sheet: str | None
    row: int
    template: str
    params: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return render(self.template, self.params)

    def __str__(self) -> str:
        return (f'sheet "{self.sheet}", ' if self.sheet else "") + f"row {self.row}: {self.reason}"


@dataclass
class LibraryTable:
    filename: str
    rows: list[LibraryRow]
    problems: list[RowProblem]  # rows that were skipped
    mapping: dict  # {"sheets": {name: {"header_row": int, "columns": {role: letter}}}}
    notes: list[RowProblem] = field(default_factory=list)  # rows read, with something to know
    unread: list[str] = field(default_factory=list)  # sheets with cells but no table with a question column

    @property
    def unanswered(self) -> list[LibraryRow]:
        return [r for r in self.rows if r.needs_answer]


def classify_library_header(text: str) -> str | None:
    hit = _library_role(text)
    return hit[0] if hit else None


def _library_role(text: str) -> tuple[str, int] | None:
    """(role, strength) of a header cell in a library file."""
    t = normalize(text or "")
    if not t or len(t) > 60:
        return None
    names_qa = _QUESTION_WORD.search(t) or _ANSWER_WORD.search(t)
    for role, pattern in _OWN_RULES:
        if names_qa and role in ("frameworks", "category"):
            continue  # "CAIQ Question", "CSP CAIQ Answer": the question or answer, not a reference
        if pattern.search(t):
            return role, 3
    hit = classify_header(text)
    if not hit:
        return None
    role = {"section": "category", "guidance": None, "ignore": None, "section_id": None}.get(hit[0], hit[0])
    return (role, hit[1]) if role else None


def _split_answer(answer: str, comment: str) -> tuple[str, str]:
    answer, comment = answer.strip(), comment.strip()
    if comment:
        return answer, comment
    first = re.split(r"[\s,.;:，。；：]", answer.lower(), maxsplit=1)[0]
    if answer.lower().rstrip(".") in _SHORT_ANSWERS or len(answer) <= 12:
        return answer, ""
    if first in ("yes", "no", "是", "否"):
        return first.capitalize() if first.isascii() else first, answer
    return "", answer


def _tables(data: bytes, filename: str, limits: Limits,
            damage: dict | None = None) -> list[tuple[str | None, dict[int, list[str]]]]:
    """(sheet name or None for CSV, {row: [cell texts]}) per table in the file. With `damage`, the
    damaged rows of each table: {(sheet, row): Msg}."""
    deadline = Deadline(limits.max_seconds, filename)
    kind = sniff(data)
    if kind == "text" and filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        # named as a workbook but holding text (or a damaged one): not a CSV with damaged rows
        raise ImportErrorWithContext(N_("this is not a spreadsheet or questionnaire file that can be read "
                                        "(supported: .xlsx, .xlsm, .csv, .docx, .pdf, VSAQ .json)"), file=filename)
    if kind == "text":
        from .csv_reader import decode, read_records, sniff_delimiter
        text, encoding = decode(data)
        found: dict = {}
        records = read_records(text, sniff_delimiter(text), filename, limits, deadline, found, encoding)
        if damage is not None:
            damage.update({(None, line): why for line, why in found.items()})
        return [(None, records)]
    if kind == "zip":
        from .xlsx import XlsxView, _referenced_sheets
        from .xlsx_formulas import Evaluator
        from .xlsx_reader import read_workbook
        from .xlsx_validation import ChoiceResolver
        zf = open_zip(data, filename, limits)
        if not any(n.startswith("xl/") for n in zf.namelist()):
            raise ImportErrorWithContext(N_("this zip file is not an Excel workbook"), file=filename)
        wb = read_workbook(zf, filename, limits, deadline)
        ev = Evaluator(wb, deadline, limits.max_formula_steps)
        resolver = ChoiceResolver(ev)
        out = []
        lookups = _referenced_sheets(wb)
        for sd in wb.sheets:
            if sd.state != "visible" and sd.name.lower() in lookups:
                continue  # a hidden question bank behind formulas, as the questionnaire import skips it
            view = XlsxView(sd, ev, resolver)
            records = {}
            for r in view.rows():
                deadline.check(sd.name)
                cols = view.cols(r)
                if cols:
                    records[r] = [view.text(r, c) if c in cols else "" for c in range(1, max(cols) + 1)]
                    why = damage_of(records[r], "XML") if damage is not None else None
                    if why:
                        damage[(sd.name, r)] = why
            out.append((sd.name, records))
        return out
    if kind == "ole":
        raise ImportErrorWithContext(describe_ole(data), file=filename)
    raise ImportErrorWithContext(N_("a library file must be CSV (UTF-8 or GB18030/GBK) or XLSX"), file=filename)


def sheet_records(src: bytes, filename: str, *, limits: Limits | None = None) -> list[tuple[str, dict[int, list[str]]]]:
    """Each table's cell texts {row: [cells]}, keyed as in a mapping ("csv" for a CSV file): the import
    preview shows them so that people can correct the detected mapping."""
    return [(sheet or "csv", records) for sheet, records in _tables(src, filename, limits or DEFAULT_LIMITS)]


def _find_header(records: dict[int, list[str]]) -> tuple[int | None, dict[str, int]]:
    """The header row (the one naming most roles, with a question column) and a column per role.
    Where several columns claim a role, the strongest header wins; on a tie the values decide."""
    candidates: list[tuple[int, int, dict[str, list[tuple[int, int]]]]] = []
    for r in sorted(records)[:40]:
        if any(looks_like_sentence(cell) for cell in records[r]):
            continue  # a row of values, however header-like its other cells ("Access Control", "No")
        claims: dict[str, list[tuple[int, int]]] = {}
        for i, cell in enumerate(records[r], start=1):
            hit = _library_role(cell)
            if hit:
                claims.setdefault(hit[0], []).append((hit[1], i))
        if "question" in claims and len(claims) >= 2:
            candidates.append((len(claims), r, claims))
    for _, header, claims in sorted(candidates, key=lambda c: (-c[0], c[1])):
        below = [records[r] for r in sorted(records) if r > header][:500]
        cols = {role: _pick_column(role, found, below) for role, found in claims.items()}
        questions = [v for v in (_cell(rec, cols["question"]) for rec in below) if v]
        if len(questions) >= 3 and (sum(map(looks_like_id, questions)) > len(questions) / 2
                                    or len(set(questions)) < len(questions) / 2):
            # ids below HECVAT's " Required Questions" (a section title), or one category repeated
            # below a row of values that only looks like a header: not the question column
            continue
        return _sub_header(records, header, cols)
    return None, {}


def _sub_header(records: dict[int, list[str]], header: int, cols: dict[str, int]) -> tuple[int, dict[str, int]]:
    """A group header merged over several columns ("Vendor Response" over Answer | Comments) leaves
    the names of those columns to the row below: take the roles it adds, and read the data after it."""
    below = [r for r in sorted(records) if r > header][:1]
    rec = records[below[0]] if below else []
    if not rec or _cell(rec, cols["question"]) or (cols.get("id") and _cell(rec, cols["id"])):
        return header, cols
    filled = [(i, v) for i, v in enumerate(rec, start=1) if v.strip()]
    hits = {i: _library_role(v) for i, v in filled}
    if not filled or sum(1 for h in hits.values() if h) * 2 < len(filled):
        return header, cols
    taken = set(cols.values())
    for i, hit in hits.items():
        if hit and hit[0] not in cols and i not in taken:
            cols[hit[0]] = i
            taken.add(i)
    return below[0], cols


def _detect_table(records: dict[int, list[str]], deadline: Deadline) -> tuple[int | None, dict[str, int], set[int]]:
    """No header names a question column: find the table as a questionnaire is found (header
    words and the values below them), e.g. HECVAT's sheets, whose only header is "Answer"."""
    plan = detect_table(CsvView(records), deadline)
    if plan.skip_reason or plan.header_row is None or not plan.items:
        return None, {}, set()
    named = any(classify_header(cell) for cell in records.get(plan.header_row, []))
    if not named and not any(item.qid for item in plan.items):
        return None, {}, set()  # "Col A | Col B": which column holds the answers is for a person to say
    cols = {("category" if role == "section" else role): c for role, c in plan.columns.items()
            if role in ("id", "question", "answer", "comment", "section")}
    return plan.header_row, cols, {item.row for item in plan.items}


def _id_from_values(records: dict[int, list[str]], header: int, cols: dict[str, int]) -> None:
    """No header names the id column ("CIS Safeguard"): take a column of unique id-like values left
    of the question, as the questionnaire detection does."""
    if "id" in cols:
        return
    view = CsvView({r: rec for r, rec in records.items() if r > header})
    idc = id_column_from_values(view, view.rows(), cols["question"], set(cols.values()))
    if idc is not None:
        cols["id"] = idc


def _pick_column(role: str, cols: list[tuple[int, int]], rows: list[list[str]]) -> int:
    top = max(strength for strength, _ in cols)
    tied = [c for strength, c in cols if strength == top]
    if len(tied) == 1:
        return tied[0]
    values = {c: [_cell(rec, c) for rec in rows] for c in tied}
    if role == "id":  # "Control ID" beside "Question ID": the one that names each row
        return max(tied, key=lambda c: (len(set(v for v in values[c] if v)), -c))
    if role in ("question", "category"):  # "Control Title" beside "Control Description", "section_id"
        return max(tied, key=lambda c: (sum(len(v) for v in values[c]), -c))  # beside "section_name": fuller
    return tied[0]


def load_library_table(src: bytes, filename: str, *, mapping: dict | None = None,
                       limits: Limits | None = None) -> LibraryTable:
    limits = limits or DEFAULT_LIMITS
    if not src.strip():
        raise ImportErrorWithContext(N_("the file is empty"), file=filename)
    if len(src) > limits.max_file_bytes:
        raise ImportErrorWithContext(N_("the file is larger than %(mb)s MB"),
                                     params={"mb": f"{limits.max_file_bytes / 1e6:,.0f}"}, file=filename)
    rows: list[LibraryRow] = []
    problems: list[RowProblem] = []
    notes: list[RowProblem] = []
    unread: list[str] = []
    used: dict = {"sheets": {}}
    wanted = (mapping or {}).get("sheets")
    deadline = Deadline(limits.max_seconds, filename)
    damage: dict = {}
    for sheet, records in _tables(src, filename, limits, damage):
        only: set[int] | None = None  # the rows to read, when the table was found from its values
        key = sheet or "csv"
        if wanted is not None and key not in wanted:
            continue
        override = (wanted or {}).get(key)
        if override:
            header = int(override["header_row"])
            cols = {role: column_index_from_string(letter) for role, letter in override["columns"].items()}
        else:
            header, cols = _find_header(records)
            if header is None:
                header, cols, only = _detect_table(records, deadline)
            if header is not None:
                _id_from_values(records, header, cols)
        if header is None or "question" not in cols:
            if records:
                unread.append(key)
            continue
        header, marks = _mark_columns(records, header, cols, bool(override))
        unknown = set(cols) - set(ROLES)
        if unknown:
            raise ImportErrorWithContext(N_("unknown column roles in the mapping: %(roles)s"),
                                         params={"roles": ", ".join(sorted(unknown))}, file=filename, sheet=sheet)
        used["sheets"][key] = {"header_row": header,
                               "columns": {role: get_column_letter(c) for role, c in cols.items()}}
        for (where, r), why in sorted(damage.items(), key=lambda kv: kv[0][1]):
            if where == sheet and r in records and r > header:  # never stored: said row by row
                problems.append(RowProblem(sheet, r, why.template, why.params))
                del records[r]
        _read_rows(records, header, cols, sheet, rows, problems, notes, only, marks)
    if not used["sheets"]:
        raise ImportErrorWithContext(
            N_("no table with a question column was found; the header row needs a column titled like "
               "Question / 问题 (and ideally ID, Answer, Details)"), file=filename)
    _flag_duplicate_refs(rows, problems)
    return LibraryTable(filename=filename, rows=rows, problems=problems, mapping=used, notes=notes,
                        unread=unread)


def _cell(rec: list[str], col: int | None) -> str:
    return rec[col - 1].strip() if col and col <= len(rec) and rec[col - 1] else ""


def _mark_columns(records: dict[int, list[str]], header: int, cols: dict[str, int],
                  mapped: bool) -> tuple[int, dict[int, str]]:
    """Choice headers side by side (CAIQ v3.1's Yes | No | Not Applicable under "Consensus Assessment
    Answers", or 符合 | 不符合 | 不适用): the answer is the header of the column a row marks. Returns the
    header row (the row of choices, when they sit under a group header) and {column: choice}."""
    after = [r for r in sorted(records) if r > header][:1]
    for r in [header] + after:
        run = choice_run(dict(enumerate(records.get(r, []), start=1)))
        acol = cols.get("answer")
        if run is None or (acol is not None or mapped) and acol not in run:
            continue
        for role, c in list(cols.items()):
            if c in run:
                del cols[role]
        cols["answer"] = run[0]
        return r, {c: _cell(records[r], c) for c in run}
    return header, {}


def _read_rows(records, header, cols, sheet, rows, problems, notes, only=None, marks=None) -> None:
    repeated = normalize(_cell(records.get(header, []), cols["question"]))
    wanted = [r for r in sorted(records) if ((r in only) if only is not None else r > header)]
    texts = [_cell(records[r], cols["question"]) for r in wanted]
    prefixed = "id" not in cols and sum(1 for t in texts if id_prefix(t)) >= max(2, len(texts) / 2)
    first = len(rows)
    for r in wanted:
        rec = records[r]
        get = lambda role: _cell(rec, cols.get(role))  # noqa: E731
        question, answer, comment, ref = get("question"), get("answer"), get("comment"), get("id")
        if marks:  # the header of the marked column ("X" under "Yes")
            answer = ", ".join(label for c, label in marks.items() if _cell(rec, c))
        if not any(x.strip() for x in rec):
            continue
        if repeated and normalize(question) == repeated:
            continue  # the header again, above a second table on the sheet: not an entry
        if _single(rec) and not (ref or answer or comment) and is_page_mark(question):
            # "© 2024 ACME", "Page 2 of 5" between the entries
            problems.append(RowProblem(sheet, r, N_("a footer line (copyright, end or page mark, note), "
                                                    "not an entry")))
            continue
        if not question:
            if answer or comment:
                problems.append(RowProblem(sheet, r, N_("the row has an answer but no question text")))
            continue  # a section title or an empty line
        if prefixed and not ref:  # "GV.OC-01: The organizational mission ...": the id before the text
            ref = id_prefix(question) or ""
        if len(ref) > 100:
            problems.append(RowProblem(sheet, r, N_("the id is %(n)s characters long (at most 100)"),
                                       {"n": len(ref)}))
            continue
        status = get("status").lower() or None
        if status and status not in STATUSES:
            problems.append(RowProblem(sheet, r, N_('status "%(status)s" is not one of %(allowed)s'),
                                       {"status": status, "allowed": ", ".join(STATUSES)}))
            continue
        if not (answer or comment):
            # A question still to be answered is worth keeping: it is matchable (autofill lists it as a
            # candidate but never fills from it) and the security team finds it among the drafts.
            notes.append(RowProblem(sheet, r, N_("no answer yet: kept as a draft")))
            if status == "approved":
                status = "draft"
        language = get("language").lower()[:2] or None
        short, full = _split_answer(answer, comment)
        rows.append(LibraryRow(
            sheet=sheet, row=r, ref=ref or None, question=question, answer_short=short, answer_full=full,
            category=get("category"), tags=[t for t in _TAG_SPLIT.split(get("tags")) if t] if get("tags") else [],
            alternatives=[a for a in _LIST_SPLIT.split(get("alternatives")) if a] if get("alternatives") else [],
            framework_refs=[f for f in _LIST_SPLIT.split(get("frameworks")) if f] if get("frameworks") else [],
            status=status, language=language if language in ("en", "zh") else None))
    _drop_footer(records, wanted, rows, first, problems, notes)


def _single(rec: list[str]) -> bool:
    return sum(1 for x in rec if x.strip()) == 1


def _one_line(rec: list[str]) -> bool:
    """One filled cell, or a print footer spread over several ("Page 1 of 3 | | Confidential")."""
    return _single(rec) or all(looks_like_footer(x) for x in rec if x.strip())


def _drop_footer(records, wanted, rows, first, problems, notes) -> None:
    """Lines below the last entry ("End of Standard", "Confidential", "Version 4.1 – last updated …")
    that were read as entries: one filled cell (or only footer cells), no id, footer wording."""
    ends = [r for r in wanted if _single(records[r]) and is_end_mark(next(x for x in records[r] if x.strip()))]
    n = trailing_footer(rows[first:], lambda row: not row.ref and _one_line(records[row.row]),
                        lambda row: row.question, lambda row: any(e < row.row for e in ends))
    for row in rows[len(rows) - n:] if n else []:
        problems.append(RowProblem(row.sheet, row.row, N_("a footer line (copyright, end or page mark, "
                                                          "note), not an entry")))
        notes[:] = [x for x in notes if (x.sheet, x.row) != (row.sheet, row.row)]
    if n:
        del rows[-n:]


def _flag_duplicate_refs(rows: list[LibraryRow], problems: list[RowProblem]) -> None:
    seen: dict[str, LibraryRow] = {}
    keep = []
    for row in rows:
        if row.ref and row.ref in seen:
            first = seen[row.ref]
            if first.sheet != row.sheet:  # HECVAT repeats its first questions on every sheet
                problems.append(RowProblem(row.sheet, row.row,
                                           N_('id "%(id)s" is used again (first on sheet "%(sheet)s", row %(first)s)'),
                                           {"id": row.ref, "sheet": first.sheet, "first": first.row}))
            else:
                problems.append(RowProblem(row.sheet, row.row, N_('id "%(id)s" is used again (first at row %(first)s)'),
                                           {"id": row.ref, "first": first.row}))
            continue
        if row.ref:
            seen[row.ref] = row
        keep.append(row)
    rows[:] = keep
