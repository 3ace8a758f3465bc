"""Staff pages for questionnaires: upload, detection, review, export.

Thin views: parse input, check access, call one service function, commit, render. Review actions
answer JSON to the page's script (fetch with the X-CSRFToken header) and redirect plain forms.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from answers.library.index import synced_index
from answers.library.models import LibraryEntry as EntryRow
from answers.matching import AUTOFILL_THRESHOLD
from answers.questionnaires import export, ledger, service
from answers.questionnaires import jobs as match_jobs
from answers.questionnaires.forms import (HOW_LABELS, LAYOUT_SOURCES, ROLE_LABELS, STATUS_BADGES, STATUS_LABELS,
                                          UploadForm, confidence_band, flag_reasons, live_flags,
                                          report_labels)
from importers.model import ROLES, ImportErrorWithContext
from vault import db
from vault.db import utcnow
from vault.auth.service import list_users
from vault.errors import wants_json
from vault.i18n import localized, localized_reason
from vault.http import stream_download
from vault.jobs.web import failure_reason, progress_page
from vault.web import audit_event, current_actor, require

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaires")
PAGE_SIZE = 50
LEDGER_LIMIT = 500  # rows on the page; the CSV holds every row of the filtered view


@bp.context_processor
def _labels():
    return {"status_labels": STATUS_LABELS, "status_badges": STATUS_BADGES, "how_labels": HOW_LABELS,
            "role_labels": ROLE_LABELS, "roles": ROLES, "confidence_band": confidence_band,
            "flag_reasons": flag_reasons, "live_flags": live_flags,
            "shown_answer": service.shown_answer, "contradiction": service.contradiction}


def _qn_or_404(uid: str):
    qn = service.get_questionnaire(db.session(), uid)
    if qn is None:
        abort(404)
    return qn


def _item_or_404(qn, item_uid: str):
    item = service.get_item(db.session(), qn, item_uid)
    if item is None:  # also another questionnaire's item: ids never cross questionnaires
        abort(404)
    return item


def _assignable(sess):
    return [u for u in list_users(sess) if u.active and u.can("questionnaires.edit")]


def _entry_uids(sess, items) -> dict[str, str]:
    refs = {r for i in items for r in [i.proposed_entry_ref, i.final_entry_ref, i.learned_ref,
                                       *[a.get("ref") for a in i.alternatives or []]] if r}
    if not refs:
        return {}
    return dict(sess.execute(select(EntryRow.ref, EntryRow.uid).where(EntryRow.ref.in_(refs))).all())


def _card_context(sess, items) -> dict:
    refs = {i.proposed_entry_ref for i in items if i.proposed_entry_ref and i.status in ("suggested", "edited")}
    return {"users": _assignable(sess), "entry_uids": _entry_uids(sess, items),
            "stale_now": service.stale_evidence(sess, refs, utcnow().date()),
            "can_edit": current_user.can("questionnaires.edit"),
            "can_edit_library": current_user.can("library.edit")}


# --- list and upload -----------------------------------------------------------------------------

@bp.get("/")
@require("questionnaires.view")
def index():
    customer = (request.args.get("customer") or "").strip()[:200]
    sess = db.session()
    rows = [(qn, service.progress(sess, qn)) for qn in service.list_questionnaires(sess, customer)]
    return render_template("questionnaires/index.html", rows=rows, customer=customer)


@bp.route("/new", methods=["GET", "POST"])
@require("questionnaires.edit")
def new():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        limit = min(DEFAULT_MAX, int(current_app.config.get("MAX_UPLOAD_BYTES") or DEFAULT_MAX))
        data = upload.stream.read(limit + 1)
        sess = db.session()
        if len(data) > limit:
            form.file.errors.append(_("The file is larger than %(mb)d MB.", mb=limit // 1_000_000))
        else:
            try:
                qn = service.upload(sess, current_actor(), customer=form.customer.data, filename=upload.filename or "",
                                    data=data)
            except (ImportErrorWithContext, service.QuestionnaireError) as exc:
                sess.rollback()
                form.file.errors.append(localized(exc))
                audit_event("questionnaire.upload", outcome="refused",
                            detail={"filename": (upload.filename or "")[:255], "reason": str(exc)[:500]})
                sess.commit()
            else:
                sess.commit()
                return redirect(url_for("questionnaires.detection", uid=qn.uid))
    return render_template("questionnaires/new.html", form=form)


DEFAULT_MAX = 50 * 1000 * 1000  # the importers' own file limit


# --- detection -----------------------------------------------------------------------------------

@bp.get("/<uid>/detection")
@require("questionnaires.view")
def detection(uid: str):
    qn = _qn_or_404(uid)
    return render_template("questionnaires/detection.html", qn=qn, det=qn.detection, remark=_remarks(qn.detection),
                           layout_sources=LAYOUT_SOURCES, correctable=qn.source_format in service.CORRECTABLE)


def _remarks(det: dict):
    """The importer's skip reasons, notes and warnings in the current language. The detection stores
    them as English text plus, under "i18n", each one's N_ template and parameters (detection_of);
    detections stored before that have no "i18n": the text is then its own msgid (right for the
    remarks without parameters, the rest stays English)."""
    table = (det or {}).get("i18n") or {}

    def remark(text: str | None) -> str:
        if not text:
            return ""
        entry = table.get(text)
        if isinstance(entry, list) and len(entry) == 2:
            return localized_reason(_Stored(entry[0], entry[1] or {}, text))
        return _(text)
    return remark


@dataclass
class _Stored:  # the shape vault.i18n.localized_reason reads
    template: str
    params: dict
    reason: str


@bp.post("/<uid>/detection")
@require("questionnaires.edit")
def correct_detection(uid: str):
    qn = _qn_or_404(uid)
    sess = db.session()
    try:
        hint = service.hint_from_form(qn.detection, request.form)
        service.apply_layout(sess, current_actor(), qn, hint, remember=request.form.get("remember") == "1")
    except (ImportErrorWithContext, service.QuestionnaireError) as exc:
        sess.rollback()
        flash(_("The correction was not applied: %(reason)s", reason=localized(exc)), "error")
    else:
        sess.commit()
        flash(_("Detection updated: %(n)d questions.", n=qn.question_count), "success")
    return redirect(url_for("questionnaires.detection", uid=uid))


@bp.post("/<uid>/match")
@require("questionnaires.edit")
def match(uid: str):
    """Matching is a job (a large file takes minutes): the review page shows its progress."""
    return _enqueue_match(_qn_or_404(uid), again=False)


@bp.post("/<uid>/match-again")
@require("questionnaires.edit")
def match_again(uid: str):
    return _enqueue_match(_qn_or_404(uid), again=True)


def _enqueue_match(qn, *, again: bool):
    if (qn.state != "review") if again else (qn.state != "detected"):
        flash(_("match the questions first") if again else _("the questions have been matched already"), "error")
        return redirect(url_for("questionnaires.review", uid=qn.uid))
    sess = db.session()
    job = match_jobs.enqueue_match(sess, current_actor(), qn, again=again)
    sess.commit()
    return redirect(url_for("questionnaires.review", uid=qn.uid, job=job.uid))


def _match_outcome(qn, job):
    """The review URL carries the match job: its progress while it runs, then its result once."""
    if not job.finished:
        back = url_for("questionnaires.detection", uid=qn.uid) if qn.state == "detected" else None
        return progress_page(job, title=_("Matching %(name)s against the library", name=qn.filename),
                             back_url=back, back_label=_("Back to the detection"))
    result = job.result or {}
    if job.status != "done":
        flash(_("Matching did not finish: %(reason)s", reason=failure_reason(job)),
              "error")
    elif result.get("again"):
        flash(_("Matched again against the current library: %(new)d questions have a new proposal, "
                "%(same)d unchanged; %(kept)d reviewed or edited questions kept as they were.",
                new=result.get("reproposed", 0), same=result.get("unchanged", 0), kept=result.get("kept", 0)),
              "success")
    else:
        flash(_("%(n)d questions matched against the library.", n=result.get("questions", 0)), "success")
    return redirect(url_for("questionnaires.review", uid=qn.uid))


# --- review --------------------------------------------------------------------------------------

def _item_filter(args, sess) -> tuple[service.ItemFilter, dict]:
    assignee = args.get("assignee", "")
    shown = {"status": args.get("status") if args.get("status") in STATUS_LABELS else "",
             "section": (args.get("section") or "")[:500],
             "assignee": assignee if assignee == "none" or (assignee.isdigit() and len(assignee) < 10) else "",
             "q": (args.get("q") or "").strip()[:200]}
    flt = service.ItemFilter(status=shown["status"], section=shown["section"], text=shown["q"],
                             unassigned=shown["assignee"] == "none",
                             assignee_id=int(shown["assignee"]) if shown["assignee"].isdigit() else None,
                             limit=PAGE_SIZE)
    return flt, shown


@bp.get("/<uid>")
@require("questionnaires.view")
def review(uid: str):
    qn = _qn_or_404(uid)
    sess = db.session()
    job = match_jobs.job_of(sess, qn, request.args.get("job"))
    if job is not None:
        return _match_outcome(qn, job)
    if qn.state == "detected":
        return redirect(url_for("questionnaires.detection", uid=uid))
    flt, shown = _item_filter(request.args, sess)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    flt.offset = (page - 1) * PAGE_SIZE
    items, total = service.list_items(sess, qn, flt)
    pages = max(1, -(-total // PAGE_SIZE))
    args = {k: v for k, v in shown.items() if v}
    return render_template("questionnaires/review.html", qn=qn, items=items, total=total, page=page, pages=pages,
                           shown=shown, args=args, progress=service.progress(sess, qn),
                           sections=service.sections(sess, qn), autofill_percent=round(AUTOFILL_THRESHOLD * 100),
                           **_card_context(sess, items))


def _card(item) -> str:
    sess = db.session()
    return render_template("questionnaires/_item.html", item=item, **_card_context(sess, [item]))


def _item_state(item) -> dict:
    return {"status": item.status, "answer": item.final_answer, "comment": item.final_comment,
            "revision": item.revision, "by": item.updated_by.email if item.updated_by else "",
            "at": item.updated_at.isoformat() if item.updated_at else ""}


def _done(qn, item, message: str):
    if wants_json():
        progress = service.progress(db.session(), qn)
        return {"ok": True, "message": message, "html": _card(item), "revision": item.revision,
                "progress": progress,
                "progress_html": render_template("questionnaires/_progress.html", progress=progress)}
    flash(message, "success")
    return redirect(request.form.get("back") if _safe_back() else url_for("questionnaires.review", uid=qn.uid)
                    + f"#item-{item.uid}")


def _safe_back() -> bool:
    from vault.web import is_safe_next
    return is_safe_next(request.form.get("back"))


def _refused(qn, item, message: str, status: int = 400):
    if wants_json():
        return {"ok": False, "error": message}, status
    flash(message, "error")
    return redirect(url_for("questionnaires.review", uid=qn.uid) + f"#item-{item.uid}")


def _conflict(qn, item, exc: service.Conflict):
    sess = db.session()
    sess.rollback()
    sess.refresh(item)
    audit_event("questionnaire.item.conflict", object_type="questionnaire_item", object_id=item.uid,
                outcome="refused", detail={"submitted_revision": request.form.get("revision", "")[:12],
                                           "current_revision": item.revision})
    sess.commit()
    if wants_json():
        return {"ok": False, "conflict": True, "error": _("Someone else changed this question since you "
                                                          "opened it. Nothing was saved: compare and choose."),
                "yours": exc.submitted, "theirs": _item_state(item), "html": _card(item),
                "revision": item.revision}, 409
    return render_template("questionnaires/conflict.html", qn=qn, item=item, yours=exc.submitted,
                           theirs=_item_state(item)), 409


@bp.post("/<uid>/items/<item_uid>")
@require("questionnaires.edit")
def act(uid: str, item_uid: str):
    qn = _qn_or_404(uid)
    item = _item_or_404(qn, item_uid)
    sess = db.session()
    action = request.form.get("action", "")
    revision = request.form.get("revision", type=int)
    try:
        if action == "assign":
            raw = request.form.get("assignee", "")
            user_id = int(raw) if raw.isdigit() and len(raw) < 10 and raw != "0" else None
            service.assign_item(sess, current_actor(), item, user_id, expected_revision=revision)
        else:
            service.review_item(sess, current_actor(), item, action, expected_revision=revision,
                                answer=request.form.get("answer"), comment=request.form.get("comment"),
                                alternative=request.form.get("alternative"))
    except service.Conflict as exc:
        return _conflict(qn, item, exc)
    except service.QuestionnaireError as exc:
        sess.rollback()
        return _refused(qn, item, str(exc))
    sess.commit()
    return _done(qn, item, _("Saved."))


@bp.post("/<uid>/items/<item_uid>/comments")
@require("questionnaires.edit")
def comment(uid: str, item_uid: str):
    qn = _qn_or_404(uid)
    item = _item_or_404(qn, item_uid)
    sess = db.session()
    try:
        service.add_comment(sess, current_actor(), item, request.form.get("body", ""))
    except service.QuestionnaireError as exc:
        sess.rollback()
        return _refused(qn, item, str(exc))
    sess.commit()
    sess.refresh(item)
    return _done(qn, item, _("Comment added."))


@bp.post("/<uid>/items/<item_uid>/learn")
@require("questionnaires.edit")
def learn(uid: str, item_uid: str):
    qn = _qn_or_404(uid)
    item = _item_or_404(qn, item_uid)
    sess = db.session()
    try:
        entry = service.learn(sess, current_actor(), item, request.form.get("mode", ""),
                              can_edit_library=current_user.can("library.edit"))
    except service.QuestionnaireError as exc:
        sess.rollback()
        return _refused(qn, item, str(exc))
    sess.commit()
    try:  # make the new answer matchable at once; the next sync retries if this fails
        with synced_index(sess):
            pass
    except Exception:  # noqa: BLE001
        current_app.logger.exception("library index sync failed")
    if entry.status == "draft":
        message = _("Saved to the library as draft %(ref)s; someone who edits the library will review it.",
                    ref=entry.ref)
    else:
        message = _("Saved to the library as %(ref)s.", ref=entry.ref)
    return _done(qn, item, message)


def _bulk_message(result: service.BulkResult) -> str:
    parts = [_("%(n)d answers accepted.", n=result.accepted)]
    skipped = [(result.flagged, _("%(n)d left for a person: the library entry asks another question, gives "
                                  "another kind of answer, is out of date or a draft (see the note on each)")),
               (result.not_allowed, _("%(n)d left for a person: the answer is not one the dropdown allows")),
               (result.contradictory, _("%(n)d left for a person: the answer and its details disagree"))]
    parts += [text % {"n": n} for n, text in skipped if n]
    return " ".join(parts[:1] + [p + "." for p in parts[1:]])


@bp.post("/<uid>/bulk-accept")
@require("questionnaires.edit")
def bulk_accept(uid: str):
    qn = _qn_or_404(uid)
    raw = (request.form.get("threshold") or "").strip().rstrip("%")
    sess = db.session()
    try:
        threshold = float(raw) / 100 if raw and len(raw) < 8 else -1
        result = service.bulk_accept(sess, current_actor(), qn, threshold)
    except (ValueError, service.QuestionnaireError) as exc:
        sess.rollback()
        flash(str(exc) if isinstance(exc, service.QuestionnaireError) else
              _("The threshold must be a percentage."), "error")
    else:
        sess.commit()
        flash(_bulk_message(result), "success")
    return redirect(url_for("questionnaires.review", uid=uid))


# --- export --------------------------------------------------------------------------------------

def _send(download, qn):
    return stream_download([download.data], filename=download.filename, media_type=download.media_type,
                           size=len(download.data))


@bp.post("/<uid>/export")
@require("questionnaires.edit")
def export_file(uid: str):
    qn = _qn_or_404(uid)
    sess = db.session()
    try:
        download = export.export_filled(sess, current_actor(), qn,
                                        include_suggested=request.form.get("include_suggested") == "1")
    except service.QuestionnaireError as exc:
        # a 4xx page with the one-line reason and a way back; nothing recorded, no file
        sess.rollback()
        return render_template("questionnaires/export_failed.html", qn=qn, message=str(exc)), 422
    sess.commit()
    return _send(download, qn)


@bp.get("/<uid>/answers.<fmt>")
@require("questionnaires.view")
def answer_sheet(uid: str, fmt: str):
    qn = _qn_or_404(uid)
    if fmt not in export.SHEET_TYPES:
        abort(404)
    sess = db.session()
    headers = (_("ID"), _("Section"), _("Question"), _("Answer"), _("Details"))
    download = export.answer_sheet(sess, current_actor(), qn, fmt, title=f"{qn.customer}: {qn.filename}",
                                   headers=headers)
    sess.commit()
    return _send(download, qn)


@bp.get("/<uid>/report.xlsx")
@require("questionnaires.view")
def report(uid: str):
    qn = _qn_or_404(uid)
    sess = db.session()
    download = export.report(sess, current_actor(), qn, report_labels())
    sess.commit()
    return _send(download, qn)


@bp.get("/sent")
@require("questionnaires.view")
def sent():
    flt = ledger.parse_filter(request.args)
    return render_template("questionnaires/sent.html", rows=ledger.ledger_rows(db.session(), flt), flt=flt,
                           limit=LEDGER_LIMIT)


def _accepted_label(s) -> str:
    who = (s.accepted_by.name or s.accepted_by.email) if s.accepted_by else ""
    if s.bulk_threshold is not None:
        return _("accepted in bulk at %(pct)s or more, by %(who)s", pct=f"{round(s.bulk_threshold * 100)}%",
                 who=who or "?")
    return _("Reviewed by %(who)s", who=who) if who else ""


@bp.get("/sent.csv")
@require("questionnaires.view")
def sent_csv():
    flt = ledger.parse_filter(request.args)
    sess = db.session()
    rows = ledger.ledger_rows(sess, flt, limit=None)
    headers = [_("Sent (UTC)"), _("Customer"), _("Questionnaire"), _("Question ID"), _("Question"), _("Answer"),
               _("Details"), _("Library entry"), _("Revision sent"), _("Current revision"),
               _("Sent at an older revision"), _("Answer changed since it was sent"), _("Accepted"), _("Sent by")]
    body = ledger.ledger_csv(rows, headers, _accepted_label, _("yes"))
    audit_event("questionnaire.ledger_export", object_type="questionnaire_ledger",
                detail={"rows": len(rows), **flt.as_args()})
    sess.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="answers-sent-{utcnow().date().isoformat()}.csv"',
        "Cache-Control": "no-store"})
