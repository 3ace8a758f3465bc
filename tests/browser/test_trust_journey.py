"""The whole prospect journey in a real Chromium against the app on a real HTTP server: public page,
request, email from the SMTP sink, confirm, NDA, approval by staff (second browser context), download,
the watermark text in the PDF; then revoke, and the link is dead."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.access.builders import LINK, last_mail_to, mail_text, seed, trust_app
from tests.browser.conftest import LiveServer
from tests.conftest import TEST_PASSWORD
from tests.services import free_port

pytestmark = pytest.mark.browser

PROSPECT = "li.wei@buyer.example"


def _link(smtp_sink, email: str, fragment: str) -> str:
    urls = [u for u in LINK.findall(mail_text(last_mail_to(smtp_sink, email))) if fragment in u]
    assert urls, mail_text(last_mail_to(smtp_sink, email))
    return urls[0]


def test_prospect_journey_end_to_end(tmp_path, smtp_sink, browser):
    port = free_port()
    app = trust_app(tmp_path, smtp_sink, SERVER_NAME=f"127.0.0.1:{port}", WTF_CSRF_ENABLED=True,
                    WTF_CSRF_SSL_STRICT=False)
    seed(app, tmp_path)
    from vault import db
    from vault.auth.service import create_user
    with app.app_context():
        create_user(db.session(), email="sales@vault.test", password=TEST_PASSWORD, role="sales", actor="test")
        db.session().commit()

    with LiveServer(app, port) as live:
        prospect = browser.new_context(accept_downloads=True)
        staff = browser.new_context()
        page = prospect.new_page()

        # The public trust center.
        page.goto(f"{live.url}/trust/")
        assert page.get_by_role("heading", level=1).inner_text().endswith("trust center")
        assert page.get_by_role("heading", name="ISO 27001 certificate").is_visible()
        assert page.locator(".cert-card .badge-valid").count() >= 1
        page.get_by_role("link", name="Request access to documents under NDA").click()

        # The request form.
        page.get_by_label("SOC 2 Type II report").check()
        page.get_by_label("Full name").fill("Li Wei")
        page.get_by_label("Work email").fill(PROSPECT)
        page.get_by_label("Company").fill("Buyer Ltd")
        page.get_by_label("Why do you need them? (optional)").fill("Vendor due diligence")
        page.get_by_role("button", name="Send request").click()
        assert page.get_by_role("heading", name="Check your email").is_visible()

        # The confirmation email, the confirm button (GET alone does nothing), the NDA.
        page.goto(_link(smtp_sink, PROSPECT, "/trust/confirm/"))
        page.get_by_role("button", name="Confirm my email address").click()
        assert page.get_by_role("heading", name="Non-disclosure agreement").is_visible()
        assert "MUTUAL NON-DISCLOSURE AGREEMENT" in page.locator(".nda-text").inner_text()
        page.get_by_label("Type your full name to sign").fill("Li Wei")
        page.get_by_label("I have read the non-disclosure agreement").check()
        page.get_by_role("button", name="Accept and continue").click()
        assert "waits for review" in page.locator("main").inner_text()

        # Staff sign in (another browser context) and approve.
        desk = staff.new_page()
        desk.goto(f"{live.url}/login")
        desk.get_by_label("Email").fill("sales@vault.test")
        desk.get_by_label("Password").fill(TEST_PASSWORD)
        desk.get_by_role("button", name="Sign in").click()
        desk.goto(f"{live.url}/admin/access/requests")
        desk.get_by_role("link", name="Li Wei").click()
        assert "Buyer Ltd" in desk.locator("main").inner_text()
        desk.get_by_role("button", name="Approve and email the access link").click()
        assert "Approved" in desk.locator(".flash").inner_text()

        # The personal link, the download, the watermark.
        access = _link(smtp_sink, PROSPECT, "/trust/access/")
        page.goto(access)
        with page.expect_download() as info:
            page.get_by_role("link", name="Download SOC 2 Type II report").click()
        download = info.value
        target = tmp_path / "downloaded.pdf"
        download.save_as(target)
        assert download.suggested_filename == "SOC 2 报告 2025.pdf"
        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
        assert "Li Wei" in text and PROSPECT in text and "Buyer Ltd" in text
        from sqlalchemy import select
        from vault.access.models import Download
        with app.app_context():
            assert db.session().scalar(select(Download.download_id)) in text

        # Revoke; the same link in the same browser is dead at once.
        desk.goto(f"{live.url}/admin/access/grants")
        desk.get_by_role("button", name="Revoke").click()
        assert "revoked" in desk.locator(".flash").inner_text()
        dead = page.goto(access)
        assert dead.status == 410  # a page that says so, with a way to ask again
        page.get_by_role("link", name="Request access again").click()
        assert page.get_by_role("heading", name="Request access to documents under NDA").is_visible()
        prospect.close()
        staff.close()
    app.extensions["vault.engine"].dispose()
