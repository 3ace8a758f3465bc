"""Importer errors and row problems reach a Chinese user in Chinese (file, sheet and row included), while
str() and the CLI keep the English text; every N_ template of the importers is in the zh catalogue."""
from __future__ import annotations

import ast
import html
import io
import re
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from importers import ImportErrorWithContext, Limits, load_questionnaire
from importers.library import load_library_table
from tests.importers.imp_fixtures import simple_questionnaire, xlsx_bytes
from vault import audit, db
from vault.i18n import localized, localized_reason

ROOT = Path(__file__).resolve().parents[2]
ZH_PO = ROOT / "vault" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
LIBRARY_CSV = ("ID,Question,Answer\n"
               "IAM-01,Do you enforce MFA?,Yes\n"
               "BAD-1,,An answer without a question\n"
               "NEW-1,Do you rotate keys?,\n").encode()


def _page(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _zip_without_workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    return buf.getvalue()


def _error(call) -> ImportErrorWithContext:
    with pytest.raises(ImportErrorWithContext) as info:
        call()
    return info.value


# --- through the web, in Chinese ------------------------------------------------------------------

def test_empty_questionnaire_upload_is_explained_in_chinese_and_audited_in_english(app, client_as):
    c = client_as("security")
    resp = c.post("/questionnaires/new?lang=zh", data={"customer": "Acme", "file": (io.BytesIO(b""), "问卷.xlsx")},
                  content_type="multipart/form-data")
    page = _page(resp)
    assert "“问卷.xlsx”：文件为空" in page
    assert "the file is empty" not in page
    with app.app_context():
        refused = audit.query_events(db.session(), action="questionnaire.upload")
    assert refused[0].detail["reason"] == '"问卷.xlsx": the file is empty'  # the log stays English


def test_zip_that_is_not_a_workbook_is_explained_in_chinese(client_as):
    c = client_as("security")
    resp = c.post("/questionnaires/new?lang=zh",
                  data={"customer": "Acme", "file": (io.BytesIO(_zip_without_workbook()), "q.xlsx")},
                  content_type="multipart/form-data")
    assert "“q.xlsx”：这是 zip 压缩包，不是 Excel 工作簿或 Word 文档" in _page(resp)

    resp = c.post("/library/import?lang=zh", data={"file": (io.BytesIO(_zip_without_workbook()), "答案库.xlsx"),
                                                  "default_status": "approved"}, content_type="multipart/form-data")
    page = _page(resp)
    assert resp.status_code == 400
    assert "“答案库.xlsx”：该 zip 文件不是 Excel 工作簿" in page and "not an Excel workbook" not in page


def test_library_preview_shows_row_problems_and_notes_in_chinese(client_as):
    c = client_as("security")
    resp = c.post("/library/import?lang=zh", data={"file": (io.BytesIO(LIBRARY_CSV), "lib.csv"),
                                                  "default_status": "approved"}, content_type="multipart/form-data")
    assert resp.status_code == 302
    page = _page(c.get(resp.headers["Location"] + "?lang=zh"))
    assert re.search(r">3</td>\s*<td[^>]*>该行有答案，但没有问题文本<", page)
    assert re.search(r">4</td>\s*<td[^>]*>尚无答案：保留为草稿<", page)
    assert "带备注导入的行：1" in page
    assert "no question text" not in page and "kept as a draft" not in page
    english = _page(c.get(resp.headers["Location"] + "?lang=en"))
    assert re.search(r">3</td>\s*<td[^>]*>the row has an answer but no question text<", english)


# --- the rendering itself: context words, parameters --------------------------------------------

def test_too_large_file_via_limits_in_chinese_with_parameters(app):
    data = b"question,answer\n" + b"x" * 2_100_000
    lib = _error(lambda: load_library_table(data, "答案.csv", limits=Limits(max_file_bytes=2_000_000)))
    qn = _error(lambda: load_questionnaire(data, "问卷.csv", limits=Limits(max_file_bytes=2_000_000)))
    assert str(lib) == '"答案.csv": the file is larger than 2 MB'
    assert str(qn) == '"问卷.csv": the file is 2.1 MB; the limit is 2 MB'
    with app.test_request_context("/?lang=zh"):
        assert localized(lib) == "“答案.csv”：文件大小超过 2 MB"
        assert localized(qn) == "“问卷.csv”：该文件大小为 2.1 MB，上限为 2 MB"
    with app.test_request_context("/?lang=en"):
        assert localized(lib) == str(lib)


def test_sheet_and_row_context_in_chinese(app):
    wb = simple_questionnaire(11, title_rows=0)
    wb.active.title = "Security"
    exc = _error(lambda: load_questionnaire(xlsx_bytes(wb), "问卷.xlsx", limits=Limits(max_questions=10)))
    assert (exc.sheet, exc.row) == ("Security", 12)
    assert str(exc).startswith('"问卷.xlsx", sheet "Security", row 12: the file has more than 10 questions, ')
    with app.test_request_context("/?lang=zh"):
        assert localized(exc).startswith("“问卷.xlsx”，工作表“Security”，第 12 行：该文件中的问题超过 10 个")
        assert localized("already translated") == "already translated"  # QuestionnaireError and the like
    with app.test_request_context("/?lang=en"):
        assert localized(exc) == str(exc)


def test_row_problems_keep_english_str_and_translate_reason(app):
    table = load_library_table(LIBRARY_CSV + b"IAM-01,Again?,Yes\n" + b"X-1,Q?,Yes,\n", "lib.csv")
    reasons = [p.reason for p in table.problems]
    assert reasons == ["the row has an answer but no question text", 'id "IAM-01" is used again (first at row 2)']
    assert str(table.problems[1]) == 'row 5: id "IAM-01" is used again (first at row 2)'
    with app.test_request_context("/?lang=zh"):
        assert localized_reason(table.problems[1]) == "编号“IAM-01”重复出现（首次出现在第 2 行）"
        assert localized(table.problems[1]) == "第 5 行：编号“IAM-01”重复出现（首次出现在第 2 行）"


def test_cli_stays_english(runner, tmp_path):
    lib = tmp_path / "lib.csv"
    lib.write_bytes(LIBRARY_CSV)
    result = runner.invoke(args=["library", "import", "--dry-run", str(lib)])
    assert result.exit_code == 0, result.output
    assert "skipped row 3: the row has an answer but no question text" in result.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(args=["library", "import", str(empty)])
    assert result.exit_code == 1 and 'Error: "empty.csv": the file is empty' in result.output


# --- the catalogue ---------------------------------------------------------------------------------

def _marked(paths) -> dict[str, str]:
    """Every N_("...") template in these files -> where it is."""
    found = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
                assert isinstance(node.args[0], ast.Constant), f"{path}:{node.lineno}: N_ needs a literal"
                found[node.args[0].value] = f"{path.name}:{node.lineno}"
    return found


IMPORTER_FILES = sorted((ROOT / "importers").glob("*.py")) + [ROOT / "answers" / "questionnaires" / "service.py"]


def test_every_importer_message_is_marked():
    """An f-string or plain literal here would reach Chinese users in English."""
    for path in IMPORTER_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "id", None) if isinstance(node, ast.Call) else None
            if name in ("ImportErrorWithContext", "RowProblem"):
                reason = node.args[0] if node.func.id == "ImportErrorWithContext" else node.args[2]
                callee = getattr(reason, "func", None)
                if isinstance(reason, ast.Attribute) and reason.attr == "template":
                    continue  # a Msg's template passed on (csv_reader.damage_of builds it with N_)
                assert getattr(callee, "id", None) in ("N_", "describe_ole"), f"{path.name}:{node.lineno}"


def test_every_importer_template_is_translated():
    catalog = {m.id: m for m in read_po(ZH_PO.open("rb")) if m.id}
    templates = _marked(IMPORTER_FILES)
    assert len(templates) > 70
    for template, where in {**templates, '"%(file)s"': "vault/i18n.py", 'sheet "%(sheet)s"': "vault/i18n.py",
                            "row %(row)s": "vault/i18n.py"}.items():
        entry = catalog.get(template)
        assert entry is not None, f"{where}: not extracted: {template}"
        assert entry.string and not entry.fuzzy, f"{where}: not translated: {template}"
        assert template not in templates or re.search(r"[\u4e00-\u9fff]", entry.string), f"{where}: not Chinese"
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(template)), template
