"""A question table without an answer column (id + requirement only): the filled copy gets Answer and
Comment columns after the table, and the report names the cells that were written."""
from __future__ import annotations

import csv
import io
import json
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from answers.library import service as library
from tests.questionnaires.builders import ACTOR, JSON, QUESTIONNAIRES, add_library, items, upload_and_match
from vault import db

ASVS_EN = QUESTIONNAIRES / "zh" / "owasp_asvs_4.0.3-en.csv"
ROWS = [
    ("R-1", "Do you enforce multi-factor authentication for all employees?"),
    ("R-2", "Is customer data encrypted at rest?"),
    ("R-3", "What is the airspeed velocity of an unladen swallow?"),
    ("R-4", "Do you perform background checks on new employees?"),
    ("R-5", "Do you keep security logs for at least one year?"),
]


def _requirements(rows=ROWS, header=("ID", "Requirement")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Controls"
    ws.append(["Supplier control list"])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    for cell in ws[2]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="FFCC00")
    ws.column_dimensions["B"].width = 80
    other = wb.create_sheet("Lists")
    other["A1"], other["B1"] = "Status", "Open"
    dv = DataValidation(type="list", formula1='"Open,Closed"', allow_blank=True)
    other.add_data_validation(dv)
    dv.add("B1:B5")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _autofill(runner, src, out, rep):
    result = runner.invoke(args=["autofill", str(src), "-o", str(out), "--report", str(rep)])
    assert result.exit_code == 0, result.output
    return json.loads(rep.read_text(encoding="utf-8"))


def test_xlsx_without_answer_column_gets_answer_and_comment_columns(app, runner, tmp_path):
    add_library(app)
    src, out = tmp_path / "controls.xlsx", tmp_path / "out.xlsx"
    src.write_bytes(_requirements())
    report = _autofill(runner, src, out, tmp_path / "r.json")
    wb = load_workbook(out)
    ws = wb["Controls"]
    assert (ws["C2"].value, ws["D2"].value) == ("Answer", "Comment")
    assert ws["C2"].font.b and ws["C2"].fill.fgColor.rgb == ws["B2"].fill.fgColor.rgb  # styled like the header
    rows = report["questions"]
    assert [r["answer_cell"] for r in rows] == ["C3", "C4", "C5", "C6", "C7"]
    filled = [r for r in rows if r["status"] == "filled"]
    assert {r["question_id"] for r in filled} >= {"R-1", "R-2"}
    for r in rows:
        assert ws[r["answer_cell"]].value == (r["answer"] if r["status"] == "filled" else None)
    assert ws["D3"].value == "All staff sign in through SSO with TOTP or WebAuthn."  # the full answer
    assert ws["C1"].value is None and ws["A1"].value == "Supplier control list"
    assert ws.column_dimensions["B"].width == 80
    lists = wb["Lists"]
    assert lists["B1"].value == "Open" and str(lists.data_validations.dataValidation[0].sqref) == "B1:B5"
    assert lists.max_column == 2
    with zipfile.ZipFile(src) as before, zipfile.ZipFile(out) as after:
        changed = {n for n in before.namelist() if before.read(n) != after.read(n)}
    assert changed == {"xl/worksheets/sheet1.xml"}  # only the answered sheet


def test_chinese_requirements_get_chinese_headers(app, runner, tmp_path):
    with app.app_context():
        library.create_entry(db.session(), ACTOR, ref="ENC-ZH", question="客户数据是否静态加密？", answer_short="是",
                             answer_full="所有数据存储均采用 AES-256 加密。", language="zh", status="approved")
        db.session().commit()
    src, out = tmp_path / "zh.xlsx", tmp_path / "out.xlsx"
    src.write_bytes(_requirements([("1", "客户数据是否静态加密？"), ("2", "是否对员工进行背景调查？")],
                                  header=("编号", "要求")))
    report = _autofill(runner, src, out, tmp_path / "r.json")
    ws = load_workbook(out)["Controls"]
    assert (ws["C2"].value, ws["D2"].value) == ("答复", "说明")
    first = report["questions"][0]
    assert first["status"] == "filled" and ws[first["answer_cell"]].value == "是"


def test_real_asvs_csv_gets_two_new_fields(app, runner, tmp_path):
    add_library(app, [("ASVS-1", "Verify the use of a secure software development lifecycle that addresses "
                                 "security in all stages of development.", "Yes", "=SDL in every team")])
    out = tmp_path / "asvs.csv"
    report = _autofill(runner, ASVS_EN, out, tmp_path / "r.json")
    records = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    original = list(csv.reader(io.StringIO(ASVS_EN.read_text(encoding="utf-8"))))
    assert records[0] == original[0] + ["Answer", "Comment"]
    filled = [r for r in report["questions"] if r["status"] == "filled"]
    assert filled and filled[0]["answer_cell"] == "L2"
    from openpyxl.utils import column_index_from_string
    for r in report["questions"]:  # the question's field is named like the answer's: letter + line
        col, line = column_index_from_string(r["question_cell"].rstrip("0123456789")), int(r["row"])
        assert r["question_cell"].endswith(str(line)) and r["question"] in records[line - 1][col - 1]
    for r in filled:
        letter, line = r["answer_cell"][0], int(r["answer_cell"][1:])
        assert letter == "L" and records[line - 1][11] == r["answer"]
    assert records[1][12] == "'=SDL in every team"  # neutralised as in any CSV write
    data = [(rec, orig) for rec, orig in zip(records[1:], original[1:]) if orig]
    assert len(data) == len(report["questions"]) == 286
    for rec, orig in data:
        assert rec[:11] == orig and len(rec) == 13


def test_web_export_adds_the_columns_too(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, _requirements())
    mfa = items(app, uid)[0]
    assert c.post(f"/questionnaires/{uid}/items/{mfa.uid}", data={"action": "accept", "revision": mfa.revision},
                  headers=JSON).status_code == 200
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data))["Controls"]
    assert (ws["C2"].value, ws["D2"].value) == ("Answer", "Comment")
    assert ws["C3"].value == "Yes" and ws["C4"].value is None

