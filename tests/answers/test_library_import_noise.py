"""`vault library import` of a big workbook: many rows skipped for one reason are summarised, not listed."""
from __future__ import annotations

import csv


def _library(path, duplicates: int) -> None:
    rows = [["id", "question", "answer"], ["A-1", "Is customer data encrypted at rest?", "Yes"],
            ["", "", "Yes"]]  # an answer without a question: another reason
    rows += [["A-1", f"Repeated question number {n}?", "Yes"] for n in range(duplicates)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_the_first_20_rows_per_reason_then_one_line_with_the_rest(app, tmp_path):
    lib = tmp_path / "lib.csv"
    _library(lib, 45)
    result = app.test_cli_runner().invoke(args=["library", "import", "--dry-run", str(lib)])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 21  # 20 duplicates and the row without a question
    assert sum('is used again' in line for line in skipped) == 20
    more = [line for line in result.stderr.splitlines() if line.startswith("…")]
    assert more == ['… and 25 more rows skipped because: id "…" is used again (first at row …) '
                    '(--verbose lists every row)']
    assert "rows with problems 46" in result.stdout

    verbose = app.test_cli_runner().invoke(
        args=["library", "import", "--dry-run", "--verbose", str(lib)])
    assert sum(line.startswith("skipped ") for line in verbose.stderr.splitlines()) == 46
    assert "more rows skipped" not in verbose.stderr
