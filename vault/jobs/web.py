"""The page that shows a job's progress and refreshes itself (an HTTP `Refresh` header: no script) until
the view that renders it sees the job finished and shows the result instead."""
from __future__ import annotations

from flask import make_response, render_template
from flask_babel import gettext

from vault.jobs.models import Job

REFRESH_SECONDS = 2


def progress_page(job: Job, *, title: str, back_url: str | None = None, back_label: str = ""):
    resp = make_response(render_template("jobs/progress.html", job=job, title=title, back_url=back_url,
                                         back_label=back_label, refresh=REFRESH_SECONDS))
    resp.headers["Refresh"] = str(REFRESH_SECONDS)  # reload this same URL (with its job id) until done
    resp.headers["Cache-Control"] = "no-store"
    return resp



def failure_reason(job: Job) -> str:
    """The first line of a failed job's error, in the page's language when it is one of our messages
    (handlers raise JobFailed with the English msgid; jobs run without a request, so in English)."""
    first = (job.error or "").strip().splitlines()[0] if (job.error or "").strip() else ""
    return gettext(first) if first else ""
