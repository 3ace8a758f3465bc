"""Upload, detection, review (keyboard, save as you go, conflict), export and report in a real Chromium
against the app on a real HTTP server with CSRF on."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import LiveServer
from tests.conftest import TEST_PASSWORD, make_app
from tests.questionnaires.builders import LIBRARY, workbook
from tests.services import free_port

pytestmark = pytest.mark.browser


def _sign_in(page, url, email):
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_upload_review_export_in_the_browser(tmp_path, browser):
    port = free_port()
    app = make_app(tmp_path, SERVER_NAME=f"127.0.0.1:{port}", WTF_CSRF_ENABLED=True, WTF_CSRF_SSL_STRICT=False)
    from answers.library import service as library
    from vault import db
    from vault.auth.service import create_user
    with app.app_context():
        sess = db.session()
        for email in ("sales@vault.test", "sec@vault.test"):
            create_user(sess, email=email, password=TEST_PASSWORD, role="sales", actor="test")
        for ref, q, short, full in LIBRARY:
            library.create_entry(sess, library.Actor(), ref=ref, question=q, answer_short=short, answer_full=full,
                                 status="approved")
        sess.commit()
    src = tmp_path / "vendor.xlsx"
    src.write_bytes(workbook())
    errors = []

    with LiveServer(app, port) as live:
        ctx = browser.new_context(accept_downloads=True)
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        _sign_in(page, live.url, "sales@vault.test")
        page.get_by_role("link", name="Questionnaires").click()
        page.get_by_role("link", name="Upload a questionnaire").click()
        page.get_by_label("Customer").fill("Acme Corp")
        page.get_by_label("Questionnaire file").set_input_files(str(src))
        page.get_by_role("button", name="Upload and detect").click()

        # Detection first: counts and columns, before anything is matched.
        assert page.locator("#detected-count").inner_text() == "4 questions"
        assert page.locator("input[name='s0-answer']").input_value() == "C"
        page.get_by_role("button", name="Match 4 questions").click()

        # Review: keyboard accept on the first card, saved as you go (no reload).
        items = page.locator(".qn-item")
        assert items.count() == 4
        first = items.nth(0)
        assert "confidence" in first.inner_text()
        page.keyboard.press("j")
        assert page.evaluate("document.activeElement.classList.contains('qn-item')")
        page.keyboard.press("a")
        page.locator(".qn-item.qn-accepted").first.wait_for()
        assert "1 of 4 answered" in page.locator("#qn-progress").inner_text()

        # Edit an answer in a dropdown: saved when changed, as an edit (not accepted until Accept).
        card = page.locator(".qn-item").nth(1)
        card.locator("select[name=answer]").select_option("NO")
        page.locator(".qn-item.qn-edited").first.wait_for()
        assert "1 of 4 answered" in page.locator("#qn-progress").inner_text()
        page.locator(".qn-item").nth(1).get_by_role("button", name="Accept", exact=True).click()
        page.locator(".qn-item.qn-accepted").nth(1).wait_for()
        assert "2 of 4 answered" in page.locator("#qn-progress").inner_text()

        # A colleague changes question 3 meanwhile: this page gets a conflict, not an overwrite.
        other = browser.new_context().new_page()
        _sign_in(other, live.url, "sec@vault.test")
        other.goto(page.url)
        other.locator(".qn-item").nth(2).get_by_role("button", name="Reject").click()
        other.locator(".qn-item.qn-rejected").first.wait_for()
        page.locator(".qn-item").nth(2).get_by_role("button", name="Save without accepting").click()
        message = page.locator(".qn-item").nth(2).locator(".qn-message")
        message.get_by_role("button", name="Keep the saved version").wait_for()
        assert "Someone else changed this question" in message.inner_text()
        message.get_by_role("button", name="Keep the saved version").click()
        page.locator(".qn-item.qn-rejected").first.wait_for()

        # Export: the customer's own workbook, filled.
        with page.expect_download() as dl:
            page.get_by_role("button", name="Download the filled file").click()
        data = open(dl.value.path(), "rb").read()
        ws = load_workbook(io.BytesIO(data))["Security"]
        assert ws["C4"].value == "YES" and ws["C5"].value == "NO" and ws["C6"].value is None
        with page.expect_download() as dl:
            page.get_by_role("link", name="Summary report (XLSX)").click()
        report = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
        assert report["Summary"]["A1"].value == "vendor.xlsx"
    # No CSP violations or script errors (the expected 409 and a missing favicon are only logged).
    assert not [e for e in errors if not e.startswith("Failed to load resource")], errors
