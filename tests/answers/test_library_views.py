"""Library staff pages: roles, create/edit/stale edits, bulk actions, restore, import, export, search."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from answers.library import service
from answers.library.models import LibraryEntry
from vault import audit, db
from vault.audit import Actor

ACTOR = Actor(label="other@example.com")
EDIT_ROLES = ["admin", "security"]
READ_ONLY_ROLES = ["sales", "legal", "viewer"]


def add_entry(app, **values) -> LibraryEntry:
    with app.app_context():
        sess = db.session()
        values.setdefault("question", "Do you enforce multi-factor authentication for all staff?")
        values.setdefault("answer_short", "Yes")
        values.setdefault("status", "approved")
        entry = service.create_entry(sess, ACTOR, **values)
        sess.commit()
        sess.expunge(entry)
        return entry


def load(app, ref: str) -> LibraryEntry:
    with app.app_context():
        sess = db.session()
        entry = service.get_by_ref(sess, ref)
        sess.expunge(entry)
        return entry


def events(app, action: str) -> list:
    with app.app_context():
        return audit.query_events(db.session(), action=action)


def form_data(**over) -> dict:
    data = {"question": "Is customer data encrypted at rest?", "alternatives": "Do you encrypt stored data?",
            "answer_short": "Yes", "answer_full": "AES-256 in every data store.", "category": "Cryptography",
            "tags": "encryption，storage, kms", "framework_refs": "SOC 2 CC6.1\nISO 27001 A.8.24",
            "status": "approved", "language": "en", "owner_id": "0", "review_interval_days": "180",
            "translation_of": "", "ref": ""}
    data.update(over)
    return data


def csv_bytes(rows, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


# --- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", EDIT_ROLES + READ_ONLY_ROLES)
def test_every_staff_role_can_read_the_library(app, client_as, role):
    entry = add_entry(app, ref="IAM-01")
    c = client_as(role)
    for url in ("/library/", f"/library/{entry.uid}", "/library/issues", "/library/export.csv"):
        assert c.get(url).status_code == 200, url
    page = c.get("/library/").get_data(as_text=True)
    assert ('href="/library/new"' in page) == (role in EDIT_ROLES)
    assert ('name="uid"' in page) == (role in EDIT_ROLES)  # bulk checkboxes only for editors


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_read_only_roles_cannot_change_anything_and_denials_are_logged(app, client_as, role):
    entry = add_entry(app, ref="IAM-01", status="draft")
    c = client_as(role)
    attempts = [("get", "/library/new", None), ("post", "/library/new", form_data()),
                ("get", f"/library/{entry.uid}/edit", None),
                ("post", f"/library/{entry.uid}/edit", form_data(revision=str(entry.revision))),
                ("post", f"/library/{entry.uid}/restore/1", {}), ("post", f"/library/{entry.uid}/reviewed", {}),
                ("post", "/library/bulk", {"action": "approve", "uid": entry.uid, "owner_id": "0"}),
                ("get", "/library/import", None),
                ("post", "/library/import", {"file": (io.BytesIO(b"question,answer\nQ?,Yes\n"), "lib.csv")})]
    for method, url, data in attempts:
        assert getattr(c, method)(url, data=data).status_code == 403, url
    assert load(app, "IAM-01").status == "draft" and load(app, "IAM-01").revision == entry.revision
    denials = events(app, "permission.denied")
    assert len(denials) == len(attempts)
    assert {e.detail["permission"] for e in denials} == {"library.edit"}


def test_signed_out_visitors_are_sent_to_sign_in(client, app):
    entry = add_entry(app, ref="IAM-01")
    for url in ("/library/", f"/library/{entry.uid}", "/library/export.xlsx"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_entries_are_addressed_by_uid_never_by_database_id(app, client_as):
    entry = add_entry(app, ref="IAM-01")
    c = client_as("viewer")
    assert c.get(f"/library/{entry.id}").status_code == 404
    assert c.get("/library/not-a-real-uid").status_code == 404
    assert c.get(f"/library/{entry.uid}").status_code == 200


# --- create and edit --------------------------------------------------------------------------------

def _document(app):
    from tests.documents.builders import add_document, new_user
    with app.app_context():
        sess = db.session()
        doc = add_document(app, sess, new_user(sess), title="Encryption policy")
        sess.commit()
        return doc.uid


def test_create_with_evidence_owner_and_translation_is_matchable_at_once(app, client_as):
    doc_uid = _document(app)
    english = add_entry(app, ref="ENC-01", question="Is customer data encrypted at rest?")
    c = client_as("security", name="Sam Security")
    resp = c.post("/library/new", data=form_data(
        question="客户数据在存储时是否加密？", answer_short="是", language="zh", ref="ENC-01-ZH",
        translation_of="ENC-01", owner_id=str(c.user.id), evidence=[doc_uid]))
    assert resp.status_code == 302
    entry = load(app, "ENC-01-ZH")
    assert resp.headers["Location"].endswith(f"/library/{entry.uid}")
    assert entry.tags == ["encryption", "storage", "kms"]
    assert entry.framework_refs == ["SOC 2 CC6.1", "ISO 27001 A.8.24"]
    assert entry.alternatives == ["Do you encrypt stored data?"]
    assert (entry.owner_id, entry.review_interval_days, entry.translation_of_id) == (c.user.id, 180, english.id)

    page = c.get(f"/library/{entry.uid}").get_data(as_text=True)
    assert f'href="/documents/{doc_uid}"' in page and "Encryption policy" in page
    assert f'href="/library/{english.uid}"' in page  # the linked translation
    assert f'href="/library/{entry.uid}"' in c.get(f"/library/{english.uid}").get_data(as_text=True)

    # The matching index was synced by the create: the "answers this question" search finds it.
    found = c.get("/library/", query_string={"q": "客户数据存储时加密了吗", "match": "1"}).get_data(as_text=True)
    assert "ENC-01-ZH" in found
    assert [e.object_id for e in events(app, "library.create")][0] == entry.uid


def test_create_refuses_bad_input_with_a_message_and_stores_nothing(app, client_as):
    add_entry(app, ref="ENC-01")
    c = client_as("admin")
    cases = [(form_data(question="  "), "Enter the question."),
             (form_data(translation_of="NOPE-9"), "No entry has the reference id NOPE-9."),
             (form_data(ref="ENC-01"), "exists already"),
             (form_data(review_interval_days="0"), "between 1 and 3650"),
             (form_data(owner_id="9999"), "Not a valid choice")]
    for data, message in cases:
        resp = c.post("/library/new", data=data)
        assert resp.status_code == 400 and message in resp.get_data(as_text=True), message
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(LibraryEntry)) == 1


def test_edit_saves_a_new_revision_with_a_text_diff_in_the_history(app, client_as):
    entry = add_entry(app, ref="IAM-01", answer_full="MFA is enforced for all staff.")
    c = client_as("security")
    form = c.get(f"/library/{entry.uid}/edit").get_data(as_text=True)
    assert f'name="revision" type="hidden" value="{entry.revision}"' in form
    resp = c.post(f"/library/{entry.uid}/edit", data=form_data(
        question=entry.question, ref="IAM-01", answer_full="MFA with WebAuthn is enforced for all staff.",
        revision=str(entry.revision)))
    assert resp.status_code == 302
    assert load(app, "IAM-01").answer_full == "MFA with WebAuthn is enforced for all staff."
    page = c.get(f"/library/{entry.uid}").get_data(as_text=True)
    assert "<ins>with WebAuthn </ins>" in page or "<ins> with WebAuthn</ins>" in page
    assert page.count('action="/library/' + entry.uid + '/restore/') == 1  # every revision but the latest


def test_stale_edit_shows_the_other_version_and_keeps_my_input(app, client_as):
    entry = add_entry(app, ref="IAM-01", answer_full="Original text.")
    c = client_as("security")
    opened_at = entry.revision
    # Someone else saves while the form is open.
    with app.app_context():
        sess = db.session()
        other = service.get_by_ref(sess, "IAM-01")
        service.update_entry(sess, other, ACTOR, answer_full="Their new text about hardware keys.")
        sess.commit()
        theirs = other.revision

    mine = form_data(question=entry.question, ref="IAM-01", answer_full="My new text about TOTP apps.",
                     revision=str(opened_at))
    resp = c.post(f"/library/{entry.uid}/edit", data=mine)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Your changes were not saved" in page and "other@example.com" in page
    assert "Their new text about hardware keys." in page            # their version is shown
    assert re.search(r">\s*My new text about TOTP apps.</textarea>", page)  # my input is kept in the form
    assert f'name="revision" type="hidden" value="{theirs}"' in page
    assert load(app, "IAM-01").answer_full == "Their new text about hardware keys."

    # Saving again, knowingly, from the page (which now carries their revision) works.
    resp = c.post(f"/library/{entry.uid}/edit", data={**mine, "revision": str(theirs)})
    assert resp.status_code == 302
    assert load(app, "IAM-01").answer_full == "My new text about TOTP apps."


def test_restore_and_mark_reviewed(app, client_as):
    entry = add_entry(app, ref="IAM-01", answer_short="Yes", review_interval_days=30)
    with app.app_context():
        sess = db.session()
        service.update_entry(sess, service.get_by_ref(sess, "IAM-01"), ACTOR, answer_short="No")
        sess.commit()
    c = client_as("admin")
    assert "badge-expired" in c.get(f"/library/{entry.uid}").get_data(as_text=True)
    assert c.post(f"/library/{entry.uid}/restore/1").status_code == 302
    restored = load(app, "IAM-01")
    assert restored.answer_short == "Yes" and restored.revision == entry.revision + 2

    assert c.post(f"/library/{entry.uid}/reviewed").status_code == 302
    assert load(app, "IAM-01").last_reviewed_on == date.today()
    page = c.get(f"/library/{entry.uid}").get_data(as_text=True)
    assert "badge-expired" not in page and "restored revision 1" in page and "reviewed" in page

    resp = c.post(f"/library/{entry.uid}/restore/99", follow_redirects=True)
    assert "has no revision 99" in resp.get_data(as_text=True)
    assert c.get(f"/library/{entry.uid}/restore/1").status_code == 405  # never on GET


# --- bulk actions -----------------------------------------------------------------------------------

def test_bulk_actions_change_only_the_selected_entries_and_are_audited(app, client_as):
    a = add_entry(app, ref="A-1", status="draft")
    b = add_entry(app, ref="A-2", status="draft", question="Do you run background checks on staff?")
    untouched = add_entry(app, ref="A-3", status="draft", question="Do you have a bug bounty?")
    c = client_as("security")
    owner = c.user

    def bulk(action, **extra):
        return c.post("/library/bulk", data={"action": action, "uid": [a.uid, b.uid], "owner_id": "0",
                                             "next": "/library/?status=draft", **extra})

    resp = bulk("approve")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/library/?status=draft")
    assert [load(app, r).status for r in ("A-1", "A-2", "A-3")] == ["approved", "approved", "draft"]
    bulk("set_owner", owner_id=str(owner.id))
    bulk("add_tag", tag="reviewed-2026")
    bulk("add_tag", tag="reviewed-2026")  # adding it twice changes nothing
    bulk("mark_reviewed")
    for ref in ("A-1", "A-2"):
        e = load(app, ref)
        assert (e.owner_id, e.tags, e.last_reviewed_on) == (owner.id, ["reviewed-2026"], date.today())
    assert load(app, "A-3").revision == untouched.revision
    bulk("retire")
    assert load(app, "A-1").status == "retired"

    summaries = list(reversed(events(app, "library.bulk")))
    assert [e.detail["action"] for e in summaries] == ["approve", "set_owner", "add_tag", "add_tag",
                                                       "mark_reviewed", "retire"]
    assert summaries[0].detail["changed"] == ["A-1", "A-2"] and summaries[3].detail["changed"] == []
    assert summaries[0].actor == owner.email
    with app.app_context():
        assert audit.verify_chain(db.session()).ok


def test_bulk_without_selection_or_tag_explains_and_never_redirects_off_site(app, client_as):
    a = add_entry(app, ref="A-1", status="draft")
    c = client_as("security")
    resp = c.post("/library/bulk", data={"action": "approve", "owner_id": "0", "next": "//evil.example/x"})
    assert resp.headers["Location"].endswith("/library/")
    assert "Select at least one entry first." in c.get("/library/").get_data(as_text=True)
    resp = c.post("/library/bulk", data={"action": "add_tag", "uid": a.uid, "owner_id": "0", "tag": " "},
                  follow_redirects=True)
    assert "enter the tag to add" in resp.get_data(as_text=True)
    assert load(app, "A-1").revision == a.revision


def test_forms_without_a_csrf_token_are_refused(tmp_path, make_user):
    from flask_login import FlaskLoginClient
    from tests.conftest import make_app

    (tmp_path / "csrf").mkdir()
    app = make_app(tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        sess = db.session()
        from vault.auth.service import create_user
        user = create_user(sess, email="sec@example.com", password="correct horse battery staple 42",
                           role="security", actor="test")
        entry = service.create_entry(sess, ACTOR, ref="A-1", question="Q?", status="draft")
        sess.commit()
        sess.expunge(user)
        uid = entry.uid
    c = app.test_client(user=user)
    for url, data in [("/library/bulk", {"action": "approve", "uid": uid, "owner_id": "0"}),
                      (f"/library/{uid}/reviewed", {}), (f"/library/{uid}/restore/1", {}),
                      ("/library/new", form_data())]:
        assert c.post(url, data=data).status_code == 400, url
    with app.app_context():
        assert service.get_by_ref(db.session(), "A-1").status == "draft"
    app.extensions["vault.engine"].dispose()


# --- search ---------------------------------------------------------------------------------------

def test_search_in_chinese_and_english_with_filters(app, client_as):
    add_entry(app, ref="ZH-1", question="是否对所有员工启用多因素认证？", answer_short="是", language="zh",
              category="身份认证", tags=["多因素"])
    add_entry(app, ref="ZH-2", question="是否对静态数据进行加密？", answer_short="是", language="zh", status="draft")
    add_entry(app, ref="EN-1", question="Do you encrypt data at rest?", answer_short="Yes",
              last_reviewed_on=date.today() - timedelta(days=10), review_interval_days=365)
    c = client_as("viewer")

    def refs(**args):
        page = c.get("/library/", query_string=args).get_data(as_text=True)
        return re.findall(r">((?:ZH|EN)-\d)</a>", page)

    assert refs(q="多因素") == ["ZH-1"]
    assert refs(q="加密") == ["ZH-2"]
    assert refs(q="encrypt") == ["EN-1"]
    assert refs(language="zh") == ["ZH-1", "ZH-2"]
    assert refs(status="draft") == ["ZH-2"]
    assert refs(category="身份认证") == ["ZH-1"]
    assert refs(tag="多因素") == ["ZH-1"]
    assert refs(overdue="1") == ["ZH-1", "ZH-2"]  # never reviewed; EN-1 was reviewed ten days ago
    assert refs(q="静态数据是否加密", match="1")[0] == "ZH-2"  # ranked by the matching index

    partial = c.get("/library/", query_string={"q": "多因素", "partial": "1"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and "ZH-1" in body and partial.headers["Cache-Control"] == "no-store"


def test_list_is_paginated_and_escapes_what_people_typed(app, client_as):
    for i in range(55):
        add_entry(app, ref=f"P-{i:03d}", question=f"Question number {i}?")
    add_entry(app, ref="X-1", question='<img src=x onerror="alert(1)">?')
    c = client_as("viewer")
    first = c.get("/library/").get_data(as_text=True)
    assert "56 entries" in first and "Page 1 of 2" in first and first.count('href="/library/') >= 50
    second = c.get("/library/?page=2").get_data(as_text=True)
    assert "P-054" in second and "P-000" not in second
    assert '<img src=x' not in second and "&lt;img src=x" in second


# --- issues ---------------------------------------------------------------------------------------

def test_potential_issues_page_lists_conflicting_answers(app, client_as):
    add_entry(app, ref="MFA-1", question="Do you enforce multi-factor authentication for all staff?",
              answer_short="Yes")
    add_entry(app, ref="MFA-2", question="Is multi-factor authentication enforced for all employees?",
              answer_short="No")
    add_entry(app, ref="BC-1", question="Do you run background checks on new hires?", answer_short="Yes")
    page = client_as("viewer").get("/library/issues").get_data(as_text=True)
    conflicts = page.split("Conflicting answers")[1].split("Near-duplicate entries")[0]
    assert "MFA-1" in conflicts and "MFA-2" in conflicts and "BC-1" not in page


def test_potential_issues_page_says_why_in_english_and_chinese(app, client_as):
    add_entry(app, ref="MFA-1", question="Do you enforce multi-factor authentication for all staff?", answer_short="Yes")
    add_entry(app, ref="MFA-2", question="Is multi-factor authentication enforced for all employees?", answer_short="No")
    add_entry(app, ref="RTO-1", question="What is your recovery time objective?", answer_short="4 hours")
    add_entry(app, ref="RTO-2", question="What is the recovery time objective of your service?",
              answer_short="24 hours")
    add_entry(app, ref="AT-1", question="Do you encrypt stored data?", answer_short="Yes")
    add_entry(app, ref="AT-2", question="Is stored data encrypted?", answer_short="Yes, we use AES-256")
    # topic neighbours from a real test: neither conflicts nor duplicates
    add_entry(app, ref="IR-01", question="Do you have a documented incident response plan, and how quickly do you "
              "notify customers of a breach?", alternatives=["What is your breach notification timeline?"])
    add_entry(app, ref="BR-1", question="Have you had a breach?", answer_short="No")
    add_entry(app, ref="ENC-1", question="Do you encrypt customer data at rest?")
    add_entry(app, ref="KEY-1", question="Does your provider hold your keys?", answer_short="No")
    c = client_as("viewer")
    page = c.get("/library/issues").get_data(as_text=True)
    conflicts, duplicates = page.split("Conflicting answers (")[1].split("Near-duplicate entries (")
    assert "Same question, answers Yes vs No" in conflicts and "Same question, 4 hours vs 24 hours" in conflicts
    assert "AT-2" in duplicates and "Same question, compatible answers" in duplicates  # AT-1 also with ENC-1
    assert "Matched both ways: " in page
    assert not any(ref in page for ref in ("IR-01", "BR-1", "KEY-1"))

    zh = c.get("/library/issues", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "同一问题，答案为 是 与 否" in zh and "同一问题，4 hours 与 24 hours" in zh and "同一问题，答案相容" in zh
    assert "双向匹配：" in zh and "Same question" not in zh


# --- import ---------------------------------------------------------------------------------------

def _upload(c, data: bytes, name="library.csv", status="approved"):
    return c.post("/library/import", data={"file": (io.BytesIO(data), name), "default_status": status},
                  content_type="multipart/form-data")


def summary(page: str) -> tuple:
    """(new, updated, unchanged, skipped) from the preview."""
    found = re.search(r"New entries: (\d+)<.*?Entries updated: (\d+)<.*?Entries unchanged: (\d+)<.*?Rows skipped: (\d+)<",
                      page, re.S)
    return tuple(int(n) for n in found.groups())


def _fields(page: str) -> dict:
    """The preview form's current values, as the browser would submit them."""
    data = dict(re.findall(r'<input type="(?:hidden|number)"[^>]*?name="([^"]+)" value="([^"]*)"', page))
    data.update(re.findall(r'<input (?:id="[^"]*" )?name="(csrf_token)" type="hidden" value="([^"]*)"', page))
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_import_preview_reports_row_problems_and_confirm_imports_in_one_go(app, client_as):
    add_entry(app, ref="IAM-01", question="Do you enforce MFA?", answer_short="No")
    data = csv_bytes([["Security answers"], [], ["ID", "Question", "Answer", "Details"],
                      ["IAM-01", "Do you enforce MFA?", "Yes", "For all staff."],
                      ["ENC-01", "Is data encrypted at rest?", "Yes", "AES-256."],
                      ["BAD-1", "", "An answer without a question", ""],
                      ["NET-01", "是否部署了防火墙？", "是", ""]])
    c = client_as("security")
    resp = _upload(c, data, "答案库.csv")
    assert resp.status_code == 302
    token = resp.headers["Location"].rsplit("/", 1)[1]
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert summary(page) == (2, 1, 0, 1)
    assert re.search(r">6</td>\s*<td[^>]*>the row has an answer but no question text<", page)
    assert 'name="h0" value="3"' in page                                      # detected header row
    assert re.search(r'name="c0_2"[^>]*>.*?<option value="question" selected>', page, re.S)
    assert "ENC-01" in page and "是否部署了防火墙？" in page
    with app.app_context():  # nothing imported by the preview
        assert db.session().scalar(select(func.count()).select_from(LibraryEntry)) == 1

    resp = c.post(f"/library/import/{token}", data={**_fields(page), "action": "confirm"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert load(app, "IAM-01").answer_short == "Yes" and load(app, "ENC-01").answer_full == "AES-256."
    assert load(app, "NET-01").language == "zh"
    assert events(app, "library.import")[0].detail["create"] == 2
    assert c.get(f"/library/import/{token}").status_code == 404  # the upload was deleted
    with app.app_context():  # nor is anything kept for it
        from answers.library.pending import PendingRow
        assert db.session().scalar(select(func.count()).select_from(PendingRow)) == 0
    # and the index knows the new entries
    found = c.get("/library/", query_string={"q": "Do you have a firewall?", "match": "1"}).get_data(as_text=True)
    assert "NET-01" in found or "ENC-01" in found


def test_import_mapping_can_be_corrected_and_a_changed_mapping_needs_a_new_preview(app, client_as):
    data = csv_bytes([["Col A", "Col B", "Col C"], ["Do you log admin access?", "Yes", "Logging"],
                      ["Do you scan for vulnerabilities?", "Yes", "Vuln"]])
    c = client_as("admin")
    location = _upload(c, data).headers["Location"]
    page = c.get(location).get_data(as_text=True)
    assert "no table with a question column was found" in page and ">Import</button>" not in page

    fields = {**_fields(page), "h0": "1", "c0_1": "question", "c0_2": "answer", "c0_3": "category",
              "action": "preview"}
    page = c.post(location, data=fields).get_data(as_text=True)
    assert summary(page) == (2, 0, 0, 0) and ">Import</button>" in page
    checked = _fields(page)

    duplicate = c.post(location, data={**checked, "c0_3": "question", "action": "preview"})
    assert duplicate.status_code == 400 and "is chosen for more than one column" in duplicate.get_data(as_text=True)

    changed = c.post(location, data={**checked, "c0_3": "tags", "action": "confirm"})  # not previewed
    assert changed.status_code == 400 and "mapping changed since the preview" in changed.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(LibraryEntry)) == 0

    assert c.post(location, data={**checked, "action": "confirm"}).status_code == 302
    with app.app_context():
        entries = db.session().scalars(select(LibraryEntry).order_by(LibraryEntry.ref)).all()
        assert [(e.question, e.category, e.status) for e in entries] == [
            ("Do you log admin access?", "Logging", "approved"), ("Do you scan for vulnerabilities?", "Vuln",
                                                                  "approved")]


def test_an_upload_belongs_to_its_uploader_and_bad_files_are_refused(app, client_as):
    owner, other = client_as("security"), client_as("admin")
    location = _upload(owner, csv_bytes([["question", "answer"], ["Q?", "Yes"]])).headers["Location"]
    assert other.get(location).status_code == 404
    assert other.post(location, data={"action": "cancel"}).status_code == 404
    assert owner.get("/library/import/..%2F..%2Fvault.db").status_code == 404

    resp = _upload(owner, b"\x00\x01 not a spreadsheet", "lib.xlsx")
    assert resp.status_code == 400 and "CSV" in resp.get_data(as_text=True)
    assert _upload(owner, b"", "empty.csv").status_code == 400

    resp = owner.post(location, data={"action": "cancel"})
    assert resp.status_code == 302 and owner.get(location).status_code == 404


# --- export ---------------------------------------------------------------------------------------

def test_export_csv_and_xlsx_hold_the_library_with_formulas_neutralised(app, client_as):
    add_entry(app, ref="IAM-01", answer_full="MFA for all staff.", tags=["mfa"])
    add_entry(app, ref="XSS-1", question="是否记录日志？", answer_short="=HYPERLINK(\"http://evil\")", language="zh")
    c = client_as("viewer")

    resp = c.get("/library/export.csv")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "Question", "Answer"]
    assert rows[1][:4] == ["IAM-01", "Do you enforce multi-factor authentication for all staff?", "Yes",
                           "MFA for all staff."]
    assert rows[2][1] == "是否记录日志？" and not rows[2][2].startswith("=")

    resp = c.get("/library/export.xlsx")
    ws = load_workbook(io.BytesIO(resp.get_data())).active
    values = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert [v[0] for v in values] == ["ID", "IAM-01", "XSS-1"]
    assert ws["C3"].data_type == "s"  # text, never a formula
    assert c.get("/library/export.pdf").status_code == 404
    assert [e.detail["format"] for e in events(app, "library.export")] == ["xlsx", "csv"]


# --- the same on PostgreSQL -------------------------------------------------------------------------

def test_search_bulk_and_import_on_both_engines(any_db_app):
    from flask_login import FlaskLoginClient
    from vault.auth.service import create_user

    app = any_db_app
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        sess = db.session()
        user = create_user(sess, email="sec@example.com", password="correct horse battery staple 42",
                           role="security", actor="test")
        sess.commit()
        sess.expunge(user)
    add_entry(app, ref="ZH-1", question="是否对所有员工启用多因素认证？", answer_short="是", language="zh",
              tags=["多因素"], status="draft")
    add_entry(app, ref="EN-1", question="Do you encrypt data at rest?", status="draft")
    c = app.test_client(user=user)
    page = c.get("/library/", query_string={"q": "多因素"}).get_data(as_text=True)
    assert "ZH-1" in page and "EN-1" not in page
    assert "ZH-1" in c.get("/library/", query_string={"tag": "多因素"}).get_data(as_text=True)

    uids = [load(app, r).uid for r in ("ZH-1", "EN-1")]
    c.post("/library/bulk", data={"action": "approve", "uid": uids, "owner_id": "0"})
    assert {load(app, r).status for r in ("ZH-1", "EN-1")} == {"approved"}

    resp = _upload(c, csv_bytes([["编号", "问题", "回答"], ["ZH-2", "是否部署防火墙？", "是"], ["ZH-3", "", "孤立的回答"]],
                                "gb18030"), "库.csv")
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert summary(page) == (1, 0, 0, 1) and "the row has an answer but no question text" in page
    assert c.post(resp.headers["Location"], data={**_fields(page), "action": "confirm"}).status_code == 302
    assert load(app, "ZH-2").question == "是否部署防火墙？"


def test_an_export_imports_back_unchanged(app, client_as):
    add_entry(app, ref="IAM-01", answer_full="MFA for all staff.", tags=["mfa", "sso"], category="Identity",
              alternatives=["Is MFA required?"], framework_refs=["SOC 2 CC6.1"])
    add_entry(app, ref="ZH-1", question="是否记录日志？", answer_short="是", language="zh", status="draft")
    c = client_as("security")
    exported = c.get("/library/export.xlsx").get_data()
    page = c.get(_upload(c, exported, "export.xlsx").headers["Location"]).get_data(as_text=True)
    assert summary(page) == (0, 0, 2, 0)
