"""The contract: schemathesis drives EVERY operation of the generated OpenAPI document against the app on
a real HTTP server (loopback), with an admin token: no server error, every answer matches its documented
schema, status code and media type. Seeded with objects of each kind; deterministic (derandomized)."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from tests.api.builders import api_app, bearer, serving, user_with_token

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def seed(app) -> None:
    """One of each: a document, a library entry, a subprocessor, an incident (random ids are 404s)."""
    from status import service as status_service
    from tests.documents.builders import add_document, new_user
    from answers.library import service as library
    from vault import db
    from vault.audit import Actor
    from vault.db import utcnow
    from vault.trust import subprocessors

    with app.app_context():
        sess = db.session()
        owner = new_user(sess, "admin")
        add_document(app, sess, owner)
        library.create_entry(sess, Actor(label="seed"), question="Do you encrypt data at rest?", answer_short="Yes")
        subprocessors.create_subprocessor(sess, subprocessors.SubprocessorFields(
            name="Example Hosting", purpose_en="Hosting", location="EU", website="https://hosting.example.com"))
        status_service.open_incident(sess, title_en="API errors", impact="minor",
                                     update_=status_service.UpdateInput(status="investigating", body_en="Looking"),
                                     now=utcnow(), author="seed")
        sess.commit()


def run_contract(app, *, examples: int) -> list[str]:
    """Every operation, `examples` generated cases each; returns the operations it ran."""
    _uid, _email, secret, _tuid = user_with_token(app, "admin")
    ran = []
    with serving(app) as base:
        schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
        validate(schema.raw_schema)
        for result in schema.get_all_operations():
            operation = result.ok()

            @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy())
            def check(case):
                case.call_and_validate(base_url=base, headers=bearer(secret), checks=CHECKS)

            check()
            ran.append(f"{operation.method.upper()} {operation.path}")
    return ran


def test_every_operation_keeps_its_contract(tmp_path):
    app = api_app(tmp_path, MAX_UPLOAD_BYTES=2 * 1024 * 1024, PROPAGATE_EXCEPTIONS=False)
    seed(app)
    with app.test_request_context():
        from vault.api.spec import document
        documented = {f"{m.upper()} {p}" for p, item in document()["paths"].items() for m in item}
    ran = run_contract(app, examples=8)
    assert set(ran) == documented and len(ran) >= 24
    app.extensions["vault.engine"].dispose()


@pytest.mark.postgres
def test_contract_smoke_on_postgresql(tmp_path, postgres_url):
    app = api_app(tmp_path, postgres_url, PROPAGATE_EXCEPTIONS=False)
    seed(app)
    assert len(run_contract(app, examples=3)) >= 24
    app.extensions["vault.engine"].dispose()
