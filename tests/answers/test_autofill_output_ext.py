"""`vault autofill -o`: the filled copy keeps the input's format, so a name with another extension is refused
before anything is matched or written (XLSX bytes in out.csv helped nobody)."""
from __future__ import annotations

import csv

from openpyxl import Workbook

from tests.questionnaires.builders import add_library


def _xlsx(path):
    wb = Workbook()
    wb.active.append(["No.", "Question", "Response"])
    wb.active.append(["1", "Is customer data encrypted at rest?"])
    wb.save(path)


def test_an_output_extension_of_another_format_is_refused_before_any_work(app, runner, tmp_path):
    add_library(app)
    src, rep = tmp_path / "q.xlsx", tmp_path / "report.json"
    _xlsx(src)
    for name in ("out.csv", "out.docx", "out", "out.xlsm"):
        result = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / name), "--report", str(rep)])
        assert result.exit_code == 1
        message = result.output.strip()
        assert "\n" not in message and name in message and ".xlsx" in message, message
        assert not (tmp_path / name).exists() and not rep.exists()


def test_the_matching_extension_is_accepted_in_any_case(app, runner, tmp_path):
    add_library(app)
    src = tmp_path / "q.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["No.", "Question", "Response"], ["1", "Is customer data encrypted at rest?", ""]])
    result = runner.invoke(args=["autofill", str(src), "-o", str(tmp_path / "OUT.CSV")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "OUT.CSV").read_text(encoding="utf-8").startswith("No.,Question,Response")
