"""`vault autofill` on every format, through exporters/filled.py; the JSON report keeps its shape."""
from __future__ import annotations

import io
import json

from docx import Document

from tests.questionnaires.builders import DOCX_DIR, QUESTIONNAIRES, add_library

REPORT_KEYS = ["sheet", "row", "question_cell", "answer_cell", "question_id", "question", "status", "answer",
               "confidence", "candidates", "flags", "reason"]


def _autofill(runner, src, tmp_path, name):
    out, rep = tmp_path / name, tmp_path / "report.json"
    result = runner.invoke(args=["autofill", str(src), "-o", str(out), "--report", str(rep)])
    assert result.exit_code == 0, result.output
    report = json.loads(rep.read_text(encoding="utf-8"))
    assert list(report) == ["questions", "summary"]
    assert all(list(r) == REPORT_KEYS for r in report["questions"])
    return out.read_bytes(), report, result.output


def test_autofill_docx_paragraphs(app, runner, tmp_path):
    add_library(app)
    d = Document()
    d.add_paragraph("1. Is customer data encrypted at rest?")
    d.add_paragraph("")
    d.add_paragraph("2. What is the airspeed velocity of an unladen swallow?")
    d.add_paragraph("")
    src = tmp_path / "in.docx"
    d.save(src)
    data, report, output = _autofill(runner, src, tmp_path, "out.docx")
    assert report["summary"]["total"] == 2
    texts = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    if report["questions"][0]["status"] == "filled":
        assert texts[1] == "Yes"
    assert "2 questions" in output


def test_autofill_vsaq_and_asvs(app, runner, tmp_path):
    add_library(app)
    data, report, _ = _autofill(runner, QUESTIONNAIRES / "vsaq_webapp.json", tmp_path, "answers.json")
    assert report["summary"]["total"] == 73 and isinstance(json.loads(data), dict)
    data, report, _ = _autofill(runner, DOCX_DIR / "owasp_asvs_4.0.3-en.docx", tmp_path, "asvs.docx")
    assert report["summary"]["total"] == 312 and data[:2] == b"PK"
