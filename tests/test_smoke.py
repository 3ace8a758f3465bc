def test_app_starts_and_health(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_favicon_is_served(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301
    assert client.get(resp.headers["Location"]).status_code == 200
