"""Review actions: accept, edit, reject, alternative, reopen, bulk, assign, comment, conflicts."""
from __future__ import annotations

from tests.questionnaires.builders import JSON, add_library, events, item_by_qid, items, upload_and_match, workbook


def _post(c, uid, item, **data):
    data.setdefault("revision", item.revision)
    return c.post(f"/questionnaires/{uid}/items/{item.uid}", data=data, headers=JSON)


def test_accept_edit_reject_reopen(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = item_by_qid(app, uid, "1.1")
    r = _post(c, uid, mfa, action="accept")
    assert r.status_code == 200 and r.json["progress"]["accepted"] == 1 and 'qn-accepted' in r.json["html"]
    mfa = item_by_qid(app, uid, "1.1")
    assert (mfa.status, mfa.final_answer, mfa.how, mfa.final_entry_ref, mfa.revision) == (
        "accepted", "YES", "library", "IAM-01", 2)
    assert mfa.reviewed_by_id == c.user.id
    # Edit: the answer must be one the dropdown allows; spelled as the dropdown spells it.
    r = _post(c, uid, mfa, action="save", answer="Maybe", comment="")
    assert r.status_code == 400 and "YES, NO, N/A" in r.json["error"]
    r = _post(c, uid, mfa, action="save", answer="n/a", comment="Contractors only.")
    assert r.status_code == 200
    mfa = item_by_qid(app, uid, "1.1")
    assert (mfa.final_answer, mfa.final_comment, mfa.how) == ("N/A", "Contractors only.", "edited")
    r = _post(c, uid, mfa, action="reject")
    mfa = item_by_qid(app, uid, "1.1")
    assert mfa.status == "rejected" and mfa.final_answer is None
    _post(c, uid, mfa, action="reopen")
    assert item_by_qid(app, uid, "1.1").status == "suggested"
    assert events(app, "questionnaire.item.reject") and events(app, "questionnaire.item.save")


def test_written_answer_for_an_unmatched_question(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    swallow = item_by_qid(app, uid, "1.4")
    assert _post(c, uid, swallow, action="accept").status_code == 400  # nothing proposed
    assert _post(c, uid, swallow, action="save", answer="", comment="").json["error"] == "write an answer first"
    assert _post(c, uid, swallow, action="save", answer="NO", comment="Unknown.").status_code == 200
    assert item_by_qid(app, uid, "1.4").how == "written"


def test_pick_an_alternative(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    enc = item_by_qid(app, uid, "1.2")
    alt = next(a for a in enc.alternatives if a["ref"] == "ENC-02")
    assert alt["answer"] == "YES"  # alternatives are fitted to the dropdown too
    r = _post(c, uid, enc, action="alternative", alternative="ENC-02")
    assert r.status_code == 200
    enc = item_by_qid(app, uid, "1.2")
    assert (enc.final_entry_ref, enc.how, enc.final_comment) == ("ENC-02", "alternative", "TLS 1.2 or later everywhere.")
    assert _post(c, uid, enc, action="alternative", alternative="NOPE").status_code == 400


def test_an_alternative_outside_the_dropdown_is_refused_like_a_typed_answer(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    enc = item_by_qid(app, uid, "1.2")
    with app.app_context():  # an alternative shown "as the library has it": not one of YES, NO, N/A
        from vault import db
        row = db.session().merge(enc)
        row.alternatives = [{**a, "answer": "Partly"} if a["ref"] == "ENC-02" else a for a in row.alternatives]
        db.session().commit()
        enc = item_by_qid(app, uid, "1.2")
    r = _post(c, uid, enc, action="alternative", alternative="ENC-02")
    assert r.status_code == 400 and "YES, NO, N/A" in r.json["error"]
    assert item_by_qid(app, uid, "1.2").final_answer is None


def test_bulk_accept_above_threshold(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    before = {i.qid: i for i in items(app, uid)}
    resp = c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "101"}, follow_redirects=True)
    assert "between 1% and 100%" in resp.get_data(as_text=True)
    c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "1"})
    after = {i.qid: i for i in items(app, uid)}
    for qid, item in before.items():
        expect = "accepted" if item.status == "suggested" else item.status
        assert after[qid].status == expect
    assert after["1.4"].status == "open"
    assert events(app, "questionnaire.bulk_accept")[0].detail["accepted"] == sum(
        1 for i in before.values() if i.status == "suggested")


def test_assign_and_filter_by_assignee(app, client_as, make_user):
    add_library(app)
    c = client_as("sales")
    colleague = make_user("security", email="sec@example.com", name="Sec Colleague")
    viewer = make_user("viewer", email="viewer@example.com")
    uid = upload_and_match(c, workbook())
    bg = item_by_qid(app, uid, "1.3")
    assert _post(c, uid, bg, action="assign", assignee=str(viewer.id)).status_code == 400  # cannot edit
    assert _post(c, uid, bg, action="assign", assignee=str(colleague.id)).status_code == 200
    assert item_by_qid(app, uid, "1.3").assignee_id == colleague.id
    page = c.get(f"/questionnaires/{uid}?assignee={colleague.id}").get_data(as_text=True)
    assert "1 questions match the filter" in page and "background checks" in page
    page = c.get(f"/questionnaires/{uid}?assignee=none").get_data(as_text=True)
    assert "3 questions match the filter" in page
    page = c.get(f"/questionnaires/{uid}?status=open").get_data(as_text=True)
    assert "swallow" in page and "background checks" not in page


def test_comments(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    bg = item_by_qid(app, uid, "1.3")
    url = f"/questionnaires/{uid}/items/{bg.uid}/comments"
    assert c.post(url, data={"body": "  "}, headers=JSON).status_code == 400
    r = c.post(url, data={"body": "Check with HR <script>alert(1)</script>"}, headers=JSON)
    assert r.status_code == 200
    assert "Check with HR &lt;script&gt;" in r.json["html"] and "<script>alert" not in r.json["html"]


def test_two_reviewers_never_overwrite_each_other(app, client_as):
    add_library(app)
    alice, bob = client_as("sales"), client_as("security")
    uid = upload_and_match(alice, workbook())
    mfa = item_by_qid(app, uid, "1.1")  # both load revision 1
    assert _post(alice, uid, mfa, action="save", answer="NO", comment="Alice").status_code == 200
    r = _post(bob, uid, mfa, action="save", answer="YES", comment="Bob")  # still revision 1
    assert r.status_code == 409 and r.json["conflict"]
    assert r.json["yours"]["comment"] == "Bob" and r.json["theirs"]["comment"] == "Alice"
    assert r.json["theirs"]["by"] == alice.user.email and r.json["revision"] == 2
    assert item_by_qid(app, uid, "1.1").final_comment == "Alice"  # nothing overwritten
    # Without JavaScript: a page with both versions, status 409.
    r = bob.post(f"/questionnaires/{uid}/items/{mfa.uid}",
                 data={"action": "save", "answer": "YES", "comment": "Bob", "revision": 1})
    assert r.status_code == 409 and "Alice" in r.get_data(as_text=True) and "Bob" in r.get_data(as_text=True)
    # Bob decides to keep his: he sends the revision he has now seen.
    r = _post(bob, uid, mfa, action="save", answer="YES", comment="Bob", revision=2)
    assert r.status_code == 200 and item_by_qid(app, uid, "1.1").final_comment == "Bob"
    # A missing revision is a conflict too, never a blind write.
    assert bob.post(f"/questionnaires/{uid}/items/{mfa.uid}", data={"action": "reject"},
                    headers=JSON).status_code == 409
    assert events(app, "questionnaire.item.conflict")
