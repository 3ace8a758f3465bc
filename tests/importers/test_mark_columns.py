"""An answer given by marking one of several choice columns (CSA CAIQ v3.1, Chinese 符合/不符合 forms)."""
from importers import load_questionnaire
from importers.library import load_library_table
from tests.importers.caiq_marks import caiq_v31, zh_marks
from tests.importers.imp_fixtures import xlsx_bytes


def test_caiq_v31_choice_columns_are_one_answer_field_with_their_headers_as_choices():
    q = load_questionnaire(xlsx_bytes(caiq_v31()), "caiq.xlsx")
    sheet, = [s for s in q.sheets if not s.skipped]
    assert sheet.columns["question"] == "E" and sheet.columns["answer"] == "F" and sheet.columns["comment"] == "I"
    assert [x.qid for x in q.questions] == ["AIS-01.1", "AIS-01.2", "AIS-02.1", "BCR-01.1"]
    first, second, third, _ = q.questions
    assert first.choices == ["Yes", "No", "Not Applicable"]
    assert first.answer_at.extra["marks"] == {"Yes": 6, "No": 7, "Not Applicable": 8}
    assert first.answer_at.extra["mark"] == "X"  # the mark the sheet uses
    assert (first.existing_answer, second.existing_answer, third.existing_answer) == ("Yes", "No", None)
    assert first.marked_cell("Not Applicable") == "H4"
    assert first.comment_at.cell == "I4"


def test_flat_header_and_chinese_choices():
    q = load_questionnaire(xlsx_bytes(zh_marks()), "zh.xlsx")
    first, second, _ = q.questions
    assert first.choices == ["符合", "部分符合", "不符合", "不适用"]
    assert first.existing_answer == "符合" and second.existing_answer is None
    assert second.answer_at.extra["mark"] == "√"
    assert second.marked_cell("不适用") == "F3"
    assert q.sheets[0].columns["comment"] == "G"


def test_a_yes_no_dropdown_column_is_not_a_mark_run():
    from tests.importers.imp_fixtures import simple_questionnaire
    q = load_questionnaire(xlsx_bytes(simple_questionnaire()), "plain.xlsx")
    assert all("marks" not in (x.answer_at.extra if x.answer_at else {}) for x in q.questions)


def test_library_import_reads_the_header_of_the_marked_column():
    table = load_library_table(xlsx_bytes(caiq_v31()), "caiq.xlsx")
    got = [(r.ref, r.answer_short, r.answer_full) for r in table.rows]
    assert got == [("AIS-01.1", "Yes", "We follow OWASP SAMM."), ("AIS-01.2", "No", ""),
                   ("AIS-02.1", "", ""), ("BCR-01.1", "", "Customer note: ask legal.")]
    assert table.mapping["sheets"]["CAIQ v3.1"]["columns"]["answer"] == "F"


def test_library_import_of_a_flat_chinese_mark_form():
    table = load_library_table(xlsx_bytes(zh_marks()), "zh.xlsx")
    assert [(r.ref, r.answer_short, r.answer_full) for r in table.rows][0] == ("1", "符合", "统一身份认证")
    assert "id" in table.mapping["sheets"]["自评表"]["columns"]


def test_library_import_without_vertical_merges():
    table = load_library_table(xlsx_bytes(caiq_v31(merge_down=False)), "caiq.xlsx")
    assert [r.answer_short for r in table.rows] == ["Yes", "No", "", ""]


def test_any_mark_a_person_uses_reads_as_the_columns_header():
    rows = [("A-1", f"A-1.{i}", f"Question number {i} about encryption of customer data?", *marks, None)
            for i, marks in enumerate([("✓", None, None), (None, "√", None), (None, None, "是"), ("yes", None, None)])]
    table = load_library_table(xlsx_bytes(caiq_v31(rows)), "caiq.xlsx")
    assert [r.answer_short for r in table.rows] == ["Yes", "No", "Not Applicable", "Yes"]
    q = load_questionnaire(xlsx_bytes(caiq_v31(rows)), "caiq.xlsx")
    assert q.questions[0].answer_at.extra["mark"] in ("✓", "√")  # a symbol, never the word "yes"
