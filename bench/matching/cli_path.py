"""python -m bench.matching.cli_path [--sets EN,EN2,ZH->EN,EN->ZH] [--top-k 5] [--keep DIR]

Matching quality through the command line an external judge uses: a scratch instance
(`vault init --no-input`), the dev set's library written as a CSV (id, question, answer) and loaded
with `vault library import`, then `vault autofill INPUT --report report.json --top-k K` on the real
questionnaire files. Each report row is mapped back to its labelled question (by the question id the
report gives, else by an id in the xlsx row, else by the question text), and the figures are printed
beside the in-process engine's (quality.run_engine) on the same questions.

When they differ, the engine is re-run in-process with one difference of the CLI path added at a
time (rows +text, +order, +import): the question text as the CLI read it, the library entries in the
order of the CLI's saved index, the entries as `library import` stored them (read back from the
instance); then +import with one field put back as the dev set has it (~category, ~status, ~answer).
A differing question is attributed to each step that changed it; "CLI (unexplained)" means the last
replay still differs from the report.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from answers.matching import LibraryEntry, MatchIndex
from bench.matching.__main__ import COLS, _fmt
from bench.matching.devset import DevSet, Query, all_sets
from bench.matching.metrics import Outcome, summarize
from bench.matching.paths import questionnaires_dir

VAULT = Path(sys.executable).parent / "vault"
CONF_TOL = 1e-3  # the report rounds confidence to 4 decimals


@dataclass
class Input:
    """One file given to `vault autofill`, holding the queries whose qid starts with prefix."""
    path: Path
    prefix: str
    written: bool = False  # True: a CSV the bench wrote because the set's questions are not in a file


@dataclass
class SetRun:
    name: str
    queries: list[Query]
    cli: dict[str, Outcome] = field(default_factory=dict)  # qid -> outcome from the report
    cli_text: dict[str, str] = field(default_factory=dict)  # qid -> question text as the CLI read it
    found_by: dict[str, str] = field(default_factory=dict)  # qid -> "id" | "row cell" | "text"
    missing: list[Query] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)
    report_rows: int = 0
    filled_check: str = ""
    instance: Path | None = None


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().casefold()


def bare(qid: str) -> str:
    return qid.split(":", 1)[1] if ":" in qid else qid


def vault(instance: Path, *args: str, timings: list | None = None, label: str = "") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env["VAULT_INSTANCE_PATH"] = str(instance)
    t0 = time.perf_counter()
    res = subprocess.run([str(VAULT), *args], env=env, capture_output=True, text=True, timeout=1800)
    if timings is not None:
        timings.append((label or " ".join(args[:2]), time.perf_counter() - t0))
    if res.returncode != 0:
        raise RuntimeError(f"vault {' '.join(args)} failed ({res.returncode}):\n{res.stderr[-2000:]}")
    return res.stdout + res.stderr


def write_library_csv(library: list[LibraryEntry], path: Path) -> None:
    """What a judge writes: id, question, answer (the full answer; an entry without one stays without)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "question", "answer"])
        for e in library:
            w.writerow([e.ref, e.question, e.answer_full])


def write_questions_csv(queries: list[Query], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "question"])
        for q in queries:
            w.writerow([bare(q.qid), q.text])


def inputs_for(ds: DevSet, workdir: Path) -> list[Input]:
    """The real questionnaire files for each set; questions that come from no readable file are
    written to a CSV (id, question)."""
    qdir = questionnaires_dir()
    short = ds.name.split()[0]
    real = {
        "EN": [Input(qdir / "HECVAT414.xlsx", "")],
        "EN2": [Input(qdir / "zh" / "owasp_asvs_4.0.3-en.csv", "asvs2vsaq:")],
        "ZH->EN": [Input(qdir / "zh" / "owasp_asvs_4.0.3-zh-cn.csv", "zh:"),
                   Input(qdir / "zh" / "gbt22239_2019_level3.csv", "mlps:")],
        "EN->ZH": [Input(qdir / "zh" / "owasp_asvs_4.0.3-en.csv", "en:")],
    }.get(short, [])
    out = [i for i in real if i.path.is_file()]
    prefixes = {i.prefix for i in out}
    rest: dict[str, list[Query]] = {}
    for q in ds.queries:
        p = q.qid.split(":", 1)[0] + ":" if ":" in q.qid else ""
        if p not in prefixes:
            rest.setdefault(p, []).append(q)
    for p, qs in rest.items():  # e.g. EN->ZH's uncovered VSAQ questions: no questionnaire file holds them
        path = workdir / f"questions_{short.replace('>', '')}_{p.strip(':') or 'plain'}.csv"
        write_questions_csv(qs, path)
        out.append(Input(path, p, written=True))
    return out


class _RowCells:
    """Cells of an xlsx row, for finding a question id the report did not give."""

    def __init__(self, path: Path):
        self.path, self.wb = path, None

    def values(self, sheet: str | None, row: int | None) -> list[str]:
        if self.path.suffix.lower() not in (".xlsx", ".xlsm") or not sheet or not row:
            return []
        if self.wb is None:
            from openpyxl import load_workbook
            self.wb = load_workbook(self.path, data_only=True)
        if sheet not in self.wb.sheetnames:
            return []
        return [str(c.value).strip() for c in self.wb[sheet][row] if c.value is not None]


def map_report(rows: list[dict], queries: list[Query], inp: Input, run: SetRun, threshold: float) -> None:
    """Report rows -> outcomes of the labelled queries held by this input (never drops one silently)."""
    mine = [q for q in queries if (q.qid.startswith(inp.prefix) if inp.prefix else ":" not in q.qid)]
    by_id = {bare(q.qid): q for q in mine}
    by_text: dict[str, Query] = {}
    for q in mine:
        by_text.setdefault(norm(q.text), q)
    cells = _RowCells(inp.path)
    for r in rows:
        q, how = None, ""
        if r.get("question_id") and r["question_id"].strip() in by_id:
            q, how = by_id[r["question_id"].strip()], "id"
        if q is None:
            for v in cells.values(r.get("sheet"), r.get("row")):
                if v in by_id:
                    q, how = by_id[v], "row cell"
                    break
        # by text only for a row without an id: a row whose id is not labelled is another question,
        # even when its text repeats a labelled one (GB/T 22239 L3-245 repeats L3-001)
        if q is None and not (r.get("question_id") or "").strip() and norm(r["question"]) in by_text:
            q, how = by_text[norm(r["question"])], "text"
        if q is None:
            continue
        if q.qid in run.cli:
            run.duplicates.append(f"{q.qid}: {inp.path.name} {r.get('sheet')}!{r.get('question_cell') or r.get('row')}")
            continue
        ranked = [c["entry"] for c in r["candidates"]]
        run.cli[q.qid] = Outcome(q.gold, ranked, float(r["confidence"]), float(r["confidence"]) >= threshold)
        run.cli_text[q.qid] = r["question"]
        run.found_by[q.qid] = how


def run_cli(ds: DevSet, workdir: Path, *, top_k: int = 5, queries: list[Query] | None = None,
            inputs: list[Input] | None = None) -> SetRun:
    """The judge's path for one dev set in a fresh instance under workdir."""
    queries = ds.queries if queries is None else queries
    short = ds.name.split()[0]
    run = SetRun(short, queries)
    workdir.mkdir(parents=True, exist_ok=True)
    instance = run.instance = workdir / "instance"
    vault(instance, "init", "--no-input", timings=run.timings, label="init")
    lib_csv = workdir / "library.csv"
    write_library_csv(ds.library, lib_csv)
    vault(instance, "library", "import", str(lib_csv), timings=run.timings, label="library import")
    threshold = MatchIndex([], embedder=None).models.answerable_threshold
    for n, inp in enumerate(inputs if inputs is not None else inputs_for(ds, workdir)):
        report = workdir / f"report{n}.json"
        args = ["autofill", str(inp.path), "--report", str(report), "--top-k", str(top_k)]
        filled = workdir / f"filled{n}.xlsx"
        if inp.path.suffix.lower() == ".xlsx":
            args += ["-o", str(filled)]
        vault(instance, *args, timings=run.timings, label=f"autofill {inp.path.name}")
        rows = json.loads(report.read_text(encoding="utf-8"))["questions"]
        run.report_rows += len(rows)
        map_report(rows, queries, inp, run, threshold)
        if inp.path.suffix.lower() == ".xlsx":
            run.filled_check = check_filled(filled, rows)
    run.missing = [q for q in queries if q.qid not in run.cli]
    return run


def check_filled(path: Path, rows: list[dict]) -> str:
    """The filled copy opens, and every 'filled' row's answer cell holds something."""
    from openpyxl import load_workbook
    wb = load_workbook(path)
    filled = [r for r in rows if r["status"] == "filled" and r.get("answer_cell")]
    empty = [f"{r['sheet']}!{r['answer_cell']}" for r in filled
             if r["sheet"] in wb.sheetnames and wb[r["sheet"]][r["answer_cell"]].value in (None, "")]
    return (f"{path.name} opens ({len(wb.sheetnames)} sheets); {len(filled) - len(empty)} / {len(filled)} "
            f"'filled' answer cells hold an answer" + (f"; EMPTY: {', '.join(empty[:10])}" if empty else ""))


def imported_library(instance: Path) -> tuple[list[LibraryEntry], list[str]]:
    """The library as the CLI stored it (read back through the app), and the order of the entries in
    the CLI's saved matching index (instance/index/library_index, a zip holding index.json)."""
    from answers.library.index import to_match_entry
    from answers.library.models import LibraryEntry as EntryRow
    from sqlalchemy import select

    from vault import create_app, db
    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        entries = [to_match_entry(row) for row in db.session().scalars(select(EntryRow).order_by(EntryRow.id))]
    with zipfile.ZipFile(instance / "index" / "library_index") as z:
        order = [e["ref"] for e in json.loads(z.read("index.json"))["entries"]]
    return entries, order


def engine(library: list[LibraryEntry], queries: list[Query], texts: list[str], top_k: int) -> dict[str, Outcome]:
    results = MatchIndex(library, embedder="auto").match_many(texts, top_k=top_k)
    return {q.qid: Outcome(q.gold, [c.ref for c in r.candidates], r.confidence, r.answerable)
            for q, r in zip(queries, results)}


def same(a: Outcome, b: Outcome) -> bool:
    return a.ranked == b.ranked and a.answerable == b.answerable and abs(a.confidence - b.confidence) <= CONF_TOL


def library_diff(dev: list[LibraryEntry], imported: list[LibraryEntry]) -> list[str]:
    """Which entry fields the import changed, with a count and one example each."""
    got = {e.ref: e for e in imported}
    lines = []
    lost = [e.ref for e in dev if e.ref not in got]
    extra = [r for r in got if r not in {e.ref for e in dev}]
    if lost or extra:
        lines.append(f"entries lost {len(lost)} {lost[:10]}, unexpected {len(extra)} {extra[:10]}")
    for f in ("question", "answer_short", "answer_full", "status", "category", "language", "alternatives", "tags"):
        diffs = [(e.ref, getattr(e, f), getattr(got[e.ref], f)) for e in dev
                 if e.ref in got and getattr(e, f) != getattr(got[e.ref], f)]
        if diffs:
            ref, a, b = diffs[0]
            lines.append(f"{f}: {len(diffs)} of {len(dev)} differ (e.g. {ref}: {str(a)[:60]!r} -> {str(b)[:60]!r})")
    return lines


def in_order(entries: list[LibraryEntry], order: list[str]) -> list[LibraryEntry]:
    by = {e.ref: e for e in entries}
    return [by[r] for r in order if r in by] + [e for e in entries if e.ref not in set(order)]


# Steps from the in-process engine to the CLI, one change at a time; a question that differs is
# attributed to every step whose output differs from the step before.
STEPS = ("question text", "entry order", "library as imported", "CLI (unexplained)")


@dataclass
class Comparison:
    engine: dict[str, Outcome]          # dev library in file order, dev-set text (= quality.run_engine)
    chain: list[dict[str, Outcome]]     # engine, then one change of STEPS at a time, ending with the CLI
    differ: list[tuple[str, str]]       # (qid, causes) for questions where cli != engine
    library_lines: list[str]
    restored: dict[str, dict[str, Outcome]]  # field put back -> outcomes (imported library otherwise)


def compare(ds: DevSet, run: SetRun, top_k: int) -> Comparison:
    found = [q for q in run.queries if q.qid in run.cli]
    ref = engine(ds.library, run.queries, [q.text for q in run.queries], top_k)
    imported, order = imported_library(run.instance)
    texts = [run.cli_text[q.qid] for q in found]
    chain = [ref,
             engine(ds.library, found, texts, top_k),
             engine(in_order(ds.library, order), found, texts, top_k),
             engine(in_order(imported, order), found, texts, top_k),
             run.cli]
    differ = []
    for q in found:
        if same(run.cli[q.qid], ref[q.qid]):
            continue
        why = [STEPS[i] for i in range(4) if not same(chain[i][q.qid], chain[i + 1][q.qid])]
        differ.append((q.qid, ", ".join(why) or "?"))
    # which field of the import matters: the imported library with one field put back as the dev set has it
    dev = {e.ref: e for e in ds.library}
    restored = {}
    for fields in (("category",), ("status",), ("answer_short", "answer_full")):
        lib = [replace(e, **{f: getattr(dev[e.ref], f) for f in fields}) if e.ref in dev else e
               for e in in_order(imported, order)]
        restored[fields[0].split("_")[0]] = engine(lib, found, texts, top_k)
    return Comparison(ref, chain, differ, library_diff(ds.library, imported), restored)


def _row(short: str, split: str, system: str, outcomes: list[Outcome]) -> str:
    m = summarize(outcomes)
    return (f"{short:8} {split:8} {system:9} {m['n']:4d} {m['n_ans']:4d} "
            + " ".join(f"{_fmt(m[c]):>7}" for c in COLS))


def print_set(ds: DevSet, run: SetRun, cmp: Comparison) -> None:
    short = run.name
    for label, secs in run.timings:
        print(f"  {label}: {secs:.1f} s")
    n_found = len(run.cli)
    by = {h: sum(1 for v in run.found_by.values() if v == h) for h in ("id", "row cell", "text")}
    print(f"  report rows {run.report_rows}; labelled questions found {n_found} / {len(run.queries)} "
          f"(by id {by['id']}, by row cell {by['row cell']}, by text {by['text']})")
    for q in run.missing:
        print(f"  MISSING {q.qid}: {q.text[:100]!r}")
    for d in run.duplicates:
        print(f"  DUPLICATE (second report row for one question, ignored): {d}")
    if run.filled_check:
        print(f"  {run.filled_check}")
    for line in cmp.library_lines:
        print(f"  library as imported vs dev set: {line}")
    for split in ("tune", "holdout", None):
        qs = [q for q in run.queries if split is None or q.split == split]
        found = [q for q in qs if q.qid in run.cli]
        print(_row(short, split or "all", "cli", [run.cli[q.qid] for q in found]))
        print(_row(short, split or "all", "engine", [cmp.engine[q.qid] for q in qs]))
        if len(found) != len(qs):
            print(_row(short, split or "all", "engine*", [cmp.engine[q.qid] for q in found]) + "  (* only the found)")
    # the same over all found questions, one difference between the two paths added at a time
    found = [q for q in run.queries if q.qid in run.cli]
    for name, outs in zip(("+text", "+order", "+import"), cmp.chain[1:4]):
        print(_row(short, "all", name, [outs[q.qid] for q in found]))
    for name, outs in cmp.restored.items():  # +import with one field as in the dev set
        print(_row(short, "all", f"~{name}"[:9], [outs[q.qid] for q in found]))
    counts = {step: sum(1 for _, why in cmp.differ if step in why) for step in STEPS}
    print(f"  questions whose ranking / answerable / confidence (> {CONF_TOL}) differ, cli vs engine: "
          f"{len(cmp.differ)}; changed at step: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    texts = {q.qid: q.text for q in run.queries}
    gold = {q.qid: q.gold for q in run.queries}

    def verdict(o: Outcome) -> tuple:
        return (bool(o.ranked) and o.ranked[0] in o.gold, any(r in o.gold for r in o.ranked[:5]), o.answerable)

    moved = [(qid, why) for qid, why in cmp.differ if verdict(run.cli[qid]) != verdict(cmp.engine[qid])]
    print(f"  of which {len(moved)} change a figure (top-1 right, in top-5, or answerable); the rest move "
          "only confidence or ranks that are not the gold:")
    for qid, why in moved:
        c, e = run.cli[qid], cmp.engine[qid]
        print(f"    {qid} [{why}] gold {sorted(gold[qid])} | cli {c.ranked[:3]} {c.confidence:.3f} | "
              f"engine {e.ranked[:3]} {e.confidence:.3f}  {texts[qid][:60]!r}")
        if "question text" in why:
            print(f"      as read by the CLI: {run.cli_text[qid][:100]!r}")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.matching.cli_path")
    ap.add_argument("--sets", default="EN,EN2,ZH->EN,EN->ZH", help="comma-separated set names")
    ap.add_argument("--top-k", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="work here and keep the instances and reports")
    args = ap.parse_args()
    wanted = [s.strip() for s in args.sets.split(",")]
    print(f"vault: {VAULT}; top-k {args.top_k} (mrr counts ranks <= top-k, both systems)")
    print(f"{'set':8} {'split':8} {'system':9} {'n':>4} {'ans':>4} " + " ".join(f"{c:>7}" for c in COLS))
    with tempfile.TemporaryDirectory(prefix="tv-cli-bench-") as tmp:
        root = args.keep or Path(tmp)
        for ds in all_sets():
            short = ds.name.split()[0]
            if short not in wanted:
                continue
            work = root / short.replace(">", "")
            inputs = inputs_for(ds, work.parent)
            print(f"== {ds.name}: " + "; ".join(
                f"{i.path.name}{' (written by the bench: no questionnaire file holds these)' if i.written else ''}"
                for i in inputs))
            run = run_cli(ds, work, top_k=args.top_k, inputs=inputs)
            print_set(ds, run, compare(ds, run, args.top_k))


if __name__ == "__main__":
    main()
