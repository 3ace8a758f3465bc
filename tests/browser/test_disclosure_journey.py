"""Vulnerability disclosure in a real Chromium: a reporter files a report on a phone (390 px), opens the
private link from the acknowledgement, and a security engineer triages it at desktop width. No page scrolls
sideways, in English and Chinese. SCREENSHOTS=<dir> saves every page looked at."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer, sign_in
from tests.disclosure.builders import disclosure_app, private_link
from tests.services import free_port

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"disclosure-{name}.png"), full_page=True)


def _no_overflow(page, where: str) -> None:
    m = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert m[0] <= m[1], (where, m)


@pytest.fixture
def live(tmp_path, smtp_sink, make_user):
    port = free_port()
    app = disclosure_app(tmp_path, smtp_sink, SERVER_NAME=f"127.0.0.1:{port}", PUBLIC_BASE_URL=None,
                         DISCLOSURE_MIN_FILL_SECONDS=1)
    from vault import db
    from vault.auth.service import create_user
    from tests.conftest import TEST_PASSWORD
    with app.app_context():
        create_user(db.session(), email="sec@vault.test", password=TEST_PASSWORD, role="security", actor="test")
        from vault.db import utcnow
        from vault.disclosure.demo import load_demo_disclosure
        from vault.disclosure.service import list_reports
        load_demo_disclosure(db.session(), utcnow().date())
        db.session().commit()
        uids = [r.uid for r in list_reports(db.session())]
    with LiveServer(app, port) as server:
        server.demo_uids = uids
        yield server
    app.extensions["vault.engine"].dispose()


def test_reporter_files_on_a_phone_and_staff_triage(live, browser, smtp_sink, tmp_path):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en")
    page = phone.new_page()
    page.goto(f"{live.url}/trust/security/disclosure")
    _no_overflow(page, "policy 390")
    _shot(page, "policy-en-390")
    page.get_by_role("link", name="Report a vulnerability").last.click()
    page.wait_for_url("**/trust/security/report")
    _no_overflow(page, "form 390")
    assert not page.locator("#website").is_visible()  # the honeypot
    page.get_by_label("Title").fill("Session cookie without Secure flag")
    page.get_by_label("Affected product or URL").fill("https://app.example.com/login")
    page.get_by_label("How severe do you think it is?").select_option("medium")
    page.get_by_label("Description and steps to reproduce").fill(
        "Sign in over HTTPS and look at the cookie: the Secure attribute is missing, so it leaks over HTTP.")
    poc = tmp_path / "cookie.txt"
    poc.write_text("Set-Cookie: session=abc; HttpOnly; Path=/\n")
    page.get_by_label("Attachments (optional)").set_input_files(str(poc))
    page.get_by_label("Your email").fill("finder@research.example")
    page.get_by_label("Your name (optional)").fill("Ada Finder")
    credit = page.locator("#credit")
    box, label = credit.bounding_box(), page.locator("label[for=credit]").bounding_box()
    assert abs(box["y"] - label["y"]) < label["height"]  # the checkbox sits on its label's line
    _shot(page, "form-en-390")
    page.wait_for_timeout(1200)  # the minimum fill time
    page.get_by_role("button", name="Send the report").click()
    page.get_by_text("Your reference is").wait_for()
    reference = page.locator("main p").first.inner_text().split("is ")[1].rstrip(".")
    assert reference.startswith("VR-")
    _no_overflow(page, "received 390")
    _shot(page, "received-en-390")
    page.goto(live.url + private_link(smtp_sink, "finder@research.example"))
    assert "Session cookie without Secure flag" in page.content()
    _no_overflow(page, "status 390")
    _shot(page, "status-en-390")
    phone.close()

    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en")
    staff = desk.new_page()
    sign_in(staff, live, "sec@vault.test")
    staff.goto(f"{live.url}/admin/disclosure/")
    _shot(staff, "staff-list-en-1366")
    staff.get_by_role("link", name=reference).click()
    assert "due in 3 days" in staff.content()
    staff.locator("#state").select_option("triaged")
    staff.locator("#severity").select_option("high")
    staff.get_by_role("button", name="Save").click()
    staff.get_by_text("the report is now “Triaged”").wait_for()
    staff.get_by_label("Reply to the reporter").fill("Thanks, we can reproduce it.")
    staff.get_by_role("button", name="Send reply").click()
    staff.get_by_text("Reply sent to the reporter.").wait_for()
    _no_overflow(staff, "detail 1366")
    _shot(staff, "staff-detail-en-1366")
    desk.close()


@pytest.mark.parametrize("width", (390, 1366))
def test_pages_fit_in_both_languages(live, browser, width):
    for lang in ("en", "zh"):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        for path, name in (("/trust/security/disclosure", "policy"), ("/trust/security/report", "form"),
                           ("/trust/security/thanks", "thanks")):
            page.goto(f"{live.url}{path}?lang={lang}")
            _no_overflow(page, f"{path} {lang} {width}")
            _shot(page, f"{name}-{lang}-{width}")
        sign_in(page, live, "sec@vault.test")
        page.goto(f"{live.url}/admin/disclosure/?lang={lang}")
        _no_overflow(page, f"staff {lang} {width}")
        _shot(page, f"staff-list-{lang}-{width}")
        for n, uid in enumerate(live.demo_uids):
            page.goto(f"{live.url}/admin/disclosure/{uid}?lang={lang}")
            _no_overflow(page, f"detail {uid} {lang} {width}")
            _shot(page, f"staff-detail{n}-{lang}-{width}")
        context.close()
