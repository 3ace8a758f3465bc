"""Write the fuzz corpus (tests/fuzz/seeds/): small questionnaires in every format the importers read.

All seeds are made here from scratch (no third-party content), so they carry the project's licence.
Run `python -m tests.fuzz.make_seeds` to rebuild them; the files are committed so a run is reproducible."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import docx
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from tests.importers.imp_fixtures import make_pdf

SEEDS = Path(__file__).parent / "seeds"

QUESTIONS = [
    ("IAM-01", "Do you enforce multi-factor authentication for all employees?", "", ""),
    ("ENC-01", "Is customer data encrypted at rest?", "Yes", "AES-256"),
    ("BCP-01", "Do you test your disaster recovery plan at least annually?", "", ""),
    ("HR-01", "Do you perform background checks on new employees?", "", ""),
    ("ZH-01", "是否对所有员工启用多因素认证？", "", ""),
]


def _workbook() -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["Vendor security questionnaire"])
    ws.append([])
    ws.append(["ID", "Question", "Answer", "Comments"])
    for row in QUESTIONS:
        ws.append(list(row))
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("C4:C8")
    ws.merge_cells("A1:D1")
    wb.create_sheet("Instructions")["A1"] = "Fill column C."
    return wb


def xlsx() -> bytes:
    buf = io.BytesIO()
    _workbook().save(buf)
    return buf.getvalue()


def xlsm() -> bytes:
    """The same workbook as a macro-enabled package (content type and a stand-in vbaProject part)."""
    src = zipfile.ZipFile(io.BytesIO(xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in src.infolist():
            raw = src.read(info)
            if info.filename == "[Content_Types].xml":
                raw = raw.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                  b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                raw = raw.replace(b"</Types>", b'<Default Extension="bin" '
                                  b'ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            zo.writestr(info, raw)
        zo.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def questionnaire_csv() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["ID", "Question", "Answer", "Comments"])
    for row in QUESTIONS:
        w.writerow(row)
    w.writerow(["NET-01", "Describe your network segmentation,\nincluding \"DMZ\" zones.", "", ""])
    return buf.getvalue().encode("utf-8")


def library_csv() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "question", "answer", "details"])
    w.writerow(["IAM-01", "Do you enforce multi-factor authentication for all employees?", "Yes",
                "All staff sign in through SSO with TOTP or WebAuthn."])
    w.writerow(["ENC-01", "Is customer data encrypted at rest?", "Yes", "AES-256 in every data store."])
    w.writerow(["ZH-01", "是否对所有员工启用多因素认证？", "是", "所有员工均通过单点登录启用"])
    return buf.getvalue().encode("utf-8")


def questionnaire_docx() -> bytes:
    d = docx.Document()
    d.add_heading("Security questionnaire", 1)
    table = d.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Question", "Answer", "Comments")):
        cell.text = text
    for _id, question, answer, comment in QUESTIONS:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = question, answer, comment
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()




def _stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def form_pdf(catalog_extra: bytes = b"", page_extra: bytes = b"", more: list[bytes] | None = None) -> bytes:
    """Two text fields with tooltips; `catalog_extra` / `page_extra` / `more` objects (8 onwards) let a
    test add active content."""
    label = b"BT /F1 11 Tf 60 700 Td (1. Company name:) Tj ET"
    return make_pdf([
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R] >> " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 7 0 R] " + page_extra + b">>",
        _stream(label),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (mfa) /TU (Do you enforce multi-factor authentication?) "
        b"/Rect [180 695 400 712] >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (enc) /TU (Is customer data encrypted at rest?) "
        b"/Rect [180 655 400 672] >>",
        *(more or []),
    ])


def text_pdf() -> bytes:
    lines = [b"Security questionnaire", b"1. Do you enforce multi-factor authentication for all employees?",
             b"2. Is customer data encrypted at rest?", b"3. Do you test your disaster recovery plan annually?"]
    ops = b"BT /F1 11 Tf 14 TL 60 760 Td " + b" ".join(b"(" + ln + b") Tj T*" for ln in lines) + b" ET"
    return make_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(ops),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


VSAQ = """// A small VSAQ-shaped template written for the fuzz corpus.
{
  "questionnaire": [
    {"type": "block", "text": "Fuzz questionnaire", "items": [
      {"type": "block", "text": "Access", "items": [
        {"type": "yesno", "id": "mfa", "text": "Do you enforce " +
           "multi-factor authentication?"},
        {"type": "radiogroup", "text": "How are <b>keys</b> stored?", "defaultChoice": true,
         "choices": [{"k_hsm": "In an HSM"}, {"k_kms": "In a cloud KMS"}]},
        {"type": "checkgroup", "id": "logs", "text": "Which logs do you keep?",
         "choices": [{"l_auth": "Sign-ins"}, {"l_admin": "Admin actions"}]},
        {"type": "line", "id": "ciso", "text": "Who is your CISO?", "cond": "mfa_yes"},
        {"type": "box", "id": "notes", "text": "Anything else?"},
        {"type": "tip", "id": "tip1", "text": "Be brief."},
      ]}
    ]}
  ]
}
"""


def main() -> None:
    SEEDS.mkdir(exist_ok=True)
    files = {"questionnaire.xlsx": xlsx(), "questionnaire.xlsm": xlsm(), "questionnaire.csv": questionnaire_csv(),
             "library.csv": library_csv(), "questionnaire.docx": questionnaire_docx(), "form.pdf": form_pdf(),
             "text.pdf": text_pdf(), "vsaq.json": VSAQ.encode("utf-8")}
    for name, data in files.items():
        (SEEDS / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
