"""Library files: header detection, encodings, row problems, all-or-nothing, re-import updates."""
import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from answers.library.importing import apply_import, plan_import
from answers.library.models import LibraryEntry
from vault.audit import Actor
from importers.library import load_library_table
from importers.model import ImportErrorWithContext
from vault import db
from tests.conftest import SHARED_DATA


def _csv(rows, encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def test_headers_are_detected_below_a_title_and_rows_mapped():
    data = _csv([["Security answer library 2026"], [],
                 ["Ref", "Question", "Answer", "Details", "Category", "Tags"],
                 ["IAM-01", "Do you enforce MFA?", "Yes", "TOTP or WebAuthn for all staff.", "Identity", "mfa, sso"],
                 ["ENC-01", "Describe encryption at rest.", "All data is encrypted with AES-256 in every store.", "",
                  "Crypto", ""]])
    table = load_library_table(data, "lib.csv")
    assert table.mapping["sheets"]["csv"]["header_row"] == 3
    first, second = table.rows
    assert (first.ref, first.answer_short, first.answer_full, first.tags) == (
        "IAM-01", "Yes", "TOTP or WebAuthn for all staff.", ["mfa", "sso"])
    assert (second.answer_short, second.answer_full) == ("", "All data is encrypted with AES-256 in every store.")
    assert second.row == 5


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_chinese_library_in_the_encodings_excel_writes(encoding):
    data = _csv([["编号", "问题", "回答", "备注"], ["ZH-1", "是否启用多因素认证？", "是", "所有员工均启用"]], encoding)
    table = load_library_table(data, "库.csv")
    assert [(r.ref, r.question, r.answer_short, r.answer_full) for r in table.rows] == [
        ("ZH-1", "是否启用多因素认证？", "是", "所有员工均启用")]


def test_unreadable_rows_are_reported_with_row_numbers_and_reasons():
    data = _csv([["id", "question", "answer"], ["A-1", "Q one?", "Yes"], ["A-2", "", "Orphan answer"],
                 ["A-3", "Q three?", ""], ["A-1", "Duplicate?", "No"], ["A-4", "Q four?", "No"]])
    table = load_library_table(data, "lib.csv")
    assert [r.ref for r in table.rows] == ["A-1", "A-3", "A-4"]
    assert [str(p) for p in table.problems] == [
        "row 3: the row has an answer but no question text",
        'row 5: id "A-1" is used again (first at row 2)']
    assert [str(n) for n in table.notes] == ["row 4: no answer yet: kept as a draft"]
    assert [r.ref for r in table.unanswered] == ["A-3"]


def test_xlsx_library_and_not_a_table_errors():
    wb = Workbook()
    ws = wb.active
    ws.title = "Answers"
    ws.append(["Control ID", "Question", "Response", "Comments"])
    ws.append(["BCP-01", "Do you test your business continuity plan yearly?", "Yes", "Tabletop each spring."])
    buf = io.BytesIO()
    wb.save(buf)
    table = load_library_table(buf.getvalue(), "lib.xlsx")
    assert [(r.sheet, r.row, r.ref, r.answer_short) for r in table.rows] == [("Answers", 2, "BCP-01", "Yes")]
    with pytest.raises(ImportErrorWithContext, match="no table with a question column"):
        load_library_table(_csv([["a", "b"], ["1", "2"]]), "numbers.csv")
    with pytest.raises(ImportErrorWithContext, match="empty"):
        load_library_table(b"  ", "empty.csv")


def test_import_twice_updates_by_reference_id_instead_of_duplicating(app):
    first = _csv([["id", "question", "answer"], ["IAM-01", "Do you enforce MFA?", "Yes"],
                  ["ENC-01", "Is data encrypted at rest?", "Yes"]])
    second = _csv([["id", "question", "answer"], ["IAM-01", "Do you enforce MFA?", "No"],
                   ["ENC-01", "Is data encrypted at rest?", "Yes"], ["LOG-01", "Do you keep audit logs?", "Yes"]])
    with app.app_context():
        sess = db.session()
        plan = plan_import(sess, load_library_table(first, "lib.csv"))
        apply_import(sess, plan, Actor(label="t"))
        sess.commit()
        plan = plan_import(sess, load_library_table(second, "lib.csv"))
        assert plan.summary() == {"create": 1, "update": 1, "unchanged": 1, "problems": 0, "unanswered": 0}
        apply_import(sess, plan, Actor(label="t"))
        sess.commit()
        assert sess.scalar(select(func.count()).select_from(LibraryEntry)) == 3
        assert sess.scalar(select(LibraryEntry.answer_short).where(LibraryEntry.ref == "IAM-01")) == "No"


def test_real_asvs_csv_without_answers_imports_as_draft_questions(app):
    # The ASVS CSV has requirement text and ids but no answer column: a library of questions still
    # to answer. Every requirement becomes a matchable draft; nothing is skipped.
    data = (SHARED_DATA / "questionnaires/zh/owasp_asvs_4.0.3-en.csv").read_bytes()
    table = load_library_table(data, "asvs.csv")
    assert table.problems == []
    assert len(table.rows) == len(table.unanswered) == len(table.notes) == 286
    assert table.rows[0].ref == "V1.1.1" and table.rows[0].question.startswith("Verify the use of a secure")
    with app.app_context():
        sess = db.session()
        plan = plan_import(sess, table)
        assert plan.summary()["create"] == plan.summary()["unanswered"] == 286
        apply_import(sess, plan, Actor(label="t"))
        sess.commit()
        statuses = set(sess.scalars(select(LibraryEntry.status)))
        assert statuses == {"draft"}


def test_reimport_without_answers_keeps_the_libraries_answers(app):
    answered = _csv([["id", "question", "answer"], ["IAM-01", "Do you enforce MFA?", "Yes"]])
    questions_only = _csv([["id", "question", "category"], ["IAM-01", "Do you enforce MFA?", "Identity"],
                           ["IAM-02", "Do you review access quarterly?", "Identity"]])
    with app.app_context():
        sess = db.session()
        apply_import(sess, plan_import(sess, load_library_table(answered, "a.csv")), Actor(label="t"))
        sess.commit()
        plan = plan_import(sess, load_library_table(questions_only, "q.csv"))
        assert plan.summary() == {"create": 1, "update": 1, "unchanged": 0, "problems": 0, "unanswered": 1}
        apply_import(sess, plan, Actor(label="t"))
        sess.commit()
        rows = {e.ref: e for e in sess.scalars(select(LibraryEntry))}
        assert (rows["IAM-01"].answer_short, rows["IAM-01"].status, rows["IAM-01"].category) == (
            "Yes", "approved", "Identity")
        assert (rows["IAM-02"].answer_short, rows["IAM-02"].answer_full, rows["IAM-02"].status) == ("", "", "draft")
