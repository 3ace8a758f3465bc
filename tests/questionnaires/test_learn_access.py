"""Learning into the library, per-role access, IDOR, bad files, remembered layout corrections."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from answers.library.models import LibraryEntry
from answers.questionnaires.models import Questionnaire, SavedLayout
from tests.questionnaires.builders import (JSON, add_library, events, item_by_qid, items, upload, upload_and_match,
                                           uid_from, workbook)
from vault import db


def _entry(app, ref):
    with app.app_context():
        e = db.session().scalar(select(LibraryEntry).where(LibraryEntry.ref == ref))
        db.session().expunge(e)
        return e


def test_learn_new_entry_and_phrasing(app, client_as):
    add_library(app)
    sec = client_as("security")
    uid = upload_and_match(sec, workbook(), customer="Initech")
    swallow = item_by_qid(app, uid, "1.4")
    sec.post(f"/questionnaires/{uid}/items/{swallow.uid}",
             data={"action": "save", "revision": swallow.revision, "answer": "N/A", "comment": "About 11 m/s."})
    r = sec.post(f"/questionnaires/{uid}/items/{swallow.uid}/learn", data={"mode": "new"}, headers=JSON)
    assert r.status_code == 200, r.json
    learned = item_by_qid(app, uid, "1.4").learned_ref
    e = _entry(app, learned)
    assert e.question.startswith("What is the airspeed") and e.answer_short == "N/A" and e.status == "approved"
    assert e.source["customer"] == "Initech" and e.source["questionnaire"] == uid and e.source["date"]
    # New phrasing of the matched entry: the customer's wording becomes an alternative.
    mfa = item_by_qid(app, uid, "1.1")
    sec.post(f"/questionnaires/{uid}/items/{mfa.uid}",
             data={"action": "save", "revision": mfa.revision, "answer": "YES", "comment": "SSO + WebAuthn."})
    assert sec.post(f"/questionnaires/{uid}/items/{mfa.uid}/learn", data={"mode": "phrasing"},
                    headers=JSON).status_code == 200
    iam = _entry(app, "IAM-01")
    assert mfa.text in iam.alternatives and iam.revision == 2
    assert events(app, "questionnaire.item.learn")
    # The next questionnaire finds the learned entry.
    uid2 = upload_and_match(sec, workbook(), customer="Umbrella")
    assert item_by_qid(app, uid2, "1.4").proposed_entry_ref == learned


def test_sales_learns_drafts_only(app, client_as):
    add_library(app)
    sales = client_as("sales")
    uid = upload_and_match(sales, workbook())
    mfa = item_by_qid(app, uid, "1.1")
    sales.post(f"/questionnaires/{uid}/items/{mfa.uid}",
               data={"action": "save", "revision": mfa.revision, "answer": "YES", "comment": "Edited."})
    r = sales.post(f"/questionnaires/{uid}/items/{mfa.uid}/learn", data={"mode": "phrasing"}, headers=JSON)
    assert r.status_code == 400 and "edit the library" in r.json["error"]
    r = sales.post(f"/questionnaires/{uid}/items/{mfa.uid}/learn", data={"mode": "new"}, headers=JSON)
    assert r.status_code == 200 and "draft" in r.json["message"]
    assert _entry(app, item_by_qid(app, uid, "1.1").learned_ref).status == "draft"


@pytest.mark.parametrize("role,can_view,can_edit", [
    ("admin", True, True), ("security", True, True), ("sales", True, True),
    ("viewer", True, False), ("legal", False, False)])
def test_roles(app, client_as, role, can_view, can_edit):
    add_library(app)
    owner = client_as("sales")
    uid = upload_and_match(owner, workbook())
    mfa = items(app, uid)[0]
    c = client_as(role)
    assert (c.get("/questionnaires/").status_code == 200) == can_view
    assert (c.get(f"/questionnaires/{uid}").status_code == 200) == can_view
    assert (c.get(f"/questionnaires/{uid}/report.xlsx").status_code == 200) == can_view
    r = c.post(f"/questionnaires/{uid}/items/{mfa.uid}", data={"action": "accept", "revision": mfa.revision})
    assert (r.status_code == 302) == can_edit and (r.status_code == 403) != can_edit
    assert (c.post(f"/questionnaires/{uid}/export").status_code == 200) == can_edit
    assert (upload(c, workbook()).status_code == 302) == can_edit
    if not can_view:
        assert events(app, "permission.denied")
    nav = c.get("/documents/").get_data(as_text=True)
    assert ('href="/questionnaires/"' in nav) == can_view


def test_signed_out_is_sent_to_login(client):
    assert client.get("/questionnaires/").status_code in (302, 401)


def test_item_of_another_questionnaire_is_not_found(app, client_as):
    add_library(app)
    c = client_as("sales")
    a = upload_and_match(c, workbook(), customer="A")
    b = upload_and_match(c, workbook(), customer="B")
    b_item = items(app, b)[0]
    for path in (f"/questionnaires/{a}/items/{b_item.uid}", f"/questionnaires/{a}/items/{b_item.uid}/comments",
                 f"/questionnaires/{a}/items/{b_item.uid}/learn"):
        assert c.post(path, data={"action": "accept", "revision": b_item.revision, "body": "x",
                                  "mode": "new"}).status_code == 404
    assert item_by_qid(app, b, b_item.qid).status == "suggested"
    assert c.get("/questionnaires/nope").status_code == 404
    assert c.get("/questionnaires/" + "x" * 500).status_code == 404


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (400 * 1024 * 1024))
    return buf.getvalue()


@pytest.mark.parametrize("name,data,expect", [
    ("notes.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a spreadsheet"),
    ("legacy.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, ""),
    ("empty.csv", b"   ", "empty"),
    ("broken.xlsx", b"PK\x03\x04garbage", ""),
    ("bomb.xlsx", None, "zip bomb"),
    ("xxe.xlsx", "xxe", "XML"),
])
def test_bad_files_get_a_clear_message_and_nothing_is_stored(app, client_as, name, data, expect):
    if data is None:
        data = _zip_bomb()
    elif data == "xxe":
        src = workbook()
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(buf, "w") as zout:
            for info in zin.infolist():
                body = zin.read(info)
                if info.filename == "xl/workbook.xml":
                    body = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
                            + body.split(b"?>", 1)[-1])
                zout.writestr(info, body)
        data = buf.getvalue()
    c = client_as("sales")
    resp = upload(c, data, name)
    assert resp.status_code == 200  # the form again, with the reason
    page = resp.get_data(as_text=True)
    assert f"&#34;{name}&#34;" in page or f'"{name}"' in page
    assert expect in page
    with app.app_context():
        assert db.session().scalar(select(Questionnaire)) is None
    assert events(app, "questionnaire.upload")[0].outcome == "refused"


def test_detection_correction_is_remembered_for_the_same_layout(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = uid_from(upload(c, workbook()))
    # The person says column D is the answer column and C holds comments.
    form = {"s0-header_row": "3", "s0-id": "A", "s0-question": "B", "s0-answer": "D", "s0-comment": "C",
            "s1-skip": "1", "remember": "1"}
    resp = c.post(f"/questionnaires/{uid}/detection", data=form, follow_redirects=True)
    assert "Detection updated: 4 questions" in resp.get_data(as_text=True)
    with app.app_context():
        saved = db.session().scalar(select(SavedLayout))
        assert saved.hint["sheets"]["Security"]["columns"]["answer"] == "D"
    # A new file with the same layout arrives with the correction applied.
    uid2 = uid_from(upload(c, workbook(questions=[("9.1", "Is customer data encrypted at rest?")])))
    page = c.get(f"/questionnaires/{uid2}/detection").get_data(as_text=True)
    assert "remembered" in page and 'name="s0-answer" value="D"' in page
    c.post(f"/questionnaires/{uid2}/match")
    assert items(app, uid2)[0].locator["answer_at"]["cell"] == "D4"
    # Bad corrections are explained, nothing changes.
    resp = c.post(f"/questionnaires/{uid}/detection", data={"s0-answer": "C"}, follow_redirects=True)
    assert "say which column holds the questions" in resp.get_data(as_text=True)
    resp = c.post(f"/questionnaires/{uid}/detection", data={"s0-question": "B", "s0-answer": "C1"},
                  follow_redirects=True)
    assert "not a column letter" in resp.get_data(as_text=True)
