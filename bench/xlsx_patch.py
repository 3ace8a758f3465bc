"""Benchmark: exporters.fill_xlsx against an openpyxl load + save of the same workbook.

    .venv/bin/python -m bench.xlsx_patch [--questions 2000] [--repeat 5]

Builds a questionnaire workbook in memory (N questions, a styled answer column with a
list validation, a second sheet), then times, in the same run:
  * fill_xlsx writing N answers (XML-level patch of one worksheet),
  * openpyxl load_workbook + writing the same N cells + save (which also loses what
    openpyxl does not understand -- the reason fill_xlsx exists).
and the same for the real HECVAT 4.1.4 workbook when shared/data has it.
"""
from __future__ import annotations

import argparse
import io
import statistics
import time
import warnings
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from exporters import CellWrite, fill_xlsx

HECVAT = Path(__file__).resolve().parents[2] / "shared" / "data" / "questionnaires" / "HECVAT414.xlsx"


def build(questions: int) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Questionnaire"
    ws.append(["ID", "Question", "Answer", "Comments"])
    fill = PatternFill("solid", fgColor="FFF2CC")
    for i in range(1, questions + 1):
        ws.append([f"Q-{i:04d}", f"Question {i}: describe control {i} in detail?", None, None])
        ws.cell(i + 1, 3).fill = fill
        ws.cell(i + 1, 4).alignment = Alignment(wrap_text=True)
    ws.column_dimensions["B"].width = 80
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
    ws.add_data_validation(dv)
    dv.add(f"C2:C{questions + 1}")
    wb.create_sheet("Instructions")["A1"] = "Answer every question."
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def openpyxl_fill(data: bytes, writes: list[CellWrite]) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data))
    for w in writes:
        wb[w.sheet][w.cell] = w.value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report(label: str, data: bytes, writes: list[CellWrite], repeat: int) -> None:
    patch = timed(lambda: fill_xlsx(data, writes), repeat)
    opx = timed(lambda: openpyxl_fill(data, writes), max(1, repeat // 2))
    print(f"{label}: {len(data) / 1024:.0f} KiB, {len(writes)} answers")
    print(f"  fill_xlsx (XML patch)      {patch * 1000:8.1f} ms")
    print(f"  openpyxl load+write+save   {opx * 1000:8.1f} ms   ({opx / patch:.0f}x slower)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    data = build(args.questions)
    writes = [CellWrite("Questionnaire", f"C{r}", "Yes" if r % 3 else "No")
              for r in range(2, args.questions + 2)]
    writes += [CellWrite("Questionnaire", f"D{r}", f"Evidence: policy section {r}, reviewed yearly.")
               for r in range(2, args.questions + 2)]
    report(f"generated workbook, {args.questions} questions", data, writes, args.repeat)
    if HECVAT.exists():
        hecvat = HECVAT.read_bytes()
        hw = [CellWrite(sheet, f"{col}{r}", "Yes" if col == "C" else "Details.")
              for sheet, rows in (("Organization", range(22, 29)), ("Product", range(20, 29)),
                                  ("Infrastructure", range(20, 32)))
              for r in rows for col in "CD"]
        report("HECVAT 4.1.4", hecvat, hw, args.repeat)


if __name__ == "__main__":
    main()
