"""The custom trust report is written by a job: the staff page checks the choice at once (errors next to
the form), then shows the job's progress until the report is on the grant (JOBS_RUN=worker here)."""
import dataclasses

import pytest

from tests.access.builders import seed, trust_app
from tests.trustreports.builders import add_content, grant_for
from vault import db, jobs


@pytest.fixture
def app(tmp_path, smtp_sink):
    app = trust_app(tmp_path, smtp_sink)
    yield app
    app.extensions["vault.engine"].dispose()


def test_report_progress_then_result(app, tmp_path, smtp_sink, client_as):
    seeded = seed(app, tmp_path)
    staff = client_as("admin", email="boss@vault.test")
    add_content(app)
    uid, _link = grant_for(app, smtp_sink, seeded, staff)
    state = app.extensions["vault.jobs"]
    state.settings = dataclasses.replace(state.settings, run="worker")
    form = {"language": "en", "sections": ["encryption"], "documents": [], "answers": ["ENC-01"], "status": "y",
            "action": "generate"}
    refused = staff.post(f"/admin/access/grants/{uid}/report", data={**form, "answers": ["NOPE-1"]})
    assert refused.status_code == 400  # checked in the request: no job for a choice that cannot work
    resp = staff.post(f"/admin/access/grants/{uid}/report", data=form)
    assert resp.status_code == 302 and "job=" in resp.headers["Location"]
    url = resp.headers["Location"]
    waiting = staff.get(url)
    assert waiting.headers["Refresh"] == "2" and "Writing the report for alice@buyer.example" in waiting.get_data(
        as_text=True)
    assert "正在为 alice@buyer.example 生成报告" in staff.get(url + "&lang=zh").get_data(as_text=True)
    assert jobs.run_pending(app).done == 1
    page = staff.get(url).get_data(as_text=True)
    assert "Report added to the access page of alice@buyer.example" in page and "Reports on this access" in page
    with app.app_context():
        sess = db.session()
        [job] = jobs.list_jobs(sess, kind="trustreports.generate")
        assert job.status == "done" and job.progress_done == job.progress_total == 3
        from sqlalchemy import select
        from vault.audit import AuditEvent
        event = sess.scalar(select(AuditEvent).where(AuditEvent.action == "trustreports.generate"))
        assert event.actor == "boss@vault.test" and event.detail["job"] == job.uid
    # A rerun of the same job (its runner lost after the commit) adds no second report.
    from vault.trustreports import jobs as report_jobs
    with app.app_context():
        sess = db.session()
        again = jobs.get(sess, job.uid)
        from vault.jobs.runner import Context, settings_of
        ctx = Context(app, sess, again, "token", settings_of(app))
        assert report_jobs.report_job(ctx, again.payload)["report"] == job.result["report"]
    # Someone else's grant id in the URL shows nothing of this job.
    other = staff.get(f"/admin/access/grants/{uid}/report?job=nonsense")
    assert other.status_code == 200 and "Refresh" not in other.headers
