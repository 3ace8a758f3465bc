"""The persistent library index shared by several processes, and the background sync after an import."""
from __future__ import annotations

import threading


from answers.library import service
from answers.library.index import LibraryIndex, app_index
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
    """Entries computed (tokenized, and embedded where the model runs) rather than loaded from a store."""
    from answers.matching import index as matching_index
    added: list[int] = []
    real = matching_index._tokenize_entry

    def tokenize(entry):
        added.append(1)
        return real(entry)
    monkeypatch.setattr(matching_index, "_tokenize_entry", tokenize)
    return added


def test_each_entry_is_computed_once_and_every_process_loads_it(app, tmp_path, monkeypatch):
    added = _counting(monkeypatch)
    _entries(app)
    assert sum(added) == 3  # the `library.index` job, run when the entries were committed
    first, second = LibraryIndex(tmp_path / "idx"), LibraryIndex(tmp_path / "idx")  # two workers
    with app.app_context():
        first.sync(db.session())
        index = second.sync(db.session())
        assert sum(added) == 3  # loaded, not computed
        assert index.match(QUESTIONS[1]).candidates[0].ref == "SYNC-1"
        service.update_entry(db.session(), service.get_by_ref(db.session(), "SYNC-2"), ACTOR,
                             question="Do you run penetration tests every year?")
        db.session().commit()
        assert sum(added) == 4  # the edit, once
        second.sync(db.session())
        first.sync(db.session())
        assert sum(added) == 4
        assert first.index.get("SYNC-2").question == "Do you run penetration tests every year?"
        assert first.index.match("Do you run penetration tests every year?").candidates[0].ref == "SYNC-2"


def test_concurrent_syncs_compute_what_is_not_stored_once(app, tmp_path, monkeypatch):
    from sqlalchemy import delete

    from answers.library.index_store import IndexedEntry, stored_revisions
    _entries(app)
    with app.app_context():
        db.session().execute(delete(IndexedEntry))  # as if the job had not run yet
        db.session().commit()
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
    with app.app_context():
        assert set(stored_revisions(db.session())) == {"SYNC-0", "SYNC-1", "SYNC-2"}  # written back once


def test_an_import_returns_at_once_and_the_page_shows_the_index_job(tmp_path):
    """The import commits and returns; the `library.index` job (left to a worker here) stores the new
    entries' state while the library page shows it waiting; once it ran, nothing is left to compute."""
    from flask_login import FlaskLoginClient

    from answers.library.index import missing_refs
    from answers.library.index_store import stored_revisions
    from tests.conftest import _close, make_app
    from vault import jobs
    app = make_app(tmp_path, JOBS_RUN="worker")
    try:
        with app.app_context():
            from vault.auth import service as auth
            sess = db.session()
            user = auth.create_user(sess, email="lib@example.com", password="correct horse battery 42",
                                    role="security", name="Lib", actor="test")
            sess.commit()
            sess.expunge(user)
        app.test_client_class = FlaskLoginClient
        c = app.test_client(user=user)
        data = b"ID,Question,Answer\nENC-01,Is data encrypted at rest?,Yes\nNET-01,Do you use a firewall?,Yes\n"
        resp = _upload(c, data)
        page = c.get(resp.headers["Location"]).get_data(as_text=True)
        token = resp.headers["Location"].rsplit("/", 1)[1]
        resp = c.post(f"/library/import/{token}", data={**_fields(page), "action": "confirm"})
        assert resp.status_code == 302
        assert "Updating the matching index" in c.get("/library/").get_data(as_text=True)
        with app.app_context():
            assert not {"ENC-01", "NET-01"} & set(stored_revisions(db.session()))
        report = jobs.run_pending(app)
        assert report.ran >= 1  # the worker ran it
        assert "Updating the matching index" not in c.get("/library/").get_data(as_text=True)
        with app.app_context():
            assert {"ENC-01", "NET-01"} <= set(stored_revisions(db.session()))
            name = app_index().sync(db.session()).embedder
            assert missing_refs(db.session(), name.name if name else "") == ([], [])
    finally:
        _close(app)
