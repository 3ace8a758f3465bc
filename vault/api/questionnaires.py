"""Questionnaires: upload, status, matching, the match report (`vault autofill --report` shape) and the
filled file (answers.questionnaires.service and .export: the same functions the pages call)."""
from __future__ import annotations

from flask import current_app
from werkzeug.datastructures import FileStorage

from answers.autofill import propose_answers, report
from answers.library.index import app_index, synced_index
from answers.questionnaires import export, service
from answers.questionnaires import jobs as match_jobs
from exporters.filled import OUTPUT_KINDS
from importers import load_questionnaire
from importers.model import ImportErrorWithContext
from vault import db
from vault.api import schemas as s
from vault.api.auth import actor
from vault.api.blueprint import bp
from vault.api.common import listing, not_found
from vault.api.pagination import by_created
from vault.api.problems import ApiProblem
from vault.api.spec import file_response, operation
from vault.audit import record
from vault.http import stream_download

TAGS = ("questionnaires",)
MAX_FILE = 50 * 1000 * 1000  # the importers' own file limit (as on the upload page)


def questionnaire_json(qn) -> dict:
    counts = service.progress(db.session(), qn)
    return {"id": qn.uid, "customer": qn.customer, "filename": qn.filename, "format": qn.source_format,
            "state": qn.state, "question_count": qn.question_count, "progress": counts,
            "created_at": qn.created_at, "matched_at": qn.matched_at, "exported_at": qn.exported_at}


def _questionnaire(uid: str):
    qn = service.get_questionnaire(db.session(), uid)
    if qn is None:
        raise not_found("questionnaire")
    return qn


def _refused(exc: Exception) -> ApiProblem:
    return ApiProblem(422, str(exc), field="file" if isinstance(exc, ImportErrorWithContext) else "")


@bp.get("/questionnaires")
@operation("questionnaires.view", tags=TAGS, query=s.QuestionnaireQuery, ok={200: s.QuestionnaireList})
def list_questionnaires(query: s.QuestionnaireQuery):
    """Questionnaires, newest first (filter: customer)."""
    rows = service.list_questionnaires(db.session(), query.customer)
    return listing(rows, questionnaire_json, query, {"customer": query.customer}, by_created(newest_first=True))


@bp.post("/questionnaires")
@operation("questionnaires.edit", tags=TAGS, form=s.QuestionnaireUpload, ok={201: s.QuestionnaireOut},
           headers={201: ("Location",)})
def upload_questionnaire(form: s.QuestionnaireUpload):
    """Upload a customer's questionnaire: its questions are detected (state `detected`); match them next."""
    file = form.file
    if not isinstance(file, FileStorage) or not file.filename:
        raise ApiProblem(422, "Send the file as the multipart part `file`, with a file name.", field="file")
    limit = min(MAX_FILE, int(current_app.config.get("MAX_UPLOAD_BYTES") or MAX_FILE))
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise ApiProblem(413, f"The file is larger than the limit of {limit} bytes.", field="file")
    sess = db.session()
    try:
        qn = service.upload(sess, actor(), customer=form.customer, filename=file.filename, data=data)
    except (ImportErrorWithContext, service.QuestionnaireError) as exc:
        sess.rollback()
        record(sess, "questionnaire.upload", by=actor(), outcome="refused",
               detail={"filename": file.filename[:255], "reason": str(exc)[:500], "via": "api"})
        sess.commit()
        raise _refused(exc) from None
    sess.commit()
    return questionnaire_json(qn), 201, {"Location": f"{bp.url_prefix}/questionnaires/{qn.uid}"}


@bp.get("/questionnaires/<uid>")
@operation("questionnaires.view", tags=TAGS, ok={200: s.QuestionnaireOut})
def get_questionnaire(uid: str):
    """Status of one questionnaire: state (detected, review), progress of the review."""
    return questionnaire_json(_questionnaire(uid))


def job_json(job) -> dict:
    return {"id": job.uid, "status": job.status, "progress_done": job.progress_done,
            "progress_total": job.progress_total, "message": job.message, "error": job.error or None,
            "result": job.result, "created_at": job.created_at, "finished_at": job.finished_at}


@bp.post("/questionnaires/<uid>/match")
@operation("questionnaires.edit", tags=TAGS, query=s.MatchQuery, ok={202: s.MatchJob}, errors=(409,),
           headers={202: ("Location",)})
def match_questionnaire(uid: str, query: s.MatchQuery):
    """Match the questions against the library (again=true: re-propose the questions nobody touched), as a
    job like the page's "Match" button: 202 with the job; follow it at the `Location` until `done`."""
    qn = _questionnaire(uid)
    if (qn.state != "review") if query.again else (qn.state != "detected"):
        raise ApiProblem(409, "Match the questions first." if query.again else
                         "The questions have been matched already; use again=true to match the untouched ones.")
    sess = db.session()
    job = match_jobs.enqueue_match(sess, actor(), qn, again=query.again)
    sess.commit()  # the job starts after this (a worker, the app's thread, or inline when the request ends)
    return job_json(job), 202, {"Location": f"{bp.url_prefix}/questionnaires/{uid}/match/{job.uid}"}


@bp.get("/questionnaires/<uid>/match/<job_uid>")
@operation("questionnaires.view", tags=TAGS, ok={200: s.MatchJob})
def match_status(uid: str, job_uid: str):
    """A match job of this questionnaire: queued, running (with progress), retry, done, failed or dead."""
    job = match_jobs.job_of(db.session(), _questionnaire(uid), job_uid)
    if job is None:
        raise not_found("match job of this questionnaire")
    return job_json(job)


@bp.get("/questionnaires/<uid>/report")
@operation("questionnaires.view", tags=TAGS, ok={200: s.MatchReport})
def match_report(uid: str):
    """The stored file matched against the current library, in the `vault autofill --report` JSON shape."""
    qn = _questionnaire(uid)
    sess = db.session()
    try:
        parsed = load_questionnaire(service.read_original(qn), qn.filename, layout_hint=qn.layout or None)
    except ImportErrorWithContext as exc:
        raise _refused(exc) from None
    with synced_index(sess) as index:
        proposals = propose_answers(parsed, index, app_index().entries(sess))
    return report(proposals)


@bp.post("/questionnaires/<uid>/export")
@operation("questionnaires.edit", tags=TAGS, json=s.ExportQuery, ok={200: None}, errors=(409,),
           headers={200: ("Content-Disposition",)})
def export_questionnaire(uid: str, json: s.ExportQuery):
    """The customer's own file with the accepted answers written in (include_suggested: the proposals too);
    recorded as sent, as on the page."""
    qn = _questionnaire(uid)
    sess = db.session()
    try:
        download = export.export_filled(sess, actor(), qn, include_suggested=json.include_suggested)
    except service.QuestionnaireError as exc:
        raise ApiProblem(409, str(exc)) from None
    sess.commit()
    resp = stream_download([download.data], filename=download.filename, media_type=download.media_type,
                           size=len(download.data))
    resp.direct_passthrough = False  # made in memory already; spectree reads the body to check the answer
    return resp


# the customer's own format: whatever the exporters can give back
file_response("POST", "/api/v1/questionnaires/{uid}/export",
              [media for _ext, media in OUTPUT_KINDS.values()] + ["application/octet-stream"])
