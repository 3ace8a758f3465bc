"""exporters.xlsx_save: XLSX saves leave no plaintext worksheet XML in TMPDIR."""
from __future__ import annotations

import io
import os
import tempfile
import threading
import zipfile

import openpyxl.worksheet._writer as ws_writer
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from exporters.answer_sheet import SheetRow, answer_sheet_xlsx
from exporters.report import ReportInfo, ReportRow, summary_report_xlsx
from exporters.xlsx_save import create_sheet, save_workbook

MARKER = "CONFIDENTIAL-7f3a9c-marker"


@pytest.fixture
def spy(tmp_path, monkeypatch):
    """TMPDIR points at an empty directory; records openpyxl temp files and every os.open under it."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    seen = {"temp_files": [], "opened": []}
    real_create, real_open = ws_writer.create_temporary_file, os.open

    def create(*a, **kw):
        seen["temp_files"].append(real_create(*a, **kw))
        return seen["temp_files"][-1]

    def spy_open(path, *a, **kw):
        if str(path).startswith(str(tmp)):
            seen["opened"].append(str(path))
        return real_open(path, *a, **kw)

    monkeypatch.setattr(ws_writer, "create_temporary_file", create)
    monkeypatch.setattr(os, "open", spy_open)
    seen["dir"] = tmp
    return seen


def _normal_workbook(marker=MARKER, rows=50):
    wb = Workbook()
    ws = wb.active
    ws.title = "Answers"
    ws.column_dimensions["B"].width = 40
    ws.freeze_panes = "A2"
    ws["A1"] = "ID"
    ws["A1"].font = Font(bold=True)
    for i in range(2, rows + 2):
        ws.cell(i, 1, f"Q-{i}")
        ws.cell(i, 2, f"{marker} answer {i}")
    wb.create_sheet("Second")["C3"] = marker
    return wb


def _write_only_workbook(make_sheet, marker=MARKER, rows=50):
    wb = Workbook(write_only=True)
    ws = make_sheet(wb, "Answers")
    ws.column_dimensions["B"].width = 40  # set after creation: must still reach the sheet XML
    ws.freeze_panes = "A2"
    ws.append(["ID", "Answer"])
    for i in range(rows):
        ws.append([f"Q-{i}", f"{marker} answer {i}"])
    make_sheet(wb, "Empty")
    return wb


def _plain_create(wb, title):
    return wb.create_sheet(title)


def _values(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def _parts(data: bytes):
    zf = zipfile.ZipFile(io.BytesIO(data))
    return {n: zf.read(n) for n in zf.namelist() if n != "docProps/core.xml"}  # core.xml: save time


def test_control_plain_openpyxl_save_writes_marker_to_tmpdir(spy, monkeypatch):
    on_disk = []
    real_cleanup = ws_writer.WorksheetWriter.cleanup

    def cleanup(self):  # look at the temporary file just before openpyxl removes it
        with open(self.out, "rb") as fh:
            on_disk.append(MARKER.encode() in fh.read())
        real_cleanup(self)

    monkeypatch.setattr(ws_writer.WorksheetWriter, "cleanup", cleanup)
    _normal_workbook().save(io.BytesIO())
    assert len(spy["temp_files"]) == 2 and spy["opened"]
    assert all(p.startswith(str(spy["dir"])) for p in spy["temp_files"])
    assert on_disk == [True, True]  # the confidential text really was in TMPDIR


@pytest.mark.parametrize("kind", ["normal", "write_only"])
def test_save_workbook_touches_no_temporary_file_and_matches_openpyxl(spy, kind):
    if kind == "normal":
        ours, theirs = _normal_workbook(), _normal_workbook()
    else:
        ours, theirs = _write_only_workbook(create_sheet), None
    out = io.BytesIO()
    save_workbook(ours, out)
    assert spy["temp_files"] == [] and spy["opened"] == []
    assert list(spy["dir"].iterdir()) == []

    if kind == "write_only":
        theirs = _write_only_workbook(_plain_create)  # openpyxl's own path, for comparison
    ref = io.BytesIO()
    theirs.save(ref)
    assert spy["temp_files"]  # the control does use the temporary files
    assert _parts(out.getvalue()) == _parts(ref.getvalue())
    values = _values(out.getvalue())
    assert values == _values(ref.getvalue())
    assert values["Answers"][1][1] == f"{MARKER} answer " + ("2" if kind == "normal" else "0")
    sheet_xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
    assert b'width="40"' in sheet_xml and b'topLeftCell="A2"' in sheet_xml


def test_app_exporters_touch_no_temporary_file(spy):
    sheet = answer_sheet_xlsx("T", [SheetRow(qid="1", section="S", question="Q?", answer=MARKER, comment="")])
    info = ReportInfo(customer="Acme", filename="q.xlsx", uploaded_by="a", uploaded_at="2026-01-01",
                      exported_by="b", exported_at="2026-01-02")
    row = ReportRow(qid="1", section="S", question="Q?", status="accepted", answer=MARKER, comment=None,
                    how="library", auto=True, entry_ref="IAM-01", confidence=0.9, reviewed_by="b",
                    reviewed_at="2026-01-02", assignee=None)
    report = summary_report_xlsx(info, [row])
    assert spy["temp_files"] == [] and spy["opened"] == [] and list(spy["dir"].iterdir()) == []
    assert _values(sheet)["Answers"][2][3] == MARKER
    assert _values(report)["Questions"][1][4] == MARKER


def test_library_export_touches_no_temporary_file(app, spy):
    from answers.library import service
    from answers.library.export import write_library
    from vault import db

    with app.app_context():
        sess = db.session()
        service.create_entry(sess, service.Actor(label="t@example.com"), ref="IAM-01",
                             question="MFA?", answer_short=MARKER, status="approved")
        sess.commit()
        spy["temp_files"].clear(), spy["opened"].clear()
        out = io.BytesIO()
        assert write_library(sess, out, "xlsx") == 1
    assert spy["temp_files"] == [] and spy["opened"] == [] and list(spy["dir"].iterdir()) == []
    assert _values(out.getvalue())["Library"][1][2] == MARKER


def test_write_only_sheet_already_on_disk_is_refused(spy):
    wb = _write_only_workbook(_plain_create)  # rows appended through openpyxl's temporary file
    with pytest.raises(ValueError, match="temporary file"):
        save_workbook(wb, io.BytesIO())
    wb.save(io.BytesIO())  # finish openpyxl's own way: closes its XML stream, removes its file
    assert list(spy["dir"].iterdir()) == []


def test_write_only_sheets_made_by_openpyxl_without_rows_stay_in_memory(spy):
    wb = Workbook(write_only=True)
    out = io.BytesIO()
    save_workbook(wb, out)  # openpyxl adds a sheet itself, as Workbook.save does
    wb2 = Workbook(write_only=True)
    wb2.create_sheet("Blank")
    save_workbook(wb2, io.BytesIO())
    assert spy["temp_files"] == [] and spy["opened"] == []
    assert len(load_workbook(out).worksheets) == 1


def test_concurrent_saves_produce_correct_files(spy):
    results, errors = {}, []

    def work(n):
        try:
            for _ in range(3):
                wb = _normal_workbook(marker=f"T{n}", rows=400) if n % 2 else \
                    _write_only_workbook(create_sheet, marker=f"T{n}", rows=400)
                out = io.BytesIO()
                save_workbook(wb, out)
                results.setdefault(n, []).append(_values(out.getvalue()))
        except Exception as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for n in range(4):
        assert len(results[n]) == 3
        for values in results[n]:
            answers = [r[1] for r in values["Answers"][1:]]
            assert len(answers) == 400 and all(a.startswith(f"T{n} answer ") for a in answers)
    assert spy["temp_files"] == [] and spy["opened"] == []
