"""VSAQ JSON questionnaires (Google's Vendor Security Assessment Questionnaire).

A VSAQ template is `{"questionnaire": [item, ...]}` where an item is a `block` (with
nested `items`) or a question: `line`/`box` (free text), `yesno`, `radiogroup` /
`checkgroup` (`choices` is a list of one-entry dicts `{choice_id: text}`), `check`,
`radio`, `upload`; `info`/`tip`/`spacer` are static text. `cond` is a boolean
expression over item and choice ids (`a && !b || ^c`) that decides visibility.

The published templates are JavaScript object literals rather than strict JSON: they
start with `//` licence comments and split long strings with `"..." + "..."`. Both
are accepted (as VSAQ itself does); anything else must be JSON.
"""
from __future__ import annotations

import html
import json
import re
from bisect import bisect_right

from .i18n_marker import N_
from .model import ImportErrorWithContext, Locator, Question, Questionnaire, SheetDetection
from .safety import Deadline, Limits

TABLE_NAME = "questionnaire"  # the one "sheet" of a VSAQ file
MAX_JSON_BYTES = 20 * 1024 * 1024  # VSAQ templates are ~30-150 KB
STATIC_TYPES = {"info", "tip", "spacer"}
CHOICE_TYPES = {"radiogroup", "checkgroup"}
VALUE_TYPES = {"line", "box", "yesno", "radiogroup", "checkgroup", "check", "radio", "upload"}
DEFAULT_CHOICE = "None of the above."  # VSAQ appends this when "defaultChoice" is true

# tokens of the JavaScript subset: strings, comments, whitespace, structure, the rest
_TOKEN = re.compile(r'''
    (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<line>//[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<ws>\s+)
  | (?P<open>[{\[])
  | (?P<close>[}\]])
  | (?P<comma>,)
  | (?P<plus>\+)
  | (?P<other>[^"/\s{}\[\],+]+|.)
''', re.VERBOSE | re.DOTALL)


class _JsonError(Exception):
    def __init__(self, msg: str, pos: int):
        super().__init__(msg)
        self.msg, self.pos = msg, pos


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def to_strict_json(text: str, max_depth: int) -> tuple[str, list[tuple[int, int]]]:
    """Turn the VSAQ JavaScript subset into JSON: drop comments, join `"a" + "b"`,
    drop trailing commas; refuse nesting deeper than `max_depth`. Returns the JSON
    text and a map (output offset, input offset) to report errors at the input's
    line and column."""
    out: list[str] = []
    segs: list[tuple[int, int]] = [(0, 0)]
    out_len = 0
    depth = 0
    pending_str: list[str] | None = None  # string parts waiting for a possible "+"
    pending_at = 0
    plus_at: int | None = None  # a "+" seen after a string, waiting for the next string
    pending_comma: int | None = None  # input offset of a "," not yet written

    def emit(s: str, at: int) -> None:
        nonlocal out_len
        segs.append((out_len, at))
        out.append(s)
        out_len += len(s)

    def flush_string() -> None:
        nonlocal pending_str
        if pending_str is not None:
            emit('"' + "".join(pending_str) + '"', pending_at)
            pending_str = None

    for m in _TOKEN.finditer(text):
        kind, tok, at = m.lastgroup, m.group(), m.start()
        if kind in ("ws", "line", "block"):
            continue
        if kind == "str":
            if pending_str is not None and plus_at is not None:
                pending_str.append(tok[1:-1])
                plus_at = None
                continue
            if plus_at is not None:
                raise _JsonError("'+' is only allowed between two strings", plus_at)
            flush_string()
            if pending_comma is not None:
                emit(",", pending_comma)
                pending_comma = None
            pending_str, pending_at = [tok[1:-1]], at
            continue
        if kind == "plus":
            if pending_str is None or plus_at is not None:
                raise _JsonError("'+' is only allowed between two strings", at)
            plus_at = at
            continue
        if plus_at is not None:
            raise _JsonError("'+' is only allowed between two strings", plus_at)
        flush_string()
        if kind == "comma":
            if pending_comma is not None:
                emit(",", pending_comma)  # ",," -> let json report it
            pending_comma = at
            continue
        if kind == "close":
            pending_comma = None  # trailing comma: allowed in JavaScript
            depth -= 1
        elif pending_comma is not None:
            emit(",", pending_comma)
            pending_comma = None
        if kind == "open":
            depth += 1
            if depth > max_depth:
                raise _JsonError(f"nested more than {max_depth} levels deep", at)
        emit(tok, at)
    if plus_at is not None:
        raise _JsonError("'+' is only allowed between two strings", plus_at)
    flush_string()
    if pending_comma is not None:
        emit(",", pending_comma)
    return "".join(out), segs


def _input_pos(segs: list[tuple[int, int]], out_pos: int) -> int:
    i = bisect_right([s[0] for s in segs], out_pos) - 1
    o, src = segs[max(i, 0)]
    return src + (out_pos - o)


def parse_vsaq_text(data: bytes, filename: str, max_depth: int):
    if len(data) > MAX_JSON_BYTES:
        raise ImportErrorWithContext(
            N_("the JSON file is %(mb)s MB; a VSAQ questionnaire is far smaller (the limit is %(limit)s MB)"),
            params={"mb": f"{len(data) / 1e6:,.1f}", "limit": f"{MAX_JSON_BYTES / 1e6:,.0f}"}, file=filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportErrorWithContext(N_("the JSON file is not UTF-8 text (byte %(byte)s)"),
                                     params={"byte": e.start}, file=filename) from None
    try:
        strict, segs = to_strict_json(text, max_depth)
        try:
            return json.loads(strict)
        except json.JSONDecodeError as e:
            raise _JsonError(e.msg, _input_pos(segs, e.pos)) from None
        except (ValueError, RecursionError) as e:  # e.g. a 5,000-digit number
            raise _JsonError(str(e).split(";")[0], 0) from None
    except _JsonError as e:
        line, col = _line_col(text, min(e.pos, len(text)))
        err = ImportErrorWithContext(N_("the JSON is invalid at line %(line)s, column %(column)s: %(error)s"),
                                     params={"line": line, "column": col, "error": e.msg}, file=filename)
        err.line, err.column = line, col
        raise err from None


_BREAK = re.compile(r"<\s*(br|/p|/li|/div|/h\d|/tr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def plain_text(value) -> str:
    """VSAQ texts carry HTML; keep the words, one space/newline between blocks."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    t = _BREAK.sub("\n", value)
    t = html.unescape(_TAG.sub("", t))
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", ln).strip() for ln in t.split("\n")]
    return "\n".join(ln for ln in lines if ln)


_COND_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s()!&|,"]+')
_COND_GLOBALS = {"matches", "contains", "false", "true"}


def cond_refs(cond: str) -> list[str]:
    """Item/choice ids a VSAQ condition refers to (`^x` = visibility of x; `/yes`,
    `/no`, `/value` suffixes removed)."""
    out = []
    for w in _COND_WORD.findall(cond):
        if w.startswith('"') or w in _COND_GLOBALS:
            continue
        ref = re.sub(r"(/yes|/no|/value)$", "", w.lstrip("^"))
        if ref and ref not in out:
            out.append(ref)
    return out


def load_vsaq(data: bytes, filename: str, limits: Limits, deadline: Deadline) -> Questionnaire:
    doc = parse_vsaq_text(data, filename, limits.max_nesting)
    items = doc.get("questionnaire") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        if isinstance(doc, dict) and doc and all(isinstance(v, str) for v in doc.values()):
            raise ImportErrorWithContext(
                N_("this looks like a file of VSAQ answers (id → value), not a questionnaire "
                   "template; upload the questionnaire .json"), file=filename)
        raise ImportErrorWithContext(N_('this JSON file is not a VSAQ questionnaire (expected '
                                        '{"questionnaire": [ ... ]})'), file=filename)
    q = Questionnaire(source_format="vsaq", filename=filename, questions=[], warnings=[],
                      sheets=[SheetDetection(name=TABLE_NAME)])
    walker = _Walker(q, filename, limits, deadline)
    walker.walk(items, "$.questionnaire" if isinstance(doc, dict) else "$", [], [])
    walker.finish()
    return q


class _Walker:
    def __init__(self, q: Questionnaire, filename: str, limits: Limits, deadline: Deadline):
        self.q, self.filename, self.limits, self.deadline = q, filename, limits, deadline
        self.owner: dict[str, str] = {}  # item or choice id -> question id it belongs to
        self.seen: dict[str, int] = {}
        self.unknown: dict[str, int] = {}
        self.no_id = 0
        self.static: set[str] = set()
        self.title = ""

    def walk(self, items: list, path: str, titles: list[str], block_conds: list[str]) -> None:
        prev: tuple[str, str] | None = None  # (path, text) of the item just before
        for i, item in enumerate(items):
            self.deadline.check(TABLE_NAME)
            here = f"{path}[{i}]"
            if not isinstance(item, dict):
                continue
            typ = item.get("type")
            before, prev = prev, None
            if typ in ("info", "line", "box", "yesno", "radiogroup", "checkgroup", "check"):
                t = plain_text(item.get("text"))
                prev = (here, t) if t else None
            if typ == "block" or (typ is None and isinstance(item.get("items"), list)):
                title = plain_text(item.get("text"))
                if not titles and not path.endswith(".items") and len(items) == 1:
                    self.title, title = title, ""  # the one top-level block is the title
                cond = item.get("cond")
                if isinstance(item.get("id"), str):
                    self.owner.setdefault(item["id"], item["id"])
                self.walk(item.get("items") or [], here + ".items",
                          titles + ([title] if title else []),
                          block_conds + ([cond] if isinstance(cond, str) and cond.strip() else []))
                continue
            if typ in STATIC_TYPES:
                if isinstance(item.get("id"), str):  # tips have ids that conditions use (^id)
                    self.static.add(item["id"])
                continue
            if typ not in VALUE_TYPES:
                if not item.get("id") or not item.get("text"):
                    self.unknown[str(typ)] = self.unknown.get(str(typ), 0) + 1
                    continue
                self.unknown[str(typ)] = self.unknown.get(str(typ), 0) + 1
            self.question(item, typ, here, titles, block_conds, before)

    def question(self, item: dict, typ, path: str, titles: list[str], block_conds: list[str],
                 before: tuple[str, str] | None) -> None:
        qid = item.get("id") if isinstance(item.get("id"), str) and item["id"].strip() else None
        raw = item.get("text") if isinstance(item.get("text"), str) else ""
        text = plain_text(raw)
        extra: dict = {"id": qid, "path": path, "type": typ}
        if not text and before and typ in CHOICE_TYPES:
            # a group without a caption continues the text just above it (an info item,
            # or the previous group: VSAQ shows them as one list)
            text = before[1]
            extra["text_from"] = before[0]
        if not text and not qid and typ not in CHOICE_TYPES:
            return
        if raw != text and raw:
            extra["html"] = raw
        choices = None
        if typ in CHOICE_TYPES:
            choices, ids = [], []
            for ch in item.get("choices") or []:
                if isinstance(ch, dict) and len(ch) == 1:
                    (cid, ctext), = ch.items()
                    choices.append(plain_text(ctext))
                    ids.append(cid)
                    self.owner.setdefault(cid, qid or cid)
            if item.get("defaultChoice") is True:
                choices.append(DEFAULT_CHOICE)
                ids.append(None)
                extra["default_choice"] = True
            extra["choice_ids"] = ids
            extra["multiple"] = typ == "checkgroup"
            conds = {}
            for cc in item.get("choicesConds") or []:
                if isinstance(cc, dict) and len(cc) == 1:
                    conds.update(cc)
            if conds:
                extra["choice_conds"] = conds
        elif typ == "yesno":
            choices = [plain_text(item.get("yes")) or "Yes", plain_text(item.get("no")) or "No"]
            extra["choice_values"] = ["yes", "no"]
        elif typ in ("check", "radio"):
            choices = [text] if typ == "radio" else None
        elif typ == "upload":
            extra["upload"] = True
        if typ not in VALUE_TYPES:
            extra["unknown_type"] = True
        cond = item.get("cond")
        if isinstance(cond, str) and cond.strip():
            extra["cond"] = cond
        if block_conds:
            extra["block_conds"] = list(block_conds)
        for key in ("placeholder", "required", "inputPattern", "auth"):
            if key in item:
                extra[key] = item[key]
        if qid:
            self.owner.setdefault(qid, qid)
            self.seen[qid] = self.seen.get(qid, 0) + 1
        elif typ in CHOICE_TYPES:
            # VSAQ stores a group's answer under its choice ids; the group needs no id
            extra["answer_keys"] = [c for c in extra["choice_ids"] if c]
        else:
            self.no_id += 1
        loc = Locator(kind="json", extra=extra)
        self.q.questions.append(Question(
            qid=qid, text=text or qid, section=" / ".join(titles) or None,
            question_at=loc, answer_at=Locator(kind="json", extra=dict(extra)), comment_at=None,
            choices=choices, existing_answer=None, existing_comment=None,
            guidance=plain_text(item.get("placeholder")) or None))
        if len(self.q.questions) > self.limits.max_questions:
            raise ImportErrorWithContext(
                N_("the questionnaire has more than %(n)s questions; it was not imported (no silent truncation)"),
                params={"n": f"{self.limits.max_questions:,}"}, file=self.filename)

    def finish(self) -> None:
        q = self.q
        for question in q.questions:
            for loc in (question.question_at, question.answer_at):
                conds = ([loc.extra["cond"]] if "cond" in loc.extra else []) + loc.extra.get(
                    "block_conds", [])
                deps: list[str] = []
                missing: list[str] = []
                for c in conds:
                    for ref in cond_refs(c):
                        owner = self.owner.get(ref)
                        if owner is None:
                            if ref not in self.static:
                                missing.append(ref)
                        elif owner not in deps and owner != question.qid:
                            deps.append(owner)
                if deps:
                    loc.extra["depends_on"] = deps
                if missing:
                    loc.extra["unknown_refs"] = missing
        det = q.sheets[0]
        det.question_count = len(q.questions)
        det.columns = {}
        if self.title:
            det.notes.append(f"title: {self.title}")
        det.notes.append("VSAQ template: answers are keyed by item id (groups: by choice id)")
        dups = [k for k, n in self.seen.items() if n > 1]
        if dups:
            q.warnings.append(f"{len(dups)} item ids are used more than once (answers are keyed by "
                              f"id, so these share one answer): {', '.join(dups[:10])}")
        if self.no_id:
            q.warnings.append(f"{self.no_id} questions have no id; VSAQ cannot store answers for them")
        if self.unknown:
            kinds = ", ".join(f"{k} ×{n}" for k, n in sorted(self.unknown.items()))
            q.warnings.append(f"unknown VSAQ item types ({kinds}); those with an id and text were "
                              "imported as free-text questions, the others skipped")
        n_cond = sum(1 for x in q.questions if "cond" in x.answer_at.extra or
                     "block_conds" in x.answer_at.extra)
        if n_cond:
            q.warnings.append(f"{n_cond} questions are conditional (shown only for some earlier "
                              "answers); all were imported, the condition is in answer_at.extra")
        if not q.questions:
            raise ImportErrorWithContext(N_("no questions found in the VSAQ questionnaire"),
                                         file=self.filename)
