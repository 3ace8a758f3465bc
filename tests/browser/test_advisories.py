"""Security advisories in a real Chromium at phone (390 px) and desktop (1366 px) widths, in English and
Chinese: the list, an advisory and the subscribe journey fit the screen (no sideways scrolling), the long
CVSS vector wraps, and subscribing shows the "check your inbox" page. SCREENSHOTS=<dir> saves them."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer
from tests.conftest import mail_config, make_app
from tests.services import free_port

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _fits(page, where: str) -> None:
    m = page.evaluate("() => ({doc: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert m["doc"] <= m["inner"], (where, m)


@pytest.fixture
def live(tmp_path, smtp_sink):
    from datetime import date

    from vault import db
    from vault.advisories.demo import load_demo_advisories
    port = free_port()
    app = make_app(tmp_path, **mail_config(smtp_sink.port, SERVER_NAME=f"127.0.0.1:{port}",
                                           COMPANY_NAME="Example Cloud Ltd.", WTF_CSRF_ENABLED=True))
    with app.app_context():
        sess = db.session()
        load_demo_advisories(sess, date.today())
        sess.commit()
    with LiveServer(app, port) as server:
        yield server
    app.extensions["vault.engine"].dispose()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [390, 1366])
def test_advisory_pages_fit_and_subscribe(browser, live, smtp_sink, lang, width):
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    page.goto(f"{live.url}/trust/?lang={lang}")
    page.get_by_role("link", name="安全公告" if lang == "zh" else "Security advisories").first.click()
    page.wait_for_url("**/trust/advisories")
    _fits(page, "list")
    _shot(page, f"advisories-list-{lang}-{width}")
    assert page.locator("h1").inner_text() == ("安全公告" if lang == "zh" else "Security advisories")
    page.get_by_role("link", name="TV-").first.click()
    page.wait_for_url("**/trust/advisories/TV-*")
    _fits(page, "detail")
    _shot(page, f"advisories-detail-{lang}-{width}")
    body = page.locator("main").inner_text()
    assert "CVE-2026-31337" in body and ("问卷导出中的路径遍历" if lang == "zh" else "Path traversal") in body
    vector = page.locator("code", has_text="CVSS:3.1").bounding_box()
    assert vector["x"] + vector["width"] <= width  # the long vector wraps instead of pushing the page wider

    page.goto(f"{live.url}/trust/advisories")
    page.locator("input[name=email]").fill(f"reader-{lang}-{width}@customer.example")
    page.get_by_role("button", name="订阅" if lang == "zh" else "Subscribe").click()
    page.wait_for_load_state()
    _fits(page, "subscribed")
    _shot(page, f"advisories-subscribed-{lang}-{width}")
    assert ("请查看收件箱" if lang == "zh" else "Check your inbox") in page.locator("h1").inner_text()
    assert any(f"reader-{lang}-{width}@customer.example" in m["to"] for m in smtp_sink.messages)
    context.close()
