"""The contract: schemathesis drives EVERY operation of the generated OpenAPI document against the app on
a real HTTP server (loopback), with an admin token, with data the schema allows and data it refuses: no
server error, every answer matches its documented schema, status code, media type and response headers. Seeded with objects of each kind; deterministic (derandomized)."""
from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)

from tests.api.builders import api_app, bearer, serving, user_with_token

# response_headers_conformance: every header the document says a status carries (ETag, Location, ...) is
# there and matches its schema
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          response_headers_conformance]


def seed(app) -> dict:
    """One of each (a document, an access request, a library entry, a subprocessor, an incident, a
    questionnaire): half the
    cases of an operation on one object use its real id, half a generated one (mostly a 404)."""
    from status import service as status_service
    from tests.documents.builders import add_document, new_user
    from answers.library import service as library
    from vault.access import service as access
    from answers.questionnaires import service as questionnaires
    from vault import db
    from vault.audit import Actor
    from vault.db import utcnow
    from vault.trust import subprocessors

    with app.app_context():
        sess = db.session()
        owner = new_user(sess, "admin")
        document = add_document(app, sess, owner)
        report = add_document(app, sess, owner, title="SOC 2 report", doc_type="audit_report", visibility="nda",
                              frameworks=())
        entry = library.create_entry(sess, Actor(label="seed"), question="Do you encrypt data at rest?",
                                     answer_short="Yes")
        sp = subprocessors.create_subprocessor(sess, subprocessors.SubprocessorFields(
            name="Example Hosting", purpose_en="Hosting", location="EU", website="https://hosting.example.com"))
        incident = status_service.open_incident(
            sess, title_en="API errors", impact="minor", now=utcnow(), author="seed",
            update_=status_service.UpdateInput(status="investigating", body_en="Looking"))
        qn = questionnaires.upload(sess, Actor(label="seed", id=owner.id), customer="Buyer", filename="q.csv",
                                   data=b"ID,Question,Answer\nQ1,Do you encrypt data at rest?,\n")
        request, _token = access.create_request(
            sess, access.RequestInput(name="Ann Buyer", email="ann@buyer.example", company="Buyer Ltd",
                                      document_uids=[report.uid]),
            now=utcnow(), confirm_minutes=30)
        sess.commit()
        return {"/access/requests/": {"uid": request.uid},
                "/documents/": {"uid": document.uid, "version_uid": document.versions[0].uid},
                "/library/": {"uid": entry.uid}, "/subprocessors/": {"uid": sp.uid},
                "/status/": {"uid": incident.uid}, "/questionnaires/": {"uid": qn.uid}}


def _real_ids(path: str, known: dict):
    ids = next((v for prefix, v in known.items() if path.startswith("/api/v1" + prefix)), {})

    def fill(case):
        if case.path_parameters:
            case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
        return case
    return fill


def run_contract(app, known: dict, *, examples: int) -> list[str]:
    """Every operation, `examples` generated cases each; returns the operations it ran."""
    _uid, _email, secret, _tuid = user_with_token(app, "admin")
    ran = []
    with serving(app) as base:
        schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
        validate(schema.raw_schema)
        for result in schema.get_all_operations():
            operation = result.ok()
            generated = operation.as_strategy()
            wrong = operation.as_strategy(GenerationMode.NEGATIVE)  # bodies and queries the schema refuses

            @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=st.one_of(generated, generated.map(_real_ids(operation.path, known)),
                                  wrong.map(_real_ids(operation.path, known))))
            def check(case):
                case.call_and_validate(base_url=base, headers=bearer(secret), checks=CHECKS)

            check()
            ran.append(f"{operation.method.upper()} {operation.path}")
    return ran


def test_every_operation_keeps_its_contract(tmp_path):
    app = api_app(tmp_path, MAX_UPLOAD_BYTES=2 * 1024 * 1024, PROPAGATE_EXCEPTIONS=False)
    known = seed(app)
    with app.test_request_context():
        from vault.api.spec import document
        documented = {f"{m.upper()} {p}" for p, item in document()["paths"].items() for m in item}
    ran = run_contract(app, known, examples=6)
    assert set(ran) == documented and len(ran) >= 24
    app.extensions["vault.engine"].dispose()


@pytest.mark.postgres
def test_contract_smoke_on_postgresql(tmp_path, postgres_url):
    app = api_app(tmp_path, postgres_url, PROPAGATE_EXCEPTIONS=False)
    assert len(run_contract(app, seed(app), examples=3)) >= 24
    app.extensions["vault.engine"].dispose()
