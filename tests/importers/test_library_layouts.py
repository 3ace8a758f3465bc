"""Library files laid out as public questionnaires are (CAIQ v4, HECVAT, CIS): the detection must not
need our own header names."""
import csv
import io

from importers.library import load_library_table


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
