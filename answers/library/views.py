"""Staff pages for the answer library: parse input, check access, call one service, commit, render."""
from __future__ import annotations

import io
import os
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm.exc import StaleDataError

from answers.library import lookups, pending, preview, public, service
from answers.library.bulk import apply_bulk
from answers.library.diff import as_text, snapshot_changes, text_diff
from answers.library.forms import (BULK_ACTIONS, FIELD_LABELS, HIDDEN_LABELS, LANGUAGE_LABELS, ROLE_LABELS,
                                   STATUS_LABELS, ActionForm, BulkForm, EntryForm, UploadForm)
from answers.library.index import app_index, synced_index
from answers.library.jobs import index_progress
from answers.library.issues import find_issues
from importers.model import ImportErrorWithContext
from vault import db
from vault.db import utcnow
from vault.auth.service import list_users
from vault.documents.service import list_documents
from vault.documents.validation import read_chunks
from vault.http import stream_download
from vault.i18n import localized, localized_reason
from vault.tempcrypt import EncryptedTempFile
from vault.web import audit_event, current_actor, is_safe_next, require

bp = Blueprint("library", __name__, url_prefix="/library")
PAGE_SIZE = 50
ALL = 10 ** 9
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv"}


@bp.context_processor
def _labels():
    return {"status_labels": STATUS_LABELS, "language_labels": LANGUAGE_LABELS, "field_labels": FIELD_LABELS,
            "role_labels": ROLE_LABELS, "today": date.today(), "stale_sentence": _stale_sentence,
            "hidden_labels": HIDDEN_LABELS}


def _stale_sentence(s) -> str:
    """Why an answer is stale, naming the evidence and the day: the one sentence (answers.library.stale)."""
    from answers.library.stale import describe
    return str(describe(s, str(get_locale())))


def _entry_or_404(uid: str):
    entry = service.get_by_uid(db.session(), uid) if uid and len(uid) <= 64 else None
    if entry is None:
        abort(404)
    return entry


def _sync_index() -> None:
    """Make committed changes matchable at once; a failure here never undoes the saved change."""
    try:
        with synced_index(db.session()):
            pass
    except Exception:  # noqa: BLE001 - the next sync retries; the data is safe in the database
        current_app.logger.exception("library index sync failed")


def _today() -> date:
    """Evidence lapses by the UTC calendar day, as on the expiry pages."""
    return utcnow().date()


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if is_safe_next(target) else default


# --- list and search ----------------------------------------------------------------------------

def _filters(args) -> tuple[service.EntryFilter, dict]:
    owner = args.get("owner", "")
    shown = {
        "q": (args.get("q") or "").strip()[:300],
        "match": args.get("match") == "1",
        "category": (args.get("category") or "")[:200],
        "tag": (args.get("tag") or "")[:100],
        "owner": int(owner) if owner.isdigit() and len(owner) < 10 else None,
        "status": args.get("status") if args.get("status") in STATUS_LABELS else "",
        "language": args.get("language") if args.get("language") in LANGUAGE_LABELS else "",
        "overdue": args.get("overdue") == "1",
        "stale": args.get("stale") == "1",
        "public": args.get("public") == "1",
    }
    flt = service.EntryFilter(text="" if shown["match"] else shown["q"], category=shown["category"],
                              tag=shown["tag"], owner_id=shown["owner"], status=shown["status"],
                              language=shown["language"], overdue_on=date.today() if shown["overdue"] else None,
                              stale_on=_today() if shown["stale"] else None, public=True if shown["public"] else None,
                              limit=ALL)
    return flt, shown


def _rows(flt: service.EntryFilter, shown: dict) -> list[tuple]:
    """(entry, match score or None), in list order; ranked by the matching index in "answers this" mode."""
    sess = db.session()
    entries = service.list_entries(sess, flt)
    if not (shown["match"] and shown["q"]):
        return [(e, None) for e in entries]
    allowed = {e.ref: e for e in entries}
    with synced_index(sess) as index:
        result = index.match(shown["q"], top_k=100)
    return [(allowed[c.ref], c.score) for c in result.candidates if c.ref in allowed]


@bp.get("/")
@require("library.view")
def index():
    flt, shown = _filters(request.args)
    rows = _rows(flt, shown)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    context = {"rows": rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], "total": len(rows), "page": page,
               "stale_refs": lookups.stale_refs(db.session(), _today()),
               "pages": pages, "shown": shown, "args": {k: v for k, v in request.args.items()
                                                        if k not in ("page", "partial")}}
    if request.args.get("partial") == "1":  # the instant search replaces only the results
        resp = current_app.make_response(render_template("library/_results.html", **context))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    sess = db.session()
    categories, tags = lookups.facets(sess)
    users = [u for u in list_users(sess) if u.active]
    bulk = BulkForm()
    bulk.set_choices(users)
    return render_template("library/index.html", categories=categories, tags=tags, users=users, bulk=bulk,
                           bulk_actions=BULK_ACTIONS, index_update=_index_update(), **context)


def _index_update() -> dict | None:
    """{"done", "total"} while the `library.index` job stores changed entries (after an import: a
    worker embeds them); None when the index is current."""
    return index_progress(db.session())


# --- one entry ----------------------------------------------------------------------------------

def _history(entry, sess):
    users = {u.id: u.email for u in list_users(sess)}
    documents = {d.id: d.title_for(str(get_locale())) or d.uid for d in list_documents(sess)}
    revisions = sorted(entry.history, key=lambda r: r.number)
    entry_ids = [r.snapshot.get("translation_of_id") for r in revisions]
    refs = lookups.refs_by_id(sess, [i for i in entry_ids if i])

    def show(name, value):
        if name == "owner_id":
            return users.get(value, "") if value else ""
        if name == "translation_of_id":
            return refs.get(value, "") if value else ""
        if name == "evidence":
            return "\n".join(sorted(documents.get(i, f"#{i}") for i in value or []))
        return as_text(value)

    out, before = [], None
    for rev in revisions:
        fields = [f for f in rev.changed_fields if f != "source"]
        out.append((rev, snapshot_changes(before, rev.snapshot, fields, show) if before is not None else []))
        before = rev.snapshot
    return list(reversed(out))


@bp.get("/<uid>")
@require("library.view")
def detail(uid: str):
    entry = _entry_or_404(uid)
    sess = db.session()
    can_see_ledger = current_user.can("questionnaires.view")
    return render_template("library/detail.html", entry=entry, history=_history(entry, sess),
                           translations=lookups.translations_of(sess, entry),
                           stale=lookups.stale_evidence(entry, _today()),
                           public_hidden=public.hidden_because(entry, _today()),
                           recipients=lookups.recipients(sess, entry) if can_see_ledger else None,
                           holders=lookups.holders_of_old_answer(sess, entry) if can_see_ledger else [])


@bp.get("/<uid>/revision/<int:number>")
@require("library.view")
def revision(uid: str, number: int):
    """One revision as it was saved: what a customer received when the ledger says "revision n"."""
    entry = _entry_or_404(uid)
    sess = db.session()
    rev = lookups.revision(sess, entry, number)
    if rev is None:
        abort(404)
    return render_template("library/revision.html", entry=entry, rev=rev, snap=rev.snapshot or {},
                           current=_history_snapshot_diff(entry, rev))


def _history_snapshot_diff(entry, rev) -> list:
    """(field, diff parts) from this revision to the entry today, for the answer fields that changed."""
    snap = rev.snapshot or {}
    return [(name, text_diff(as_text(snap.get(name)), as_text(getattr(entry, name))))
            for name in ("question", "answer_short", "answer_full")
            if as_text(snap.get(name)) != as_text(getattr(entry, name))]


def _entry_form(sess) -> EntryForm:
    form = EntryForm()
    form.set_choices(list_users(sess), list_documents(sess), str(get_locale()))
    return form


def _entry_kwargs(form: EntryForm, sess, entry=None) -> dict | None:
    """Service arguments from the form, or None with the problem shown on the field."""
    values = form.values()
    if entry is None and not values["ref"]:
        del values["ref"]  # a new entry gets the next free id
    chosen = set(form.evidence.data or [])
    values["evidence"] = [d for d in list_documents(sess) if d.uid in chosen]
    ref = (form.translation_of.data or "").strip()
    values["translation_of_id"] = None
    if ref:
        other = service.get_by_ref(sess, ref)
        if other is None:
            form.translation_of.errors = [_("No entry has the reference id %(ref)s.", ref=ref)]
            return None
        if entry is not None and other.id == entry.id:
            form.translation_of.errors = [_("An entry cannot be a translation of itself.")]
            return None
        values["translation_of_id"] = other.id
    return values


@bp.route("/new", methods=["GET", "POST"])
@require("library.edit")
def new():
    sess = db.session()
    form = _entry_form(sess)
    if form.validate_on_submit():
        values = _entry_kwargs(form, sess)
        if values is not None:
            try:
                entry = service.create_entry(sess, current_actor(), **values)
            except service.LibraryError as exc:
                sess.rollback()
                form.form_errors.append(localized(exc))
            else:
                sess.commit()
                _sync_index()
                flash(_("Entry %(ref)s created.", ref=entry.ref), "success")
                return redirect(url_for("library.detail", uid=entry.uid))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("library/edit.html", form=form, entry=None), status


@bp.route("/<uid>/edit", methods=["GET", "POST"])
@require("library.edit")
def edit(uid: str):
    entry = _entry_or_404(uid)
    sess = db.session()
    form = _entry_form(sess)
    conflict = None
    if request.method == "GET":
        form.fill(entry)
    elif form.validate_on_submit():
        values = _entry_kwargs(form, sess, entry)
        opened_at = form.revision.data or ""
        if values is not None and not opened_at.isdigit():
            form.form_errors.append(_("This form is missing the version it was opened at. Reload the entry."))
        elif values is not None:
            try:
                changed = service.update_entry(sess, entry, current_actor(), expected_revision=int(opened_at), **values)
            except (service.StaleEdit, StaleDataError):
                sess.rollback()  # reloads the entry as the other person saved it
                conflict = _conflict(entry, form)
                form.revision.data = str(entry.revision)  # saving again now replaces their version, knowingly
            except service.LibraryError as exc:
                sess.rollback()
                form.form_errors.append(localized(exc))
            else:
                holders = _holders_after(sess, entry, changed)
                sess.commit()
                _sync_index()
                flash(_("Entry saved.") if changed else _("Nothing changed."), "success")
                if holders:
                    who = "; ".join(_("%(customer)s (revision %(rev)s, sent %(day)s)", customer=h.customer,
                                      rev=h.revision or "?", day=h.sent_on.isoformat()) for h in holders)
                    flash(_("The answer changed. These customers hold the previous answer; decide whether to "
                            "tell them: %(list)s", list=who), "warning")
                return redirect(url_for("library.detail", uid=entry.uid))
    status = 409 if conflict else 400 if form.errors or form.form_errors else 200
    return render_template("library/edit.html", form=form, entry=entry, conflict=conflict), status


def _holders_after(sess, entry, changed: list[str]) -> list:
    """After a material change (short or full answer), who holds the old answer; [] otherwise."""
    from answers.questionnaires.ledger import material_change
    if not material_change(changed) or not current_user.can("questionnaires.view"):
        return []
    sess.flush()
    return lookups.holders_of_old_answer(sess, entry)


def _conflict(entry, form: EntryForm) -> dict:
    latest = max(entry.history, key=lambda r: r.number, default=None)
    mine = form.values()
    diffs = [(name, text_diff(as_text(getattr(entry, name)), as_text(mine[name])))
             for name in ("question", "alternatives", "answer_short", "answer_full", "category", "tags",
                          "framework_refs", "status")
             if as_text(getattr(entry, name)) != as_text(mine[name])]
    return {"by": latest.changed_by if latest else "", "at": latest.changed_at if latest else None,
            "diffs": diffs}


@bp.post("/<uid>/restore/<int:number>")
@require("library.edit")
def restore(uid: str, number: int):
    entry = _entry_or_404(uid)
    if not ActionForm().validate_on_submit():
        abort(400)
    sess = db.session()
    try:
        changed = service.restore_revision(sess, entry, number, current_actor())
    except service.LibraryError as exc:
        sess.rollback()
        flash(localized(exc), "error")
    else:
        sess.commit()
        _sync_index()
        flash(_("Revision %(number)d restored.", number=number) if changed
              else _("Revision %(number)d is the same as the current entry.", number=number), "success")
    return redirect(url_for("library.detail", uid=entry.uid))


@bp.post("/<uid>/reviewed")
@require("library.edit")
def reviewed(uid: str):
    entry = _entry_or_404(uid)
    if not ActionForm().validate_on_submit():
        abort(400)
    sess = db.session()
    service.mark_reviewed(sess, entry, current_actor(), date.today())
    sess.commit()
    _sync_index()
    flash(_("Marked as reviewed today."), "success")
    return redirect(url_for("library.detail", uid=entry.uid))


# --- bulk actions -------------------------------------------------------------------------------

@bp.post("/bulk")
@require("library.edit")
def bulk():
    sess = db.session()
    form = BulkForm()
    form.set_choices(list_users(sess))
    back = _back(url_for("library.index"))
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Choose a bulk action and its value."), "error")
        return redirect(back)
    entries = lookups.by_uids(sess, request.form.getlist("uid"))
    if not entries:
        flash(_("Select at least one entry first."), "error")
        return redirect(back)
    try:
        changed = apply_bulk(sess, entries, current_actor(), form.action.data, owner_id=form.owner_id.data or None,
                             tag=form.tag.data or "", today=date.today())
    except service.LibraryError as exc:
        sess.rollback()
        flash(localized(exc), "error")
        return redirect(back)
    sess.commit()
    _sync_index()
    flash(_("%(changed)d of %(selected)d selected entries changed.", changed=len(changed), selected=len(entries)),
          "success")
    return redirect(back)


# --- potential issues ---------------------------------------------------------------------------

@bp.get("/issues")
@require("library.view")
def issues():
    sess = db.session()
    skip = lookups.translation_pairs(sess)
    lib = app_index()
    with synced_index(sess) as index:
        key = (hash(frozenset(lib.manifest.items())), hash(frozenset(skip)))
        cached = current_app.extensions.get("answers.issues")
        if cached and cached[0] == key:
            found = cached[1]
        else:  # matching every entry takes seconds on a big library: keep the answer until it changes
            found = find_issues(index.entries(), index, skip_pairs=skip)
            current_app.extensions["answers.issues"] = (key, found)
    refs = {p.a for p in found.conflicts + found.duplicates} | {p.b for p in found.conflicts + found.duplicates}
    return render_template("library/issues.html", found=found, entries=lookups.by_refs(sess, sorted(refs)))


# --- import and export --------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@require("library.edit")
def import_upload():
    from importers.library import sheet_records
    from importers.safety import DEFAULT_LIMITS

    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(DEFAULT_LIMITS.max_file_bytes + 1) if upload and upload.filename else b""
        filename = os.path.basename((upload.filename or "").replace("\\", "/")) if upload else ""
        if not data.strip():
            form.file.errors = [_("Choose a CSV or XLSX file to upload.")]
        elif len(data) > DEFAULT_LIMITS.max_file_bytes:
            form.file.errors = [_("The file is larger than %(mb)d MB.", mb=DEFAULT_LIMITS.max_file_bytes // 2 ** 20)]
        else:
            try:
                sheet_records(data, filename)  # refuse unreadable files before keeping them
            except ImportErrorWithContext as exc:
                form.file.errors = [localized(exc)]
            else:
                token = pending.save(db.session(), data, filename=filename, user_id=current_user.id,
                                     default_status=form.default_status.data)
                return redirect(url_for("library.import_preview", token=token))
    return render_template("library/import.html", form=form), 400 if form.errors else 200


def _pending_or_404(token: str):
    try:
        upload = pending.load(db.session(), token, current_user.id)
    except pending.UploadUnreadable as exc:  # tampered, swapped, or its master key removed
        pending.discard(db.session(), token)
        audit_event("library.import.unreadable", object_type="library", outcome="failed",
                    detail={"reason": str(exc)[:200]})
        db.session().commit()
        flash(_("The uploaded file failed its integrity check (it was changed on the server, or its key is "
                "no longer available) and was deleted. Upload it again."), "error")
        abort(redirect(url_for("library.import_upload")))
    if upload is None:
        abort(404)  # missing, older than an hour, or someone else's: all look the same
    return upload


def _mapping_problem(key: str, code: str) -> str:
    if code.startswith("duplicate:"):
        return _("%(sheet)s: the role “%(role)s” is chosen for more than one column.", sheet=key,
                 role=ROLE_LABELS[code.split(":", 1)[1]])
    if code == "header_row":
        return _("%(sheet)s: the header row must be a row number.", sheet=key)
    return _("%(sheet)s: no column is marked as the question, so the sheet would be skipped.", sheet=key)


@bp.route("/import/<token>", methods=["GET", "POST"])
@require("library.edit")
def import_preview(token: str):
    from answers.library.importing import apply_import, plan_import
    from importers.library import load_library_table, sheet_records

    upload = _pending_or_404(token)
    form = ActionForm()
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    action = request.form.get("action", "preview")
    if action == "cancel":
        pending.discard(db.session(), token)
        flash(_("Import cancelled; the uploaded file was deleted."), "success")
        return redirect(url_for("library.index"))
    status = request.form.get("default_status", upload.default_status)
    status = status if status in ("approved", "draft") else "approved"
    sess = db.session()
    try:
        sheets = sheet_records(upload.data, upload.filename)  # checked at upload; a time limit may still hit
    except ImportErrorWithContext as exc:
        pending.discard(sess, token)
        flash(localized(exc), "error")
        return redirect(url_for("library.import_upload"))
    errors: list[str] = []
    mapping = views = table = plan = None
    if request.method == "POST":  # the mapping as corrected on the page
        mapping, problems, views = preview.mapping_from_form(request.form, sheets)
        errors = [_mapping_problem(key, code) for key, code in problems]
    if not errors:
        try:
            table = load_library_table(upload.data, upload.filename, mapping=mapping)
        except ImportErrorWithContext as exc:
            errors.append(localized(exc))
    if table is not None:
        plan = plan_import(sess, table, default_status=status)
        views = views or preview.sheet_views(sheets, table.mapping)
    shown = preview.fingerprint(table.mapping, status) if table is not None else ""

    if action == "confirm" and plan is not None:
        if request.form.get("fingerprint") != shown:
            errors.append(_("The mapping changed since the preview. Check the new preview, then import."))
        else:
            try:
                apply_import(sess, plan, current_actor(), source_file=upload.filename)
                sess.commit()
            except (service.LibraryError, DBIntegrityError) as exc:
                sess.rollback()
                errors.append(_("Nothing was imported: %(reason)s", reason=localized(exc).splitlines()[0][:300]))
            else:
                pending.discard(sess, token)
                flash(_("Imported %(file)s: %(create)d created, %(update)d updated, %(unchanged)d unchanged, "
                        "%(problems)d rows skipped.", file=upload.filename, **plan.summary()), "success")
                return redirect(url_for("library.index"))
    return render_template("library/preview.html", upload=upload, token=token,
                           sheets=views or preview.sheet_views(sheets, {}), plan=plan,
                           rows=preview.row_views(plan) if plan else [], errors=errors, status=status,
                           fingerprint=shown, form=form, roles=list(ROLE_LABELS), notes=table.notes if table else [],
                           localized_reason=localized_reason), 400 if errors else 200


@bp.get("/export.<fmt>")
@require("library.view")
def export(fmt: str):
    from answers.library.export import write_library

    if fmt not in MEDIA_TYPES:
        abort(404)
    sess = db.session()
    # The export is the whole library: held in an encrypted temporary file (vault.tempcrypt), never
    # as a plaintext file in TMPDIR while the client downloads it.
    out = EncryptedTempFile()
    try:
        count = write_library(sess, out, fmt)
        size = out.seek(0, io.SEEK_END)
    except BaseException:
        out.close()
        raise
    audit_event("library.export", object_type="library", detail={"format": fmt, "entries": count})
    sess.commit()
    return stream_download(_read_then_close(out), filename=f"answer-library-{date.today().isoformat()}.{fmt}",
                           media_type=MEDIA_TYPES[fmt], size=size)


def _read_then_close(out: EncryptedTempFile):
    try:
        yield from read_chunks(out)
    finally:
        out.close()
