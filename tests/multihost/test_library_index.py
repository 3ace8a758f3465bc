"""The library's matching index across two app servers: stored once, loaded by the other host, and an
edit on one host matchable on the other at its next request."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask_login import FlaskLoginClient

from answers.library import service
from answers.library.index import app_index, synced_index
from answers.library.index_store import current_version, stored_revisions
from vault import db
from vault.audit import Actor

pytestmark = pytest.mark.postgres
ACTOR = Actor(label="security@example.com")
TOPICS = ["encrypt customer data at rest", "enforce multi-factor authentication for administrators",
          "run yearly penetration tests", "keep audit logs for a year", "scan containers for vulnerabilities",
          "back up production databases daily", "review user access every quarter", "train staff on phishing",
          "rotate encryption keys", "segregate production networks", "monitor endpoints for malware",
          "test the disaster recovery plan"]
QUESTIONS = [f"Do you {t}?" for t in TOPICS]


def _library(app, questions=QUESTIONS) -> None:
    with app.app_context():
        sess = db.session()
        for i, q in enumerate(questions):
            service.create_entry(sess, ACTOR, ref=f"MH-{i:02d}", question=q, answer_short="Yes", status="approved",
                                 alternatives=[q.replace("Do you", "Does your company")],
                                 **({"language": "zh"} if i == 0 else {}))
        service.create_entry(sess, ACTOR, ref="MH-ZH", question="你们是否加密静态数据？", answer_short="是",
                             status="approved", language="zh")
        service.create_entry(sess, ACTOR, ref="MH-OLD", question="Do you use floppy disks?", status="retired")
        sess.commit()


def _matches(app, questions):
    with app.app_context(), synced_index(db.session()) as index:
        return [(r.candidates[0].ref if r.candidates else None, r.confidence, [c.score for c in r.candidates])
                for r in index.match_many(questions)]


def test_a_new_host_loads_the_index_from_the_store_and_embeds_nothing(hosts, embedder, monkeypatch):
    a, b = hosts
    _library(a)
    embedded_once = embedder.texts
    assert embedded_once > 0  # host A's `library.index` job, when the entries were committed
    with a.app_context():
        assert len(stored_revisions(db.session())) == len(QUESTIONS) + 2
    from answers.matching import index as matching_index
    tokenized = []
    real = matching_index._tokenize_entry
    monkeypatch.setattr(matching_index, "_tokenize_entry", lambda e: tokenized.append(e.ref) or real(e))

    with b.app_context():
        app_index().sync(db.session())
    assert embedder.texts == embedded_once and tokenized == []  # B loaded vectors and tokens, computed nothing
    probes = ["Is customer data encrypted at rest?", "Do administrators use MFA?", "加密静态数据", "Do you use floppies?"]
    assert _matches(b, probes) == _matches(a, probes)  # and matches exactly as A does (A computed them)
    with b.app_context():
        assert len(app_index().index) == len(QUESTIONS) + 1  # the retired entry is known but not matchable
        assert app_index().index.get("MH-OLD").status == "retired"
    assert (Path(b.instance_path) / "index" / "library_index").exists()  # its own cache, rebuildable


def test_a_library_edit_on_host_a_is_matchable_on_host_b_at_its_next_request(hosts, embedder, make_pg_user):
    a, b = hosts
    _library(a)
    user = make_pg_user(a, "security")
    b.test_client_class = FlaskLoginClient
    staff_b = b.test_client(user=user)
    question = "Do you keep a software bill of materials for every release?"
    search = f"/library/?q={question}&match=1&partial=1"
    assert "MH-SBOM" not in staff_b.get(search).get_data(as_text=True)  # B has synced its index here
    before = embedder.texts
    with a.app_context():  # host A: a new entry and an edit, committed
        sess = db.session()
        service.create_entry(sess, ACTOR, ref="MH-SBOM", question=question, answer_short="Yes", status="approved")
        service.update_entry(sess, service.get_by_ref(sess, "MH-03"), ACTOR,
                             question="How long do you retain security audit logs?")
        sess.commit()
        version = current_version(sess)
    assert embedder.texts - before == 3  # A's job, once: the new question, MH-03's question and alternative
    assert "MH-SBOM" in staff_b.get(search).get_data(as_text=True)  # B's very next request finds it
    assert embedder.texts - before == 4  # and the search question: B loaded both entries from the store
    ref, _, _ = _matches(b, ["How long do you retain security audit logs?"])[0]
    assert ref == "MH-03"
    with b.app_context():
        assert app_index().version == version


def test_an_edit_that_another_host_has_not_stored_yet_is_computed_once_and_shared(tmp_path, shared_settings,
                                                                                 embedder):
    """Host A leaves its jobs to workers that have not run: host B, the first to match, computes the new
    entry itself and stores it, and host A then loads it instead of computing it again."""
    from tests.multihost.conftest import host
    a = host(tmp_path, "a", {**shared_settings, "JOBS_RUN": "worker"})
    b = host(tmp_path, "b", shared_settings)
    try:
        _library(a)
        assert embedder.texts == 0  # nothing ran on A
        with b.app_context():
            app_index().sync(db.session())
        computed = embedder.texts
        assert computed > 0
        with a.app_context():
            app_index().sync(db.session())
        assert embedder.texts == computed
    finally:
        from tests.conftest import _close
        _close(a)
        _close(b)


def test_the_index_cache_folder_is_rebuilt_from_the_store_when_deleted(hosts, embedder):
    a, b = hosts
    _library(a)
    _matches(b, ["Do you rotate encryption keys?"])
    folder = b.extensions["answers.index"].folder
    assert (folder / "library_index").exists()
    shutil.rmtree(folder)
    del b.extensions["answers.index"]  # a restarted process on host B
    before = embedder.texts
    with b.app_context():
        app_index().sync(db.session())
    assert embedder.texts == before and (folder / "library_index").exists()
    assert _matches(b, ["Do you rotate encryption keys?"])[0][0] == "MH-08"


def test_an_import_previewed_on_host_a_is_confirmed_on_host_b(hosts, embedder, make_pg_user):
    from tests.answers.test_library_views import _fields, _upload
    a, b = hosts
    user = make_pg_user(a, "security")
    a.test_client_class = b.test_client_class = FlaskLoginClient
    on_a, on_b = a.test_client(user=user), b.test_client(user=user)
    resp = _upload(on_a, b"ID,Question,Answer\nENC-01,Is data encrypted at rest?,Yes\n")
    url = resp.headers["Location"]
    page = on_b.get(url).get_data(as_text=True)  # the kept file is in the shared store, not on host A
    assert "ENC-01" in page
    assert on_b.post(url, data={**_fields(page), "action": "confirm"}).status_code == 302
    assert on_a.get(url).status_code == 404  # deleted after the import, for every host
    with a.app_context():
        assert service.get_by_ref(db.session(), "ENC-01").question == "Is data encrypted at rest?"
