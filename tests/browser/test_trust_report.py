"""Custom trust report, the key journey in a real Chromium: staff open the report page from a grant
(phone and desktop widths, English and Chinese: no overflow, checkboxes beside their labels), search the
library, tick an answer, generate; the prospect's access page then lists the report and it downloads as a
PDF. SCREENSHOTS=<dir> saves the pages and a picture of the report's first content page."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import select

from tests.access.builders import access_link, approve, journey_to_review, request_uid, seed, trust_app
from tests.browser.conftest import LiveServer
from tests.browser.test_layout_issue15 import _no_overflow, _same_line, _sign_in
from tests.conftest import TEST_PASSWORD
from tests.services import free_port
from tests.trustreports.builders import add_content

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def live(tmp_path, smtp_sink):
    port = free_port()
    app = trust_app(tmp_path, smtp_sink, SERVER_NAME=f"127.0.0.1:{port}")
    seeded = seed(app, tmp_path)
    add_content(app)
    from vault import db
    from vault.access.models import Grant
    from vault.auth.service import create_user
    with app.app_context():
        sess = db.session()
        admin = create_user(sess, email="administrator@vault.test", password=TEST_PASSWORD, role="admin",
                            actor="test")
        sess.commit()
        sess.expunge(admin)
    app.test_client_class = FlaskLoginClient
    journey_to_review(app.test_client(), smtp_sink, seeded, company="Buyer Ltd 采购方")
    approve(app, app.test_client(user=admin), request_uid(app, "alice@buyer.example"), [seeded.soc2, seeded.iso])
    with app.app_context():
        grant_uid = db.session().scalar(select(Grant.uid))
    with LiveServer(app, port) as server:
        yield server, grant_uid, access_link(smtp_sink, "alice@buyer.example"), seeded
    app.extensions["vault.engine"].dispose()


@pytest.mark.parametrize("width", (390, 1366))
def test_report_page_fits_and_generates(live, browser, width, tmp_path):
    server, grant_uid, link, seeded = live
    for lang in ("en", "zh"):
        context = browser.new_context(viewport={"width": width, "height": 900})
        _sign_in(context, server.url)
        page = context.new_page()
        page.goto(f"{server.url}/admin/access/grants/{grant_uid}/report?lang={lang}")
        _no_overflow(page, f"report {lang} {width}")
        _same_line(page, "input[name=documents]", f"report {lang} {width}")
        _same_line(page, "input[name=language]", f"report {lang} {width}")
        _shot(page, f"report-choose-{lang}-{width}")
        page.locator("input[name=q]").fill("encrypt")
        page.locator("input[name=q]").press("Enter")  # Enter searches; it never generates
        page.wait_for_load_state()
        page.locator("input[name=answers][value='ENC-01']").check()
        _same_line(page, "input[name=answers]", f"report search {lang} {width}")
        _shot(page, f"report-search-{lang}-{width}")
        page.locator(f"input[name=language][value={lang}]").check()
        page.locator("button[value=generate]").click()
        page.wait_for_load_state()
        assert page.locator(".flash-success").count() == 1, page.content()
        _no_overflow(page, f"report done {lang} {width}")
        _shot(page, f"report-done-{lang}-{width}")
        context.close()
    prospect = browser.new_context(viewport={"width": width, "height": 900})
    page = prospect.new_page()
    page.goto(f"{server.url}{link}")
    row = page.locator("tr", has_text="Security and trust report for Buyer Ltd")
    assert row.count() == 1
    _shot(page, f"report-grant-{width}")
    response = page.request.get(server.url + row.locator("a.button").get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")
    if SHOTS:
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(response.body())
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(Path(SHOTS) / f"report-pdf-{width}")],
                       check=True, timeout=120)
    prospect.close()
