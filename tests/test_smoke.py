def test_app_starts_and_health(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_favicon_is_served(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301
    assert client.get(resp.headers["Location"]).status_code == 200


def test_readyz_checks_the_database_the_store_and_the_rate_limits(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ready",
                         "checks": {"database": "ok", "object_store": "ok", "rate_limits": "ok", "queue": "ok"}}


def test_readyz_is_503_and_names_the_part_that_fails(app, client, monkeypatch):
    from vault.storage.base import StorageError
    from vault.storage.local import LocalStore

    def down(self):
        raise StorageError("connection refused")
    monkeypatch.setattr(LocalStore, "check", down)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json["checks"] == {"database": "ok", "object_store": "failed", "rate_limits": "ok", "queue": "ok"}
    assert "connection refused" not in resp.get_data(as_text=True)  # the reason is logged, not shown


def test_readyz_fails_when_the_storage_folder_cannot_be_written(app, client, tmp_path):
    import os
    import stat
    if os.geteuid() == 0:  # root writes anywhere: make the folder path unusable instead
        blocker = tmp_path / "blocked"
        blocker.write_text("a file where the folder should be")
        app.extensions["vault.stores"]["local"].root = blocker / "objects"
    else:
        root = app.extensions["vault.stores"]["local"].root
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(stat.S_IRUSR | stat.S_IXUSR)
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json["checks"]["object_store"] == "failed"
