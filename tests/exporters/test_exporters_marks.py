"""An answer given by marking one of several choice columns is written as a mark in the chosen column."""
import io

from openpyxl import load_workbook

from exporters.filled import FilledAnswer, fill_questionnaire
from importers import load_questionnaire
from tests.importers.caiq_marks import caiq_v31, zh_marks
from tests.importers.imp_fixtures import xlsx_bytes


def _fill(src: bytes, name: str, picks):
    q = load_questionnaire(src, name)
    answers = [FilledAnswer(q.questions[i], answer, comment) for i, answer, comment in picks]
    data, written = fill_questionnaire(src, q, answers)
    return load_workbook(io.BytesIO(data)).active, written


def test_the_chosen_column_gets_the_sheets_mark_and_nothing_else_changes():
    ws, written = _fill(xlsx_bytes(caiq_v31()), "caiq.xlsx", [(2, "Not Applicable", "Not offered to customers.")])
    assert written == 2
    assert [ws[c].value for c in ("F6", "G6", "H6", "I6")] == [None, None, "X", "Not offered to customers."]
    assert ws["H6"].font.b and ws["H6"].font.color.rgb == "00FF0000"  # the cell keeps its format
    assert (ws["F4"].value, ws["G5"].value, ws["I4"].value) == ("X", "x", "We follow OWASP SAMM.")
    assert ws["F2"].value == "Consensus Assessment Answers" and "F2:H2" in {str(m) for m in ws.merged_cells.ranges}


def test_an_answer_that_is_not_one_of_the_choices_marks_nothing():
    ws, written = _fill(xlsx_bytes(caiq_v31()), "caiq.xlsx", [(3, "We think so", None)])
    assert written == 0 and [ws[c].value for c in ("F7", "G7", "H7")] == [None, None, None]


def test_chinese_form_uses_the_tick_it_already_has():
    ws, _ = _fill(xlsx_bytes(zh_marks()), "zh.xlsx", [(1, "不适用", None), (2, "部分符合", "年度演练进行中")])
    assert [ws.cell(3, c).value for c in range(3, 7)] == [None, None, None, "√"]
    assert [ws.cell(4, c).value for c in range(3, 8)] == [None, "√", None, None, "年度演练进行中"]


def test_csv_choice_columns():
    src = ("ID,Question,Yes,No,N/A,Comments\n"
           "1,Do you enforce MFA for all employees?,x,,,\n"
           "2,Is customer data encrypted at rest?,,,,\n").encode()
    q = load_questionnaire(src, "q.csv")
    assert q.questions[1].choices == ["Yes", "No", "N/A"]
    data, written = fill_questionnaire(src, q, [FilledAnswer(q.questions[1], "No", None)])
    assert data.decode().splitlines()[2] == "2,Is customer data encrypted at rest?,,x,,"
