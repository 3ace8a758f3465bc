"""Library files laid out as public questionnaires are (CAIQ v4, HECVAT, CIS): the detection must not
need our own header names."""
import csv
import io

from openpyxl import Workbook

from importers.library import load_library_table
from tests.importers.imp_fixtures import HECVAT, xlsx_bytes


def _csv(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def test_an_answer_header_naming_a_framework_is_the_answer():
    table = load_library_table(_csv([
        ["Question ID", "Question", "CSP CAIQ Answer", "SSRM Control Ownership",
         "CSP Implementation Description (Optional/Recommended)"],
        ["A&A-01.1", "Are audit and assurance policies established and documented?", "Yes", "CSP-owned",
         "Policies are reviewed every year by the audit committee."],
    ]), "caiq.csv")
    row, = table.rows
    assert (row.ref, row.answer_short, row.answer_full, row.framework_refs) == (
        "A&A-01.1", "Yes", "Policies are reviewed every year by the audit committee.", [])


HECVAT_LIKE = [
    [" Required Questions", "", "Answer", "Additional Information", "Guidance"],
    ["REQU-01", "Are you offering a cloud-based product?", "Yes", "SaaS only.", "If you are only offering..."],
    [" Authentication, Authorization, and Account Management", "", "Answer", "Additional Information", "Guidance"],
    ["AAAI-01", "Does your solution support single sign-on (SSO) protocols?", "Yes", "SAML and OIDC.", ""],
    ["AAAI-02", "Are you able to authenticate users with a local account?", "No", "", ""],
]


def test_a_section_title_over_the_id_column_is_not_the_question_column():
    table = load_library_table(_csv(HECVAT_LIKE), "hecvat.csv")
    assert [(r.ref, r.question[:25], r.answer_short, r.answer_full) for r in table.rows] == [
        ("REQU-01", "Are you offering a cloud-", "Yes", "SaaS only."),
        ("AAAI-01", "Does your solution suppor", "Yes", "SAML and OIDC."),
        ("AAAI-02", "Are you able to authentic", "No", "")]
    assert table.problems == []  # the repeated header rows are titles, not answers without a question


def test_real_hecvat_library_takes_ids_and_the_looked_up_question_text():
    with open(HECVAT, "rb") as fh:
        table = load_library_table(fh.read(), "HECVAT414.xlsx")
    product = {r.ref: r for r in table.rows if r.sheet == "Product"}
    assert product["AAAI-01"].question.startswith("Does your solution support single sign-on")
    assert all(r.ref for r in table.rows)
    assert not [r for r in table.rows if r.question[:4].isupper() and "-" in r.question[:6]]  # no id as a question
    assert len({r.ref for r in table.rows}) >= 300


def test_id_column_found_from_its_values_when_its_header_is_unknown():
    table = load_library_table(_csv([
        ["CIS Control", "CIS Safeguard", "Asset Type", "Title", "Description", "Answer"],
        ["1", "1.1", "Devices", "Establish and Maintain Detailed Enterprise Asset Inventory",
         "Establish and maintain an accurate, detailed, and up-to-date inventory of all enterprise assets.", "Yes"],
        ["1", "1.2", "Devices", "Address Unauthorized Assets",
         "Ensure that a process exists to address unauthorized assets on a weekly basis.", "Yes"],
        ["2", "2.1", "Applications", "Establish and Maintain a Software Inventory",
         "Establish and maintain a detailed inventory of all licensed software installed on enterprise assets.",
         "No"],
    ]), "cis.csv")
    assert [r.ref for r in table.rows] == ["1.1", "1.2", "2.1"]


def test_sub_headers_under_a_merged_group_header_name_their_columns():
    wb = Workbook()
    ws = wb.active
    ws.title = "Assessment"
    ws.append(["Question ID", "Question", "Vendor Response", None, "Category"])
    ws.merge_cells("C1:D1")
    ws.append([None, None, "Answer", "Comments", None])
    ws.append(["IAM-01", "Do you enforce MFA for all staff?", "Yes", "TOTP or WebAuthn via SSO.", "Identity"])
    table = load_library_table(xlsx_bytes(wb), "merged.xlsx")
    row, = table.rows
    assert (row.ref, row.answer_short, row.answer_full, row.category) == (
        "IAM-01", "Yes", "TOTP or WebAuthn via SSO.", "Identity")
    assert table.problems == []


def test_the_header_repeated_above_a_second_table_is_not_an_entry():
    header = ["ID", "Question", "Vendor Answer", "Additional Information", "Guidance", "Compliant Response"]
    table = load_library_table(_csv([
        header, ["PRGN-01", "Does your solution process FERPA-related data?", "No", "", "", "Yes"],
        [], ["PRIVACY REFERENCE QUESTIONS"], header,
        ["COMP-01", "Do you have a dedicated software and system development team?", "Yes", "", "", "Yes"],
    ]), "two_tables.csv")
    assert [r.ref for r in table.rows] == ["PRGN-01", "COMP-01"]
    assert table.problems == []


def test_a_hidden_sheet_of_entries_is_read_unless_it_is_a_lookup_table():
    wb = Workbook()
    ws = wb.active
    ws.title = "Access"
    ws.append(["ID", "Question", "Answer", "Owner"])
    ws.append(["IAM-01", "Do you enforce MFA for all staff?", "Yes", "=Lookup!A1"])
    extra = wb.create_sheet("Extra")
    extra.append(["ID", "Question", "Answer"])
    extra.append(["ENC-01", "Is customer data encrypted at rest?", "Yes"])
    extra.sheet_state = "hidden"
    lookup = wb.create_sheet("Lookup")
    lookup.append(["ID", "Question", "Answer"])
    lookup.append(["X-01", "A question bank row behind a formula?", "Yes"])
    lookup.sheet_state = "hidden"
    table = load_library_table(xlsx_bytes(wb), "hidden.xlsx")
    assert [(r.sheet, r.ref) for r in table.rows] == [("Access", "IAM-01"), ("Extra", "ENC-01")]


def test_an_id_used_again_on_another_sheet_names_the_sheet_it_was_first_on():
    wb = Workbook()
    ws = wb.active
    ws.title = "Organization"
    ws.append(["ID", "Question", "Answer"])
    ws.append(["GNRL-01", "Solution Provider Name", "ACME"])
    other = wb.create_sheet("Product")
    other.append(["ID", "Question", "Answer"])
    other.append(["GNRL-01", "Solution Provider Name", "ACME"])
    table = load_library_table(xlsx_bytes(wb), "two_sheets.xlsx")
    assert [str(p) for p in table.problems] == [
        'sheet "Product", row 2: id "GNRL-01" is used again (first on sheet "Organization", row 2)']


def test_numeric_ids_read_as_the_sheet_shows_them():
    wb = Workbook()
    ws = wb.active
    ws.append(["Control", "Question", "Answer"])
    for n, (value, fmt) in enumerate([(5.1, "0.0"), (5.1, "0.00"), (7, "000")], start=2):
        ws.append([value, f"Is control number {n} in place?", "Yes"])
        ws.cell(row=n, column=1).number_format = fmt
    table = load_library_table(xlsx_bytes(wb), "numbers.xlsx")
    assert [r.ref for r in table.rows] == ["5.1", "5.10", "007"]
    assert table.problems == []


def test_a_clause_number_column_is_the_id_not_a_framework_reference():
    table = load_library_table(_csv([
        ["条款号", "类别", "问题描述", "符合情况", "证明材料"],
        ["8.1.4.1", "安全计算环境", "应对登录的用户进行身份标识和鉴别，身份标识具有唯一性。", "符合", "统一认证平台"],
    ]), "clauses.csv")
    row, = table.rows
    assert (row.ref, row.question[:7], row.answer_short, row.framework_refs) == ("8.1.4.1", "应对登录的用户", "符合", [])


def test_a_row_of_values_is_not_taken_for_the_header():
    """HIPAA-style checklist: no header says "question"; the first data row ("Access Control" beside
    "No" and "Details") only looks like one, and a category repeated down a column is no question."""
    spec = ["Implement policies and procedures for authorizing access to electronic health information.",
            "Assign a unique name and/or number for identifying and tracking user identity.",
            "Establish procedures for obtaining necessary electronic health information during an emergency."]
    table = load_library_table(_csv([["Standard", "Implementation Specification", "R/A", "Yes/No", "Comments"]] + [
        ["Access Control", text, "R", "Yes" if n else "No", f"Details {n}"] for n, text in enumerate(spec)]), "hipaa.csv")
    assert [(r.question, r.answer_short, r.answer_full) for r in table.rows] == [
        (spec[0], "No", "Details 0"), (spec[1], "Yes", "Details 1"), (spec[2], "Yes", "Details 2")]


def test_a_control_list_whose_ids_are_written_before_the_text():
    from tests.importers.test_detect_layouts import CSF_LIKE
    table = load_library_table(_csv(CSF_LIKE), "csf.csv")
    assert [r.ref for r in table.rows] == ["GV.OC-01", "GV.OC-02", "PR.AA-01"]
    assert table.rows[0].question.startswith("GV.OC-01: The organizational mission")


def test_a_two_row_header_with_cells_merged_down_and_across():
    wb = Workbook()
    ws = wb.active
    for row in [["序号", "测评项", "测评结果", None], [None, None, "符合情况", "说明"],
                ["1", "应对登录的用户进行身份标识和鉴别，身份标识具有唯一性。", "符合", "统一认证平台"]]:
        ws.append(row)
    for cells in ("A1:A2", "B1:B2", "C1:D1"):
        ws.merge_cells(cells)
    table = load_library_table(xlsx_bytes(wb), "merged.xlsx")
    row, = table.rows
    assert (row.ref, row.answer_short, row.answer_full) == ("1", "符合", "统一认证平台")


def test_ids_written_before_the_text_with_a_space():
    table = load_library_table(_csv([["Control", "Answer"],
                                     ["A.5.1 Policies for information security", "Yes"],
                                     ["A.5.2 Information security roles and responsibilities", "Yes"],
                                     ["A.5.10 Acceptable use of information and other associated assets", "No"]]),
                               "annex_a.csv")
    assert [r.ref for r in table.rows] == ["A.5.1", "A.5.2", "A.5.10"]


def test_the_category_is_the_section_name_not_its_code():
    table = load_library_table(_csv([
        ["chapter_id", "chapter_name", "section_id", "section_name", "req_id", "req_description"],
        ["V1", "Architecture, Design and Threat Modeling", "V1.1", "Secure Software Development Lifecycle", "V1.1.1",
         "Verify the use of a secure software development lifecycle that addresses security in all stages."],
    ]), "asvs.csv")
    row, = table.rows
    assert (row.ref, row.category) == ("V1.1.1", "Secure Software Development Lifecycle")
