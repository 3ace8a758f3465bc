"""The OpenAPI document and its reference page: served by us, a valid 3.1 document, a page with no script
and nothing from another site (our CSP), every operation on it, the chrome in English and Chinese."""
from __future__ import annotations

import re

from openapi_spec_validator import validate

from tests.api.builders import api_app


def test_document_is_valid_openapi_3_1_and_needs_no_token(tmp_path):
    app = api_app(tmp_path)
    resp = app.test_client().get("/api/v1/openapi.json")
    doc = resp.json
    assert resp.status_code == 200 and doc["openapi"] == "3.1.0"
    validate(doc)
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    patch = doc["paths"]["/api/v1/library/entries/{uid}"]["patch"]
    assert {"412", "428"} <= set(patch["responses"]) and patch["parameters"][-1]["name"] == "If-Match"
    assert "application/problem+json" in patch["responses"]["412"]["content"]
    app.extensions["vault.engine"].dispose()


def test_reference_page_lists_every_operation_without_scripts_in_both_languages(tmp_path):
    app = api_app(tmp_path)
    client = app.test_client()
    doc = client.get("/api/v1/openapi.json").json
    en = client.get("/api/v1/docs", headers={"Accept-Language": "en"})
    page = en.data.decode()
    assert en.status_code == 200 and "script-src 'self'" in en.headers["Content-Security-Policy"]
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)
    assert all(path in page for path in doc["paths"]) and 'id="problem-stale-etag"' in page
    assert "API reference" in page and "Request body" in page
    zh = client.get("/api/v1/docs", headers={"Accept-Language": "zh"}).data.decode()
    assert "API 参考" in zh and "请求正文" in zh and "API reference" not in zh
    app.extensions["vault.engine"].dispose()
