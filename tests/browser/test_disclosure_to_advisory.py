"""The whole disclosure journey in a real Chromium: a customer follows the advisories (double opt-in), a
researcher reports a vulnerability on a phone, the security team triages and fixes it, publishes it as an
advisory, and the customer gets exactly one mail about it (issue #15's "done when")."""
from __future__ import annotations

import re

import pytest

from tests.access.builders import LINK, mail_text, path_of
from tests.browser.conftest import LiveServer, sign_in
from tests.disclosure.builders import disclosure_app, private_link
from tests.services import free_port

pytestmark = pytest.mark.browser
FOLLOWER = "ciso@customer.example"


@pytest.fixture
def live(tmp_path, smtp_sink):
    port = free_port()
    app = disclosure_app(tmp_path, smtp_sink, SERVER_NAME=f"127.0.0.1:{port}", PUBLIC_BASE_URL=None,
                         DISCLOSURE_MIN_FILL_SECONDS=1, WTF_CSRF_ENABLED=True)
    from tests.conftest import TEST_PASSWORD
    from vault import db
    from vault.auth.service import create_user
    with app.app_context():
        create_user(db.session(), email="sec@vault.test", password=TEST_PASSWORD, role="security", actor="test")
        db.session().commit()
    with LiveServer(app, port) as server:
        yield server
    app.extensions["vault.engine"].dispose()


def _links(smtp_sink, to: str, needle: str) -> list[str]:
    return [path_of(u) for m in smtp_sink.messages if to in m["to"]
            for u in LINK.findall(mail_text(m["message"])) if needle in u]


def _set_state(staff, state: str) -> None:
    staff.locator("#state").select_option(state)
    staff.get_by_role("button", name="Save").first.click()
    staff.wait_for_load_state()


def test_report_triage_advisory_and_the_subscriber_mail(live, browser, smtp_sink, tmp_path):
    customer = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    customer.goto(f"{live.url}/trust/advisories")
    customer.locator("input[name=email]").fill(FOLLOWER)
    customer.get_by_role("button", name="Subscribe").click()
    customer.get_by_text("Check your inbox").wait_for()
    [confirm] = _links(smtp_sink, FOLLOWER, "/trust/advisories/confirm/")
    customer.goto(live.url + confirm)
    customer.get_by_role("button").filter(has_text=re.compile("Confirm", re.I)).click()
    customer.get_by_text("Subscription confirmed").wait_for()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US").new_page()
    phone.goto(f"{live.url}/trust/security/report")
    phone.get_by_label("Title").fill("Stored XSS in the document title")
    phone.get_by_label("Affected product or URL").fill("https://app.example.com/documents")
    phone.get_by_label("How severe do you think it is?").select_option("high")
    phone.get_by_label("Description and steps to reproduce").fill(
        "Name a document <img src=x onerror=alert(1)> and open the list: the script runs for every viewer.")
    phone.get_by_label("Your email").fill("finder@research.example")
    phone.get_by_label("Your name (optional)").fill("Ada Finder")
    phone.locator("#credit").check()
    phone.wait_for_timeout(1200)  # the minimum fill time
    phone.get_by_role("button", name="Send the report").click()
    assert "Your reference is" in phone.locator("main").inner_text(), phone.locator("main").inner_text()
    reference = phone.locator("main p").first.inner_text().split("is ")[1].rstrip(".")
    assert private_link(smtp_sink, "finder@research.example")  # the acknowledgement carries the private link

    staff = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    sign_in(staff, live, "sec@vault.test")
    staff.goto(f"{live.url}/admin/disclosure/")
    staff.get_by_role("link", name=reference).click()
    for state in ("triaged", "accepted", "fixed"):
        _set_state(staff, state)
    staff.get_by_role("button", name="Publish as advisory").click()
    staff.wait_for_url("**/admin/advisories/TV-*")
    advisory_id = staff.url.rsplit("/", 1)[1]
    staff.locator("[name=cvss_vector]").fill("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N")
    staff.locator("[name=affected]").fill("TrustVault Server: 4.0 - 4.1.3")
    staff.locator("[name=fixed_in]").fill("TrustVault Server: 4.1.4")
    staff.locator("[name=body_en]").fill("A document title could carry script. Fixed in 4.1.4.")
    staff.get_by_role("button", name="Save").first.click()
    staff.wait_for_load_state()
    staff.get_by_role("button", name="Publish").last.click()
    staff.wait_for_load_state()

    customer.goto(f"{live.url}/trust/advisories/{advisory_id}")
    assert "Fixed in 4.1.4" in customer.locator("main").inner_text()
    mails = [m for m in smtp_sink.messages if FOLLOWER in m["to"] and advisory_id in m["message"]["Subject"]]
    assert len(mails) == 1, [m["message"]["Subject"] for m in smtp_sink.messages]
    assert f"/trust/advisories/{advisory_id}" in mail_text(mails[0]["message"])
