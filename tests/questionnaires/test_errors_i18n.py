"""The questionnaire pages show the importer's skip reasons and notes and the library's refusals in
Chinese, while what is stored (the detection JSON, str() for the CLI) stays English."""
from __future__ import annotations

import html
import io

from openpyxl import Workbook
from sqlalchemy import select

from answers.library import service as library_service
from answers.questionnaires.models import Questionnaire
from tests.questionnaires.builders import JSON, add_library, item_by_qid, upload, upload_and_match, uid_from, workbook
from vault import db

REFERENCE_REASON = "no answer column on this sheet (reference sheet); other sheets hold the answers"


def _page(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _with_reference_sheet() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Answers"
    ws.append(["ID", "Question", "Answer"])
    ws.append(["A.1", "Do you enforce multi-factor authentication for all employees?", ""])
    ws.append(["A.2", "Is customer data encrypted at rest?", ""])
    ref = wb.create_sheet("Reference")
    ref.append(["ID", "Question"])
    ref.append(["R.1", "Do you keep an inventory of all information assets?"])
    ref.append(["R.2", "Do you review user access rights at least quarterly?"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _detection(app, uid: str) -> dict:
    with app.app_context():
        return db.session().scalar(select(Questionnaire).where(Questionnaire.uid == uid)).detection


def test_reference_sheet_skip_reason_is_shown_in_chinese(app, client_as):
    c = client_as("security")
    uid = uid_from(upload(c, _with_reference_sheet(), "vendor.xlsx"))
    stored = {s["name"]: s for s in _detection(app, uid)["sheets"]}
    assert stored["Reference"]["skip_reason"] == REFERENCE_REASON  # stored English (CLI, older code)

    zh = _page(c.get(f"/questionnaires/{uid}/detection?lang=zh"))
    assert "此工作表没有答案列（参考表）；答案在其他工作表中" in zh
    assert REFERENCE_REASON not in zh
    assert REFERENCE_REASON in _page(c.get(f"/questionnaires/{uid}/detection?lang=en"))


def test_note_with_parameters_is_shown_in_chinese(app, client_as):
    c = client_as("security")
    data = b"ID,Question,Answer\n1,Do you enforce MFA for all employees?,\n2,Is data encrypted at rest?,\n"
    uid = uid_from(upload(c, data, "vendor.csv"))
    assert "encoding utf-8, delimiter ','" in _detection(app, uid)["sheets"][0]["notes"]
    zh = _page(c.get(f"/questionnaires/{uid}/detection?lang=zh"))
    assert "编码 utf-8，分隔符 ','" in zh and "delimiter" not in zh


def test_older_detection_without_templates_still_translates_plain_reasons(app, client_as):
    c = client_as("security")
    uid = uid_from(upload(c, _with_reference_sheet(), "old.xlsx"))
    with app.app_context():
        qn = db.session().scalar(select(Questionnaire).where(Questionnaire.uid == uid))
        qn.detection = {k: v for k, v in qn.detection.items() if k != "i18n"}  # stored before the templates
        db.session().commit()
    zh = _page(c.get(f"/questionnaires/{uid}/detection?lang=zh"))
    assert "此工作表没有答案列（参考表）；答案在其他工作表中" in zh


def test_save_to_library_refusal_is_shown_in_chinese(app, client_as, monkeypatch):
    add_library(app)
    c = client_as("security")
    uid = upload_and_match(c, workbook())
    item = item_by_qid(app, uid, "1.4")
    c.post(f"/questionnaires/{uid}/items/{item.uid}",
           data={"action": "save", "revision": item.revision, "answer": "N/A", "comment": "About 11 m/s."})
    # The next free reference id is taken meanwhile (a concurrent save): the library refuses.
    monkeypatch.setattr(library_service, "next_ref", lambda session, prefix="LIB": "IAM-01")

    r = c.post(f"/questionnaires/{uid}/items/{item.uid}/learn?lang=zh", data={"mode": "new"}, headers=JSON)
    assert r.status_code == 400
    assert "编号为 'IAM-01' 的条目已存在" in r.json["error"] and "exists already" not in r.json["error"]

    r = c.post(f"/questionnaires/{uid}/items/{item.uid}/learn?lang=en", data={"mode": "new"}, headers=JSON)
    assert r.status_code == 400 and r.json["error"] == "an entry with reference id 'IAM-01' exists already"

    page = c.post(f"/questionnaires/{uid}/items/{item.uid}/learn?lang=zh", data={"mode": "new"},
                  follow_redirects=True)
    assert "编号为 'IAM-01' 的条目已存在" in _page(page)
    assert item_by_qid(app, uid, "1.4").learned_ref is None
