"""Questionnaire layouts met in public control lists: short control titles without ids, Chinese
items of a few characters, a group header merged over its sub-headers."""
from openpyxl import Workbook

from importers import load_questionnaire
from tests.importers.imp_fixtures import xlsx_bytes

TITLES = ["Policies for information security", "Information security roles and responsibilities",
          "Segregation of duties", "Management responsibilities", "Contact with authorities", "Threat intelligence"]


def _load(rows, merges=()):
    wb = Workbook()
    ws = wb.active
    ws.title = "Controls"
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    return load_questionnaire(xlsx_bytes(wb), "controls.xlsx")


def test_a_list_of_short_control_titles_is_a_list_of_questions_not_of_section_titles():
    q = _load([["Control", "Response"]] + [[t, None] for t in TITLES])
    assert [(x.text, x.question_at.cell, x.answer_at.cell) for x in q.questions][:2] == [
        ("Policies for information security", "A2", "B2"),
        ("Information security roles and responsibilities", "A3", "B3")]
    assert len(q.questions) == len(TITLES)


def test_short_chinese_requirements_are_questions():
    items = ["信息安全策略", "信息安全角色和职责", "职责分离", "管理责任", "与主管部门的联系", "威胁情报"]
    q = _load([["要求", "答复"]] + [[t, None] for t in items])
    assert [x.text for x in q.questions] == items
    assert q.questions[0].answer_at.cell == "B2"


def test_sub_headers_under_a_merged_group_header_name_the_comment_column():
    q = _load([["Question ID", "Question", "Vendor Response", None],
               [None, None, "Answer", "Comments"],
               ["IAM-01", "Do you enforce MFA for all staff?", None, None],
               ["ENC-01", "Is customer data encrypted at rest?", None, None]], merges=["C1:D1"])
    assert [(x.qid, x.answer_at.cell, x.comment_at and x.comment_at.cell) for x in q.questions] == [
        ("IAM-01", "C3", "D3"), ("ENC-01", "C4", "D4")]


def test_numeric_ids_read_as_the_sheet_shows_them():
    rows = [["Control", "Question", "Answer"]] + [[5 + n / 100, f"Is control 5.{n} in place?", None] for n in (9, 10)]
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    ws["A2"].number_format = ws["A3"].number_format = "0.00"
    q = load_questionnaire(xlsx_bytes(wb), "numbers.xlsx")
    assert [x.qid for x in q.questions] == ["5.09", "5.10"]


def test_a_question_description_header_is_the_question_column():
    q = _load([["No.", "问题描述", "回答", "备注"],
               ["8.1.1", "应对登录的用户进行身份标识和鉴别，身份标识具有唯一性。", None, None],
               ["8.1.2", "应启用安全审计功能，审计覆盖到每个用户。", None, None]])
    assert [(x.qid, x.question_at.cell, x.answer_at.cell, x.comment_at.cell) for x in q.questions] == [
        ("8.1.1", "B2", "C2", "D2"), ("8.1.2", "B3", "C3", "D3")]


def test_an_answer_header_listing_its_choices_is_the_answer_column():
    q = _load([["PCI DSS Requirement", "Expected Testing",
                "Response (In Place / In Place with CCW / Not Applicable / Not Tested / Not in Place)"],
               ["1.1.1 All security policies and operational procedures are documented and kept up to date.",
                "Examine documentation.", None],
               ["1.1.2 Roles and responsibilities for performing activities are documented and assigned.",
                "Interview personnel.", None]])
    assert [(x.question_at.cell, x.answer_at.cell) for x in q.questions] == [("A2", "C2"), ("A3", "C3")]


def test_an_id_header_of_any_noun_is_the_id_column():
    q = _load([["Practice ID", "Practice", "Assessment Objective", "Met/Not Met", "Notes"],
               ["AC.L1-3.1.1", "Authorized Access Control", "Determine if authorized users are identified.", None, None],
               ["AC.L1-3.1.2", "Transaction Control", "Determine if the types of transactions are defined.", None, None]])
    assert [(x.qid, x.question_at.cell, x.answer_at.cell, x.comment_at.cell) for x in q.questions] == [
        ("AC.L1-3.1.1", "C2", "D2", "E2"), ("AC.L1-3.1.2", "C3", "D3", "E3")]


def test_a_row_of_values_below_the_header_is_not_the_header():
    spec = ["Implement policies and procedures for authorizing access to electronic health information.",
            "Assign a unique name and/or number for identifying and tracking user identity.",
            "Establish procedures for obtaining necessary electronic health information during an emergency."]
    q = _load([["Standard", "Implementation Specification", "R/A", "Yes/No", "Comments"]] + [
        ["Access Control", text, "R", None, None] for text in spec])
    assert [(x.text, x.answer_at.cell) for x in q.questions] == [(spec[0], "D2"), (spec[1], "D3"), (spec[2], "D4")]


CSF_LIKE = [["Function", "Category", "Subcategory", "Informative References"],
            ["GOVERN (GV)", "Organizational Context (GV.OC)",
             "GV.OC-01: The organizational mission is understood and informs cybersecurity risk management",
             "CRI Profile v2.0: GV.OC-01"],
            ["GOVERN (GV)", "Organizational Context (GV.OC)",
             "GV.OC-02: Internal and external stakeholders are understood, and their needs and expectations "
             "regarding cybersecurity risk management are understood and considered", ""],
            ["PROTECT (PR)", "Identity Management, Authentication, and Access Control (PR.AA)",
             "PR.AA-01: Identities and credentials for authorized users, services, and hardware are managed by "
             "the organization", "SP 800-53 Rev 5.1.1: AC-01"]]


def test_an_unrecognised_header_row_and_ids_written_before_the_text():
    q = _load(CSF_LIKE)
    assert [(x.qid, x.question_at.cell) for x in q.questions] == [("GV.OC-01", "C2"), ("GV.OC-02", "C3"),
                                                                 ("PR.AA-01", "C4")]
    assert q.sheets[0].header_row == 1


def test_a_two_row_header_with_cells_merged_down_and_across():
    q = _load([["序号", "测评项", "测评结果", None],
               [None, None, "符合情况", "说明"],
               ["1", "应对登录的用户进行身份标识和鉴别，身份标识具有唯一性。", None, None],
               ["2", "应启用安全审计功能，审计覆盖到每个用户。", None, None]], merges=["A1:A2", "B1:B2", "C1:D1"])
    assert [(x.qid, x.question_at.cell, x.answer_at.cell, x.comment_at and x.comment_at.cell)
            for x in q.questions] == [("1", "B3", "C3", "D3"), ("2", "B4", "C4", "D4")]
