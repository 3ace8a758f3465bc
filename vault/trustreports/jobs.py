"""Writing a custom trust report as a job: the PDF (fonts, the library's answers, the status summary) takes
seconds to minutes, so the page checks the choice, enqueues the job and shows its progress.

Idempotent: a rerun (its first runner was lost after the commit) finds the report this job already added
(same grant, same contents, created since the job was enqueued, `job` in its audit record) and stops.
"""
from __future__ import annotations

import dataclasses

from flask import current_app

from vault import audit, jobs
from vault.access import service as access
from vault.auth.models import User
from vault.db import utcnow
from vault.documents import service as documents
from vault.inputs import InvalidInput
from vault.storage.service import BlobRef, discard_unless_committed
from vault.trustreports import service

KIND = "trustreports.generate"


def enqueue_report(session, grant, choice: service.Choice, *, by: audit.Actor) -> jobs.Job:
    return jobs.enqueue(session, KIND, {"grant": grant.uid, "choice": dataclasses.asdict(choice),
                                        "actor": dataclasses.asdict(by)})


def job_of(session, grant, job_uid: str | None) -> jobs.Job | None:
    """The report job `job_uid` if it was started for this grant."""
    return jobs.get_for(session, job_uid, KIND, grant=grant.uid)


@jobs.handler(KIND, max_attempts=3, timeout_seconds=900)
def report_job(ctx: jobs.Context, payload: dict) -> dict:
    sess = ctx.session
    grant = access.get_grant(sess, payload.get("grant", ""))
    if grant is None:
        raise jobs.JobFailed("the access grant no longer exists")
    choice = service.Choice(**payload.get("choice") or {})
    actor = audit.Actor(**payload.get("actor") or {})
    done = [r for r in service.reports_for(sess, grant)
            if r.created_at >= ctx.job.created_at and r.contents == choice.record()]
    if done:  # this job's report was committed by an earlier run
        return {"report": done[0].uid, "pages": done[0].pages}
    user = sess.get(User, actor.id) if actor.id else None
    if user is None:
        raise jobs.JobFailed("the person who asked for the report no longer has an account")
    ctx.progress(1, 3, "writing")
    try:
        report = service.generate(sess, grant, choice, by=user, now=utcnow(),
                                  default_company=current_app.config["COMPANY_NAME"],
                                  max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]))
    except InvalidInput as exc:
        sess.rollback()
        raise jobs.JobFailed(str(exc)) from exc
    stored = BlobRef.of(report.version.blob)
    try:
        ctx.progress(2, 3, "storing")
        audit.record(sess, "trustreports.generate", by=actor, object_type="grant", object_id=grant.uid,
                     detail={"report": report.uid, "document": report.document.uid, "version": report.version.uid,
                             "email": grant.email, "language": report.language, "pages": report.pages,
                             "job": ctx.uid, **choice.record()})
        documents.commit_upload(sess, report.version)
    except BaseException:
        discard_unless_committed(stored)  # e.g. the database restarted before the commit
        raise
    ctx.progress(3, 3, "done")
    return {"report": report.uid, "pages": report.pages}
