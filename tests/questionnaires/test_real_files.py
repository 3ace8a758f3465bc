"""Round trips through the pages on real questionnaires: HECVAT, VSAQ, OWASP ASVS (Word), a PDF
form, and a Chinese CSV in GB18030."""
from __future__ import annotations

import io
import json

from docx import Document
from openpyxl import load_workbook

from tests.exporters._helpers import (assert_only_parts_changed, assert_styles_only_appended, libreoffice_csv,
                                     sheet_part, zip_parts)
from tests.corpus import pdf
from tests.questionnaires.builders import (DOCX_DIR, HECVAT, JSON, QUESTIONNAIRES, add_library, item_by_qid,
                                           items, upload_and_match)

HECVAT_LIBRARY = [
    ("DATA-STORE", "Is the storage of sensitive data encrypted using security protocols/algorithms?", "Yes",
     "AES-256 at rest in every data store."),
    ("HR-CHECK", "Do you perform background screenings or background checks on all employees before hire?",
     "Yes", "Where local law permits."),
]


def _accept(c, uid, item):
    r = c.post(f"/questionnaires/{uid}/items/{item.uid}", data={"action": "accept", "revision": item.revision},
               headers=JSON)
    assert r.status_code == 200, r.json


def test_hecvat_round_trip_changes_only_the_answer_cells(app, client_as, tmp_path):
    add_library(app, HECVAT_LIBRARY)
    c = client_as("sales")
    src = HECVAT.read_bytes()
    uid = upload_and_match(c, src, "HECVAT414.xlsx", customer="State University")
    all_items = items(app, uid)
    assert len(all_items) == 331
    data03 = item_by_qid(app, uid, "DATA-03")
    assert data03.proposed_entry_ref == "DATA-STORE" and data03.proposed_answer == "Yes"
    _accept(c, uid, data03)
    written = item_by_qid(app, uid, "PPPR-06")
    r = c.post(f"/questionnaires/{uid}/items/{written.uid}",
               data={"action": "save", "revision": written.revision, "answer": "no",
                     "comment": "+1 contractors are screened by their agency"}, headers=JSON)
    assert r.status_code == 200
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200
    out = resp.data
    # workbook.xml: fullCalcOnLoad only; styles.xml: a quotePrefix copy of D58's style for "+1 ..."
    changed = {sheet_part(src, "Product"), sheet_part(src, "Organization"), "xl/workbook.xml", "xl/styles.xml"}
    assert_only_parts_changed(src, out, changed)
    assert len(assert_styles_only_appended(zip_parts(src)["xl/styles.xml"], zip_parts(out)["xl/styles.xml"])) == 1
    wb = load_workbook(io.BytesIO(out))
    assert wb["Product"]["C41"].value == "Yes" and wb["Product"]["D41"].value.startswith("AES-256")
    assert wb["Organization"]["C58"].value == "No"  # the dropdown's spelling
    assert wb["Organization"]["D58"].value == "+1 contractors are screened by their agency"
    assert wb["Organization"]["D58"].data_type == "s" and wb["Organization"]["D58"].quotePrefix
    sheets = libreoffice_csv(out, tmp_path / "lo")
    product = sheets["Product"]
    assert product[40][2] == "Yes"


def test_vsaq_round_trip_exports_vsaq_answers(app, client_as):
    add_library(app, [("APP-NAME", "What is the name of the application?", "", "Example Cloud")])
    c = client_as("sales")
    uid = upload_and_match(c, (QUESTIONNAIRES / "vsaq_webapp.json").read_bytes(), "vsaq_webapp.json")
    assert len(items(app, uid)) == 73
    name = item_by_qid(app, uid, "application_name")
    r = c.post(f"/questionnaires/{uid}/items/{name.uid}",
               data={"action": "save", "revision": name.revision, "answer": "Example Cloud", "comment": ""},
               headers=JSON)
    assert r.status_code == 200
    radio = item_by_qid(app, uid, "application_vm_securitycontact")
    r = c.post(f"/questionnaires/{uid}/items/{radio.uid}",
               data={"action": "save", "revision": radio.revision, "answer": radio.choices[0], "comment": ""},
               headers=JSON)
    assert r.status_code == 200
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200 and "vsaq_webapp-answered.json" in resp.headers["Content-Disposition"]
    assert json.loads(resp.data) == {"application_name": "Example Cloud",
                                     "application_vm_securitycontact_yes": "checked"}


def test_asvs_docx_round_trip(app, client_as):
    add_library(app, [("SDLC", "Verify the use of a secure software development lifecycle that addresses "
                               "security in all stages of development.", "Yes", "Our SDLC is documented.")])
    c = client_as("sales")
    src = (DOCX_DIR / "owasp_asvs_4.0.3-en.docx").read_bytes()
    uid = upload_and_match(c, src, "owasp_asvs_4.0.3-en.docx")
    first = item_by_qid(app, uid, "1.1.1")
    assert first.proposed_entry_ref == "SDLC"
    _accept(c, uid, first)
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200
    assert_only_parts_changed(src, resp.data, {"word/document.xml"})
    doc = Document(io.BytesIO(resp.data))
    loc = first.locator["question_at"]["extra"]
    cell = doc.tables[loc["table"]].cell(loc["row"], loc["col"])
    assert [p.text for p in cell.paragraphs][-2:] == ["Answer: Yes", "Our SDLC is documented."]


def test_pdf_form_round_trip(app, client_as):
    add_library(app, [("AGENCY", "Enter name of Federal agency.", "Department of Examples", ""),
                      ("OTHER", "Enter other applicant type.", "Security vendor", "")])
    c = client_as("sales")
    uid = upload_and_match(c, pdf("SF424_page2.pdf").read_bytes(), "SF424_page2.pdf")
    agency, other = item_by_qid(app, uid, "FederalAgencyName"), item_by_qid(app, uid, "ApplicantOther")
    assert (agency.proposed_entry_ref, other.proposed_entry_ref) == ("AGENCY", "OTHER")
    _accept(c, uid, agency)
    _accept(c, uid, other)
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    from pypdf import PdfReader
    fields = PdfReader(io.BytesIO(resp.data)).get_fields()
    assert fields["ApplicantOther"]["/V"] == "Security vendor"
    # the form already names the agency: the customer's own answer is kept (answers.autofill.fill.keep_theirs)
    assert fields["FederalAgencyName"]["/V"] == "U.S. Department of Interior, Fish and Wildlife Service"


def test_chinese_csv_in_gb18030_round_trip(app, client_as):
    text = ("编号,问题,回答\n"
            "1,是否对静态数据进行加密？,\n"
            "2,是否定期进行渗透测试？,\n")
    src = text.encode("gb18030")
    add_library(app, [("ZH-ENC", "是否对静态数据进行加密？", "是", "使用 AES-256 加密。")])
    c = client_as("sales")
    uid = upload_and_match(c, src, "问卷.csv", customer="某公司")
    enc = item_by_qid(app, uid, "1")
    assert enc.proposed_entry_ref == "ZH-ENC"
    _accept(c, uid, enc)
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 200
    assert "filename*=UTF-8''%E9%97%AE%E5%8D%B7-answered.csv" in resp.headers["Content-Disposition"]
    assert resp.data.decode("gb18030").splitlines()[1] == "1,是否对静态数据进行加密？,是"
