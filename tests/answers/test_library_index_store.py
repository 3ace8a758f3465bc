"""The stored matching state: hosts racing on an entry never replace newer state with older, nor vectors
with none (a process running without the sentence model)."""
from __future__ import annotations

import numpy as np

from answers.library import index_store
from vault import db


def _row(revision: int, embedder: str, vectors):
    return index_store.state_row("R-1", revision, 2, embedder, [[["q"]], [], []], vectors)


def _stored(app):
    with app.app_context():
        row = db.session().get(index_store.IndexedEntry, "R-1")
        return row.revision, row.embedder, index_store.unpack(row)


def _write(app, state):
    with app.app_context(), db.side_write(db.engine()) as conn:
        index_store.write(conn, [state])


def test_newer_revisions_win_and_vectors_are_never_replaced_by_none(any_db_app):
    app = any_db_app
    vecs = np.arange(6, dtype=np.float32).reshape(2, 3)
    _write(app, _row(2, "model-a", vecs))
    _write(app, _row(1, "model-a", vecs + 1))  # a slower host with an older revision
    rev, name, stored = _stored(app)
    assert (rev, name) == (2, "model-a") and np.array_equal(stored, vecs)
    _write(app, _row(2, "", None))  # the same revision computed without the model
    assert _stored(app)[1] == "model-a"
    _write(app, _row(3, "", None))  # a newer revision replaces it, vectors or not
    assert _stored(app) == (3, "", None)
    _write(app, _row(3, "model-a", vecs))  # and a host with the model completes it
    rev, name, stored = _stored(app)
    assert (rev, name) == (3, "model-a") and np.array_equal(stored, vecs)
