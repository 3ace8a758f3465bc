"""Review never loses a reviewer's work, in Chromium against the app on a real HTTP server with CSRF on:
edit then accept, a dropdown change is an edit (with the Yes/No contradiction flag), bulk accept shown
as bulk, "match again" after the library grew."""
from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select

from tests.browser.conftest import LiveServer, sign_in
from tests.conftest import TEST_PASSWORD, make_app
from tests.questionnaires.builders import LIBRARY, workbook
from tests.services import free_port

pytestmark = pytest.mark.browser

ENC_YES = ("ENC-01", "Is customer data encrypted at rest?", "Yes", "Yes, AES-256 in every data store.")
HR = next(row for row in LIBRARY if row[0] == "HR-01")


def _add_entries(app, rows):
    from answers.library import service as library
    from vault import db
    with app.app_context():
        sess = db.session()
        for ref, q, short, full in rows:
            library.create_entry(sess, library.Actor(), ref=ref, question=q, answer_short=short, answer_full=full,
                                 status="approved")
        sess.commit()


def _item(app, uid, qid):
    from answers.questionnaires.models import QuestionItem, Questionnaire
    from vault import db
    with app.app_context():
        sess = db.session()
        qn = sess.scalar(select(Questionnaire).where(Questionnaire.uid == uid))
        item = sess.scalar(select(QuestionItem).where(QuestionItem.questionnaire_id == qn.id, QuestionItem.qid == qid))
        sess.expunge(item)
        return item


@contextlib.contextmanager
def _review(tmp_path, browser, library_rows, *, locale="en-GB", questions=None, viewport=None):
    """A matched questionnaire (through the services) and a signed-in page on its review."""
    port = free_port()
    app = make_app(tmp_path, SERVER_NAME=f"127.0.0.1:{port}", WTF_CSRF_ENABLED=True, WTF_CSRF_SSL_STRICT=False)
    from answers.library.index import app_index, synced_index
    from answers.questionnaires import service
    from vault import db
    from vault.auth.service import create_user
    _add_entries(app, library_rows)
    with app.app_context():
        sess = db.session()
        create_user(sess, email="sales@vault.test", password=TEST_PASSWORD, role="sales", name="Sam Sales",
                    actor="test")
        qn = service.upload(sess, service.Actor(label="test"), customer="Acme Corp", filename="vendor.xlsx",
                            data=workbook(questions) if questions else workbook())
        with synced_index(sess) as index:
            service.start_review(sess, service.Actor(label="test"), qn, index, app_index().entries(sess))
        sess.commit()
        uid = qn.uid
    errors = []
    with LiveServer(app, port) as live:
        page = browser.new_context(locale=locale, accept_downloads=True,
                                   **({"viewport": viewport} if viewport else {})).new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, live, "sales@vault.test")
        page.goto(f"{live.url}/questionnaires/{uid}")
        yield app, uid, page, live
    assert not errors, errors


def _card(page, qid):
    return page.locator(".qn-item", has=page.locator(".qn-head strong", has_text=qid))


def test_edit_then_accept_keeps_the_edit(tmp_path, browser):
    with _review(tmp_path, browser, LIBRARY) as (app, uid, page, _):
        card = _card(page, "1.1")
        proposal = _item(app, uid, "1.1").proposed_comment
        assert card.locator("textarea[name=comment]").input_value() == proposal
        card.locator("textarea[name=comment]").fill("Staff and contractors sign in with WebAuthn keys.")
        card.get_by_role("button", name="Accept", exact=True).click()  # straight from the field
        page.locator(".qn-item.qn-accepted").first.wait_for()
        assert "Staff and contractors sign in with WebAuthn keys." in _card(page, "1.1").locator(".qn-final").inner_text()
        item = _item(app, uid, "1.1")
        assert (item.status, item.final_answer, item.final_comment, item.how) == (
            "accepted", "YES", "Staff and contractors sign in with WebAuthn keys.", "edited")
        # The same with the keyboard: change the dropdown, then "a".
        card = _card(page, "1.3")
        card.locator("select[name=answer]").select_option("N/A")
        page.locator(".qn-item.qn-edited").first.wait_for()
        _card(page, "1.3").focus()
        page.keyboard.press("a")
        page.locator(".qn-item.qn-accepted").nth(1).wait_for()  # (the CSP forbids wait_for_function)
        assert (_item(app, uid, "1.3").final_answer, _item(app, uid, "1.3").status) == ("N/A", "accepted")


def test_dropdown_change_is_an_edit_and_a_contradiction_is_flagged(tmp_path, browser):
    rows = [ENC_YES if r[0] == "ENC-01" else r for r in LIBRARY]
    with _review(tmp_path, browser, rows) as (app, uid, page, _):
        card = _card(page, "1.2")
        assert card.locator(".qn-flag").count() == 0
        card.locator("select[name=answer]").select_option("NO")
        page.locator(".qn-item.qn-edited").first.wait_for()
        card = _card(page, "1.2")
        assert "Edited, not accepted" in card.locator(".qn-head").inner_text()
        assert "0 of 4 answered" in page.locator("#qn-progress").inner_text()
        flag = card.locator(".qn-flag")
        assert flag.is_visible() and "the details say the opposite" in flag.inner_text()
        assert _item(app, uid, "1.2").status == "edited"
        # Fixed in the details: saved when the field is left, and the flag goes.
        card.locator("textarea[name=comment]").fill("No: only backups are encrypted.")
        card.locator("textarea[name=comment]").press("Tab")
        page.locator(".qn-flag").wait_for(state="detached")
        assert _item(app, uid, "1.2").final_comment == "No: only backups are encrypted."
        assert _item(app, uid, "1.2").status == "edited"


def test_contradiction_flag_in_chinese(tmp_path, browser):
    rows = [ENC_YES if r[0] == "ENC-01" else r for r in LIBRARY]
    with _review(tmp_path, browser, rows, locale="zh-CN") as (app, uid, page, _):
        _card(page, "1.2").locator("select[name=answer]").select_option("NO")
        page.locator(".qn-item.qn-edited .qn-flag").wait_for()
        assert "请核对此答案" in _card(page, "1.2").locator(".qn-flag").inner_text()
        assert "已编辑，未接受" in _card(page, "1.2").inner_text()


def test_bulk_accept_is_shown_as_bulk(tmp_path, browser):
    with _review(tmp_path, browser, LIBRARY) as (app, uid, page, live):
        page.locator("#threshold").fill("50")
        page.get_by_role("button", name="Bulk accept").click()
        page.wait_for_load_state()
        accepted = page.locator(".qn-item.qn-accepted")
        n = accepted.count()
        assert n >= 2
        for i in range(n):
            text = accepted.nth(i).locator(".qn-final").inner_text()
            assert "accepted in bulk at 50% or more, by Sam Sales" in text and "Reviewed by" not in text
        assert "accepted in bulk" in page.locator("#qn-progress").inner_text()
        with page.expect_download():
            page.get_by_role("button", name="Download the filled file").click()
        page.goto(f"{live.url}/questionnaires/sent")
        rows = page.locator("tbody tr")
        assert rows.count() == n
        assert "accepted in bulk at 50% or more, by Sam Sales" in rows.first.inner_text()
        assert "Reviewed by" not in page.locator("tbody").inner_text()


def test_match_again_keeps_touched_and_reproposes_untouched(tmp_path, browser):
    without_hr = [r for r in LIBRARY if r[0] != "HR-01"]
    with _review(tmp_path, browser, without_hr) as (app, uid, page, _):
        assert _item(app, uid, "1.3").proposed_entry_ref != "HR-01"
        _card(page, "1.1").locator("select[name=answer]").select_option("NO")  # edited, not accepted
        page.locator(".qn-item.qn-edited").first.wait_for()
        _card(page, "1.2").get_by_role("button", name="Accept", exact=True).click()
        page.locator(".qn-item.qn-accepted").first.wait_for()
        before = {q: _item(app, uid, q) for q in ("1.1", "1.2")}

        _add_entries(app, [HR])  # the library grows while the review is open
        page.get_by_role("button", name="Match again").click()
        page.wait_for_load_state()
        assert "Matched again against the current library" in page.locator("body").inner_text()
        assert "HR-01" in _card(page, "1.3").locator(".qn-proposal").inner_text()
        assert _item(app, uid, "1.3").proposed_entry_ref == "HR-01"
        for qid, old in before.items():  # touched questions keep everything
            new = _item(app, uid, qid)
            assert (new.status, new.final_answer, new.final_comment, new.revision) == (
                old.status, old.final_answer, old.final_comment, old.revision)
        assert _card(page, "1.1").locator("select[name=answer]").input_value() == "NO"
        assert "qn-edited" in _card(page, "1.1").get_attribute("class")


def test_flagged_proposal_says_why_and_bulk_accept_leaves_it(tmp_path, browser):
    from tests.questionnaires.builders import QUESTIONS
    from tests.questionnaires.test_review_work import BREACH, DR, IR, PAST_EVENT_EN, RTO
    with _review(tmp_path, browser, [*LIBRARY, DR, IR], questions=[*QUESTIONS, RTO, BREACH]) as (app, uid, page, _):
        card = _card(page, "2.2")
        why = card.locator(".qn-why").first
        assert why.is_visible()
        assert "Not filled automatically" in why.inner_text() and "asks for a duration" in why.inner_text()
        assert "High confidence" not in card.locator(".qn-head").inner_text()
        breach = _card(page, "2.1")  # no good match: the incident-response entry is an alternative, with why
        assert PAST_EVENT_EN in breach.locator(".qn-alternatives").inner_text()
        assert page.locator("#threshold").input_value() == "96"
        page.locator("#threshold").fill("50")
        page.get_by_role("button", name="Bulk accept").click()
        page.wait_for_load_state()
        assert "left for a person" in page.locator("body").inner_text()
        assert _item(app, uid, "2.2").status == "suggested" and _item(app, uid, "2.1").status != "accepted"
