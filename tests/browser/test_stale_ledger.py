"""Issue #19 parts 1-2 in Chromium (real HTTP server, CSRF on): a stale answer's badge in the library and
its filter, its reason (evidence and day) on the review card, bulk accept leaving it; the ledger links to
the revision sent. With SCREENSHOTS=<dir>, the changed pages are saved at 390 and 1366 px, en and zh."""
from __future__ import annotations

import contextlib
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.conftest import LiveServer, sign_in
from tests.conftest import TEST_PASSWORD, make_app
from tests.questionnaires.builders import LIBRARY, workbook
from tests.services import free_port

pytestmark = pytest.mark.browser
TODAY = datetime.now(timezone.utc).date()
EXPIRED_SINCE = (TODAY - timedelta(days=2)).isoformat()


def _item(app, uid, qid):
    from answers.questionnaires.models import QuestionItem, Questionnaire
    from vault import db
    with app.app_context():
        sess = db.session()
        qn = sess.scalar(select(Questionnaire).where(Questionnaire.uid == uid))
        return sess.scalar(select(QuestionItem.status).where(QuestionItem.questionnaire_id == qn.id,
                                                             QuestionItem.qid == qid))


@contextlib.contextmanager
def _live(tmp_path, browser, *, locale="en-GB", viewport=None):
    """A library with ENC-01 backed by an expired SOC 2 report, a matched questionnaire, a signed-in page."""
    port = free_port()
    app = make_app(tmp_path, SERVER_NAME=f"127.0.0.1:{port}", WTF_CSRF_ENABLED=True, WTF_CSRF_SSL_STRICT=False)
    from answers.library import service as library
    from answers.library.index import app_index, synced_index
    from answers.questionnaires import service
    from tests.expiry.conftest import document
    from vault import db
    from vault.auth.service import create_user
    with app.app_context():
        sess = db.session()
        me = create_user(sess, email="sec@vault.test", password=TEST_PASSWORD, role="security", name="Sia Security",
                         actor="test")
        sess.flush()
        doc = document(app, sess, me, tmp_path, "SOC 2 Type II report", expiry=TODAY - timedelta(days=3))
        for ref, q, short, full in LIBRARY:
            library.create_entry(sess, library.Actor(), ref=ref, question=q, answer_short=short, answer_full=full,
                                 status="approved", evidence=[doc] if ref == "ENC-01" else None)
        qn = service.upload(sess, service.Actor(label="test"), customer="Acme Corp", filename="vendor.xlsx",
                            data=workbook())
        with synced_index(sess) as index:
            service.start_review(sess, service.Actor(label="test"), qn, index, app_index().entries(sess))
        sess.commit()
        uid = qn.uid
    errors = []
    with LiveServer(app, port) as live:
        page = browser.new_context(locale=locale, accept_downloads=True,
                                   **({"viewport": viewport} if viewport else {})).new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, live, "sec@vault.test")
        yield app, uid, page, live
    assert not errors, errors


def _card(page, qid):
    return page.locator(".qn-item", has=page.locator(".qn-head strong", has_text=qid))


def _row(page, ref):
    return page.locator("tbody tr", has=page.get_by_role("link", name=ref, exact=True))


def test_stale_badge_reason_and_bulk_accept_leaving_it(tmp_path, browser):
    with _live(tmp_path, browser) as (app, uid, page, live):
        page.goto(f"{live.url}/library/")
        assert "Stale answer" in _row(page, "ENC-01").inner_text()
        assert "Stale answer" not in _row(page, "IAM-01").inner_text()
        page.locator("#f-stale").check()
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(lambda url: "stale=1" in url)
        assert page.locator("tbody tr").count() == 1 and _row(page, "ENC-01").count() == 1

        page.get_by_role("link", name="ENC-01", exact=True).click()
        note = page.locator("#stale")
        assert "This answer is stale" in note.inner_text() and f"expired since {EXPIRED_SINCE}" in note.inner_text()
        assert note.get_by_role("link", name="Open the document").is_visible()

        page.goto(f"{live.url}/questionnaires/{uid}")
        why = _card(page, "1.2").locator(".qn-why")
        assert why.is_visible()
        assert "SOC 2 Type II report" in why.inner_text() and f"expired since {EXPIRED_SINCE}" in why.inner_text()
        assert "Stale answer" in _card(page, "1.2").locator(".qn-head").inner_text()
        page.locator("#threshold").fill("50")
        page.get_by_role("button", name="Bulk accept").click()
        page.wait_for_load_state()
        assert "left for a person" in page.locator("body").inner_text()
        assert _item(app, uid, "1.2") == "suggested" and _item(app, uid, "1.1") == "accepted"
        assert _card(page, "1.2").locator(".qn-why").is_visible()

        with page.expect_download():
            page.get_by_role("button", name="Download the filled file").click()
        page.goto(f"{live.url}/questionnaires/sent?entry=IAM-01")
        assert page.locator("tbody tr").count() == 1
        page.get_by_role("link", name="IAM-01, revision 1").click()
        assert "This is the current revision." in page.locator("body").inner_text()


SHOTS = os.environ.get("SCREENSHOTS")


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
@pytest.mark.parametrize("width", [390, 1366])
def test_changed_pages_fit_the_width(tmp_path, browser, locale, width):
    """No page of the stale / ledger work scrolls sideways at phone or desktop width, in en and zh.
    With SCREENSHOTS=<dir> the pages are also saved there to be looked at."""
    out = Path(SHOTS) if SHOTS else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    with _live(tmp_path, browser, locale=locale, viewport={"width": width, "height": 900}) as (app, uid, page, live):
        from answers.library import service as library
        from vault import db
        page.goto(f"{live.url}/questionnaires/{uid}")
        page.locator("#threshold").fill("50")
        page.locator("form", has=page.locator("#threshold")).locator("button[type=submit]").click()
        page.wait_for_load_state()
        with page.expect_download():
            page.locator("#export-file").click()
        with app.app_context():  # the answer changes after it was sent
            sess = db.session()
            e = library.get_by_ref(sess, "IAM-01")
            library.update_entry(sess, e, library.Actor(label="test"), answer_full="SSO with WebAuthn only.")
            sess.commit()
            iam = e.uid
            enc = library.get_by_ref(sess, "ENC-01").uid
        tag = f"{locale[:2]}-{width}"
        shots = {"library-stale": "/library/?stale=1", "library": "/library/", "entry-stale": f"/library/{enc}",
                 "entry-sent": f"/library/{iam}", "ledger": "/questionnaires/sent?superseded=1",
                 "revision": f"/library/{iam}/revision/1", "review": f"/questionnaires/{uid}"}
        for name, url in shots.items():
            page.goto(live.url + url)
            page.screenshot(path=str(out / f"{name}-{tag}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} ({tag}) is {overflow} px wider than the window"
