"""A small formula evaluator for cells saved without a cached value.

Excel stores the last computed value of every formula, and we use it. Files written by
other tools often don't, and questionnaires like HECVAT build their question text
with formulas (`=VLOOKUP($A13,Questions!$A$2:$X$333,2,0)&""`), so without this the
questions would be blank. Covered: references (same/other sheet, defined names),
& and arithmetic, comparisons, VLOOKUP/HLOOKUP/INDEX/MATCH, IF/IFERROR and common
text functions. Anything else raises Unsupported and the cell stays unknown.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable

from openpyxl.utils.cell import column_index_from_string

from .safety import Deadline
from .xlsx_reader import SheetData, WorkbookData, XLError

NA, VALUE, REF, NAME, DIV0 = (XLError(x) for x in ("#N/A", "#VALUE!", "#REF!", "#NAME?", "#DIV/0!"))
UNKNOWN = object()  # memo marker for "could not compute"


class Unsupported(Exception):
    pass


class Range:
    __slots__ = ("sheet", "r1", "c1", "r2", "c2")

    def __init__(self, sheet: SheetData, r1: int, c1: int, r2: int, c2: int):
        self.sheet, self.r1, self.c1, self.r2, self.c2 = sheet, r1, c1, r2, c2

    @property
    def single(self) -> bool:
        return self.r1 == self.r2 and self.c1 == self.c2


# ---------------------------------------------------------------- tokenizer / parser

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<sheet>(?:'(?:[^']|'')+'|[^\W\d][\w.]*)!)
  | (?P<err>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|SPILL!|CALC!))
  | (?P<range>\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?(?![\w(])
             |\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}(?![\w(])
             |\$?\d+:\$?\d+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<func>[A-Za-z_][\w.]*\()
  | (?P<name>[^\W\d][\w.]*)
  | (?P<op><=|>=|<>|[-+*/^&=<>%(),;{}\[\]])
""", re.VERBOSE | re.UNICODE)


def tokenize(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise Unsupported(f"cannot read formula near {text[pos:pos + 15]!r}")
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group()))
        pos = m.end()
    return out


def _range_bounds(text: str) -> tuple[int, int, int, int]:
    t = text.replace("$", "").upper()
    a, _, b = t.partition(":")
    b = b or a

    def one(x: str, end: bool):
        if x.isdigit():
            return int(x), (16384 if end else 1)
        if x.isalpha():
            return (1048576 if end else 1), column_index_from_string(x)
        m = re.match(r"([A-Z]+)(\d+)$", x)
        return int(m.group(2)), column_index_from_string(m.group(1))

    (r1, c1), (r2, c2) = one(a, False), one(b, True)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


class _Parser:
    """Recursive descent with Excel precedence: comparison < & < +- < */ < ^ < unary < %."""

    def __init__(self, tokens):
        self.t, self.i = tokens, 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else ("end", "")

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, value):
        kind, v = self.take()
        if v != value:
            raise Unsupported(f"expected {value!r}, found {v!r}")

    def parse(self):
        node = self.comparison()
        if self.peek()[0] != "end":
            raise Unsupported(f"unexpected {self.peek()[1]!r}")
        return node

    def _binary(self, ops, sub):
        node = sub()
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            op = self.take()[1]
            node = ("bin", op, node, sub())
        return node

    def comparison(self):
        return self._binary(("=", "<>", "<", ">", "<=", ">="), self.concat)

    def concat(self):
        return self._binary(("&",), self.additive)

    def additive(self):
        return self._binary(("+", "-"), self.term)

    def term(self):
        return self._binary(("*", "/"), self.power)

    def power(self):
        return self._binary(("^",), self.unary)

    def unary(self):
        if self.peek() in (("op", "-"), ("op", "+")):
            op = self.take()[1]
            node = self.unary()
            return ("neg", node) if op == "-" else node
        node = self.primary()
        while self.peek() == ("op", "%"):
            self.take()
            node = ("bin", "/", node, ("num", 100.0))
        return node

    def primary(self):
        kind, v = self.take()
        if kind == "num":
            return ("num", float(v))
        if kind == "str":
            return ("str", v[1:-1].replace('""', '"'))
        if kind == "err":
            return ("err", XLError(v))
        if kind == "range":
            return ("ref", None, _range_bounds(v))
        if kind == "sheet":
            name = v[:-1]
            if name.startswith("'"):
                name = name[1:-1].replace("''", "'")
            k2, v2 = self.take()
            if k2 == "range":
                return ("ref", name, _range_bounds(v2))
            if k2 == "err":
                return ("err", XLError(v2))
            raise Unsupported(f"unsupported reference {v}{v2}")
        if kind == "func":
            name = v[:-1].upper()
            for prefix in ("_XLFN._XLWS.", "_XLFN.", "_XLWS."):
                if name.startswith(prefix):
                    name = name[len(prefix):]
            args = []
            if self.peek() == ("op", ")"):
                self.take()
                return ("func", name, args)
            while True:
                if self.peek()[1] in (",", ";", ")"):
                    args.append(("missing",))
                else:
                    args.append(self.comparison())
                kind2, v2 = self.take()
                if v2 == ")":
                    return ("func", name, args)
                if v2 not in (",", ";"):
                    raise Unsupported(f"unexpected {v2!r} in {name}()")
        if kind == "name":
            up = v.upper()
            if up in ("TRUE", "FALSE"):
                return ("bool", up == "TRUE")
            return ("name", v)
        if (kind, v) == ("op", "("):
            node = self.comparison()
            self.expect(")")
            return node
        raise Unsupported(f"unsupported formula element {v!r}")


# ---------------------------------------------------------------- value helpers

def to_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.15g}"
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ") if v.time() != _dt.time() else v.date().isoformat()
    return str(v)


def to_number(v: Any):
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return VALUE


def to_bool(v: Any):
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    if isinstance(v, (int, float)):
        return v != 0
    s = str(v).upper()
    if s in ("TRUE", "FALSE"):
        return s == "TRUE"
    return VALUE


def _rank(v):  # Excel orders numbers < text < booleans
    if isinstance(v, bool):
        return 2
    if isinstance(v, (int, float)):
        return 0
    return 1


def compare(a: Any, b: Any) -> int:
    if a is None:
        a = "" if isinstance(b, str) else (False if isinstance(b, bool) else 0.0)
    if b is None:
        b = "" if isinstance(a, str) else (False if isinstance(a, bool) else 0.0)
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 1:
        a, b = str(a).casefold(), str(b).casefold()
    return (a > b) - (a < b)


def _wildcard(pattern: str):
    if not any(ch in pattern for ch in "*?"):
        return None
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


# ---------------------------------------------------------------- evaluator

class Evaluator:
    def __init__(self, wb: WorkbookData, deadline: Deadline, max_steps: int = 5_000_000):
        self.wb = wb
        self.deadline = deadline
        self.max_steps = max_steps
        self.steps = 0
        self.memo: dict[tuple[int, int, int], Any] = {}
        self.active: set[tuple[int, int, int]] = set()
        self.failures: dict[tuple[str, int, int], str] = {}
        self._parsed: dict[str, Any] = {}
        self._key_cache: dict[tuple, tuple[list, dict]] = {}

    # -- public
    def value(self, sheet: SheetData, row: int, col: int) -> Any:
        """Cached value, or the computed one if the file has none. None if unknown."""
        v = self._cell(sheet, row, col)
        return None if v is UNKNOWN else v

    def is_uncomputed(self, sheet: SheetData, row: int, col: int) -> bool:
        return self.memo.get((sheet.index, row, col)) is UNKNOWN

    # -- internals
    def _tick(self):
        self.steps += 1
        if self.steps > self.max_steps:
            raise Unsupported("formula evaluation budget exhausted")
        self.deadline.check(None)

    def _cell(self, sheet: SheetData, row: int, col: int) -> Any:
        self._tick()
        if (row, col) not in sheet.uncached:
            return sheet.cells.get((row, col))
        key = (sheet.index, row, col)
        if key in self.memo:
            return self.memo[key]
        if key in self.active:
            return XLError("#CIRCULAR!")
        self.active.add(key)
        try:
            v = self._scalar(self.eval(self._parse(sheet.formulas[(row, col)]), sheet, row, col),
                             row, col)
        except Unsupported as e:
            self.failures[(sheet.name, row, col)] = str(e)
            v = UNKNOWN
        except RecursionError:
            self.failures[(sheet.name, row, col)] = "formula nested too deeply"
            v = UNKNOWN
        finally:
            self.active.discard(key)
        self.memo[key] = v
        return v

    def _parse(self, text: str):
        node = self._parsed.get(text)
        if node is None:
            node = _Parser(tokenize(text.lstrip("="))).parse()
            if len(self._parsed) < 50_000:
                self._parsed[text] = node
        return node

    def _sheet(self, name: str | None, here: SheetData) -> SheetData | None:
        return here if name is None else self.wb.sheet(name)

    def _scalar(self, v, row, col):
        """Collapse a range to one value (Excel's implicit intersection)."""
        if not isinstance(v, Range):
            return v
        if v.single:
            r, c = v.r1, v.c1
        elif v.c1 == v.c2 and v.r1 <= row <= v.r2:
            r, c = row, v.c1
        elif v.r1 == v.r2 and v.c1 <= col <= v.c2:
            r, c = v.r1, col
        else:
            return VALUE
        x = self._cell(v.sheet, r, c)
        if x is UNKNOWN:
            raise Unsupported("depends on a cell that cannot be computed")
        return x

    def eval(self, node, sheet: SheetData, row: int, col: int):
        self._tick()
        kind = node[0]
        if kind in ("num", "str", "bool", "err"):
            return node[1]
        if kind == "missing":
            return None
        if kind == "ref":
            target = self._sheet(node[1], sheet)
            if target is None:
                return REF
            r1, c1, r2, c2 = node[2]
            # clip whole-column/row references to the used area
            r2, c2 = min(r2, max(target.max_row, r1)), min(c2, max(target.max_col, c1))
            return Range(target, r1, c1, r2, c2)
        if kind == "name":
            text = self.wb.defined_name(node[1], sheet.index)
            if text is None:
                return NAME
            return self.eval(self._parse(text), sheet, row, col)
        if kind == "neg":
            v = to_number(self._scalar(self.eval(node[1], sheet, row, col), row, col))
            return v if isinstance(v, XLError) else -v
        if kind == "bin":
            return self._binop(node[1], self._scalar(self.eval(node[2], sheet, row, col), row, col),
                               self._scalar(self.eval(node[3], sheet, row, col), row, col))
        if kind == "func":
            return self._func(node[1], node[2], sheet, row, col)
        raise Unsupported(f"unsupported node {kind}")

    def _binop(self, op, a, b):
        if isinstance(a, XLError):
            return a
        if isinstance(b, XLError):
            return b
        if op == "&":
            return to_text(a) + to_text(b)
        if op in ("=", "<>", "<", ">", "<=", ">="):
            c = compare(a, b)
            return {"=": c == 0, "<>": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]
        x, y = to_number(a), to_number(b)
        if isinstance(x, XLError):
            return x
        if isinstance(y, XLError):
            return y
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            return DIV0 if y == 0 else x / y
        if op == "^":
            try:
                return float(x ** y)
            except (OverflowError, ZeroDivisionError, TypeError):
                return XLError("#NUM!")
        raise Unsupported(f"operator {op}")

    # -- functions
    def _func(self, name: str, args: list, sheet: SheetData, row: int, col: int):
        ev: Callable[[Any], Any] = lambda n: self.eval(n, sheet, row, col)  # noqa: E731
        sc: Callable[[Any], Any] = lambda n: self._scalar(ev(n), row, col)  # noqa: E731
        # lazily evaluated first
        if name == "IF":
            cond = to_bool(sc(args[0]))
            if isinstance(cond, XLError):
                return cond
            if cond:
                return ev(args[1]) if len(args) > 1 else True
            return ev(args[2]) if len(args) > 2 else False
        if name in ("IFERROR", "IFNA"):
            v = sc(args[0])
            if isinstance(v, XLError) and (name == "IFERROR" or v == NA):
                return sc(args[1])
            return v
        if name == "ROW":
            return float(ev(args[0]).r1 if args and args[0][0] == "ref" else row)
        if name == "COLUMN":
            return float(ev(args[0]).c1 if args and args[0][0] == "ref" else col)
        if name in ("VLOOKUP", "HLOOKUP"):
            return self._lookup(name, [ev(a) for a in args], row, col)
        if name == "INDEX":
            return self._index([ev(a) for a in args], row, col)
        if name == "MATCH":
            return self._match([ev(a) for a in args], row, col)
        if name in ("CONCATENATE", "CONCAT", "TEXTJOIN", "AND", "OR", "SUM", "COUNTA"):
            return self._aggregate(name, [ev(a) for a in args], row, col)
        fn = _SCALAR_FUNCS.get(name)
        if fn is None:
            raise Unsupported(f"function {name} is not supported")
        vals = [sc(a) for a in args]
        for v in vals:
            if isinstance(v, XLError) and name not in ("ISERROR", "ISNA", "ISERR"):
                return v
        try:
            return fn(*vals)
        except (TypeError, ValueError, IndexError):
            return VALUE

    def _values(self, v, row, col) -> list:
        if isinstance(v, Range):
            out = []
            for r in range(v.r1, v.r2 + 1):
                for c in range(v.c1, v.c2 + 1):
                    x = self._cell(v.sheet, r, c)
                    if x is UNKNOWN:
                        raise Unsupported("depends on a cell that cannot be computed")
                    out.append(x)
            return out
        return [v]

    def _aggregate(self, name, args, row, col):
        if name == "TEXTJOIN":
            delim, ignore_empty = to_text(self._scalar(args[0], row, col)), to_bool(
                self._scalar(args[1], row, col))
            parts = [x for a in args[2:] for x in self._values(a, row, col)]
            if any(isinstance(x, XLError) for x in parts):
                return next(x for x in parts if isinstance(x, XLError))
            return delim.join(to_text(x) for x in parts if not (ignore_empty and to_text(x) == ""))
        parts = [x for a in args for x in self._values(a, row, col)]
        err = next((x for x in parts if isinstance(x, XLError)), None)
        if err is not None:
            return err
        if name in ("CONCATENATE", "CONCAT"):
            return "".join(to_text(x) for x in parts)
        if name == "COUNTA":
            return float(sum(1 for x in parts if x is not None and x != ""))
        if name == "SUM":
            return float(sum(x for x in parts if isinstance(x, (int, float)) and not isinstance(x, bool)))
        bools = [to_bool(x) for x in parts if x is not None]
        if any(isinstance(b, XLError) for b in bools):
            return VALUE
        return all(bools) if name == "AND" else any(bools)

    def _find(self, needle, cells: list, exact: bool, mode: int = 1) -> int | None:
        """Index of the match in `cells` (Excel MATCH semantics), or None."""
        if exact:
            pat = _wildcard(needle) if isinstance(needle, str) else None
            for i, x in enumerate(cells):
                self._tick()
                if pat is not None:
                    if isinstance(x, str) and pat.fullmatch(x):
                        return i
                elif x is not None and _rank(x) == _rank(needle) and compare(x, needle) == 0:
                    return i
            return None
        best = None
        for i, x in enumerate(cells):  # sorted-data approximate match
            self._tick()
            if x is None or _rank(x) != _rank(needle):
                continue
            c = compare(x, needle)
            if (mode == 1 and c > 0) or (mode == -1 and c < 0):
                break
            best = i
            if c == 0:
                break
        return best

    def _lookup(self, name, args, row, col):
        if len(args) < 3:
            return VALUE
        needle = self._scalar(args[0], row, col)
        table = args[1]
        if isinstance(needle, XLError):
            return needle
        if not isinstance(table, Range):
            return NA
        idx = to_number(self._scalar(args[2], row, col))
        if isinstance(idx, XLError):
            return idx
        idx = int(idx)
        exact = len(args) > 3 and args[3] is not None and not to_bool(self._scalar(args[3], row, col))
        if name == "VLOOKUP":
            if idx < 1:
                return VALUE
            keys = self._keys(table.sheet, table.r1, table.r2, table.c1, table.c1, vertical=True)
            i = self._find_indexed(needle, keys, exact)
            return NA if i is None else self._lookup_cell(table.sheet, table.r1 + i, table.c1 + idx - 1)
        keys = self._keys(table.sheet, table.c1, table.c2, table.r1, table.r1, vertical=False)
        i = self._find_indexed(needle, keys, exact)
        if idx < 1:
            return VALUE
        return NA if i is None else self._lookup_cell(table.sheet, table.r1 + idx - 1, table.c1 + i)

    def _keys(self, sheet, lo, hi, fixed, _, vertical: bool):
        """Values of a lookup column/row plus an exact-match index, built once per range."""
        key = (sheet.index, lo, hi, fixed, vertical)
        cached = self._key_cache.get(key)
        if cached is None:
            vals = [self._lookup_cell(sheet, i, fixed) if vertical else self._lookup_cell(sheet, fixed, i)
                    for i in range(lo, hi + 1)]
            index: dict = {}
            for i, v in enumerate(vals):
                k = _index_key(v)
                if k is not None and k not in index:
                    index[k] = i
            cached = self._key_cache[key] = (vals, index)
        return cached

    def _find_indexed(self, needle, keys, exact: bool):
        vals, index = keys
        if exact and not (isinstance(needle, str) and any(ch in needle for ch in "*?~")):
            k = _index_key(needle)
            return index.get(k) if k is not None else None
        return self._find(needle, vals, exact)

    def _lookup_cell(self, sheet, r, c):
        x = self._cell(sheet, r, c)
        if x is UNKNOWN:
            raise Unsupported("depends on a cell that cannot be computed")
        return x

    def _index(self, args, row, col):
        if not args or not isinstance(args[0], Range):
            return REF
        rng = args[0]
        r = int(to_number(self._scalar(args[1], row, col))) if len(args) > 1 and args[1] is not None else 0
        c = int(to_number(self._scalar(args[2], row, col))) if len(args) > 2 and args[2] is not None else 0
        if rng.r1 == rng.r2 and c == 0 and len(args) == 2:  # one-row range: INDEX(row, n)
            r, c = 1, r
        r = r or 1
        c = c or 1
        if rng.r1 + r - 1 > rng.r2 or rng.c1 + c - 1 > rng.c2 or r < 1 or c < 1:
            return REF
        return Range(rng.sheet, rng.r1 + r - 1, rng.c1 + c - 1, rng.r1 + r - 1, rng.c1 + c - 1)

    def _match(self, args, row, col):
        if len(args) < 2 or not isinstance(args[1], Range):
            return NA
        needle = self._scalar(args[0], row, col)
        if isinstance(needle, XLError):
            return needle
        mode = int(to_number(self._scalar(args[2], row, col))) if len(args) > 2 and args[2] is not None else 1
        cells = self._values(args[1], row, col)
        i = self._find(needle, cells, exact=(mode == 0), mode=mode)
        return NA if i is None else float(i + 1)


def _index_key(v):
    """Hashable key with Excel's exact-match equality (case-insensitive text)."""
    if v is None or isinstance(v, XLError):
        return None
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, (int, float)):
        return ("n", float(v))
    return ("s", str(v).casefold())


def _mid(s, start, n):
    start, n = int(to_number(start)), int(to_number(n))
    if start < 1 or n < 0:
        return VALUE
    return to_text(s)[start - 1:start - 1 + n]


def _find_text(case_sensitive):
    def f(needle, hay, start=1):
        h, n = to_text(hay), to_text(needle)
        s = int(to_number(start)) - 1
        i = (h if case_sensitive else h.lower()).find(n if case_sensitive else n.lower(), s)
        return NA if i < 0 else float(i + 1)
    return f


_SCALAR_FUNCS: dict[str, Callable[..., Any]] = {
    "LEFT": lambda s, n=1: to_text(s)[:max(int(to_number(n)), 0)],
    "RIGHT": lambda s, n=1: to_text(s)[-int(to_number(n)):] if int(to_number(n)) > 0 else "",
    "MID": _mid,
    "LEN": lambda s: float(len(to_text(s))),
    "TRIM": lambda s: re.sub(" +", " ", to_text(s)).strip(" "),
    "CLEAN": lambda s: "".join(ch for ch in to_text(s) if ord(ch) >= 32),
    "UPPER": lambda s: to_text(s).upper(),
    "LOWER": lambda s: to_text(s).lower(),
    "PROPER": lambda s: to_text(s).title(),
    "SUBSTITUTE": lambda s, old, new, n=None: (
        to_text(s).replace(to_text(old), to_text(new)) if n is None
        else _substitute_nth(to_text(s), to_text(old), to_text(new), int(to_number(n)))),
    "REPT": lambda s, n: to_text(s) * max(0, min(int(to_number(n)), 10_000)),
    "CHAR": lambda n: chr(int(to_number(n))),
    "UNICHAR": lambda n: chr(int(to_number(n))),
    "T": lambda v: v if isinstance(v, str) else "",
    "N": lambda v: to_number(v) if isinstance(v, (int, float)) else 0.0,
    "VALUE": lambda v: to_number(v),
    "TEXT": lambda v, fmt: to_text(v),  # number formats are not applied
    "EXACT": lambda a, b: to_text(a) == to_text(b),
    "NOT": lambda v: (not to_bool(v)) if not isinstance(to_bool(v), XLError) else VALUE,
    "ISBLANK": lambda v: v is None,
    "ISERROR": lambda v: isinstance(v, XLError),
    "ISERR": lambda v: isinstance(v, XLError) and v != NA,
    "ISNA": lambda v: v == NA and isinstance(v, XLError),
    "ISNUMBER": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "ISTEXT": lambda v: isinstance(v, str) and not isinstance(v, XLError),
    "FIND": _find_text(True),
    "SEARCH": _find_text(False),
    "NA": lambda: NA,
}


def _substitute_nth(s, old, new, n):
    idx = -1
    for _ in range(n):
        idx = s.find(old, idx + 1)
        if idx < 0:
            return s
    return s[:idx] + new + s[idx + len(old):]
