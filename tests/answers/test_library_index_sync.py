"""The persistent library index shared by several processes, and the background sync after an import."""
from __future__ import annotations

import threading


from answers.library import service
from answers.library.index import LibraryIndex, app_index
from answers.matching import MatchIndex
from tests.answers.test_library_views import _fields, _upload
from vault import db
from vault.audit import Actor

ACTOR = Actor(label="security@example.com")
QUESTIONS = ["Do you enforce multi-factor authentication for administrators?",
             "Is customer data encrypted at rest?", "Do you run yearly penetration tests?"]


def _entries(app, questions=QUESTIONS):
    with app.app_context():
        sess = db.session()
        for i, q in enumerate(questions):
            service.create_entry(sess, ACTOR, ref=f"SYNC-{i}", question=q, answer_short="Yes", status="approved")
        sess.commit()


def _counting(monkeypatch) -> list[int]:
    added: list[int] = []
    real = MatchIndex.add_many

    def add_many(self, entries):
        added.append(len(entries))
        return real(self, entries)
    monkeypatch.setattr(MatchIndex, "add_many", add_many)
    return added


def test_a_second_process_loads_the_saved_index_instead_of_indexing_again(app, tmp_path, monkeypatch):
    _entries(app)
    added = _counting(monkeypatch)
    first, second = LibraryIndex(tmp_path / "idx"), LibraryIndex(tmp_path / "idx")  # two workers
    with app.app_context():
        first.sync(db.session())
        assert sum(added) == 3
        index = second.sync(db.session())
        assert sum(added) == 3  # loaded from the file the first one saved
        assert index.match(QUESTIONS[1]).candidates[0].ref == "SYNC-1"
        service.update_entry(db.session(), service.get_by_ref(db.session(), "SYNC-2"), ACTOR,
                             question="Do you run penetration tests every year?")
        db.session().commit()
        second.sync(db.session())
        assert sum(added) == 4  # the edit, once
        first.sync(db.session())
        assert sum(added) == 4  # the first worker picked up the second one's save
        assert first.index.get("SYNC-2").question == "Do you run penetration tests every year?"


def test_concurrent_syncs_index_each_entry_once(app, tmp_path, monkeypatch):
    _entries(app)
    added = _counting(monkeypatch)
    workers = [LibraryIndex(tmp_path / "idx") for _ in range(3)]
    errors = []

    def run(lib):
        try:
            with app.app_context():
                lib.sync(db.session())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sum(added) == 3
    assert all(len(w.index) == 3 for w in workers)


def test_an_import_returns_at_once_and_the_page_shows_the_index_update(app, client_as, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real = MatchIndex.add_many

    def slow_add_many(self, entries):  # holds the background sync until the page has been looked at
        started.set()
        release.wait(30)
        return real(self, entries)
    monkeypatch.setattr(MatchIndex, "add_many", slow_add_many)
    c = client_as("security")
    data = b"ID,Question,Answer\nENC-01,Is data encrypted at rest?,Yes\nNET-01,Do you use a firewall?,Yes\n"
    resp = _upload(c, data)
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    token = resp.headers["Location"].rsplit("/", 1)[1]
    resp = c.post(f"/library/import/{token}", data={**_fields(page), "action": "confirm"})
    assert resp.status_code == 302
    assert started.wait(30)
    listing = c.get("/library/").get_data(as_text=True)
    assert "Updating the matching index: 0 of 2 changed entries" in listing
    release.set()
    app.extensions["answers.index.thread"].join(30)
    assert "Updating the matching index" not in c.get("/library/").get_data(as_text=True)
    with app.app_context():
        assert {"ENC-01", "NET-01"} <= set(app_index().manifest)
