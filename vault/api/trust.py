"""Subprocessors (vault.trust.subprocessors) and status incidents (status.service, in Statuspage's shape)."""
from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from status import service as status_service
from status.shapes import incident_json
from vault import db
from vault.api import schemas as s
from vault.api.auth import actor, current_token
from vault.api.blueprint import bp
from vault.api.common import listing, not_found, today, with_etag
from vault.api.pagination import by_created
from vault.api.problems import ApiProblem
from vault.api.spec import operation
from vault.api.tokens import token_can
from vault.audit import record
from vault.trust import subprocessors as subs


class SubprocessorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    purpose_en: str = Field("", max_length=1000)
    purpose_zh: str = Field("", max_length=1000)
    data_categories: str = Field("", max_length=1000)
    data_categories_zh: str = Field("", max_length=1000)
    location: str = Field("", max_length=200)
    location_zh: str = Field("", max_length=200)
    website: str = Field("", max_length=2048)
    effective_from: date | None = None


class _UpdateFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(max_length=16, description="investigating, identified, monitoring or resolved")
    body_en: str = Field("", max_length=10000)
    body_zh: str = Field("", max_length=10000)
    next_update_minutes: int | None = Field(None, ge=1, le=10080, description="The next update promised in …")
    notify: bool = True
    components: dict[str, str] = Field(default_factory=dict, max_length=200,
                                       description="Component id -> its state now (e.g. partial_outage).")


class IncidentIn(_UpdateFields):
    title_en: str = Field("", max_length=300)
    title_zh: str = Field("", max_length=300)
    impact: str = Field("minor", max_length=16, description="none, minor, major or critical")


class IncidentUpdateIn(_UpdateFields):
    publish: bool = Field(False, description="Publish a draft opened by monitoring.")


def subprocessor_json(sp) -> dict:
    return {"id": sp.uid, "name": sp.name, "purpose_en": sp.purpose_en, "purpose_zh": sp.purpose_zh,
            "data_categories": sp.data_categories, "data_categories_zh": sp.data_categories_zh,
            "location": sp.location, "location_zh": sp.location_zh, "website": sp.website,
            "effective_from": sp.effective_from, "removed_on": sp.removed_on, "position": sp.position,
            "updated_at": sp.updated_at}


def _subprocessor(uid: str):
    sp = subs.get_subprocessor(db.session(), uid) if uid and len(uid) <= 64 else None
    if sp is None:
        raise not_found("subprocessor")
    return sp


@bp.get("/subprocessors")
@operation(None, tags=("subprocessors",), query=s.PageQuery, ok={200: s.SubprocessorList})
def list_subprocessors(query: s.PageQuery):
    """Every subprocessor, oldest first, with removed ones (`removed_on`); `position` is the trust page's
    display order. The list is public anyway."""
    return listing(subs.staff_list(db.session()), subprocessor_json, query, {}, by_created(newest_first=False))


@bp.get("/subprocessors/<uid>")
@operation(None, tags=("subprocessors",), ok={200: s.SubprocessorOut}, etag=True)
def get_subprocessor(uid: str):
    """One subprocessor (ETag)."""
    return with_etag(subprocessor_json(_subprocessor(uid)))


@bp.post("/subprocessors")
@operation("settings.manage", tags=("subprocessors",), json=SubprocessorIn, ok={201: s.SubprocessorOut},
           headers={201: ("Location",)})
def create_subprocessor(json: SubprocessorIn):
    """Add a subprocessor (confirmed subscribers get the notice, as from the page)."""
    sess = db.session()
    sp = subs.create_subprocessor(sess, subs.SubprocessorFields(**json.model_dump()))
    record(sess, "trust.subprocessor.create", by=actor(), object_type="subprocessor", object_id=sp.uid,
           detail={"fields": subs.public_record(sp), "via": "api"})
    sess.commit()
    return subprocessor_json(sp), 201, {"Location": f"{bp.url_prefix}/subprocessors/{sp.uid}"}


@bp.post("/subprocessors/<uid>/remove")
@operation("settings.manage", tags=("subprocessors",), ok={200: s.SubprocessorOut}, errors=(422,))
def remove_subprocessor(uid: str):
    """Stop listing it as current (it shows as recently removed; subscribers are told)."""
    sess = db.session()
    sp = _subprocessor(uid)
    subs.remove_subprocessor(sess, sp, today=today())
    record(sess, "trust.subprocessor.remove", by=actor(), object_type="subprocessor", object_id=sp.uid,
           detail={"name": sp.name, "removed_on": sp.removed_on.isoformat(), "via": "api"})
    sess.commit()
    return subprocessor_json(sp)


def _with_drafts() -> bool:
    return token_can(current_token(), "status.manage")


def _incident_out(i, lang: str) -> dict:
    return {**incident_json(i, lang=lang, with_report=True), "draft": bool(i.draft), "kind": i.kind}


@bp.get("/status/incidents")
@operation(None, tags=("status",), query=s.IncidentQuery, ok={200: s.IncidentList})
def list_incidents(query: s.IncidentQuery):
    """Incidents, newest first (unresolved=true: the open ones). Drafts opened by monitoring are listed only
    for tokens that may manage the status page."""
    sess = db.session()
    if query.unresolved:
        rows = status_service.active_incidents(sess, include_drafts=_with_drafts())
    else:
        rows = [i for i in status_service.recent_incidents(sess, limit=500) if _with_drafts() or not i.draft]
    return listing(rows, lambda i: _incident_out(i, query.lang), query,
                   {"unresolved": query.unresolved, "lang": query.lang}, by_created(newest_first=True))


@bp.get("/status/incidents/<uid>")
@operation(None, tags=("status",), ok={200: s.IncidentOut}, etag=True)
def get_incident(uid: str):
    """One incident with its updates and, once published, its report."""
    incident = status_service.get_incident(db.session(), uid, public=not _with_drafts()) if len(uid) <= 64 else None
    if incident is None:
        raise not_found("incident")
    return with_etag(_incident_out(incident, "en"))


def _update_input(sess, body: _UpdateFields, now):
    states = {}
    for uid, state in body.components.items():
        component = status_service.get_component(sess, uid) if len(uid) <= 64 else None
        if component is None:
            raise ApiProblem(422, f"No status component with the id {uid}.", field="components")
        states[component.id] = state
    return status_service.UpdateInput(
        status=body.status, body_en=body.body_en, body_zh=body.body_zh, notify=body.notify, states=states,
        next_update_at=now + timedelta(minutes=body.next_update_minutes) if body.next_update_minutes else None)


@bp.post("/status/incidents")
@operation("status.manage", tags=("status",), json=IncidentIn, ok={201: s.IncidentOut},
           headers={201: ("Location",)})
def open_incident(json: IncidentIn):
    """Open an incident with its first update (subscribers are told when `notify`), as on the status admin page."""
    sess = db.session()
    now = status_service.clock()
    incident = status_service.open_incident(sess, title_en=json.title_en, title_zh=json.title_zh, impact=json.impact,
                                            update_=_update_input(sess, json, now), now=now, author=actor().label)
    record(sess, "status.incident.create", by=actor(), object_type="status_incident", object_id=incident.uid,
           detail={"notify": json.notify, "via": "api"})
    sess.commit()
    return _incident_out(incident, "en"), 201, {"Location": f"{bp.url_prefix}/status/incidents/{incident.uid}"}


@bp.post("/status/incidents/<uid>/updates")
@operation("status.manage", tags=("status",), json=IncidentUpdateIn, ok={201: s.IncidentOut}, errors=(409,))
def post_incident_update(uid: str, json: IncidentUpdateIn):
    """Post an update to the incident's timeline (`resolved` closes it)."""
    body = json
    sess = db.session()
    incident = status_service.get_incident(sess, uid, public=False) if len(uid) <= 64 else None
    if incident is None:
        raise not_found("incident")
    if incident.closed:
        raise ApiProblem(409, "This incident is already closed; open a new one instead.")
    now = status_service.clock()
    upd = status_service.post_update(sess, incident, _update_input(sess, body, now), now=now, author=actor().label,
                                     publish=body.publish and incident.draft)
    record(sess, "status.incident.update", by=actor(), object_type="status_incident", object_id=uid,
           detail={"status": upd.status, "notify": upd.notified, "via": "api"})
    sess.commit()
    return _incident_out(incident, "en"), 201
