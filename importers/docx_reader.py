"""Word (.docx) questionnaires: question tables, fill-in forms and numbered question
paragraphs.

`word/document.xml` is read with defusedxml (never lxml with `huge_tree`), after the
zip limits of `safety.open_zip` and a size cap on the part itself. python-docx is not
used for reading; `importers.safety.check_docx_safe()` lets a writer (the exporter) run the same
checks before it hands a file to python-docx, whose lxml parser is created with
`huge_tree=True`.

Tables are read into a grid of *grid columns* (`w:gridBefore`, `w:gridSpan`,
`w:vMerge`, legacy `w:hMerge` resolved), so `extra["col"]` is the same column index as
python-docx's `table.cell(row, col)`. Three table shapes are recognised:

* **list tables** with a header row (`# | Question | Answer | Comments`, `编号 | 问题 |
  回答 | 备注`): header and column roles come from `detect.py`, as for xlsx/csv;
* **label/value forms**: every row is a label followed by empty cells;
* **boxes**: a row of labels (or one prompt) above empty entry rows; a full-width
  cell holding a label that ends in ":" is answered inside that cell.

Paragraphs that are numbered (`w:numPr` or text such as "1.2") and read as questions
are imported too; their answer goes after the paragraph.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from openpyxl.utils.cell import get_column_letter

from .detect import TooManyQuestions, detect_table, find_header
from .headers import classify_header, looks_like_id, looks_like_question
from .layout import sheet_hint, unknown_hint_sheets
from .i18n_marker import N_
from .messages import Msg
from .model import ImportErrorWithContext, Locator, Question, Questionnaire, SheetDetection
from .safety import Deadline, Limits, open_zip, parse_xml_part

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + W_NS + "}"
PARAGRAPHS_NAME = "paragraphs"  # the SheetDetection for numbered question paragraphs
_WITHDRAWN = re.compile(r"^\[?\s*(deleted|withdrawn|removed|reserved|已删除|删除|已废弃)\b",
                        re.IGNORECASE)
_TEXT_NUMBER = re.compile(r"^\s*((?:[A-Za-z]{1,4}[-.]?)?\d{1,3}(?:\.\d{1,3}){0,4}[.)]?|\(\d{1,3}\)|"
                          r"[QqＱ]\d{1,4}[.:)]?)\s+(?=\S)")


# ------------------------------------------------------------------ text helpers

def _on(el) -> bool:
    """A w:b / w:i toggle: present and not switched off."""
    return el is not None and el.get(W + "val", "true").lower() not in ("0", "false", "off")


def para_text(p) -> str:
    out: list[str] = []
    for el in p.iter():
        tag = el.tag
        if tag == W + "t":
            out.append(el.text or "")
        elif tag == W + "tab":
            out.append("\t")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
    return "".join(out)


def para_bold(p) -> bool:
    """Every run with text is bold."""
    seen = False
    for r in p.iter(W + "r"):
        if not "".join(t.text or "" for t in r.iter(W + "t")).strip():
            continue
        seen = True
        rpr = r.find(W + "rPr")
        if rpr is None or not _on(rpr.find(W + "b")):
            return False
    return seen


def _clean(text: str) -> str:
    lines = [re.sub(r"[ \t\xa0]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln)


def _dropdown(el) -> list[str] | None:
    """Choices of a dropdown content control or legacy form field inside `el`."""
    for lst in list(el.iter(W + "dropDownList")) + list(el.iter(W + "comboBox")):
        items = [li.get(W + "displayText") or li.get(W + "value") or ""
                 for li in lst.findall(W + "listItem")]
        items = [i for i in items if i.strip()]
        if items:
            return items
    for dd in el.iter(W + "ddList"):
        items = [e.get(W + "val", "") for e in dd.findall(W + "listEntry")]
        if items:
            return items
    return None


# ------------------------------------------------------------------ styles, numbering

class Styles:
    def __init__(self, root):
        self.heading: dict[str, int] = {}  # styleId -> outline level
        self.numpr: dict[str, object] = {}  # styleId -> the style's w:numPr (list styles)
        based: dict[str, str] = {}
        if root is None:
            return
        for st in root.iter(W + "style"):
            sid = st.get(W + "styleId") or ""
            npr = st.find(f"{W}pPr/{W}numPr")
            if npr is not None:
                self.numpr[sid] = npr
            name = (st.find(W + "name").get(W + "val", "") if st.find(W + "name") is not None else "")
            m = re.match(r"^(heading|标题)\s*(\d)$", name.strip(), re.IGNORECASE)
            lvl = st.find(f"{W}pPr/{W}outlineLvl")
            if m:
                self.heading[sid] = int(m.group(2)) - 1
            elif name.strip().lower() == "title":
                self.heading[sid] = 0
            elif lvl is not None and not name.lower().startswith("toc"):
                try:
                    self.heading[sid] = int(lvl.get(W + "val", "9"))
                except ValueError:
                    pass
            b = st.find(W + "basedOn")
            if b is not None:
                based[sid] = b.get(W + "val", "")
        for sid, parent in based.items():  # one level of inheritance is what Word writes
            if sid not in self.heading and parent in self.heading and not sid.lower().startswith("toc"):
                self.heading[sid] = self.heading[parent]

    def level(self, p) -> int | None:
        ppr = p.find(W + "pPr")
        if ppr is None:
            return None
        lvl = ppr.find(W + "outlineLvl")
        if lvl is not None:
            try:
                v = int(lvl.get(W + "val", "9"))
                return v if v < 9 else None
            except ValueError:
                return None
        ps = ppr.find(W + "pStyle")
        return self.heading.get(ps.get(W + "val", "")) if ps is not None else None


def _fmt_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            s = chr(97 + r) + s
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        vals = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
        s = ""
        for v, sym in vals:
            while n >= v:
                s, n = s + sym, n - v
        return s.upper() if fmt == "upperRoman" else s
    return str(n)


class Numbering:
    """Computes list labels ("1.2.", "a)") for w:numPr paragraphs; bullets give None."""

    def __init__(self, root):
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> (fmt, text, start)
        self.counters: dict[str, list[int]] = {}
        if root is None:
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for an in root.iter(W + "abstractNum"):
            lv: dict[int, tuple[str, str, int]] = {}
            for l in an.findall(W + "lvl"):
                try:
                    il = int(l.get(W + "ilvl", "0"))
                    fmt = l.find(W + "numFmt")
                    txt = l.find(W + "lvlText")
                    start = l.find(W + "start")
                    lv[il] = (fmt.get(W + "val", "decimal") if fmt is not None else "decimal",
                              txt.get(W + "val", "") if txt is not None else "",
                              int(start.get(W + "val", "1")) if start is not None else 1)
                except ValueError:
                    continue
            abstract[an.get(W + "abstractNumId", "")] = lv
        for num in root.iter(W + "num"):
            a = num.find(W + "abstractNumId")
            if a is not None:
                self.levels[num.get(W + "numId", "")] = abstract.get(a.get(W + "val", ""), {})

    def label(self, p, styles: Styles | None = None) -> tuple[bool, str | None]:
        """(is a list item, its label or None for bullets)."""
        npr = p.find(f"{W}pPr/{W}numPr")
        if npr is None and styles is not None:
            ps = p.find(f"{W}pPr/{W}pStyle")
            npr = styles.numpr.get(ps.get(W + "val", "")) if ps is not None else None
        if npr is None:
            return False, None
        nid = npr.find(W + "numId")
        il = npr.find(W + "ilvl")
        num_id = nid.get(W + "val", "0") if nid is not None else "0"
        try:
            ilvl = int(il.get(W + "val", "0")) if il is not None else 0
        except ValueError:
            ilvl = 0
        if num_id == "0" or not 0 <= ilvl < 9:
            return False, None
        levels = self.levels.get(num_id, {})
        counters = self.counters.setdefault(num_id, [0] * 9)
        counters[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        fmt, text, _ = levels.get(ilvl, ("decimal", f"%{ilvl + 1}.", 1))
        if fmt in ("bullet", "none") or not text:
            return True, None

        def repl(m):
            k = int(m.group(1)) - 1
            f, _, start = levels.get(k, ("decimal", "", 1))
            return _fmt_number(counters[k] + start - 1, f) if 0 <= k < 9 else ""
        label = re.sub(r"%(\d)", repl, text).strip().strip("().:：、）").strip()
        return True, label or None


# ------------------------------------------------------------------ body model

@dataclass
class Para:
    index: int  # among all paragraphs of the body, in order (python-docx document.paragraphs
    #             when no content control wraps paragraphs)
    path: str
    text: str
    heading: int | None
    bold: bool
    listed: bool
    label: str | None


@dataclass
class Cell:
    row: int  # 0-based origin row / grid column
    col: int
    text: str
    path: str
    span: int = 1
    vspan: int = 1
    bold: bool = False
    paras: list[str] = field(default_factory=list)
    choices: list[str] | None = None


@dataclass
class Table:
    index: int
    path: str
    n_rows: int
    n_cols: int
    origin: dict[tuple[int, int], Cell]  # every covered (row, grid col) -> its merge origin
    cells: list[Cell]  # origins in row order
    section: str | None = None  # nearest heading above the table
    intro: str | None = None  # the paragraph just above the table

    def at(self, r: int, c: int) -> Cell | None:
        return self.origin.get((r, c))

    def row_cells(self, r: int) -> list[Cell]:
        seen, out = set(), []
        for c in range(self.n_cols):
            cell = self.origin.get((r, c))
            if cell is not None and id(cell) not in seen:
                seen.add(id(cell))
                out.append(cell)
        return out


def _read_table(tbl, index: int, path: str, limits: Limits, deadline: Deadline,
                filename: str, budget: list[int]) -> Table:
    origin: dict[tuple[int, int], Cell] = {}
    cells: list[Cell] = []
    rows = tbl.findall(W + "tr")
    n_cols = 0
    for r, tr in enumerate(rows):
        deadline.check(f"table {index + 1}")
        c = 0
        gb = tr.find(f"{W}trPr/{W}gridBefore")
        if gb is not None:
            try:
                c = max(0, min(int(gb.get(W + "val", "0")), 1000))
            except ValueError:
                c = 0
        for k, tc in enumerate(tr.findall(W + "tc")):
            budget[0] -= 1
            if budget[0] < 0:
                raise ImportErrorWithContext(
                    N_("the document has more than %(n)s table cells and paragraphs; "
                       "that is far beyond a questionnaire, so it was not imported"),
                    params={"n": f"{limits.max_cells:,}"}, file=filename)
            tcpr = tc.find(W + "tcPr")
            span, vmerge, hmerge = 1, None, None
            if tcpr is not None:
                gs = tcpr.find(W + "gridSpan")
                if gs is not None:
                    try:
                        span = max(1, min(int(gs.get(W + "val", "1")), 1000))
                    except ValueError:
                        span = 1
                vm = tcpr.find(W + "vMerge")
                if vm is not None:
                    vmerge = vm.get(W + "val", "continue")
                hm = tcpr.find(W + "hMerge")
                if hm is not None:
                    hmerge = hm.get(W + "val", "continue")
            above = origin.get((r - 1, c)) if vmerge == "continue" else None
            left = origin.get((r, c - 1)) if hmerge == "continue" and c > 0 else None
            if above is not None:
                target = above
                if target.row + target.vspan == r:
                    target.vspan += 1
            elif left is not None:
                target = left
                target.span += span
            else:
                paras = [_clean(para_text(p)) for p in tc.iter(W + "p")]
                ps = list(tc.iter(W + "p"))
                target = Cell(row=r, col=c, text=_clean("\n".join(paras)),
                              path=f"{path}/w:tr[{r + 1}]/w:tc[{k + 1}]", span=span,
                              bold=bool(ps) and all(para_bold(p) for p in ps if _clean(para_text(p))),
                              paras=paras, choices=_dropdown(tc))
                cells.append(target)
            for j in range(span):
                origin[(r, c + j)] = target
            c += span
        n_cols = max(n_cols, c)
    return Table(index=index, path=path, n_rows=len(rows), n_cols=n_cols, origin=origin, cells=cells)


def read_body(root, styles: Styles, numbering: Numbering, limits: Limits, deadline: Deadline,
              filename: str) -> list:
    body = root.find(W + "body")
    if body is None:
        raise ImportErrorWithContext(N_("the file is damaged: word/document.xml has no body"),
                                     file=filename)
    blocks: list = []
    counts = {"p": 0, "tbl": 0}
    budget = [limits.max_cells]

    def walk(el, path: str):
        seen: dict[str, int] = {}
        for child in el:
            tag = child.tag.rsplit("}", 1)[-1]
            seen[tag] = seen.get(tag, 0) + 1
            here = f"{path}/w:{tag}[{seen[tag]}]"
            deadline.check()
            if tag == "p":
                budget[0] -= 1
                if budget[0] < 0:
                    raise ImportErrorWithContext(
                        N_("the document has more than %(n)s paragraphs and table "
                           "cells; that is far beyond a questionnaire, so it was not imported"),
                        params={"n": f"{limits.max_cells:,}"}, file=filename)
                listed, label = numbering.label(child, styles)
                blocks.append(Para(index=counts["p"], path=here, text=_clean(para_text(child)),
                                   heading=styles.level(child), bold=para_bold(child),
                                   listed=listed, label=label))
                counts["p"] += 1
            elif tag == "tbl":
                blocks.append(_read_table(child, counts["tbl"], here, limits, deadline, filename,
                                          budget))
                counts["tbl"] += 1
            elif tag in ("sdt", "customXml", "sdtContent", "ins", "smartTag"):
                walk(child, here)

    walk(body, "/w:document/w:body")
    return blocks


# ------------------------------------------------------------------ table view for detect.py

class DocxTableView:
    """A table as detect.View: 1-based rows and grid columns, merge-aware text."""

    def __init__(self, t: Table):
        self.t = t
        self.name = table_name(t.index)
        self.max_col = t.n_cols

    def rows(self):
        return [r + 1 for r in range(self.t.n_rows) if any(c.text for c in self.t.row_cells(r))]

    def cols(self, row):
        return [c.col + 1 for c in self.t.row_cells(row - 1) if c.row == row - 1 and c.text]

    def text(self, row, col):
        cell = self.t.at(row - 1, col - 1)
        return cell.text if cell else ""

    def is_formula(self, row, col):
        return False

    def is_uncomputed(self, row, col):
        return False

    def has_list(self, row, col):
        cell = self.t.at(row - 1, col - 1)
        return bool(cell and cell.choices)

    def merge_cols(self, row, col):
        cell = self.t.at(row - 1, col - 1)
        return cell.span if cell else 1


def table_name(index: int) -> str:
    return f"Table {index + 1}"


# ------------------------------------------------------------------ questions from tables

def _loc(t: Table, cell: Cell, **extra) -> Locator:
    return Locator(kind="docx-table", sheet=table_name(t.index), row=cell.row + 1, column=cell.col + 1,
                   extra={"table": t.index, "row": cell.row, "col": cell.col, "path": cell.path,
                          **({"merged": f"{cell.span}x{cell.vspan}"} if cell.span > 1 or cell.vspan > 1
                             else {}), **extra})


def _label(text: str) -> str:
    return text.strip().rstrip(":：").strip()


def _option_list(text: str) -> list[str] | None:
    """"Remote, possible or probable" / "Yes/no" / "Low medium high" -> the options."""
    t = text.strip()
    if not t or len(t) > 60 or "\n" in t or t.endswith((".", "?", ":")):
        return None
    if "/" in t and len(t.split()) <= 3:
        parts = [p.strip() for p in t.split("/")]
    elif re.search(r",| or | and/or |或|、", t):
        parts = [p.strip() for p in re.split(r",\s*(?:or\s+)?|\s+or\s+|、|或", t)]
    elif 2 <= len(t.split()) <= 4 and all(w.isalpha() for w in t.split()) and all(
            w.islower() for w in t.split()[1:]):
        parts = t.split()
    else:
        return None
    parts = [p for p in parts if p]
    return parts if 2 <= len(parts) <= 8 and all(len(p) <= 25 for p in parts) else None


class _TableReader:
    def __init__(self, q: Questionnaire, filename: str, limits: Limits, deadline: Deadline,
                 layout_hint):
        self.q, self.filename, self.limits, self.deadline = q, filename, limits, deadline
        self.layout_hint = layout_hint
        self.no_answer_tables: list[str] = []
        self.withdrawn = 0

    def add(self, question: Question) -> None:
        self.q.questions.append(question)
        if len(self.q.questions) > self.limits.max_questions:
            raise ImportErrorWithContext(
                N_("the document has more than %(n)s questions; it was not imported (no silent truncation)"),
                params={"n": f"{self.limits.max_questions:,}"}, file=self.filename)

    def table(self, t: Table) -> SheetDetection:
        det = SheetDetection(name=table_name(t.index), index=t.index)
        hint = sheet_hint(self.layout_hint, det.name, self.filename)
        if hint and hint.get("skip"):
            det.skipped, det.skip_reason = True, Msg(N_("skipped by the layout hint"))
            return det
        if not any(c.text for c in t.cells):
            det.skipped, det.skip_reason = True, Msg(N_("the table is empty"))
            return det
        before = len(self.q.questions)
        view = DocxTableView(t)
        rows = view.rows()
        if hint and hint.get("columns"):
            self.list_table(t, view, det, hint)
        else:
            header_row, _ = find_header(view, rows)
            guess = None if header_row is not None or hint else self._guess_header(t, view, rows)
            done = False
            if t.n_cols >= 2 and (header_row is not None or guess):
                self.list_table(t, view, det, hint or guess)
                done = len(self.q.questions) > before
                if not done:
                    det.skipped, det.skip_reason = False, None
                    det.header_row, det.columns, det.notes = None, {}, []
            if not done and not (self.pairs_table(t, det) or self.box_table(t, det)):
                if t.n_cols >= 2 and header_row is None and not guess:
                    self.list_table(t, view, det, hint, need_questions=True)
                else:
                    det.skipped, det.skip_reason = True, Msg(N_("no question/answer layout found"))
        det.question_count = len(self.q.questions) - before
        if not det.skipped and not det.question_count:
            det.skipped = True
            det.skip_reason = det.skip_reason or Msg(N_("no question rows found"))
        return det

    # -- list tables: detect.py decides header and columns
    def _guess_header(self, t: Table, view: DocxTableView, rows: list[int]) -> dict | None:
        """A first row of labels that detect.py did not take as a header because none of
        them says "question" (ASVS zh-cn: `# | 说明 | L1 | L2 | L3 | CWE`): the id column
        comes from the labels, the question column is the one with the longest text."""
        if len(rows) < 2:
            return None
        r0 = rows[0]
        roles: dict[str, int] = {}
        labelled = 0
        for c in view.cols(r0):
            hit = classify_header(view.text(r0, c))
            if hit:
                labelled += 1
                if hit[0] in ("id", "answer", "comment", "guidance", "section") and hit[0] not in roles:
                    roles[hit[0]] = c
        if labelled < 2 or len(view.cols(r0)) > labelled + 1:
            return None
        best, best_len = None, 0.0
        for c in range(1, view.max_col + 1):
            if c in (roles.get("id"), roles.get("answer")):
                continue
            h = classify_header(view.text(r0, c))
            if h and h[0] not in ("comment", "section", "question"):
                continue
            texts = [view.text(r, c) for r in rows[1:]]
            texts = [x for x in texts if x.strip()]
            if len(texts) < max(1, 0.5 * (len(rows) - 1)):
                continue
            avg = sum(len(x) for x in texts) / len(texts)
            if avg > best_len:
                best, best_len = c, avg
        if best is None or best_len < 12:
            return None
        roles = {k: v for k, v in roles.items() if v != best}
        roles["question"] = best
        return {"header_row": r0, "columns": roles, "guessed": True}

    def list_table(self, t: Table, view: DocxTableView, det: SheetDetection, hint, *,
                   need_questions: bool = False) -> None:
        try:
            plan = detect_table(view, self.deadline, hint=hint,
                                max_items=self.limits.max_questions - len(self.q.questions))
        except TooManyQuestions:
            raise ImportErrorWithContext(
                N_("the document has more than %(n)s questions; it was not imported (no silent truncation)"),
                params={"n": f"{self.limits.max_questions:,}"}, file=self.filename, sheet=det.name) from None
        if plan.skip_reason:
            det.skipped, det.skip_reason = True, plan.skip_reason
            return
        if need_questions and sum(looks_like_question(it.text) for it in plan.items) < max(
                1, 0.5 * len(plan.items)):
            det.skipped, det.skip_reason = True, Msg(N_("no header row and the longest column does not "
                                                     "read as questions (a reference or layout table)"))
            return
        if hint and hint.get("guessed"):
            plan.notes.append(Msg(N_("header row taken from its labels; the question column is the one "
                                 "with the longest text")))
        cols = plan.columns
        qcol = cols["question"]
        item_rows = [it.row for it in plan.items]
        if "answer" not in cols and not (hint and hint.get("columns")):
            ans = self._blank_column(t, view, plan, item_rows)
            if ans is not None:
                cols["answer"] = ans
                plan.notes.append(Msg(N_("answer column %(col)s: the empty column right of the questions"),
                                      col=get_column_letter(ans)))
        ccol = cols.get("comment")
        if ccol and "guidance" not in cols and item_rows and "answer" in cols:
            filled = sum(1 for r in item_rows if view.text(r, ccol).strip())
            answered = sum(1 for r in item_rows if view.text(r, cols["answer"]).strip())
            if filled >= 0.5 * len(item_rows) and not answered:
                cols["guidance"] = cols.pop("comment")  # a template's pre-filled notes
                plan.notes.append(Msg(N_("column %(col)s is filled in a template with "
                                         "no answers: read as guidance, not comments"), col=get_column_letter(ccol)))
        det.header_row = plan.header_row
        det.columns = plan.letters()
        det.notes = plan.notes
        acol, ccol, gcol, idcol = (cols.get("answer"), cols.get("comment"), cols.get("guidance"),
                                   cols.get("id"))
        header = {}
        if plan.header_row is not None:
            role_cols = set(cols.values())
            for cell in t.row_cells(plan.header_row - 1):
                if cell.text and cell.col + 1 not in role_cols:
                    header[cell.col + 1] = _label(cell.text)
        in_cell = self._in_cell_rows(t, view, plan, item_rows)
        labels = {_label(c.text.split("\n")[0]) for _, c in in_cell} | {c.text for _, c in in_cell}
        header_texts = ({c.text for c in t.row_cells(plan.header_row - 1)}
                        if plan.header_row is not None else set())
        found: list[tuple[int, Question]] = []
        for it in plan.items:
            self.deadline.check(det.name)
            if _WITHDRAWN.match(it.text):
                self.withdrawn += 1
                continue
            r = it.row
            qcell = t.at(r - 1, qcol - 1)
            other = {h: view.text(r, c) for c, h in header.items() if c != qcol}
            acell = t.at(r - 1, acol - 1) if acol else None
            ccell = t.at(r - 1, ccol - 1) if ccol else None
            if acell is qcell:
                acell = None
            inner = it.section if it.section not in labels | header_texts else None
            section = " / ".join(s for s in (t.section, inner) if s) or None
            found.append((r, Question(
                qid=it.qid, text=it.text, section=section,
                question_at=_loc(t, qcell, **({"other": other} if other else {})),
                answer_at=_loc(t, acell) if acell else None,
                comment_at=_loc(t, ccell) if ccell and ccell is not qcell else None,
                choices=acell.choices if acell else None,
                existing_answer=(acell.text or None) if acell else None,
                existing_comment=(ccell.text or None) if ccell else None,
                guidance=(view.text(r, gcol).strip() or None) if gcol else None)))
        for r, cell in in_cell:
            found.append((r, Question(
                qid=None, text=_label(cell.text.split("\n")[0]) or cell.text, section=t.section,
                question_at=_loc(t, cell), answer_at=_loc(t, cell, in_cell=True),
                comment_at=None, choices=None,
                existing_answer=_clean("\n".join(cell.paras[1:])) or None, existing_comment=None,
                guidance=None)))
        if in_cell:
            det.notes.append(Msg(N_("%(n)s full-width cells with a label are answered inside the cell"), n=len(in_cell)))
        for _, question in sorted(found, key=lambda f: f[0]):
            self.add(question)
        if not acol:
            self.no_answer_tables.append(det.name)

    def _blank_column(self, t: Table, view: DocxTableView, plan, item_rows: list[int]) -> int | None:
        """Forms leave the answer column empty: the first column right of the question
        whose header (if any) is no known role and which is empty on most question rows."""
        if not item_rows:
            return None
        qcol = plan.columns["question"]
        used = set(plan.columns.values())
        for c in range(qcol + 1, view.max_col + 1):
            if c in used:
                continue
            if plan.header_row is not None:
                h = view.text(plan.header_row, c)
                if h.strip() and classify_header(h):
                    continue
            cells = [t.at(r - 1, c - 1) for r in item_rows]
            if any(cell is None or cell is t.at(r - 1, qcol - 1) for cell, r in zip(cells, item_rows)):
                continue
            empty = sum(1 for cell in cells if not cell.text)
            if empty >= 0.8 * len(item_rows):
                return c
            return None
        return None

    def _in_cell_rows(self, t: Table, view: DocxTableView, plan, item_rows) -> list[tuple[int, Cell]]:
        """Full-width cells holding a label such as "Summary of DPO advice:" (answered
        inside the cell) that detect.py took for section rows."""
        out = []
        start = plan.header_row or 0
        for r in range(start, t.n_rows):
            if r + 1 in item_rows:
                continue
            row = t.row_cells(r)
            if len(row) != 1 or row[0].row != r or row[0].span < t.n_cols or t.n_cols < 2:
                continue
            first = row[0].text.split("\n")[0].strip() if row[0].text else ""
            if first.endswith((":", "：")) or looks_like_question(first):
                out.append((r + 1, row[0]))
        return out

    # -- label/value forms: "Name of controller | ____"
    def pairs_table(self, t: Table, det: SheetDetection) -> bool:
        if t.n_cols < 2:
            return False
        pairs = []
        for r in range(t.n_rows):
            row = [c for c in t.row_cells(r) if c.row == r]
            if not row or not any(c.text for c in row):
                continue
            label = row[0]
            rest = [c for c in t.row_cells(r) if c is not label]
            if not label.text or not rest or any(c.text for c in rest) or len(label.text) > 300:
                return False
            pairs.append((label, rest[0]))
        if not pairs:
            return False
        for label, value in pairs:
            self.add(Question(qid=None, text=_label(label.text), section=t.section,
                              question_at=_loc(t, label), answer_at=_loc(t, value),
                              comment_at=None, choices=value.choices, existing_answer=None,
                              existing_comment=None, guidance=None))
        det.columns = {"question": "A", "answer": "B"}
        det.notes.append(Msg(N_("label/value form: each label's answer is the empty cell to its right")))
        return True

    # -- boxes: labels above empty entry rows
    def box_table(self, t: Table, det: SheetDetection) -> bool:
        def is_entry(r: int) -> bool:
            row = t.row_cells(r)
            if not any(not c.text for c in row):
                return False
            return all(not c.text or (not c.bold and _option_list(c.text) is not None) for c in row
                       if c.row == r)

        label_row = None
        for r in range(t.n_rows - 1):
            row = [c for c in t.row_cells(r) if c.row == r]
            if row and all(c.text for c in row) and all(is_entry(k) for k in range(r + 1, t.n_rows)):
                label_row = r
                break
        if label_row is None:
            return False
        above = [c for r in range(label_row) for c in t.row_cells(r)]
        if any(c.span < t.n_cols for c in above):
            return False  # only full-width titles/instructions may sit above the labels
        intro = "\n".join(c.text for c in above if c.text) or None
        entry_rows = list(range(label_row + 1, t.n_rows))
        for cell in [c for c in t.row_cells(label_row) if c.row == label_row]:
            target = t.at(label_row + 1, cell.col)
            if target is None or target is cell:
                continue
            hint = target.text or None
            options = _option_list(hint) if hint else None
            extra = {"entry_rows": entry_rows} if len(entry_rows) > 1 else {}
            self.add(Question(
                qid=None, text=_label(cell.text), section=t.section, question_at=_loc(t, cell),
                answer_at=_loc(t, target, **({"prefilled_hint": hint} if hint else {}), **extra),
                comment_at=None, choices=target.choices or options, existing_answer=None,
                existing_comment=None,
                guidance="\n".join(x for x in (intro, hint) if x) or None))
        det.header_row = label_row + 1
        det.notes.append(Msg(N_("boxes: each label's answer is the cell below it; %(n)s entry rows"), n=len(entry_rows))
                         if len(entry_rows) > 1 else Msg(N_("boxes: each label's answer is the cell below it")))
        return True


# ------------------------------------------------------------------ numbered paragraphs

def _paragraph_questions(blocks: list, reader: _TableReader, in_tables: bool) -> SheetDetection | None:
    det = SheetDetection(name=PARAGRAPHS_NAME, index=-1)
    section: str | None = None
    paras = [b for b in blocks if isinstance(b, Para)]
    pos = {id(b): i for i, b in enumerate(blocks)}
    count = 0
    for p in paras:
        if p.heading is not None:
            section = p.text or section
            continue
        text = p.text
        if not text:
            continue
        m = _TEXT_NUMBER.match(text)
        label = p.label
        body = text
        if m and looks_like_id(m.group(1).strip(".)( ")) or m and m.group(1).lower().startswith("q"):
            label = label or m.group(1).rstrip(".):")
            body = text[m.end():].strip()
        numbered = p.listed and p.label is not None or bool(m)
        if not numbered:
            continue
        i = pos[id(p)]
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        blank_after = isinstance(nxt, Para) and not nxt.text and nxt.heading is None
        ends_q = body.rstrip().endswith(("?", "？"))
        if not (ends_q or (looks_like_question(body) and blank_after and not in_tables)):
            continue
        if len(body) < 8:
            continue
        extra = {"paragraph": p.index, "path": p.path}
        answer_extra = {"paragraph": p.index, "position": "after", "path": p.path}
        if blank_after:
            answer_extra["blank_paragraph"] = nxt.index
        reader.add(Question(
            qid=label, text=body, section=section,
            question_at=Locator(kind="docx-paragraph", row=p.index + 1, extra=extra),
            answer_at=Locator(kind="docx-paragraph", row=p.index + 1, extra=answer_extra),
            comment_at=None, choices=None, existing_answer=None, existing_comment=None))
        count += 1
    if not count:
        return None
    det.question_count = count
    det.notes.append(Msg(N_("numbered paragraphs that read as questions; the answer goes after each")))
    return det


# ------------------------------------------------------------------ entry point

def load_docx(data: bytes, filename: str, limits: Limits, deadline: Deadline,
              layout_hint) -> Questionnaire:
    zf = open_zip(data, filename, limits)
    root = parse_xml_part(zf, "word/document.xml", filename, limits)
    styles = Styles(parse_xml_part(zf, "word/styles.xml", filename, limits, required=False))
    numbering = Numbering(parse_xml_part(zf, "word/numbering.xml", filename, limits, required=False))
    blocks = read_body(root, styles, numbering, limits, deadline, filename)

    heading: str | None = None
    last_para: str | None = None
    for b in blocks:
        if isinstance(b, Para):
            if b.heading is not None and b.text:
                heading = b.text
            elif b.text and b.bold and len(b.text) <= 120 and not b.text.endswith("."):
                heading = b.text  # bold one-line paragraphs act as titles in many forms
            if b.text:
                last_para = b.text
        else:
            b.section, b.intro = heading, last_para

    q = Questionnaire(source_format="docx", filename=filename, questions=[], sheets=[], warnings=[])
    reader = _TableReader(q, filename, limits, deadline, layout_hint)
    tables = [b for b in blocks if isinstance(b, Table)]
    for t in tables:
        q.sheets.append(reader.table(t))
    in_tables = any(not s.skipped for s in q.sheets)
    pdet = _paragraph_questions(blocks, reader, in_tables)
    if pdet:
        q.sheets.append(pdet)
        if in_tables:
            order = _block_order(blocks)
            q.questions.sort(key=lambda x: _order(x, order))
    names = [s.name for s in q.sheets] + [PARAGRAPHS_NAME]
    for n in unknown_hint_sheets(layout_hint, names):
        q.warnings.append(Msg(N_('layout hint names a table "%(name)s" that is not in the document'), name=n))
    if reader.withdrawn:
        q.warnings.append(Msg(N_("%(n)s rows marked deleted/withdrawn were left out"), n=reader.withdrawn))
    if reader.no_answer_tables:
        shown = ", ".join(reader.no_answer_tables[:5]) + (" …" if len(reader.no_answer_tables) > 5 else "")
        q.warnings.append(Msg(N_("no answer column in %(n)s question tables (%(shown)s); answers will need a "
                                 "new column"), n=len(reader.no_answer_tables), shown=shown))
    if not q.questions:
        raise ImportErrorWithContext(
            N_("no questions found: no table with question/answer columns, no fill-in boxes and no "
               "numbered paragraphs ending in a question mark"), file=filename)
    return q


def _block_order(blocks: list) -> dict[tuple[str, int], int]:
    return {(("p", b.index) if isinstance(b, Para) else ("t", b.index)): i for i, b in enumerate(blocks)}


def _order(x: Question, order: dict[tuple[str, int], int]) -> tuple[int, int]:
    """Body order of a question: tables and paragraphs interleaved as in the document."""
    if x.question_at.kind == "docx-paragraph":
        return order.get(("p", x.question_at.extra["paragraph"]), 0), 0
    return order.get(("t", x.question_at.extra["table"]), 0), x.question_at.extra["row"]
