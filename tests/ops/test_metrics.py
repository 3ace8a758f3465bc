"""/metrics: refused without the bearer token, the Prometheus text format with the named series, values
read from the real tables (SQLite and PostgreSQL)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_app
from tests.ops.conftest import read


def scrape(client, token: str) -> dict:
    """{metric family name: family} from a scrape, parsed with prometheus_client's own parser."""
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    body = read(resp).decode()
    assert resp.status_code == 200, body
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(body)}


def value(families: dict, sample_name: str, **labels) -> float | None:
    for family in families.values():
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def test_metrics_is_off_without_a_token_and_refuses_a_wrong_one(tmp_path, metrics_token):
    for name in ("off", "weak", "on"):
        (tmp_path / name).mkdir()
    off = make_app(tmp_path / "off").test_client()
    assert off.get("/metrics").status_code == 404
    weak = make_app(tmp_path / "weak", METRICS_TOKEN="short-token").test_client()
    assert weak.get("/metrics", headers={"Authorization": "Bearer short-token"}).status_code == 404
    client = make_app(tmp_path / "on", METRICS_TOKEN=metrics_token).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong" + metrics_token[5:]}, {"Authorization": metrics_token},
                    {"Authorization": f"Basic {metrics_token}"}):
        resp = client.get("/metrics", headers=headers)
        assert resp.status_code == 401 and "trustvault" not in resp.get_data(as_text=True)
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert ok.status_code == 200 and "set-cookie" not in {k.lower() for k in ok.headers.keys()}


def test_request_latency_is_counted_per_route_method_and_status_class(tmp_path, metrics_token):
    client = make_app(tmp_path, METRICS_TOKEN=metrics_token).test_client()
    before = scrape(client, metrics_token)
    read(client.get("/trust/"))
    read(client.get("/trust/"))
    read(client.get("/no/such/page"))
    after = scrape(client, metrics_token)
    name = "trustvault_http_request_duration_seconds_count"

    def grown(**labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)
    assert grown(route="trust.index", method="GET", status="2xx") == 2
    assert grown(route="unmatched", method="GET", status="4xx") == 1
    assert value(after, "trustvault_http_request_duration_seconds_bucket", route="trust.index", le="+Inf") >= 2


PERIODIC_NAME = "ops.test.tick"


@pytest.fixture
def periodic_tick():
    from vault.jobs import policy
    policy.periodic(PERIODIC_NAME, every=timedelta(minutes=2))
    yield
    policy.PERIODIC.pop(PERIODIC_NAME, None)


def test_database_series_read_the_queue_the_outbox_and_legal_timeline(any_db_app, metrics_token, periodic_tick):
    from sqlalchemy import update

    from tests.expiry.conftest import document, user
    from vault import db, jobs, notify
    from vault.jobs.models import Job, JobSchedule
    from vault.notify.models import Outbox

    app = any_db_app
    app.config.update(METRICS_TOKEN=metrics_token)
    state = app.extensions["vault.jobs"]
    state.settings = dataclasses.replace(state.settings, run="worker")  # the jobs wait for a worker
    with app.app_context():
        sess = db.session()
        owner = user(sess, "legal")
        document(app, sess, owner, _tmp(app), "ISO 27001 certificate", expiry=date.today() + timedelta(days=12))
        document(app, sess, owner, _tmp(app), "PCI attestation", expiry=date.today() + timedelta(days=40))
        document(app, sess, owner, _tmp(app), "Old SOC 1 report", expiry=date.today() - timedelta(days=3))
        for n in range(3):
            notify.send_email(sess, to=f"reader{n}@example.com", subject="s", text="t")
        jobs.enqueue(sess, "ops.metrics.pending", {}, key="ops-metrics-1")
        jobs.enqueue(sess, "ops.metrics.pending", {}, key="ops-metrics-2")
        sess.commit()
        first = sess.scalar(Outbox.__table__.select().with_only_columns(Outbox.id).order_by(Outbox.id).limit(1))
        sess.execute(update(Outbox).where(Outbox.id == first).values(status="dead"))
        # one message has waited ten minutes, one job five (as if no worker were running)
        waited = datetime.now(timezone.utc)
        sess.execute(update(Outbox).where(Outbox.id == first + 1)
                     .values(next_attempt_at=waited - timedelta(minutes=10)))
        sess.execute(update(Job).where(Job.key == "ops-metrics-1").values(run_after=waited - timedelta(minutes=5)))
        # a periodic job every 2 minutes whose last slot is 7 minutes old: no scheduler has run since
        sess.add(JobSchedule(name=PERIODIC_NAME, last_slot=waited - timedelta(minutes=7), updated_at=waited))
        sess.commit()
    families = scrape(app.test_client(), metrics_token)
    assert value(families, "trustvault_outbox_messages", status="queued") == 2
    assert value(families, "trustvault_outbox_messages", status="dead") == 1
    assert value(families, "trustvault_outbox_messages", status="retry") == 0
    assert 600 <= value(families, "trustvault_outbox_oldest_due_seconds") < 900
    assert value(families, "trustvault_jobs", kind="ops.metrics.pending", status="queued") == 2
    assert 300 <= value(families, "trustvault_jobs_oldest_due_seconds") < 600
    assert "trustvault_jobs_failed" in families
    assert 420 <= value(families, "trustvault_periodic_slot_age_seconds", name=PERIODIC_NAME) < 700
    assert value(families, "trustvault_periodic_interval_seconds", name=PERIODIC_NAME) == 120
    assert value(families, "trustvault_days_to_next_expiry", kind="document_expiry") == 12
    assert value(families, "trustvault_obligations_overdue", kind="document_expiry") == 1
    assert {s.labels["source"]: s.value for s in families["trustvault_metrics_source_up"].samples} == \
        {"expiry": 1, "jobs": 1, "outbox": 1}


def _tmp(app):
    from pathlib import Path
    return Path(app.instance_path)


def test_a_broken_source_is_reported_and_hides_nothing_else(app, metrics_token, monkeypatch):
    from vault import metrics

    def broken(session, now):
        raise RuntimeError("no such table")
        yield  # pragma: no cover
    monkeypatch.setitem(metrics.SOURCES, "broken", metrics._Registered(broken, 0.0))
    app.config.update(METRICS_TOKEN=metrics_token)
    families = scrape(app.test_client(), metrics_token)
    assert value(families, "trustvault_metrics_source_up", source="broken") == 0
    assert value(families, "trustvault_metrics_source_up", source="outbox") == 1
    assert "trustvault_outbox_messages" in families


def test_nothing_else_answers_with_metrics(client):
    for path in ("/metrics", "/metrics/", "/METRICS"):
        resp = client.get(path)
        assert resp.status_code == 404 and b"trustvault_" not in read(resp)
