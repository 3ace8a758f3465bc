"""The answer library: search, get, create, update (If-Match, the pages' stale-edit refusal), history."""
from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from answers.library import service
from vault import db
from vault.api import schemas as s
from vault.api.auth import actor
from vault.api.blueprint import bp
from vault.api.common import check_if_match, listing, not_found, with_etag
from vault.api.pagination import by_created, by_number
from vault.api.problems import ApiProblem
from vault.api.spec import header_parameter, operation

TAGS = ("library",)


def entry_json(e) -> dict:
    return {"id": e.uid, "ref": e.ref, "question": e.question, "alternatives": list(e.alternatives or []),
            "answer_short": e.answer_short, "answer_full": e.answer_full, "category": e.category,
            "tags": list(e.tags or []), "framework_refs": list(e.framework_refs or []), "status": e.status,
            "language": e.language, "public": bool(e.public), "last_reviewed_on": e.last_reviewed_on,
            "review_interval_days": e.review_interval_days, "revision": e.revision,
            "created_at": e.created_at, "updated_at": e.updated_at}


def entry_etag(e) -> str:
    """Strong, from the entry's revision: the same token the pages' hidden field carries."""
    return f'"{e.uid}.r{e.revision}"'


def _entry(uid: str):
    entry = service.get_by_uid(db.session(), uid) if uid and len(uid) <= 64 else None
    if entry is None:
        raise not_found("library entry")
    return entry


def _refused(exc: service.LibraryError) -> ApiProblem:
    return ApiProblem(422, exc.reason)


def _expected_revision(entry) -> int:
    """If-Match is required (428) and must name the current revision (412): no blind overwrite."""
    check_if_match(entry_etag(entry), f"entry {entry.ref}", revision=entry.revision)
    return entry.revision


@bp.get("/library/entries")
@operation("library.view", tags=TAGS, query=s.EntryQuery, ok={200: s.EntryList})
def search_entries(query: s.EntryQuery):
    """Search the library, oldest entry first (words in the question, answers or reference id; category, tag,
    status, language)."""
    flt = service.EntryFilter(text=query.q, category=query.category, tag=query.tag, status=query.status,
                              language=query.language, limit=100_000)
    rows = service.list_entries(db.session(), flt)
    return listing(rows, entry_json, query, query.model_dump(exclude={"cursor", "limit"}), by_created(newest_first=False))


@bp.get("/library/entries/<uid>")
@operation("library.view", tags=TAGS, ok={200: s.Entry}, etag=True)
def get_entry(uid: str):
    """One entry, with its ETag (send it back as If-Match to change the entry)."""
    entry = _entry(uid)
    return with_etag(entry_json(entry), entry_etag(entry))


@bp.post("/library/entries")
@operation("library.edit", tags=TAGS, json=s.EntryCreate, ok={201: s.Entry},
           headers={201: ("ETag", "Location")})
def create_entry(json: s.EntryCreate):
    """Create an entry (its reference id is made when not given)."""
    sess = db.session()
    try:
        entry = service.create_entry(sess, actor(), **json.model_dump(exclude_none=True))
    except service.LibraryError as exc:
        raise _refused(exc) from None
    sess.commit()  # matching syncs the index itself (synced_index) before it matches
    return entry_json(entry), 201, {"ETag": entry_etag(entry), "Location": f"{bp.url_prefix}/library/entries/{entry.uid}"}


@bp.patch("/library/entries/<uid>")
@operation("library.edit", tags=TAGS, json=s.EntryFields, ok={200: s.Entry}, errors=(412, 428),
           headers={200: ("ETag",)})
def update_entry(uid: str, json: s.EntryFields):
    """Change the fields given; requires If-Match (412 when the entry changed since, 428 when missing)."""
    entry = _entry(uid)
    sess = db.session()
    expected = _expected_revision(entry)
    try:
        service.update_entry(sess, entry, actor(), expected_revision=expected, **json.model_dump(exclude_none=True))
    except (service.StaleEdit, StaleDataError):
        raise ApiProblem(412, "The entry was changed by someone else meanwhile; GET it again.") from None
    except service.LibraryError as exc:
        raise _refused(exc) from None
    sess.commit()  # matching syncs the index itself (synced_index) before it matches
    return entry_json(entry), 200, {"ETag": entry_etag(entry)}


@bp.get("/library/entries/<uid>/history")
@operation("library.view", tags=TAGS, query=s.PageQuery, ok={200: s.RevisionList})
def entry_history(uid: str, query: s.PageQuery):
    """Every revision of the entry, newest first: who changed which fields, and the full snapshot."""
    entry = _entry(uid)
    return listing(entry.history, lambda r: {"number": r.number, "changed_at": r.changed_at, "changed_by": r.changed_by,
                                         "changed_fields": list(r.changed_fields or []), "note": r.note,
                                         "snapshot": r.snapshot}, query, {"entry": uid},
                   by_number(descending=True))


header_parameter("PATCH", "/api/v1/library/entries/{uid}", "If-Match",
                 "The ETag of the entry as you read it; without it the change is refused (428).", required=True)
