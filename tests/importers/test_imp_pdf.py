"""PDF questionnaires: AcroForm fields, questions in the text, and broken, encrypted or
hostile PDFs (parsed in a bounded child process)."""
from __future__ import annotations

import os
import time

import pytest

from importers import ImportErrorWithContext, Limits, load_questionnaire
from importers.pdf_reader import text_questions
from importers.safety import Deadline
from importers.sandbox import SandboxError, run_bounded

from tests.corpus import need, pdf
from tests.importers.imp_fixtures import make_pdf


def load(name: str, **kw):
    return load_questionnaire(str(need(pdf(name))), **kw)


def stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def text_page_pdf(lines: list[str]) -> bytes:
    ops = b"BT /F1 11 Tf 14 TL 60 760 Td " + b" ".join(
        b"(" + ln.encode("latin-1").replace(b"(", b"\\(").replace(b")", b"\\)") + b") Tj T*"
        for ln in lines) + b" ET"
    return make_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        stream(ops),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def form_pdf() -> bytes:
    """A form with a labelled text field (no tooltip), a checkbox, a radio group and a
    list box whose options are [export, display] pairs."""
    label = b"BT /F1 11 Tf 60 700 Td (1. Company name:) Tj ET BT /F1 11 Tf 60 600 Td (Hosting) Tj ET"
    ap_on, ap_off = b"10 0 R", b"11 0 R"
    return make_pdf([
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R 8 0 R 12 0 R] >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 7 0 R 9 0 R 13 0 R 12 0 R] >>",
        stream(label),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        # 6: text field, label only on the page
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (company) /Rect [180 695 400 712] /V (Acme Ltd) >>",
        # 7: checkbox with an export state "Agreed"
        b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (agree) /TU (Do you accept the terms?) "
        b"/Rect [60 650 72 662] /V /Off /AP << /N << /Agreed " + ap_on + b" /Off " + ap_off + b" >> >> >>",
        # 8: radio group (parent) with kid widget 9 and 13
        b"<< /FT /Btn /Ff 49152 /T (hosting) /TU (Where is the service hosted?) /V /Cloud "
        b"/Kids [9 0 R 13 0 R] >>",
        b"<< /Type /Annot /Subtype /Widget /Parent 8 0 R /Rect [120 600 132 612] "
        b"/AP << /N << /Cloud " + ap_on + b" /Off " + ap_off + b" >> >> >>",
        stream(b""),
        stream(b""),
        # 12: list box with [export display] options
        b"<< /Type /Annot /Subtype /Widget /FT /Ch /T (tier) /TU (Support tier) /Rect [60 500 200 540] "
        b"/Opt [[(g) (Gold)] [(s) (Silver)] (Bronze)] >>",
        b"<< /Type /Annot /Subtype /Widget /Parent 8 0 R /Rect [160 600 172 612] "
        b"/AP << /N << /OnPrem " + ap_on + b" /Off " + ap_off + b" >> >> >>",
    ])


# ------------------------------------------------------------------ real files

def test_sf424_acroform():
    q = load("SF424_page2.pdf")
    assert q.source_format == "pdf" and len(q.questions) == 17 and not q.warnings
    names = [x.qid for x in q.questions]
    assert names[:5] == ["ApplicantType1", "ApplicantType2", "ApplicantType3", "ApplicantOther",
                         "FederalAgencyName"]
    assert "cfda.1" in names and "CFDATitleProgram.1" in names  # kids named parent.kid
    assert not {"Hider", "Hider2", "home"} & set(names)  # push buttons are not questions
    t1 = q.questions[0]
    assert t1.text == "Choose type of applicant from the list of values presented."  # /TU
    assert t1.choices[0] == "A. State" and len(t1.choices) == 15  # blank option dropped
    assert t1.answer_at.kind == "pdf-field" and t1.answer_at.extra["field"] == "ApplicantType1"
    assert t1.answer_at.extra["page"] == 1 and t1.answer_at.extra["field_type"] == "choice"
    agency = q.questions[4]
    assert agency.existing_answer == "U.S. Department of Interior, Fish and Wildlife Service"
    # no tooltip: the printed label nearest to the field is the question
    d2 = next(x for x in q.questions if x.qid == "cfda.2")
    assert d2.text == "11. Catalog of Federal Domestic Assistance Number:"
    assert d2.answer_at.extra["max_len"] == 1


def test_aws_guide_is_not_a_questionnaire():
    q = load("aws-security-incident-response-guide.pdf")
    assert any("does not look like a questionnaire" in w and "77 pages" in w for w in q.warnings)
    assert 50 <= len(q.questions) <= 100  # the planning checklists are real questions
    assert q.questions[1].text == "How many AWS accounts do you have?"
    assert q.questions[1].answer_at.kind == "pdf-text" and q.questions[1].answer_at.row == 19
    assert not any("...." in x.text for x in q.questions)  # table of contents lines skipped


def test_multilang_has_no_questions():
    q = load("multilang.pdf")
    assert q.questions == []
    assert q.warnings == ["this PDF does not look like a questionnaire: no form fields and no "
                          "questions in its text (1 pages)"]


@pytest.mark.parametrize("name", ["crazyones-encrypted-256.pdf", "r6-user-password.pdf"])
def test_encrypted_pdfs_are_refused(name):
    with pytest.raises(ImportErrorWithContext, match=rf'"{name}": the PDF is password-protected'):
        load(name)


def test_truncated_pdf_is_refused():
    with pytest.raises(ImportErrorWithContext, match="damaged or truncated"):
        load("DERIVED-truncated-aws-security-incident-response-guide.pdf")


@pytest.mark.parametrize("name", ["missing_info.pdf", "outlines-with-invalid-destinations.pdf",
                                  "Seige_of_Vicksburg_Sample_OCR.pdf"])
def test_odd_but_valid_pdfs_do_not_crash(name):
    q = load(name)
    assert q.source_format == "pdf"


# ------------------------------------------------------------------ generated files

def test_generated_form_fields():
    q = load_questionnaire(form_pdf(), "form.pdf")
    by = {x.qid: x for x in q.questions}
    assert list(by) == ["company", "agree", "hosting", "tier"]
    assert by["company"].text == "1. Company name:" and by["company"].existing_answer == "Acme Ltd"
    assert by["agree"].choices == ["Agreed", "Off"] and by["agree"].existing_answer is None
    assert by["agree"].answer_at.extra["field_type"] == "checkbox"
    hosting = by["hosting"]
    assert hosting.text == "Where is the service hosted?"
    assert hosting.choices == ["Cloud", "OnPrem"] and hosting.existing_answer == "Cloud"
    assert hosting.answer_at.extra["field_type"] == "radio" and hosting.answer_at.extra["widgets"] == 2
    assert by["tier"].choices == ["Gold", "Silver", "Bronze"]


def test_generated_text_questionnaire():
    data = text_page_pdf([
        "Vendor Security Questionnaire",
        "1. Do you encrypt customer data at rest?",
        "1.2 Describe your incident response process.",
        "2. Is multi-factor authentication enforced for all",
        "administrators?",
        "This sentence is only information.",
        "Q3 Please provide your latest SOC 2 report.",
    ])
    q = load_questionnaire(data, "vq.pdf")
    assert [(x.qid, x.text) for x in q.questions] == [
        ("1", "Do you encrypt customer data at rest?"),
        ("1.2", "Describe your incident response process."),
        ("2", "Is multi-factor authentication enforced for all administrators?"),
        ("Q3", "Please provide your latest SOC 2 report.")]
    assert all(x.question_at.kind == "pdf-text" and x.question_at.extra["page"] == 1 for x in q.questions)
    assert not any("does not look like" in w for w in q.warnings)


def test_text_question_rules():
    pages = ["Contents ........ 3\nIs this a TOC entry? ........ 4\n• What is your RTO?\nPlain text."]
    found = text_questions(pages, Deadline(10, "x"))
    assert [(p, n, t) for p, _, n, t in found] == [(1, None, "What is your RTO?")]


def test_scanned_pdf_without_text_is_refused():
    blank = make_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                      b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"])
    with pytest.raises(ImportErrorWithContext, match="no text layer"):
        load_questionnaire(blank, "scan.pdf")


def test_page_limit():
    with pytest.raises(ImportErrorWithContext, match=r"77 pages \(the limit is 10\)"):
        load("aws-security-incident-response-guide.pdf", limits=Limits(max_pdf_pages=10))


def test_garbage_after_pdf_magic():
    with pytest.raises(ImportErrorWithContext, match="PDF is damaged"):
        load_questionnaire(b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n", "junk.pdf")


# ------------------------------------------------------------------ the sandbox

def test_sandbox_runs_in_another_process():
    assert run_bounded("importers.sandbox:child_pid", b"", {}, memory_bytes=None, seconds=30) != os.getpid()


def test_sandbox_timeout_kills_the_child():
    start = time.monotonic()
    with pytest.raises(SandboxError) as info:
        run_bounded("importers.sandbox:child_sleep", b"", {"seconds": 30}, memory_bytes=None, seconds=1.5)
    assert info.value.kind == "timeout" and time.monotonic() - start < 10


def test_sandbox_memory_limit():
    with pytest.raises(SandboxError) as info:
        run_bounded("importers.sandbox:child_allocate", b"", {"mb": 2048},
                    memory_bytes=512 * 1024 * 1024, seconds=30)
    assert info.value.kind == "memory"


def test_pdf_memory_limit_is_a_clear_error():
    with pytest.raises(ImportErrorWithContext, match="more than 1 MB of memory"):
        load("SF424_page2.pdf", limits=Limits(max_pdf_memory_bytes=1024 * 1024))


def test_pdf_time_limit_is_a_clear_error():
    with pytest.raises(ImportErrorWithContext, match="took longer than"):
        load("aws-security-incident-response-guide.pdf", limits=Limits(max_seconds=0.05))
