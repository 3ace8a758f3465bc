"""The library's `public` flag (trust center FAQ): edited like every field, audited, staff only."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from answers.library import service
from tests.answers.test_library_views import ACTOR, add_entry, events, form_data, load


def edit_data(entry, **over) -> dict:
    return form_data(question=entry.question, ref=entry.ref, revision=str(entry.revision), **over)


def test_the_edit_form_sets_the_flag_with_history_and_audit(app, client_as):
    entry = add_entry(app, ref="ENC-01", last_reviewed_on=date.today())
    c = client_as("security")
    form = c.get(f"/library/{entry.uid}/edit").get_data(as_text=True)
    assert 'name="public"' in form and "checked" not in form.split('name="public"')[0].rsplit("<input", 1)[1]
    resp = c.post(f"/library/{entry.uid}/edit", data=edit_data(entry, public="y"))
    assert resp.status_code == 302
    saved = load(app, "ENC-01")
    assert saved.public is True
    (event,) = [e for e in events(app, "library.update") if e.object_id == entry.uid]
    assert "public" in event.detail["fields"]
    page = c.get(f"/library/{entry.uid}").get_data(as_text=True)
    assert "Public FAQ" in page and "Shown on the FAQ" in page  # the history names the field; the row says it is shown
    # unticked = private again, also recorded
    resp = c.post(f"/library/{entry.uid}/edit", data=edit_data(saved))
    assert resp.status_code == 302 and load(app, "ENC-01").public is False
    assert len([e for e in events(app, "library.update") if e.object_id == entry.uid]) == 2


def test_a_stale_edit_of_the_flag_is_refused(app, client_as):
    entry = add_entry(app, ref="ENC-01")
    c = client_as("security")
    with app.app_context():
        from vault import db
        sess = db.session()
        other = service.get_by_ref(sess, "ENC-01")
        service.update_entry(sess, other, ACTOR, answer_full="Someone else's text.")
        sess.commit()
    resp = c.post(f"/library/{entry.uid}/edit", data=edit_data(entry, public="y"))
    assert resp.status_code == 409
    assert load(app, "ENC-01").public is False


def test_the_service_refuses_a_stale_flag_change_too(app):
    entry = add_entry(app, ref="ENC-01")
    with app.app_context():
        from vault import db
        sess = db.session()
        current = service.get_by_ref(sess, "ENC-01")
        with pytest.raises(service.StaleEdit):
            service.update_entry(sess, current, ACTOR, expected_revision=entry.revision - 1, public=True)


@pytest.mark.parametrize("role", ["sales", "legal", "viewer"])
def test_only_library_editors_change_the_flag(app, client_as, role):
    entry = add_entry(app, ref="ENC-01")
    c = client_as(role)
    assert c.post(f"/library/{entry.uid}/edit", data=edit_data(entry, public="y")).status_code == 403
    assert c.post("/library/bulk", data={"action": "make_public", "uid": entry.uid, "owner_id": "0"}).status_code == 403
    assert load(app, "ENC-01").public is False


def test_signed_out_visitors_cannot_change_the_flag(app, client):
    entry = add_entry(app, ref="ENC-01")
    for url, data in ((f"/library/{entry.uid}/edit", edit_data(entry, public="y")),
                      ("/library/bulk", {"action": "make_public", "uid": entry.uid, "owner_id": "0"})):
        resp = client.post(url, data=data)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert load(app, "ENC-01").public is False


def test_bulk_publish_and_unpublish_are_audited(app, client_as):
    a = add_entry(app, ref="A-1", last_reviewed_on=date.today())
    b = add_entry(app, ref="B-1", question="Do you run backups?", last_reviewed_on=date.today())
    c = client_as("admin")
    resp = c.post("/library/bulk", data={"action": "make_public", "uid": [a.uid, b.uid], "owner_id": "0"})
    assert resp.status_code == 302
    assert load(app, "A-1").public and load(app, "B-1").public
    (summary,) = events(app, "library.bulk")
    assert summary.detail["action"] == "make_public" and sorted(summary.detail["changed"]) == ["A-1", "B-1"]
    assert {e.object_id for e in events(app, "library.update")} == {a.uid, b.uid}
    # the list filter and badge
    listing = c.get("/library/", query_string={"public": "1"}).get_data(as_text=True)
    assert "A-1" in listing and "B-1" in listing and ">Public</span>" in listing
    c.post("/library/bulk", data={"action": "make_private", "uid": [a.uid], "owner_id": "0"})
    assert not load(app, "A-1").public and load(app, "B-1").public
    listing = c.get("/library/", query_string={"public": "1"}).get_data(as_text=True)
    assert ">A-1<" not in listing and ">B-1<" in listing


def test_the_entry_page_says_why_a_public_entry_is_not_shown(app, client_as):
    entry = add_entry(app, ref="OLD-1", public=True, last_reviewed_on=date.today() - timedelta(days=400))
    page = client_as("viewer").get(f"/library/{entry.uid}").get_data(as_text=True)
    assert "Marked public, not shown" in page and "its review is overdue" in page
