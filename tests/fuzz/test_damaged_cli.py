"""`vault autofill`, `vault trace` and `vault library import` on damaged files: one line, exit 1,
nothing written, the library unchanged."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from answers.library.models import LibraryEntry
from tests.fuzz.test_damaged_files import flip_member, seed
from vault import db

SEEDS = Path(__file__).parent / "seeds"


def _one_line_failure(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = [ln for ln in result.output.splitlines() if ln.startswith("Error: ") or ln.startswith("leak.")]
    assert len(lines) == 1, result.output  # (notes on what was detected may come before it)
    return lines[0].removeprefix("Error: ")


def _entries(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(LibraryEntry))


def test_autofill_writes_neither_copy_nor_report_when_the_copy_fails(app, runner, tmp_path):
    lib = tmp_path / "library.csv"
    lib.write_bytes(seed("library.csv"))
    assert runner.invoke(args=["library", "import", str(lib)]).exit_code == 0
    q = tmp_path / "q.xlsx"
    q.write_bytes(seed("questionnaire.xlsx"))
    report = tmp_path / "report.json"
    result = runner.invoke(args=["autofill", str(q), "-o", str(tmp_path / "missing" / "f.xlsx"),
                                 "--report", str(report)])
    assert "cannot be written" in _one_line_failure(result)
    assert not report.exists() and sorted(p.name for p in tmp_path.iterdir() if p.name != "instance") == ["library.csv", "q.xlsx"]


def test_autofill_on_a_damaged_file_is_one_line(app, runner, tmp_path):
    q = tmp_path / "q.xlsx"
    q.write_bytes(flip_member(seed("questionnaire.xlsx"), "xl/worksheets/sheet1.xml"))
    result = runner.invoke(args=["autofill", str(q), "-o", str(tmp_path / "f.xlsx"),
                                 "--report", str(tmp_path / "r.json")])
    assert 'part "xl/worksheets/sheet1.xml"' in _one_line_failure(result)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "instance") == ["q.xlsx"]


def test_trace_on_a_damaged_file_says_damaged(app, runner, tmp_path):
    f = tmp_path / "leak.docx"
    f.write_bytes(flip_member(seed("questionnaire.docx"), "word/document.xml"))
    line = _one_line_failure(runner.invoke(args=["trace", str(f)]))
    assert line.startswith("leak.docx: the DOCX is damaged") and "No download id" not in line


def test_library_import_reports_damaged_rows_and_keeps_the_rest(app, runner, tmp_path):
    lib = tmp_path / "library.csv"
    lib.write_bytes(seed("library.csv").replace(b"AES-256 in every", b"AES-256 \xe0 every"))
    result = runner.invoke(args=["library", "import", str(lib)])
    assert result.exit_code == 0
    assert "row 3: column D holds bytes that are not valid utf-8 text" in result.output
    assert "created 2" in result.output and _entries(app) == 2
