"""The command-line contract used by the quality benchmark: init, library import, autofill."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

VAULT = str(Path(sys.executable).parent / "vault")

LIBRARY = [
    ["id", "question", "answer", "details"],
    ["IAM-01", "Do you enforce multi-factor authentication for all employees?", "Yes",
     "All staff sign in through SSO with TOTP or WebAuthn."],
    ["ENC-01", "Is customer data encrypted at rest?", "Yes", "AES-256 in every data store."],
    ["BCP-01", "Do you test your business continuity and disaster recovery plan at least annually?", "Yes",
     "Yearly failover exercise between regions."],
    ["HR-01", "Do you perform background checks on new employees?", "Yes", "Where local law permits."],
]


def vault(instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env["VAULT_INSTANCE_PATH"] = str(instance)
    result = subprocess.run([VAULT, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def _questionnaire(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["Vendor security questionnaire"])
    ws.append([])
    ws.append(["No.", "Question", "Response", "Comments"])
    ws.append(["1.1", "Does your organization enforce MFA (multi-factor authentication) for all employees?"])
    ws.append(["1.2", "Is all customer data encrypted at rest?"])
    ws.append(["1.3", "What is the airspeed velocity of an unladen swallow?"])
    dv = DataValidation(type="list", formula1='"YES,NO,N/A"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("C4:C6")
    wb.create_sheet("Instructions")["A1"] = "Fill column C."
    wb.save(path)


def _instance_with_library(tmp_path):
    """A fresh instance with LIBRARY imported from a CSV: (instance, library file, import output)."""
    instance = tmp_path / "instance"
    vault(instance, "init", "--no-input")
    lib = tmp_path / "library.csv"
    with lib.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(LIBRARY)
    return instance, lib, vault(instance, "library", "import", str(lib))


def test_import_then_autofill_writes_report_and_filled_copy(tmp_path):
    instance, lib, out = _instance_with_library(tmp_path)
    assert "created 4" in out.stdout
    again = vault(instance, "library", "import", str(lib))
    assert "created 0" in again.stdout and "unchanged 4" in again.stdout

    src, filled, report = tmp_path / "q.xlsx", tmp_path / "filled.xlsx", tmp_path / "report.json"
    _questionnaire(src)
    vault(instance, "autofill", str(src), "-o", str(filled), "--report", str(report), "--top-k", "3")

    rows = json.loads(report.read_text(encoding="utf-8"))["questions"]
    assert [(r["sheet"], r["row"], r["question_cell"], r["answer_cell"]) for r in rows] == [
        ("Security", 4, "B4", "C4"), ("Security", 5, "B5", "C5"), ("Security", 6, "B6", "C6")]
    mfa, enc, swallow = rows
    assert mfa["candidates"][0]["entry"] == "IAM-01"
    assert enc["candidates"][0]["entry"] == "ENC-01"
    for r in rows:
        assert 0.0 <= r["confidence"] <= 1.0
        assert len(r["candidates"]) <= 3
        assert [c["score"] for c in r["candidates"]] == sorted((c["score"] for c in r["candidates"]), reverse=True)
    assert swallow["status"] == "unanswered" and swallow["answer"] is None
    assert enc["status"] in ("filled", "suggested") and enc["answer"] == "YES"  # the dropdown's spelling

    ws = load_workbook(filled)["Security"]
    for r in rows:
        cell = ws[r["answer_cell"]].value
        assert cell == ("YES" if r["status"] == "filled" else None)
    assert load_workbook(filled)["Instructions"]["A1"].value == "Fill column C."
    assert ws.data_validations.dataValidation, "the dropdown survived"


def test_a_library_of_questions_without_answers_is_matched_but_never_fills(tmp_path):
    """A library built from another questionnaire's questions (id + question, no answers yet): every row
    becomes a draft entry, autofill ranks them as candidates and fills nothing from them."""
    instance = tmp_path / "instance"
    vault(instance, "init", "--no-input")
    lib = tmp_path / "questions.csv"
    with lib.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "question"]] + [[r[0], r[1]] for r in LIBRARY[1:]])
    out = vault(instance, "library", "import", str(lib))
    assert "created 4" in out.stdout and "rows with problems 0" in out.stdout
    assert "4 new entries have no answer yet" in out.stdout

    src, report = tmp_path / "q.xlsx", tmp_path / "report.json"
    _questionnaire(src)
    vault(instance, "autofill", str(src), "--report", str(report))
    mfa, enc, _swallow = json.loads(report.read_text(encoding="utf-8"))["questions"]
    assert mfa["candidates"][0]["entry"] == "IAM-01" and enc["candidates"][0]["entry"] == "ENC-01"
    assert mfa["confidence"] > 0.5
    assert {mfa["status"], enc["status"]} == {"unanswered"} and mfa["answer"] is None


def test_an_output_path_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path):
    instance = tmp_path / "instance"
    vault(instance, "init", "--no-input")
    src = tmp_path / "q.xlsx"
    _questionnaire(src)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env["VAULT_INSTANCE_PATH"] = str(instance)
    missing = tmp_path / "no-such-folder"
    for option in ("--report", "-o"):
        target = missing / ("r.json" if option == "--report" else "filled.xlsx")
        result = subprocess.run([VAULT, "autofill", str(src), option, str(target)], env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert f"{target}" in result.stderr and "No such file or directory" in result.stderr


def test_before_vault_init_the_commands_say_to_run_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env["VAULT_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["VAULT_SECRET_KEY"] = "test-secret"  # the app starts; only the database is missing
    src = tmp_path / "q.xlsx"
    _questionnaire(src)
    for args in (["autofill", str(src)], ["library", "import", str(src)]):
        result = subprocess.run([VAULT, *args], env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and "vault init" in result.stderr


def test_autofill_says_which_sheets_and_rows_it_left_out_and_why(tmp_path):
    instance = tmp_path / "instance"
    vault(instance, "init", "--no-input")
    src = tmp_path / "q.xlsx"
    _questionnaire(src)
    wb = load_workbook(src)
    ws = wb["Security"]
    ws.append(["1.4", "Is the score computed?", "=1+1"])
    wb.save(src)
    out = vault(instance, "autofill", str(src))
    assert 'sheet "Instructions" skipped:' in out.stderr
    assert 'sheet "Security": 1 question rows left out because their answer cell is a formula' in out.stderr


def test_library_import_names_the_columns_it_read_and_the_sheets_it_did_not(tmp_path):
    instance = tmp_path / "instance"
    vault(instance, "init", "--no-input")
    wb = Workbook()
    ws = wb.active
    ws.title = "Library"
    ws.append(["Ref", "Requirement", "Vendor Answer", "Notes"])
    ws.append(["IAM-01", "Do you enforce multi-factor authentication for all employees?", "Yes", "TOTP."])
    wb.create_sheet("Read me")["A1"] = "Answers reviewed by the security team every year."
    lib = tmp_path / "library.xlsx"
    wb.save(lib)
    out = vault(instance, "library", "import", str(lib))
    assert 'sheet "Library": header row 1, id A, question B, answer C, comment D' in out.stderr
    assert 'sheet "Read me": not read (no table with a question column)' in out.stderr


def test_the_filled_copy_keeps_the_answers_already_in_the_file(tmp_path):
    instance, _, _ = _instance_with_library(tmp_path)
    src, filled = tmp_path / "q.xlsx", tmp_path / "filled.xlsx"
    _questionnaire(src)
    wb = load_workbook(src)
    wb["Security"]["C5"] = "N/A"  # the customer's own answer to the encryption question
    wb["Security"]["C4"] = "Please select"  # a prompt, not an answer
    wb.save(src)
    out = vault(instance, "autofill", str(src), "-o", str(filled))
    ws = load_workbook(filled)["Security"]
    assert ws["C5"].value == "N/A" and ws["C4"].value == "YES"
    assert "1 answer cells already filled in the file were kept: 'Security'!C5" in out.stderr
