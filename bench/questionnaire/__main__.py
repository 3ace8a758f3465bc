"""Questionnaire end to end: import, match against a 10,000-entry library, export.

    .venv/bin/python -m bench.questionnaire [--library 10000] [--sizes 120,2000] [--repeat 3]

For each generated workbook (title rows, header, id / question / answer / comment columns, a
Yes/No/N/A dropdown, a second sheet), in the same run:
  * import   importers.load_questionnaire (detection, dropdowns)
  * match    answers.autofill.propose_answers against the library index (progress shown)
  * export   exporters.filled.fill_questionnaire (format-preserving fill_xlsx, recalc on load)
and, for comparison, openpyxl's load_workbook + save of the same file (no answers written).
Memory: peak traced Python allocations of one end-to-end pass (tracemalloc, a separate pass so
it does not slow the timed ones), and the process's peak RSS.
Target: 120 questions end to end under 2 s.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import resource
import statistics
import sys
import time
import tracemalloc
import warnings

import openpyxl
from openpyxl.worksheet.datavalidation import DataValidation

from answers.autofill import propose_answers
from answers.matching import LibraryEntry, MatchIndex
from bench.matching.paths import DATA_DIR
from bench.matching.speed import synthetic_library
from exporters.filled import FilledAnswer, fill_questionnaire
from importers import load_questionnaire
from importers.model import Questionnaire

TARGET_120 = 2.0
BATCH = 250  # questions matched per step of the progress display


def real_entries() -> list[LibraryEntry]:
    data = json.loads((DATA_DIR / "vsaq_library.json").read_text(encoding="utf-8"))
    return [LibraryEntry(ref=e["ref"], question=e["question"], answer_short="Yes", answer_full=e["answer_full"],
                         category=e.get("category", "")) for e in data["entries"]]


def library(n: int) -> list[LibraryEntry]:
    real = real_entries()
    out = synthetic_library(real, n - len(real)) + real
    for e in out:
        e.answer_short = e.answer_short or "Yes"
    return out


def workbook(questions: list[str]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["Vendor security assessment"])
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["ID", "Question", "Vendor Response", "Comments"])
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
    ws.add_data_validation(dv)
    section = 0
    for i, q in enumerate(questions, start=1):
        if i % 40 == 1:
            section += 1
            ws.append([None, f"Section {section}"])  # a section row: no id, no dropdown
            start = ws.max_row + 1
        ws.append([f"SEC-{i:04d}", q])
        if i % 40 == 0 or i == len(questions):
            dv.add(f"C{start}:C{ws.max_row}")
    ws.column_dimensions["B"].width = 90
    wb.create_sheet("Instructions")["A1"] = "Answer in column C; explain in column D."
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def questions_for(entries: list[LibraryEntry], n: int, seed: int = 11) -> list[str]:
    """Half reworded library questions (answerable), half unrelated ones."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 2 == 0:
            q = rng.choice(entries).question
            out.append("Please confirm: " + q.rstrip("?.") + "?")
        else:
            out.append(f"Describe your process number {i} for handling {rng.choice(['badges', 'couriers', 'plants'])}?")
    return out


def match_with_progress(q: Questionnaire, index: MatchIndex, entries: dict, show: bool):
    proposals = []
    total = len(q.questions)
    for start in range(0, total, BATCH):
        part = Questionnaire(q.source_format, q.filename, q.questions[start:start + BATCH], q.sheets)
        proposals.extend(propose_answers(part, index, entries))
        if show:
            done = min(total, start + BATCH)
            print(f"\r    matching {done:>5}/{total} ({100 * done // total:3d}%)", end="", file=sys.stderr,
                  flush=True)
    if show:
        print(file=sys.stderr)
    return proposals


def end_to_end(data: bytes, index: MatchIndex, entries: dict, show: bool) -> dict:
    t0 = time.perf_counter()
    q = load_questionnaire(data, "bench.xlsx")
    t1 = time.perf_counter()
    proposals = match_with_progress(q, index, entries, show)
    t2 = time.perf_counter()
    answers = [FilledAnswer(p.question, p.answer, p.comment) for p in proposals if p.status != "unanswered"]
    out, written = fill_questionnaire(data, q, answers)
    t3 = time.perf_counter()
    return {"import": t1 - t0, "match": t2 - t1, "export": t3 - t2, "total": t3 - t0,
            "questions": len(q.questions), "written": written, "bytes": len(out)}


def openpyxl_roundtrip(data: bytes) -> float:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data))
        wb.save(io.BytesIO())
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=int, default=10_000)
    ap.add_argument("--sizes", default="120,2000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    print(f"building a {args.library:,}-entry library index …", file=sys.stderr)
    lib = library(args.library)
    t0 = time.perf_counter()
    index = MatchIndex(lib, embedder=None)
    build = time.perf_counter() - t0
    entries = {e.ref: e for e in lib}
    print(f"library: {len(lib):,} entries, index built in {build:.2f} s (once; the app keeps it on disk)")
    print()
    header = (f"{'questions':>9} {'import':>8} {'match':>8} {'export':>8} {'total':>8} {'answers':>8} "
              f"{'openpyxl load+save':>19} {'peak traced MB':>15}")
    print(header)
    print("-" * len(header))
    ok = True
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        data = workbook(questions_for(lib, size))
        runs = [end_to_end(data, index, entries, show=size >= 1000 and i == 0) for i in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in ("import", "match", "export", "total")}
        opx = statistics.median(openpyxl_roundtrip(data) for _ in range(args.repeat))
        tracemalloc.start()
        end_to_end(data, index, entries, show=False)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(f"{runs[0]['questions']:>9} {med['import']:>7.3f}s {med['match']:>7.3f}s {med['export']:>7.3f}s "
              f"{med['total']:>7.3f}s {runs[0]['written']:>8} {opx:>18.3f}s {peak:>15.1f}")
        if size == 120 and med["total"] >= TARGET_120:
            ok = False
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"process peak RSS {rss:.0f} MB (library index included); median of {args.repeat} runs")
    print(f"target: 120 questions end to end under {TARGET_120:.0f} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
