"""Seeded mutation fuzzing of everything that reads a customer's file: the importers, the filled copy,
the library import and `vault trace`.

    python -m bench.fuzz --n 500            # 500 mutated inputs across all seeds, seed 1
    python -m bench.fuzz --n 2000 --seed 7 --keep /tmp/crashes

Each input goes through `check_input`, which fails (a `Finding`) when:
  * anything but the project's own error types escapes (ImportErrorWithContext, the exporters' errors):
    a person would see a traceback;
  * the library table keeps damaged text (NUL, U+FFFD, a C0 control) or tracing raises;
  * a library-changing or file-writing step fails after writing something (checked in the pytest test);
  * one input takes longer than `SLOW_SECONDS`.
The corpus is tests/fuzz/seeds/ (made by tests/fuzz/make_seeds.py). tests/fuzz/test_fuzz.py runs a
bounded round of this in CI with a fixed seed; every crash it ever found is kept as a test in
tests/fuzz/test_damaged_files.py.
"""
from __future__ import annotations

import argparse
import io
import logging
import random
import re
import sys
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "tests" / "fuzz" / "seeds"
SLOW_SECONDS = 20.0
DAMAGED_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


@dataclass
class Finding:
    name: str
    mutation: str
    what: str
    detail: str
    data: bytes = field(repr=False, default=b"")


@dataclass
class Outcome:
    stages: dict[str, str] = field(default_factory=dict)  # stage -> "ok" | "refused" | "skipped"
    seconds: float = 0.0


def own_errors() -> tuple[type[BaseException], ...]:
    from exporters import EXPORT_ERRORS
    from importers.model import ImportErrorWithContext
    return (ImportErrorWithContext, *EXPORT_ERRORS)


# --- mutations ---------------------------------------------------------------------------------

def _flip(rng: random.Random, data: bytes, start: int = 0) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(start, len(b)) if len(b) > start else 0
        if b:
            b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[:rng.randrange(1, max(2, len(data)))]


def _splice(rng: random.Random, data: bytes) -> bytes:
    i, j = sorted(rng.randrange(len(data) + 1) for _ in range(2))
    k = rng.randrange(len(data) + 1)
    return data[:k] + data[i:j] + data[k:]


def _insert(rng: random.Random, data: bytes) -> bytes:
    k = rng.randrange(len(data) + 1)
    junk = rng.choice([b"\x00", b"\xff\xfe", b"\xe9", b"\"", b"\r", b"<", b"%%EOF", b"{", b"\x1b[31m",
                       bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))])
    return data[:k] + junk + data[k:]


def _zip_members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return [(i, zf.read(i)) for i in zf.infolist()]


def _rezip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info, raw in members:
            zo.writestr(info, raw)
    return out.getvalue()


XML_EDITS = [
    ("drop an attribute", lambda rng, t: re.sub(rb'\s[\w:]+="[^"]*"', b"", t, count=1)
     if rng.random() < 0.5 else _nth_sub(rng, rb'\s[\w:]+="[^"]*"', b"", t)),
    ("truncate the XML", lambda rng, t: t[:rng.randrange(1, max(2, len(t)))]),
    ("huge dimension", lambda rng, t: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', t)),
    ("bad cell reference", lambda rng, t: _nth_sub(rng, rb' r="[A-Z]+\d+"', rng.choice(
        [b' r="XFE1"', b' r="A0"', b' r="A99999999"', b' r=""', b' r="1A"']), t)),
    ("bad row number", lambda rng, t: _nth_sub(rng, rb'<row r="\d+"', rng.choice(
        [b'<row r="0"', b'<row r="-3"', b'<row r="x"', b'<row r="99999999999"']), t)),
    ("entity declaration", lambda rng, t: re.sub(rb"(<\?xml[^>]*\?>)?", b'<?xml version="1.0"?><!DOCTYPE x '
                                                b'[<!ENTITY e "boom">]>', t, count=1)),
    ("drop an element", lambda rng, t: _nth_sub(rng, rb"<(\w[\w:]*)[^<>]*/>", b"", t)),
    ("flip bytes", lambda rng, t: _flip(rng, t)),
    ("control character", lambda rng, t: _nth_sub(rng, rb">([^<]{2,})<", b">\x01\x00\x7f<", t)),
    ("bad number", lambda rng, t: _nth_sub(rng, rb"<v>[^<]*</v>", rng.choice(
        [b"<v>NaN</v>", b"<v>1e999</v>", b"<v>abc</v>", b"<v>-1</v>", b"<v>99999999</v>"]), t)),
]


def _nth_sub(rng: random.Random, pattern: bytes, repl: bytes, text: bytes) -> bytes:
    hits = list(re.finditer(pattern, text))
    if not hits:
        return text
    m = rng.choice(hits)
    return text[:m.start()] + repl + text[m.end():]


def _mutate_zip(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    members = _zip_members(data)
    choice = rng.random()
    if choice < 0.3:  # damage the compressed bytes of one member (CRC / inflate errors)
        zf = zipfile.ZipFile(io.BytesIO(data))
        info = rng.choice([i for i in zf.infolist() if i.compress_size > 4] or zf.infolist())
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[start + rng.randrange(max(1, info.compress_size))] ^= 1 << rng.randrange(8)
        return f"flip compressed bytes of {info.filename}", bytes(b)
    if choice < 0.4:  # remove a member
        gone = rng.randrange(len(members))
        return f"remove {members[gone][0].filename}", _rezip(members[:gone] + members[gone + 1:])
    xml = [k for k, (i, _raw) in enumerate(members) if i.filename.endswith((".xml", ".rels"))]
    k = rng.choice(xml)
    name, edit = rng.choice(XML_EDITS)
    info, raw = members[k]
    members[k] = (info, edit(rng, raw))
    return f"{name} in {info.filename}", _rezip(members)


CSV_EDITS = [
    ("NUL byte", lambda rng, d: _at_random(rng, d, b"\x00")),
    ("Latin-1 byte", lambda rng, d: _at_random(rng, d, b"caf\xe9")),
    ("unclosed quote", lambda rng, d: _at_random(rng, d, b'"')),
    ("cut mid-field", lambda rng, d: d[:rng.randrange(len(d) // 2, len(d))]),
    ("stray CR", lambda rng, d: _at_random(rng, d, b"\r")),
    ("formula", lambda rng, d: _at_random(rng, d, b",=HYPERLINK(\"http://x\"),")),
    ("UTF-16 BOM", lambda rng, d: b"\xff\xfe" + d),
    ("mixed GBK", lambda rng, d: _at_random(rng, d, "多因素".encode("gbk"))),
]


def _at_random(rng: random.Random, data: bytes, piece: bytes) -> bytes:
    k = rng.randrange(len(data) + 1)
    return data[:k] + piece + data[k:]


def _mutate_json(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    choice = rng.random()
    if choice < 0.2:
        return "deep nesting", b'{"questionnaire": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    if choice < 0.5:
        t = _nth_sub(rng, rb'"(id|type|text|items|choices)"', rng.choice([b'"x"', b"", b'"items"', b"1"]), data)
        return "break a key", t
    return "flip bytes", _flip(rng, data)


def _mutate_pdf(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    choice = rng.random()
    if choice < 0.2:
        return "drop %%EOF", data.replace(b"%%EOF", b"")
    if choice < 0.35:
        return "cyclic reference", re.sub(rb"/Parent 2 0 R", b"/Parent 3 0 R", data).replace(b"/Kids [3 0 R]", b"/Kids [2 0 R]")
    if choice < 0.5:
        return "break xref", _flip(rng, data, start=max(0, data.rfind(b"xref")))
    if choice < 0.6:
        return "encrypt dictionary", data.replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>")
    return "flip bytes", _flip(rng, data)


def mutate(rng: random.Random, name: str, data: bytes) -> tuple[str, bytes]:
    """One damaged variant of a seed: (what was done, bytes)."""
    generic = [("flip bytes", _flip), ("truncate", _truncate), ("splice", _splice), ("insert junk", _insert)]
    r = rng.random()
    if r < 0.3:
        label, fn = rng.choice(generic)
        return label, fn(rng, data)
    if data.startswith(b"PK"):
        return _mutate_zip(rng, data)
    if name.endswith(".csv"):
        label, fn = rng.choice(CSV_EDITS)
        out = fn(rng, data)
        if rng.random() < 0.3:  # two kinds of damage at once
            label2, fn2 = rng.choice(CSV_EDITS)
            return f"{label} + {label2}", fn2(rng, out)
        return label, out
    if name.endswith(".json"):
        return _mutate_json(rng, data)
    if name.endswith(".pdf"):
        return _mutate_pdf(rng, data)
    label, fn = rng.choice(generic)
    return label, fn(rng, data)


# --- the checks --------------------------------------------------------------------------------

class _Crash(Exception):
    def __init__(self, what: str, detail: str):
        super().__init__(what)
        self.what, self.detail = what, detail


def _stage(outcome: Outcome, stage: str, fn, allowed):
    try:
        result = fn()
    except allowed as exc:
        if "\n" in str(exc) or not str(exc).strip():
            raise _Crash(f"{stage}: error message is not one line", repr(str(exc))) from None
        outcome.stages[stage] = "refused"
        return None
    except Exception as exc:  # noqa: BLE001 - this is what the fuzzer is looking for
        raise _Crash(f"{stage}: {type(exc).__name__}", traceback.format_exc()) from None
    outcome.stages[stage] = "ok"
    return result


def _answers_for(questionnaire):
    from exporters.filled import FilledAnswer
    out = []
    for i, q in enumerate(questionnaire.questions):
        answer = q.choices[0] if q.choices else ("=1+1" if i % 3 == 1 else "Yes")
        out.append(FilledAnswer(q, answer, "@SUM(A1) details" if i % 2 else "Details."))
    return out


def check_input(name: str, data: bytes, *, fill: bool = True) -> Outcome:
    """Run one (possibly damaged) file through every reader; raise _Crash on anything but a clean
    outcome (see the module docstring)."""
    from exporters.filled import fill_questionnaire
    from importers import load_questionnaire
    from importers.library import load_library_table
    from vault.watermark import find_download_id

    allowed = own_errors()
    outcome = Outcome()
    t0 = time.monotonic()
    q = _stage(outcome, "import", lambda: load_questionnaire(data, name), allowed)
    if q is not None and fill:
        filled = _stage(outcome, "fill", lambda: fill_questionnaire(data, q, _answers_for(q)), allowed)
        if filled is not None and not isinstance(filled[0], bytes):
            raise _Crash("fill: result is not bytes", repr(type(filled[0])))
    if name.endswith((".csv", ".xlsx", ".xlsm")):
        table = _stage(outcome, "library", lambda: load_library_table(data, name), allowed)
        for row in (table.rows if table is not None else []):
            for text in (row.ref, row.question, row.answer_short, row.answer_full):
                if text and DAMAGED_TEXT.search(text):
                    raise _Crash("library: damaged text kept", f"row {row.row}: {text!r}")
    if name.endswith((".pdf", ".docx")):
        result = _stage(outcome, "trace", lambda: find_download_id(data), ())
        if result is not None and result.download_id is None and not result.notes:
            raise _Crash("trace: nothing found and nothing said", "")
    outcome.seconds = time.monotonic() - t0
    if outcome.seconds > SLOW_SECONDS:
        raise _Crash("slow", f"{outcome.seconds:.1f} s")
    return outcome


class _LogTrap(logging.Handler):
    """Anything a library logs at WARNING or above would reach the user's terminal: count it."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(f"{record.name}: {record.getMessage()}")


def seeds() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(SEEDS.iterdir()) if p.is_file() and p.name != "README.md"}


def run(n: int, seed: int = 1, *, only: list[str] | None = None, fill: bool = True,
        progress=None) -> tuple[list[Finding], dict]:
    """n mutated inputs, spread over the seeds round-robin; (findings, figures)."""
    rng = random.Random(seed)
    corpus = seeds()
    names = [k for k in corpus if not only or any(k.endswith(o) for o in only)]
    findings: list[Finding] = []
    figures = {"inputs": 0, "refused": 0, "accepted": 0, "by_format": {}, "slowest": 0.0, "log_lines": 0}
    trap = _LogTrap()
    root = logging.getLogger()
    root.addHandler(trap)
    try:
        for i in range(n):
            name = names[i % len(names)]
            label, data = mutate(rng, name, corpus[name])
            figures["inputs"] += 1
            fmt = name.rsplit(".", 1)[-1]
            figures["by_format"][fmt] = figures["by_format"].get(fmt, 0) + 1
            before = len(trap.records)
            try:
                outcome = check_input(name, data, fill=fill)
            except _Crash as crash:
                findings.append(Finding(name, label, crash.what, crash.detail, data))
            else:
                refused = "refused" in outcome.stages.values()
                figures["refused" if refused else "accepted"] += 1
                figures["slowest"] = max(figures["slowest"], outcome.seconds)
            if len(trap.records) > before:
                figures["log_lines"] += len(trap.records) - before
                findings.append(Finding(name, label, "logged a warning", "; ".join(trap.records[before:])[:500],
                                        data))
            if progress:
                progress(i + 1, n)
    finally:
        root.removeHandler(trap)
    return findings, figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", nargs="*", help="seed name endings, e.g. .csv .pdf")
    ap.add_argument("--keep", type=Path, help="write each crashing input into this folder")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    findings, figures = run(args.n, args.seed, only=args.only,
                            progress=lambda i, n: print(f"  {i} / {n}", file=sys.stderr) if i % 100 == 0 else None)
    print(f"inputs {figures['inputs']} ({', '.join(f'{k} {v}' for k, v in sorted(figures['by_format'].items()))}); "
          f"refused with a message {figures['refused']}, read {figures['accepted']}; "
          f"slowest {figures['slowest']:.2f} s; total {time.monotonic() - t0:.0f} s")
    by_kind: dict[str, list[Finding]] = {}
    for f in findings:
        by_kind.setdefault(f"{f.name}: {f.what}", []).append(f)
    for kind, same in sorted(by_kind.items()):
        print(f"FINDING x{len(same)} {kind} (e.g. {same[0].mutation})")
        print("   " + same[0].detail.strip().splitlines()[-1][:300] if same[0].detail.strip() else "")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for k, f in enumerate(findings):
            (args.keep / f"{k:04d}-{f.name}").write_bytes(f.data)
    print(f"findings {len(findings)}")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
