"""Upload → detection → matching → review → export, through the pages, on generated workbooks."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from answers.questionnaires.models import SentAnswer
from tests.questionnaires.builders import (JSON, add_library, events, item_by_qid, items, upload, upload_and_match,
                                           uid_from, workbook)
from vault import db


def test_upload_shows_detection_before_matching(app, client_as):
    add_library(app)
    c = client_as("sales")
    resp = upload(c, workbook())
    assert resp.status_code == 302
    uid = uid_from(resp)
    page = c.get(f"/questionnaires/{uid}/detection").get_data(as_text=True)
    assert "4 questions" in page and "Security" in page and "Instructions" in page
    assert 'name="s0-answer" value="C"' in page  # the detected answer column, correctable
    assert items(app, uid) == []  # nothing matched yet
    # The review page sends you back to the detection until it is confirmed.
    assert c.get(f"/questionnaires/{uid}").headers["Location"].endswith(f"/questionnaires/{uid}/detection")
    assert events(app, "questionnaire.upload")


def test_matching_proposes_answers_fitted_to_the_dropdown(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = item_by_qid(app, uid, "1.1")
    assert mfa.status == "suggested" and mfa.proposed_entry_ref == "IAM-01"
    assert mfa.proposed_answer == "YES"  # the dropdown's spelling, not the library's "Yes"
    assert mfa.proposed_comment == "All staff sign in through SSO with TOTP or WebAuthn."  # comment column
    assert mfa.choices == ["YES", "NO", "N/A"]
    swallow = item_by_qid(app, uid, "1.4")
    assert swallow.status == "open" and swallow.proposed_answer is None
    page = c.get(f"/questionnaires/{uid}").get_data(as_text=True)
    assert "confidence (" in page  # colour and words
    assert "IAM-01" in page and "0 of 4 answered" in page


def test_review_then_export_fills_the_customers_file(app, client_as):
    add_library(app)
    c = client_as("sales")
    src = workbook()
    uid = upload_and_match(c, src)
    mfa, enc, bg, swallow = items(app, uid)
    assert c.post(f"/questionnaires/{uid}/items/{mfa.uid}", data={"action": "accept", "revision": mfa.revision},
                  headers=JSON).status_code == 200
    r = c.post(f"/questionnaires/{uid}/items/{enc.uid}",
               data={"action": "save", "revision": enc.revision, "answer": "no", "comment": "=HYPERLINK(\"x\")"},
               headers=JSON)
    assert r.status_code == 200 and r.json["ok"], r.json
    assert c.post(f"/questionnaires/{uid}/items/{swallow.uid}",
                  data={"action": "reject", "revision": swallow.revision}, headers=JSON).status_code == 200
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert "q-answered.xlsx" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb["Security"]
    assert ws["C4"].value == "YES" and ws["D4"].value.startswith("All staff sign in")
    assert ws["C5"].value == "NO"  # typed "no", written as the dropdown spells it
    assert ws["D5"].value == '=HYPERLINK("x")' and ws["D5"].data_type == "s"  # text, never a formula
    assert ws["C6"].value is None and ws["C7"].value is None  # not accepted, not written
    assert ws["F1"].value.startswith("=COUNTIF")  # the customer's formula kept
    assert ws["B3"].comment is not None and "Instructions" in wb.sheetnames
    assert ws.data_validations.dataValidation  # the dropdown survives
    assert events(app, "questionnaire.export")


def test_sent_answers_are_recorded_per_customer_once(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook(), customer="Globex")
    mfa = items(app, uid)[0]
    c.post(f"/questionnaires/{uid}/items/{mfa.uid}", data={"action": "accept", "revision": mfa.revision})
    c.post(f"/questionnaires/{uid}/export")
    c.post(f"/questionnaires/{uid}/export")  # the same answer again is not a new sending
    from answers.questionnaires.models import SentAnswer
    from sqlalchemy import select
    from vault import db
    with app.app_context():
        rows = list(db.session().scalars(select(SentAnswer)))
        assert [(r.customer, r.entry_ref, r.entry_revision, r.answer) for r in rows] == [
            ("Globex", "IAM-01", 1, "YES")]
    page = c.get("/questionnaires/sent?customer=glob").get_data(as_text=True)
    assert "Globex" in page and "IAM-01, revision 1" in page


def test_summary_report_says_what_was_filled_reviewed_and_open(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = items(app, uid)[0]
    c.post(f"/questionnaires/{uid}/items/{mfa.uid}", data={"action": "accept", "revision": mfa.revision})
    resp = c.get(f"/questionnaires/{uid}/report.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Questions in total"] == 4
    assert summary["Answered (accepted)"] == 1 and summary["Accepted as the library proposed"] == 1
    assert summary[f"Sales <{c.user.email}>"] == 1  # reviewed by
    rows = list(wb["Questions"].iter_rows(values_only=True))
    assert rows[1][:4] == ("1.1", None, QUESTION_11, "Accepted")
    assert events(app, "questionnaire.report")


QUESTION_11 = "Does your organization enforce MFA (multi-factor authentication) for all employees?"


def test_answer_sheets_download(app, client_as):
    add_library(app)
    c = client_as("viewer")
    writer = client_as("sales")
    uid = upload_and_match(writer, workbook())
    for fmt in ("xlsx", "docx"):
        with c.get(f"/questionnaires/{uid}/answers.{fmt}") as resp:  # a streamed body: read and close it
            assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("attachment")
            assert resp.get_data()[:2] == b"PK"  # both are zip packages
    assert c.get(f"/questionnaires/{uid}/answers.exe").status_code == 404


def test_export_keeps_the_answers_the_customers_file_already_holds(app, client_as):
    """The web export applies the CLI's rule (answers.autofill.fill.keep_theirs): a cell the customer
    already answered keeps their text, even where the reviewer accepted a library answer."""
    add_library(app)
    wb = load_workbook(io.BytesIO(workbook()))
    ws = wb["Security"]
    ws["C4"], ws["D5"] = "NO", "Our own words on encryption."  # 1.1 answered, 1.2 commented by the customer
    buf = io.BytesIO()
    wb.save(buf)
    c = client_as("sales")
    uid = upload_and_match(c, buf.getvalue())
    mfa, enc, bg, _swallow = items(app, uid)
    for item in (mfa, enc, bg):
        resp = c.post(f"/questionnaires/{uid}/items/{item.uid}", data={"action": "accept",
                                                                       "revision": item.revision}, headers=JSON)
        assert resp.json["ok"]
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200
    out = load_workbook(io.BytesIO(resp.data))["Security"]
    assert out["C4"].value == "NO" and out["D4"].value.startswith("All staff")  # their answer, our details
    assert out["C5"].value == "YES" and out["D5"].value == "Our own words on encryption."  # our answer, theirs
    assert out["C6"].value == "YES" and out["D6"].value.startswith("Where local law")
    [event] = events(app, "questionnaire.export")
    assert event.detail["kept"] == 2 and event.detail["accepted"] == 3
    with app.app_context():  # the ledger holds what was written, not the answer the file kept its own for
        sent = {row.item_id: (row.answer, row.comment) for row in db.session().scalars(select(SentAnswer))}
    assert sent[mfa.id] == (None, "All staff sign in through SSO with TOTP or WebAuthn.")
    assert sent[enc.id] == ("YES", None)
