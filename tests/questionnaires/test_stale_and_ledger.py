"""Issue #19 parts 1-2: a stale answer is one state everywhere it is shown or used (library list and filter,
entry page, review card, bulk accept, CLI report, summary report), with one "expired since" date rule;
the ledger of answers sent answers legal's questions (by entry, customer, dates, superseded; links to the
revision sent; CSV of any view; who holds an answer that has since changed)."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook
from sqlalchemy import select

from answers.library import service as library
from answers.questionnaires.models import SentAnswer
from tests.expiry.conftest import document, user
from tests.questionnaires.builders import ACTOR, add_library, item_by_qid, upload_and_match, workbook
from vault import db

TODAY = datetime.now(timezone.utc).date()
LAST_VALID = TODAY - timedelta(days=3)
EXPIRED_SINCE = TODAY - timedelta(days=2)
ZH = {"Accept-Language": "zh-CN"}


def _entry(app, ref):
    with app.app_context():
        e = library.get_by_ref(db.session(), ref)
        db.session().expunge(e)
        return e


def _expire_evidence_of(app, tmp_path, ref="ENC-01", title="SOC 2 Type II report"):
    """Link `ref` to a document whose last valid day was three days ago; returns the document uid."""
    with app.app_context():
        sess = db.session()
        owner = user(sess, "legal")
        doc = document(app, sess, owner, tmp_path, title, expiry=LAST_VALID)
        library.update_entry(sess, library.get_by_ref(sess, ref), ACTOR, evidence=[doc])
        sess.commit()
        return doc.uid


# --- one date rule ---------------------------------------------------------------------------------

def test_one_date_rule_expiry_date_is_the_last_valid_day():
    from vault.documents.status import StatusKind, expired_since, expiry_status, is_expired
    day = TODAY
    assert expired_since(day) == day + timedelta(days=1)
    assert not is_expired(day, day) and is_expired(day, day + timedelta(days=1))
    assert expiry_status(day, today=day, warning_days=30).kind == StatusKind.EXPIRING
    assert expiry_status(day, today=day + timedelta(days=1), warning_days=30).kind == StatusKind.EXPIRED


def test_timeline_and_stale_page_give_the_same_day(app, client_as, tmp_path):
    add_library(app)
    legal = client_as("legal")
    _expire_evidence_of(app, tmp_path)
    sentence = (f"has been expired since {EXPIRED_SINCE.isoformat()} "
                f"(last valid day {LAST_VALID.isoformat()})")
    assert sentence in legal.get("/expiry/stale").get_data(as_text=True)
    timeline = legal.get("/expiry/?when=overdue").get_data(as_text=True)
    assert sentence in timeline and "expired on" not in timeline
    # the stale answer's due date on the timeline is the document's own: the last valid day
    with app.app_context():
        from vault.expiry.obligations import collect
        due = {o.kind: o.due_on for o in collect(db.session(), TODAY).obligations}
    assert due["stale_answer"] == due["document_expiry"] == LAST_VALID


# --- stale everywhere ------------------------------------------------------------------------------

def test_stale_answer_in_library_list_filter_and_entry_page(app, client_as, tmp_path):
    add_library(app)
    doc_uid = _expire_evidence_of(app, tmp_path)
    c = client_as("security")
    listing = c.get("/library/").get_data(as_text=True)
    assert listing.count("Stale answer</span>") == 1
    only = c.get("/library/?stale=1").get_data(as_text=True)
    assert "ENC-01" in only and "IAM-01" not in only and "1 entry" in only
    page = c.get(f"/library/{_entry(app, 'ENC-01').uid}").get_data(as_text=True)
    assert "This answer is stale" in page and "SOC 2 Type II report" in page
    assert f"has been expired since {EXPIRED_SINCE.isoformat()}" in page
    assert f'href="/documents/{doc_uid}"' in page and 'badge badge-expired">Expired</span>' in page
    zh = c.get(f"/library/{_entry(app, 'ENC-01').uid}", headers=ZH).get_data(as_text=True)
    assert "此答案已过时" in zh and f"自 {EXPIRED_SINCE.isoformat()} 起已过期" in zh
    assert "过时（证据已过期）" in c.get("/library/", headers=ZH).get_data(as_text=True)
    assert "IAM-01" not in c.get("/library/?stale=1", headers=ZH).get_data(as_text=True)


def test_review_names_the_evidence_and_bulk_accept_leaves_it(app, client_as, tmp_path):
    add_library(app)
    _expire_evidence_of(app, tmp_path)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    enc = item_by_qid(app, uid, "1.2")
    assert enc.proposed_entry_ref == "ENC-01" and "stale" in enc.flags and not enc.auto
    page = c.get(f"/questionnaires/{uid}").get_data(as_text=True)
    assert "Not filled automatically; a person must decide:" in page
    assert (f"the library entry is out of date. Its evidence “SOC 2 Type II report” has been expired since "
            f"{EXPIRED_SINCE.isoformat()}") in page
    zh = c.get(f"/questionnaires/{uid}", headers=ZH).get_data(as_text=True)
    assert "答案库条目已过时。其证据“SOC 2 Type II report”自" in zh
    c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "1"})
    assert item_by_qid(app, uid, "1.2").status == "suggested"
    assert item_by_qid(app, uid, "1.1").status == "accepted"

    wb = load_workbook(io.BytesIO(c.get(f"/questionnaires/{uid}/report.xlsx").data))
    rows = {r[0]: r for r in wb["Questions"].iter_rows(values_only=True)}
    assert rows["ID"][-1] == "Stale evidence"
    assert "SOC 2 Type II report" in rows["1.2"][-1] and not rows["1.1"][-1]
    summary = [r for r in wb["Summary"].iter_rows(values_only=True)]
    assert ("From a stale library entry (evidence expired or withdrawn)", 1) in summary


def test_entry_gone_stale_after_matching_is_not_bulk_accepted(app, client_as, tmp_path):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    assert item_by_qid(app, uid, "1.2").flags == []
    _expire_evidence_of(app, tmp_path)  # the evidence lapses after the match
    page = c.get(f"/questionnaires/{uid}").get_data(as_text=True)
    assert "Its evidence “SOC 2 Type II report” has been expired since" in page
    c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "1"})
    assert item_by_qid(app, uid, "1.2").status == "suggested"


def test_cli_report_gives_a_reason_per_question(app, runner, tmp_path):
    add_library(app)
    _expire_evidence_of(app, tmp_path)
    src, rep = tmp_path / "q.xlsx", tmp_path / "report.json"
    src.write_bytes(workbook())
    result = runner.invoke(args=["autofill", str(src), "--report", str(rep)])
    assert result.exit_code == 0, result.output
    rows = {r["question_id"]: r for r in json.loads(rep.read_text(encoding="utf-8"))["questions"]}
    enc = rows["1.2"]
    assert enc["status"] == "suggested" and "stale" in enc["flags"]
    assert enc["reason"] == ("not filled from ENC-01, a person must decide: the library entry is out of date: its "
                             "evidence has expired or was withdrawn: Its evidence “SOC 2 Type II report” has been "
                             f"expired since {EXPIRED_SINCE.isoformat()} (last valid day {LAST_VALID.isoformat()}).")
    assert rows["1.1"]["reason"].startswith("filled from IAM-01: confidence")
    assert rows["1.4"]["status"] == "unanswered" and rows["1.4"]["reason"].startswith("no ")
    assert list(rows["1.1"])[-2:] == ["flags", "reason"]


# --- the ledger ------------------------------------------------------------------------------------

def _send(app, c, customer):
    uid = upload_and_match(c, workbook(), customer=customer)
    c.post(f"/questionnaires/{uid}/bulk-accept", data={"threshold": "1"})
    assert c.post(f"/questionnaires/{uid}/export").status_code == 200
    return uid


def _edit(c, entry, **over):
    data = {"question": entry.question, "alternatives": "", "answer_short": entry.answer_short,
            "answer_full": entry.answer_full, "category": "", "tags": "", "framework_refs": "",
            "status": "approved", "language": "en", "owner_id": "0", "review_interval_days": "365",
            "translation_of": "", "ref": entry.ref, "revision": str(entry.revision)}
    data.update(over)
    return c.post(f"/library/{entry.uid}/edit", data=data, follow_redirects=True)


def test_ledger_filters_links_and_who_holds_an_old_answer(app, client_as):
    add_library(app)
    c = client_as("security")
    _send(app, c, "Globex")
    _send(app, c, "=HYPERLINK(\"http://evil\")")
    iam = _entry(app, "IAM-01")
    sent_rev = iam.revision

    by_entry = c.get("/questionnaires/sent?entry=iam-01").get_data(as_text=True)
    assert by_entry.count(f'href="/library/{iam.uid}/revision/{sent_rev}"') == 2
    assert "HR-01" not in by_entry
    assert "Globex" in c.get("/questionnaires/sent?customer=glob").get_data(as_text=True)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert "No answer sent matches these filters." in c.get(f"/questionnaires/sent?since={tomorrow}").get_data(
        as_text=True)
    assert "Globex" in c.get(f"/questionnaires/sent?until={TODAY.isoformat()}&since={TODAY.isoformat()}").get_data(
        as_text=True)
    assert "No answer sent matches" in c.get("/questionnaires/sent?superseded=1").get_data(as_text=True)

    # A tag is not a material change: superseded, but nobody holds a different answer.
    resp = _edit(c, iam, tags="mfa")
    assert "hold the previous answer" not in resp.get_data(as_text=True)
    page = c.get("/questionnaires/sent?superseded=1").get_data(as_text=True)
    assert "Superseded" in page and "Answer changed since" not in page
    # The answer changes: the edit confirmation and the entry page name the customers holding the old one.
    iam = _entry(app, "IAM-01")
    resp = _edit(c, iam, answer_full="SSO with WebAuthn only.").get_data(as_text=True)
    assert "These customers hold the previous answer" in resp and f"Globex (revision {sent_rev}, sent" in resp
    entry_page = c.get(f"/library/{iam.uid}").get_data(as_text=True)
    assert "The answer has changed since these customers received it" in entry_page
    assert "Sent to" in entry_page and "Reviewed by" not in entry_page and "accepted in bulk at 1%" in entry_page
    superseded = c.get("/questionnaires/sent?superseded=1&entry=IAM-01").get_data(as_text=True)
    assert superseded.count("Answer changed since") == 2
    old = c.get(f"/library/{iam.uid}/revision/{sent_rev}").get_data(as_text=True)
    assert "All staff sign in through SSO with TOTP or WebAuthn." in old and "Changed since this revision" in old
    assert c.get(f"/library/{iam.uid}/revision/999").status_code == 404
    zh = c.get("/questionnaires/sent?superseded=1", headers=ZH).get_data(as_text=True)
    assert "发送后答案已更改" in zh and "以早于当前的修订发送" in zh
    assert "请决定是否通知他们" in c.get(f"/library/{iam.uid}", headers=ZH).get_data(as_text=True)

    resp = c.get("/questionnaires/sent.csv?superseded=1")
    assert resp.headers["Cache-Control"] == "no-store" and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Sent (UTC)", "Customer", "Questionnaire"]
    assert len(rows) == 1 + 2 and {r[7] for r in rows[1:]} == {"IAM-01"}
    assert "'=HYPERLINK(\"http://evil\")" in {r[1] for r in rows[1:]}
    assert all(r[10] == "yes" and r[11] == "yes" for r in rows[1:])
    with app.app_context():
        from vault import audit
        [event] = audit.query_events(db.session(), action="questionnaire.ledger_export")
        assert event.detail["rows"] == 2 and event.detail["superseded"] == "1"
    zh_csv = c.get("/questionnaires/sent.csv", headers=ZH).data.decode("utf-8-sig")
    assert zh_csv.startswith("发送时间（UTC）")


def test_ledger_revision_numbers_are_the_history_numbers(app):
    add_library(app)
    with app.app_context():
        sess = db.session()
        e = library.get_by_ref(sess, "IAM-01")
        for tags in (["a"], ["a", "b"]):
            library.update_entry(sess, e, ACTOR, tags=tags)
        sess.commit()
        assert e.revision == max(r.number for r in e.history) == 3


def test_viewer_sees_ledger_but_entry_page_hides_it_without_permission(app, client_as):
    add_library(app)
    _send(app, client_as("security"), "Globex")
    iam = _entry(app, "IAM-01")
    viewer = client_as("viewer")
    assert "Globex" in viewer.get(f"/library/{iam.uid}").get_data(as_text=True)
    assert viewer.get("/questionnaires/sent.csv").status_code == 200
    with app.app_context():
        assert len(list(db.session().scalars(select(SentAnswer)))) == 3
