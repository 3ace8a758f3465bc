"""Matching a questionnaire against the library as a job: a 2,000-question file takes minutes, so the web
request only enqueues it and the review page shows its progress until it is done.

One job per questionnaire at a time (key `questionnaires.match:<uid>`). Idempotent: a first match that
finds the questionnaire already matched (a rerun after a lost worker) does nothing; matching again only
re-proposes questions nobody touched, so a second run changes nothing more.
"""
from __future__ import annotations

import dataclasses

from answers.library.index import app_index, synced_index
from answers.questionnaires import service
from importers.model import ImportErrorWithContext
from vault import jobs
from vault.audit import Actor

KIND = "questionnaires.match"


def key_for(qn_uid: str) -> str:
    return f"{KIND}:{qn_uid}"


def enqueue_match(session, actor: Actor, qn, *, again: bool) -> jobs.Job:
    """In the caller's transaction; a match already waiting or running for this questionnaire is returned."""
    return jobs.enqueue(session, KIND, {"uid": qn.uid, "again": again, "actor": dataclasses.asdict(actor)},
                        key=key_for(qn.uid))


def job_of(session, qn, job_uid: str | None) -> jobs.Job | None:
    """The match job `job_uid` if it belongs to this questionnaire (a uid from a URL proves nothing)."""
    return jobs.get_for(session, job_uid, KIND, uid=qn.uid)


@jobs.handler(KIND, max_attempts=3, timeout_seconds=3600)
def match_job(ctx: jobs.Context, payload: dict) -> dict:
    sess = ctx.session
    qn = service.get_questionnaire(sess, payload.get("uid", ""))
    if qn is None:
        raise jobs.JobFailed("the questionnaire no longer exists")
    actor = Actor(**payload.get("actor") or {})
    again = bool(payload.get("again"))
    if not again and qn.state != "detected":
        return {"again": False, "questions": qn.question_count}  # matched by an earlier run of this job

    def progress(done: int, total: int) -> None:
        ctx.progress(done, total, "matching")

    try:
        with synced_index(sess) as index:
            entries = app_index().entries(sess)
            if again:
                result = dataclasses.asdict(service.match_again(sess, actor, qn, index, entries, progress=progress))
            else:
                result = {"questions": service.start_review(sess, actor, qn, index, entries, progress=progress)}
    except (ImportErrorWithContext, service.QuestionnaireError) as exc:
        raise jobs.JobFailed(str(exc)) from exc
    sess.commit()
    return {"again": again, **result}
