"""Benchmark: fill_xlsx on a sheet that declares A1:XFD1048576 with a million empty rows (issue #14).

    .venv/bin/python -m bench.xlsx_huge [--rows 1048576]

Builds two workbooks with the same 120 questions: the baseline, and the same sheet with empty
``<row r="N" spans="1:16384"/>`` elements up to row --rows and the dimension A1:XFD1048576. Each
fill (120 answers, one past the questions, one in the empty area) runs in its own child process, so
its time and peak RSS are its own. Printed: time, peak RSS and the ratio to the baseline.
"""
from __future__ import annotations

import argparse
import io
import re
import resource
import subprocess
import sys
import time
import zipfile

SHEET = "xl/worksheets/sheet1.xml"


def build(questions: int, empty_to: int) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Q"
    ws.append(["ID", "Question", "Answer"])
    for i in range(1, questions + 1):
        ws.append([f"Q{i}", f"Question {i}: describe control {i}?", None])
    buf = io.BytesIO()
    wb.save(buf)
    if not empty_to:
        return buf.getvalue()
    zin, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            raw = zin.read(info)
            if info.filename == SHEET:
                raw = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', raw)
                raw = raw.replace(b"</sheetData>", b"".join(
                    b'<row r="%d" spans="1:16384"/>' % r for r in range(questions + 2, empty_to + 1))
                    + b"</sheetData>")
            zout.writestr(info, raw)
    return out.getvalue()


def child(path: str, questions: int) -> None:
    from exporters import CellWrite, fill_xlsx

    data = open(path, "rb").read()
    writes = [CellWrite("Q", f"C{r}", "Yes" if r % 2 else "-1 day") for r in range(2, questions + 2)]
    writes += [CellWrite("Q", "C500000", "in the empty area")]
    t = time.perf_counter()
    out = fill_xlsx(data, writes)
    took = time.perf_counter() - t
    print(f"{took:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {len(out)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_048_576)
    ap.add_argument("--questions", type=int, default=120)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.questions)
        return
    import tempfile

    print(f"fill_xlsx, {args.questions} answers + 1 at C500000; each case in its own process")
    print(f"{'workbook':<44} {'file':>9} {'time':>8} {'peak RSS':>9}")
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for label, empty_to in (("baseline (no empty rows)", 0),
                                (f"A1:XFD1048576, empty rows to {args.rows:,}", args.rows)):
            path = f"{tmp}/book.xlsx"
            data = build(args.questions, empty_to)
            open(path, "wb").write(data)
            res = subprocess.run([sys.executable, "-m", "bench.xlsx_huge", "--child", path,
                                  "--questions", str(args.questions)], capture_output=True, text=True, check=True)
            took, rss, _size = res.stdout.split()
            took, rss = float(took), float(rss)
            ratio = "" if base is None else f"  (x{took / base[0]:.1f} time, x{rss / base[1]:.1f} RSS)"
            base = base or (took, rss)
            print(f"{label:<44} {len(data) / 1e6:>7.2f}MB {took:>7.3f}s {rss:>7.0f}MB{ratio}")


if __name__ == "__main__":
    main()
