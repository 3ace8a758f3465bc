"""Long work started on a page runs as a job, and the page shows its progress until it is done
(JOBS_RUN=worker here, so the test decides when the worker runs)."""
import dataclasses

from tests.questionnaires.builders import add_library, upload, uid_from, workbook
from vault import db, jobs


def _worker_mode(app):
    state = app.extensions["vault.jobs"]
    state.settings = dataclasses.replace(state.settings, run="worker")


def test_matching_shows_progress_until_done_then_the_review(app, client_as):
    add_library(app)
    _worker_mode(app)
    c = client_as("sales")
    uid = uid_from(upload(c, workbook()))
    resp = c.post(f"/questionnaires/{uid}/match")
    assert resp.status_code == 302
    page_url = resp.headers["Location"]
    job_uid = page_url.rsplit("job=", 1)[1]
    # Asking twice while it waits gives the same job, not a second match.
    assert c.post(f"/questionnaires/{uid}/match").headers["Location"] == page_url

    waiting = c.get(page_url)
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and waiting.headers["Refresh"] == "2"
    assert "Waiting for a worker to start it" in html and "q.xlsx" in html
    zh = c.get(page_url + "&lang=zh").get_data(as_text=True)
    assert "正在等待" in zh and "此页面每 2 秒自动刷新" in zh

    assert jobs.run_pending(app).done == 1
    with app.app_context():
        job = jobs.get(db.session(), job_uid)
        assert job.status == "done" and job.progress_done == job.progress_total == 4 and job.result["questions"] == 4
    done = c.get(page_url)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/questionnaires/{uid}")
    review = c.get(done.headers["Location"]).get_data(as_text=True)
    assert "4 questions matched against the library." in review

    # Matching again: the same way, and the message says what changed.
    again_url = c.post(f"/questionnaires/{uid}/match-again").headers["Location"]
    assert "Waiting for a worker" in c.get(again_url).get_data(as_text=True)
    jobs.run_pending(app)
    page = c.get(again_url, follow_redirects=True).get_data(as_text=True)
    assert "Matched again against the current library" in page


def test_a_job_of_another_questionnaire_shows_nothing(app, client_as):
    add_library(app)
    _worker_mode(app)
    c = client_as("sales")
    first = uid_from(upload(c, workbook()))
    second = uid_from(upload(c, workbook()))
    job_url = c.post(f"/questionnaires/{first}/match").headers["Location"]
    job_uid = job_url.rsplit("job=", 1)[1]
    other = c.get(f"/questionnaires/{second}?job={job_uid}")
    assert other.status_code == 302 and other.headers["Location"].endswith(f"/questionnaires/{second}/detection")
    assert c.get(f"/questionnaires/{first}?job=nonsense").headers["Location"].endswith("/detection")
    assert client_as("viewer").post(f"/questionnaires/{first}/match").status_code == 403


def test_a_failed_match_says_why(app, client_as, monkeypatch):
    from answers.questionnaires import service
    add_library(app)
    _worker_mode(app)
    c = client_as("sales")
    uid = uid_from(upload(c, workbook()))
    url = c.post(f"/questionnaires/{uid}/match").headers["Location"]

    def broken(*a, **kw):
        raise service.QuestionnaireError("no questions were detected; correct the detection first")

    monkeypatch.setattr(service, "start_review", broken)
    jobs.run_pending(app)
    page = c.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Matching did not finish: no questions were detected; correct the detection first" in page
