"""The public FAQ in a real Chromium at phone (390 px) and desktop (1366 px) widths, in English and Chinese:
from the trust center to the FAQ, a search by GET (no script needed), a question's anchor, no sideways
scrolling; and the staff form's "publish" checkbox on the line of its label. SCREENSHOTS=<dir> saves pages."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer, sign_in
from tests.conftest import make_app
from tests.services import free_port

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")
SEARCH = {"en": ("encrypted", "Is customer data encrypted at rest?", "Do you enforce multi-factor"),
          "zh": ("加密", "客户数据在存储时是否加密？", "是否对所有员工账号启用多因素认证")}


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _no_overflow(page, where: str) -> None:
    m = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert m[0] <= m[1], (where, m)


@pytest.fixture
def live(tmp_path):
    port = free_port()
    app = make_app(tmp_path, SERVER_NAME=f"127.0.0.1:{port}", WTF_CSRF_ENABLED=True)
    from answers.library import service
    from answers.library.demo import load_demo_library
    from vault import db
    from vault.audit import Actor
    from vault.auth.service import create_user
    from tests.conftest import TEST_PASSWORD
    with app.app_context():
        sess = db.session()
        create_user(sess, email="security@example.com", password=TEST_PASSWORD, role="security", name="Sam",
                    actor="test")
        load_demo_library(sess, date.today())
        service.create_entry(sess, Actor(label="test"), ref="SECRET-1", question="Encrypted secret draft?",
                             answer_full="Unpublished draft text", status="draft", public=True,
                             last_reviewed_on=date.today())
        sess.commit()
    with LiveServer(app, port) as server:
        yield server
    app.extensions["vault.engine"].dispose()


@pytest.mark.parametrize("width", (390, 1366))
@pytest.mark.parametrize("lang", ("en", "zh"))
def test_from_the_trust_center_to_an_answer(browser, live, width, lang):
    query, hit, other = SEARCH[lang]
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False,
                                  locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    page.goto(f"{live.url}/trust/?lang={lang}")
    _shot(page, f"trust-{lang}-{width}")
    page.locator('a[href="/trust/faq"]').first.click()
    page.wait_for_url("**/trust/faq")
    _no_overflow(page, f"faq {lang} {width}")
    _shot(page, f"faq-{lang}-{width}")
    assert page.locator("article.faq-entry").count() >= 10
    assert page.get_by_text("Unpublished draft text").count() == 0

    page.locator("#faq-q").fill(query)
    page.locator("#faq-q").press("Enter")  # a plain GET form: works with script switched off
    page.wait_for_url("**/trust/faq?q=*")
    _no_overflow(page, f"faq search {lang} {width}")
    _shot(page, f"faq-search-{lang}-{width}")
    assert page.get_by_text(hit).count() == 1
    assert page.get_by_text(other).count() == 0
    assert page.get_by_text("Encrypted secret draft?").count() == 0

    question = page.locator("article.faq-entry h3 a").first
    anchor = question.get_attribute("href")
    question.click()
    assert page.url.endswith(anchor)
    # the search row keeps the button beside the field, also on a phone
    field, button = page.locator("#faq-q").bounding_box(), page.locator(".faq-search button").bounding_box()
    assert abs(field["y"] - button["y"]) < 10 and button["x"] + button["width"] <= width
    context.close()


@pytest.mark.parametrize("width", (390, 1366))
def test_the_publish_checkbox_sits_on_its_label_line(browser, live, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live, "security@example.com")
    page.goto(f"{live.url}/library/?q=IAM-01")
    page.locator("a", has_text="IAM-01").first.click()
    _shot(page, f"library-detail-public-{width}")
    page.locator('a[href$="/edit"]').first.click()
    box = page.locator("#public").bounding_box()
    label = page.locator('label[for="public"]').bounding_box()
    assert page.locator("#public").is_checked()  # the demo publishes IAM-01
    assert label["y"] <= box["y"] <= label["y"] + label["height"], (box, label)
    _no_overflow(page, f"edit {width}")
    _shot(page, f"library-edit-public-{width}")
    context.close()
