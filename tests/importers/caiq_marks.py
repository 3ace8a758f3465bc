"""Synthetic CAIQ-v3.1-like workbooks: the answer is a mark in one of the Yes | No | Not Applicable columns."""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font

QUESTIONS = [
    ("AIS-01", "AIS-01.1", "Do you use industry standards (e.g. OWASP Software Assurance Maturity Model) "
     "to build in security for your systems/software development lifecycle?", "X", None, None,
     "We follow OWASP SAMM."),
    ("AIS-01", "AIS-01.2", "Do you use an automated source code analysis tool to detect security defects "
     "in code prior to production?", None, "x", None, ""),
    ("AIS-02", "AIS-02.1", "Are all identified security, contractual, and regulatory requirements for "
     "customer access contractually addressed and remediated prior to granting customers access?",
     None, None, None, None),
    ("BCR-01", "BCR-01.1", "Does your organization have a plan for business continuity and disaster "
     "recovery that is tested at least annually?", None, None, None, "Customer note: ask legal."),
]


def caiq_v31(rows=QUESTIONS, *, labels=("Yes", "No", "Not Applicable"), merge_down: bool = True) -> Workbook:
    """Row 2 holds the headers, "Consensus Assessment Answers" merged over the choice columns whose
    names are in row 3; data from row 4. `rows`: (control id, question id, text, yes, no, na, notes)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "CAIQ v3.1"
    ws["A1"] = "CONSENSUS ASSESSMENTS INITIATIVE QUESTIONNAIRE v3.1"
    ws.merge_cells("A1:I1")
    last = chr(ord("F") + len(labels) - 1)
    notes = chr(ord(last) + 1)
    for col, title in zip("ABCDE", ("Control Domain", "Control ID", "Question ID", "Control Specification",
                                     "Consensus Assessment Questions")):
        ws[f"{col}2"] = title
        if merge_down:
            ws.merge_cells(f"{col}2:{col}3")
    ws["F2"] = "Consensus Assessment Answers"
    ws.merge_cells(f"F2:{last}2")
    ws[f"{notes}2"] = "Notes"
    if merge_down:
        ws.merge_cells(f"{notes}2:{notes}3")
    for i, label in enumerate(labels):
        ws.cell(3, 6 + i, label)
    for n, (cid, qid, text, *marks_and_note) in enumerate(rows, start=4):
        *marks, note = marks_and_note
        ws.cell(n, 1, "Application & Interface Security")
        ws.cell(n, 2, cid)
        ws.cell(n, 3, qid)
        ws.cell(n, 4, "The organization shall ... (control specification text for " + cid + ")")
        ws.cell(n, 5, text)
        for i, mark in enumerate(marks[:len(labels)]):
            cell = ws.cell(n, 6 + i, mark)
            cell.font = Font(bold=True, color="FF0000")
        ws.cell(n, 6 + len(labels), note)
    return wb


def zh_marks() -> Workbook:
    """A Chinese self-assessment form: 序号 | 检查项 | 符合 | 部分符合 | 不符合 | 不适用 | 备注 in one header row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    ws.append(["序号", "检查项", "符合", "部分符合", "不符合", "不适用", "备注"])
    ws.append(["1", "是否对所有员工启用多因素认证？", "√", None, None, None, "统一身份认证"])
    ws.append(["2", "是否对客户数据进行静态加密？", None, None, None, None, None])
    ws.append(["3", "是否每年开展业务连续性演练？", None, None, None, None, None])
    return wb
