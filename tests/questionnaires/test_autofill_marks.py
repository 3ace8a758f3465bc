"""`vault autofill` on a CAIQ-v3.1-like workbook: the library's "Yes" becomes a mark under "Yes"."""
from __future__ import annotations

import json

from openpyxl import load_workbook

from tests.importers.caiq_marks import caiq_v31
from tests.questionnaires.builders import add_library

ROWS = [("AIS-01", "AIS-01.1", "Is all customer data encrypted at rest?", None, None, None, None),
        ("HR-01", "HR-01.1", "Do you perform background checks on new employees?", None, "X", None, "Ours."),
        ("X-01", "X-01.1", "What is the airspeed velocity of an unladen swallow?", None, None, None, None)]


def test_autofill_marks_the_yes_column_and_reports_that_cell(app, runner, tmp_path):
    add_library(app)
    src, out, rep = tmp_path / "caiq.xlsx", tmp_path / "filled.xlsx", tmp_path / "report.json"
    caiq_v31(ROWS).save(src)
    result = runner.invoke(args=["autofill", str(src), "-o", str(out), "--report", str(rep)])
    assert result.exit_code == 0, result.output
    assert "were kept: 'CAIQ v3.1'!G5" in result.output  # the cell of the customer's own mark
    enc, hr, swallow = json.loads(rep.read_text(encoding="utf-8"))["questions"]
    assert enc["status"] == "filled" and enc["answer"] == "Yes" and enc["answer_cell"] == "F4"
    assert hr["answer"] == "Yes" and hr["answer_cell"] == "F5"
    assert swallow["status"] == "unanswered" and swallow["answer_cell"] == "F6"
    ws = load_workbook(out).active
    assert [ws[c].value for c in ("F4", "G4", "H4")] == ["X", None, None]
    assert [ws[c].value for c in ("F5", "G5", "H5", "I5")] == [None, "X", None, "Ours."]  # the customer's answer


def test_web_review_and_export_mark_the_chosen_column(app, client_as):
    import io

    from tests.questionnaires.builders import JSON, items, upload_and_match

    add_library(app)
    c = client_as("sales")
    src = io.BytesIO()
    caiq_v31(ROWS).save(src)
    uid = upload_and_match(c, src.getvalue(), "caiq.xlsx")
    enc, hr, swallow = items(app, uid)
    assert enc.choices == ["Yes", "No", "Not Applicable"] and enc.proposed_answer == "Yes"
    r = c.post(f"/questionnaires/{uid}/items/{swallow.uid}", headers=JSON,
               data={"action": "save", "revision": swallow.revision, "answer": "n/a", "comment": ""})
    assert r.status_code == 200 and r.json["ok"], r.json
    assert c.post(f"/questionnaires/{uid}/items/{enc.uid}", headers=JSON,
                  data={"action": "accept", "revision": enc.revision}).status_code == 200
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [ws[c].value for c in ("F4", "G4", "H4")] == ["X", None, None]
    assert [ws[c].value for c in ("F6", "G6", "H6")] == [None, None, "X"]  # typed "n/a": Not Applicable
    assert ws["G5"].value == "X" and ws["F5"].value is None  # not accepted: the customer's mark only
