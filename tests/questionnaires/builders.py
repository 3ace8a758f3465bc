"""Builders for the questionnaire tests: a small library, generated workbooks, upload + match."""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.worksheet.datavalidation import DataValidation

from answers.library import service as library
from vault import audit, db
from vault.audit import Actor

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
QUESTIONNAIRES = SHARED / "questionnaires"
HECVAT = QUESTIONNAIRES / "HECVAT414.xlsx"
DOCX_DIR = QUESTIONNAIRES / "docx"
ACTOR = Actor(label="builder@example.com")

LIBRARY = [
    ("IAM-01", "Do you enforce multi-factor authentication for all employees?", "Yes",
     "All staff sign in through SSO with TOTP or WebAuthn."),
    ("ENC-01", "Is customer data encrypted at rest?", "Yes", "AES-256 in every data store."),
    ("ENC-02", "Is data encrypted in transit?", "Yes", "TLS 1.2 or later everywhere."),
    ("BCP-01", "Do you test your business continuity and disaster recovery plan at least annually?", "Yes",
     "Yearly failover exercise between regions."),
    ("HR-01", "Do you perform background checks on new employees?", "Yes", "Where local law permits."),
    ("VUL-01", "Do you perform penetration tests by an independent third party?", "Yes",
     "Annual external penetration test; summary available under NDA."),
    ("LOG-01", "Do you keep security logs for at least one year?", "Yes", "Logs are kept 13 months."),
]

QUESTIONS = [
    ("1.1", "Does your organization enforce MFA (multi-factor authentication) for all employees?"),
    ("1.2", "Is all customer data encrypted at rest?"),
    ("1.3", "Do you perform background checks on new employees?"),
    ("1.4", "What is the airspeed velocity of an unladen swallow?"),
]


def add_library(app, rows=LIBRARY) -> None:
    with app.app_context():
        sess = db.session()
        for ref, question, short, full in rows:
            library.create_entry(sess, ACTOR, ref=ref, question=question, answer_short=short, answer_full=full,
                                 status="approved", audited=False)
        sess.commit()


def workbook(questions=QUESTIONS, *, choices='"YES,NO,N/A"', title_rows=True, extra_sheet=True) -> bytes:
    """A customer workbook with a title, a header below it, a dropdown, a comment column, styles,
    a merged title, a cell comment, a formula and an instructions sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    if title_rows:
        ws.append(["Vendor security questionnaire"])
        ws.merge_cells("A1:D1")
        ws.append([])
    ws.append(["No.", "Question", "Response", "Comments"])
    header = ws.max_row
    for qid, text in questions:
        ws.append([qid, text])
    ws.column_dimensions["B"].width = 70
    ws["B" + str(header)].comment = Comment("Answer every question", "Customer")
    dv = DataValidation(type="list", formula1=choices, allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"C{header + 1}:C{header + len(questions)}")
    ws["F1"] = f'=COUNTIF(C{header + 1}:C{header + len(questions)},"YES")'
    if extra_sheet:
        wb.create_sheet("Instructions")["A1"] = "Fill column C."
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, data: bytes, filename: str = "q.xlsx", customer: str = "Acme Corp", follow=False):
    return client.post("/questionnaires/new", data={"customer": customer, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", follow_redirects=follow)


def uid_from(resp) -> str:
    m = re.search(r"/questionnaires/([A-Za-z0-9_-]+)/detection", resp.headers["Location"])
    assert m, resp.headers.get("Location")
    return m.group(1)


def upload_and_match(client, data: bytes, filename: str = "q.xlsx", customer: str = "Acme Corp") -> str:
    resp = upload(client, data, filename, customer)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    uid = uid_from(resp)
    resp = client.post(f"/questionnaires/{uid}/match")  # a job: the review page shows it until it is done
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path.endswith(f"/questionnaires/{uid}")
    return uid


def items(app, uid: str):
    from answers.questionnaires.models import QuestionItem, Questionnaire
    from sqlalchemy import select
    with app.app_context():
        sess = db.session()
        qn = sess.scalar(select(Questionnaire).where(Questionnaire.uid == uid))
        rows = list(sess.scalars(select(QuestionItem).where(QuestionItem.questionnaire_id == qn.id)
                                 .order_by(QuestionItem.position)))
        for r in rows:
            sess.expunge(r)
        return rows


def item_by_qid(app, uid: str, qid: str):
    return next(i for i in items(app, uid) if i.qid == qid)


def events(app, action: str):
    with app.app_context():
        return audit.query_events(db.session(), action=action)


JSON = {"Accept": "application/json"}
