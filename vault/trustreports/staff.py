"""Staff page of custom trust reports, from a grant: choose the content, search the library, generate.
Who may approve grants (`access.decide`) may add a report to one."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from vault import db
from vault.access import service as access
from vault.db import utcnow
from vault.documents.labels import template_helpers
from vault.inputs import InvalidInput
from vault.jobs.web import failure_reason, progress_page
from vault.trustreports import jobs as report_jobs
from vault.trustreports import service
from vault.trustreports.forms import ReportForm
from vault.web import current_actor, form_error, require

bp = Blueprint("trustreports_staff", __name__, url_prefix="/admin/access/grants")
bp.context_processor(template_helpers)


def _grant_or_404(uid: str):
    grant = access.get_grant(db.session(), uid)
    if grant is None:
        abort(404)
    return grant


def _fill_choices(form: ReportForm, grant, found) -> dict:
    """The form's lists: overview sections, shareable documents, and the answers picked or just found."""
    sess, today, locale = db.session(), utcnow().date(), str(get_locale())
    sections = service.overview_sections(sess, locale, today)
    form.sections.choices = [(s.key, s.title) for s in sections]
    shareable = service.shareable_documents(sess)
    form.documents.choices = [(d.uid, d.title_for(locale)) for d, _v in shareable]
    picked = []
    try:
        picked = service.chosen_answers(sess, form.answers.data or [])
    except InvalidInput:
        picked = []
    shown = {e.ref: e for e in [*picked, *found]}
    form.answers.choices = [(e.ref, f"{e.ref} · {e.question}") for e in shown.values()]
    granted = {link.document.uid for link in grant.documents}
    return {"entries": shown, "granted": granted,
            "validity": {d.uid: service.validity_text(v, today, locale) for d, v in shareable}}


def _page(grant, form: ReportForm, *, found=(), searched: bool = False, status: int = 200):
    extra = _fill_choices(form, grant, list(found))
    now = utcnow()
    return render_template("trustreports/staff/report.html", grant=grant, form=form, found=found, searched=searched,
                           reports=service.reports_for(db.session(), grant), active=grant.active_at(now),
                           **extra), status


@bp.get("/<uid>/report")
@require("access.decide")
def choose(uid: str):
    grant = _grant_or_404(uid)
    job = report_jobs.job_of(db.session(), grant, request.args.get("job"))
    if job is not None and not job.finished:  # the report is being written: its progress until done
        return progress_page(job, title=_("Writing the report for %(email)s", email=grant.email),
                             back_url=url_for(".choose", uid=grant.uid), back_label=_("Back to the report page"))
    if job is not None and job.status == "done":
        flash(_("Report added to the access page of %(email)s (%(pages)d pages). It downloads watermarked, "
                "through their personal link.", email=grant.email, pages=(job.result or {}).get("pages", 0)),
              "success")
    elif job is not None:
        flash(_("The report was not written: %(reason)s", reason=failure_reason(job)),
              "error")
    choice = service.default_choice(db.session(), grant, utcnow().date())
    form = ReportForm(formdata=None, language=choice.language, sections=choice.sections, documents=choice.documents,
                      answers=[], status=choice.status)
    return _page(grant, form)


@bp.post("/<uid>/report")
@require("access.decide")
def generate(uid: str):
    grant = _grant_or_404(uid)
    form = ReportForm()
    if not form.validate_on_submit():
        abort(400)
    sess = db.session()
    if request.form.get("action") == "search":  # changes nothing: shows matches beside what is picked
        return _page(grant, form, found=service.search_answers(sess, form.q.data), searched=True)
    choice = service.Choice(language=form.language.data, sections=form.sections.data or [],
                            documents=form.documents.data or [], answers=form.answers.data or [],
                            status=bool(form.status.data))
    try:  # refusals here, next to the form; writing the PDF is a job (vault/trustreports/jobs.py)
        service.check(sess, grant, choice, now=utcnow(), default_company=current_app.config["COMPANY_NAME"])
    except InvalidInput as exc:
        sess.rollback()
        form_error(form, exc)
        return _page(_grant_or_404(uid), form, status=400)
    job = report_jobs.enqueue_report(sess, grant, choice, by=current_actor())
    sess.commit()
    return redirect(url_for(".choose", uid=grant.uid, job=job.uid))
