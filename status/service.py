"""Components, incidents, maintenance and post-incident reports. Services flush; callers commit.

Every function that changes what the public sees bumps the `StatusVersion` counter, which is the
cache key of the rendered page and JSON. Time is always passed in (`now`): tests move the clock.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from status import fanout
from status.errors import StatusError
from status.models import (CLOSED, INCIDENT_STATUSES, MAINTENANCE_STATUSES, Component, ComponentGroup, Impact,
                           Incident, IncidentStatus, IncidentUpdate, State, StateChange, StatusVersion,
                           incident_components)
from vault.db import utcnow
from vault.inputs import clean_text

TITLE_MAX = 300
BODY_MAX = 20_000
NAME_MAX = 200
REPORT_MAX = 100_000
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def clock() -> datetime:
    """The current time; tests set app.config["STATUS_CLOCK"] to a callable to move it."""
    fn = current_app.config.get("STATUS_CLOCK")
    return fn() if fn else utcnow()


# --- the change counter ------------------------------------------------------------------------

def bump(session: Session) -> None:
    if session.execute(update(StatusVersion).where(StatusVersion.id == 1)
                       .values(version=StatusVersion.version + 1)).rowcount == 0:
        session.add(StatusVersion(id=1, version=1))
    session.flush()


def version(session: Session) -> int:
    return session.scalar(select(StatusVersion.version).where(StatusVersion.id == 1)) or 0


_VERSION_SQL = select(StatusVersion.version).where(StatusVersion.id == 1)


def current_version() -> int:
    """The counter read on a bare pooled connection: the cache check of every public request, kept cheap
    (no ORM session, one primary-key read)."""
    from vault import db
    with db.engine().connect() as conn:
        return conn.execute(_VERSION_SQL).scalar() or 0


# --- checks -------------------------------------------------------------------------------------

def _clean(value: str | None, *, field: str, max_len: int, label) -> str:
    return clean_text(value, field=field, max_len=max_len, label=label, error=StatusError)


def _names(name_en: str, name_zh: str, *, label_en, label_zh, prefix: str, max_len: int = NAME_MAX):
    en = _clean(name_en, field=f"{prefix}_en", max_len=max_len, label=label_en)
    zh = _clean(name_zh, field=f"{prefix}_zh", max_len=max_len, label=label_zh)
    if not en and not zh:
        raise StatusError("missing", _l("Enter a name in English or Chinese (or both)."), f"{prefix}_en")
    return en, zh


def check_state(state: str) -> str:
    if state not in set(State):
        raise StatusError("state", _l("Unknown component state “%(state)s”.", state=state), "state")
    return state


# --- components ---------------------------------------------------------------------------------

def create_group(session: Session, *, name_en: str, name_zh: str = "") -> ComponentGroup:
    en, zh = _names(name_en, name_zh, label_en=_l("The English name"), label_zh=_l("The Chinese name"),
                    prefix="name")
    position = (session.scalar(select(func.max(ComponentGroup.position))) or 0) + 1
    group = ComponentGroup(name_en=en, name_zh=zh, position=position)
    session.add(group)
    bump(session)
    return group


def create_component(session: Session, *, key: str, name_en: str, name_zh: str = "", description: str = "",
                     group: ComponentGroup | None = None, now: datetime, actor: str = "") -> Component:
    key = (key or "").strip().lower()
    if not KEY_RE.match(key):
        raise StatusError("key", _l("The key must be 1 to 64 lower-case letters, digits, dots, dashes or "
                                    "underscores, starting with a letter or digit (for example “api” or "
                                    "“cn-east”)."), "key")
    if session.scalar(select(Component.id).where(Component.key == key)):
        raise StatusError("key_taken", _l("A component with the key “%(key)s” already exists.", key=key), "key")
    en, zh = _names(name_en, name_zh, label_en=_l("The English name"), label_zh=_l("The Chinese name"),
                    prefix="name")
    description = _clean(description, field="description", max_len=2000, label=_l("The description"))
    position = (session.scalar(select(func.max(Component.position))) or 0) + 1
    component = Component(key=key, name_en=en, name_zh=zh, description=description, group=group,
                          position=position, state=State.OPERATIONAL.value, created_at=now, updated_at=now)
    session.add(component)
    session.flush()
    session.add(StateChange(component_id=component.id, state=State.OPERATIONAL.value, at=now, source="created",
                            actor=actor))
    bump(session)
    return component


def update_component(session: Session, component: Component, *, name_en: str, name_zh: str, description: str,
                     group: ComponentGroup | None, now: datetime) -> None:
    component.name_en, component.name_zh = _names(
        name_en, name_zh, label_en=_l("The English name"), label_zh=_l("The Chinese name"), prefix="name")
    component.description = _clean(description, field="description", max_len=2000, label=_l("The description"))
    component.group, component.updated_at = group, now
    bump(session)


def set_state(session: Session, component: Component, state: str, *, now: datetime, source: str,
              actor: str = "") -> bool:
    """Change a component's state and record the change (the uptime history); False if unchanged."""
    check_state(state)
    if component.state == state:
        return False
    component.state, component.updated_at = state, now
    session.add(StateChange(component_id=component.id, state=state, at=now, source=source, actor=actor[:320]))
    bump(session)
    return True


def list_groups(session: Session) -> list[ComponentGroup]:
    return list(session.scalars(select(ComponentGroup).order_by(ComponentGroup.position)))


def list_components(session: Session) -> list[Component]:
    """Display order: ungrouped and grouped components by their own position."""
    return list(session.scalars(select(Component).options(selectinload(Component.group))
                                .order_by(Component.position)))


def get_component(session: Session, uid: str) -> Component | None:
    return session.scalar(select(Component).where(Component.uid == uid)) if uid and len(uid) <= 16 else None


def get_group(session: Session, uid: str) -> ComponentGroup | None:
    return session.scalar(select(ComponentGroup).where(ComponentGroup.uid == uid)) if uid and len(uid) <= 16 else None


def component_by_key(session: Session, key: str) -> Component | None:
    return session.scalar(select(Component).where(Component.key == key)) if key and len(key) <= 64 else None


def changes_since(session: Session, since: datetime) -> dict[int, list[StateChange]]:
    """Every component's changes after `since`, plus the last one before it (the state at `since`)."""
    out: dict[int, list[StateChange]] = {}
    last_before = (select(StateChange.component_id, func.max(StateChange.at).label("at"))
                   .where(StateChange.at <= since).group_by(StateChange.component_id).subquery())
    before = session.scalars(select(StateChange).join(
        last_before, (StateChange.component_id == last_before.c.component_id) & (StateChange.at == last_before.c.at)))
    for ch in before:
        out.setdefault(ch.component_id, []).append(ch)
    for ch in session.scalars(select(StateChange).where(StateChange.at > since).order_by(StateChange.at)):
        out.setdefault(ch.component_id, []).append(ch)
    return out


# --- incidents ----------------------------------------------------------------------------------

@dataclass
class UpdateInput:
    status: str
    body_en: str = ""
    body_zh: str = ""
    next_update_at: datetime | None = None
    notify: bool = True
    states: dict[int, str] | None = None  # component id -> state to set (None: leave the components alone)

    def checked(self, *, maintenance: bool, now: datetime) -> UpdateInput:
        allowed = MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES
        if self.status not in allowed:
            raise StatusError("status", _l("Unknown status “%(status)s”.", status=self.status), "status")
        self.body_en = _clean(self.body_en, field="body_en", max_len=BODY_MAX, label=_l("The English text"))
        self.body_zh = _clean(self.body_zh, field="body_zh", max_len=BODY_MAX, label=_l("The Chinese text"))
        if not self.body_en and not self.body_zh:
            raise StatusError("body", _l("Write the update in English or Chinese (or both)."), "body_en")
        if self.status in CLOSED:
            self.next_update_at = None  # nothing more is promised once it is over
        elif self.next_update_at is not None and self.next_update_at <= now:
            raise StatusError("next_update", _l("The next update must be promised for a time in the future."),
                              "next_update_at")
        for state in (self.states or {}).values():
            check_state(state)
        return self


def _check_title(title_en: str, title_zh: str) -> tuple[str, str]:
    return _names(title_en, title_zh, label_en=_l("The English title"), label_zh=_l("The Chinese title"),
                  prefix="title", max_len=TITLE_MAX)


def _check_impact(impact: str) -> str:
    if impact not in set(Impact) or impact == Impact.MAINTENANCE:
        raise StatusError("impact", _l("Unknown impact “%(impact)s”.", impact=impact), "impact")
    return impact


def _component_ids(session: Session, ids) -> list[Component]:
    ids = list(ids or [])
    found = list(session.scalars(select(Component).where(Component.id.in_(ids)))) if ids else []
    if len(found) != len(set(ids)):
        raise StatusError("component", _l("One of the chosen components does not exist."), "components")
    return found


def open_incident(session: Session, *, title_en: str, title_zh: str = "", impact: str, update_: UpdateInput,
                  now: datetime, author: str, draft: bool = False, source_key: str = "") -> Incident:
    """A new incident with its first update; `update_.states` names the affected components."""
    title_en, title_zh = _check_title(title_en, title_zh)
    impact = _check_impact(impact)
    update_.checked(maintenance=False, now=now)
    incident = Incident(kind="incident", title_en=title_en, title_zh=title_zh, impact=impact,
                        status=update_.status, draft=draft, created_at=now, updated_at=now, source_key=source_key)
    incident.components = _component_ids(session, (update_.states or {}).keys())
    session.add(incident)
    session.flush()
    _add_update(session, incident, update_, now=now, author=author)
    return incident


def post_update(session: Session, incident: Incident, update_: UpdateInput, *, now: datetime,
                author: str, publish: bool = False) -> IncidentUpdate:
    """Add an update to the timeline (and publish a monitoring draft when `publish`)."""
    if incident.closed:
        raise StatusError("closed", _l("This incident is already closed; open a new one instead."), "status")
    update_.checked(maintenance=incident.is_maintenance, now=now)
    if publish:
        incident.draft = False
    new_ids = set((update_.states or {}).keys()) - {c.id for c in incident.components}
    incident.components = list(incident.components) + _component_ids(session, new_ids)
    return _add_update(session, incident, update_, now=now, author=author)


def _add_update(session: Session, incident: Incident, u: UpdateInput, *, now: datetime, author: str) -> IncidentUpdate:
    states = dict(u.states or {})
    if u.status in CLOSED:  # back to operational unless staff said otherwise or another incident holds it
        for c in incident.components:
            if c.id not in states and not _held_elsewhere(session, c, incident):
                states[c.id] = State.OPERATIONAL.value
    affected = []
    by_id = {c.id: c for c in incident.components}
    for cid, state in states.items():
        c = by_id[cid]
        old = c.state
        if set_state(session, c, state, now=now, source=incident.kind, actor=author):
            affected.append({"code": c.uid, "name": c.name_en or c.name_zh, "old_status": old, "new_status": state})
    upd = IncidentUpdate(incident=incident, status=u.status, body_en=u.body_en, body_zh=u.body_zh, created_at=now,
                         next_update_at=u.next_update_at, notified=u.notify and not incident.draft, author=author,
                         affected=affected)
    session.add(upd)
    incident.status, incident.updated_at, incident.next_update_at = u.status, now, u.next_update_at
    if u.status in CLOSED:
        incident.resolved_at = now
    bump(session)
    session.flush()
    if upd.notified:
        fanout.notify_update(session, incident, upd)
    return upd


def _held_elsewhere(session: Session, component: Component, incident: Incident) -> bool:
    """Another open, public incident or running maintenance still affects this component."""
    return bool(session.scalar(
        select(Incident.id).join(incident_components, incident_components.c.incident_id == Incident.id)
        .where(incident_components.c.component_id == component.id, Incident.id != incident.id,
               Incident.status.not_in([s.value for s in CLOSED] + [IncidentStatus.SCHEDULED.value]),
               Incident.draft.is_(False)).limit(1)))


def update_incident(session: Session, incident: Incident, *, title_en: str, title_zh: str, impact: str | None,
                    now: datetime) -> None:
    incident.title_en, incident.title_zh = _check_title(title_en, title_zh)
    if impact is not None and not incident.is_maintenance:
        incident.impact = _check_impact(impact)
    incident.updated_at = now
    bump(session)


def get_incident(session: Session, uid: str, *, public: bool) -> Incident | None:
    if not uid or len(uid) > 16:
        return None
    stmt = select(Incident).where(Incident.uid == uid).options(selectinload(Incident.updates),
                                                              selectinload(Incident.components))
    if public:
        stmt = stmt.where(Incident.draft.is_(False))
    return session.scalar(stmt)


def active_incidents(session: Session, *, include_drafts: bool = False) -> list[Incident]:
    stmt = (select(Incident).where(Incident.kind == "incident", Incident.status != IncidentStatus.RESOLVED.value)
            .options(selectinload(Incident.updates), selectinload(Incident.components))
            .order_by(Incident.created_at.desc()))
    if not include_drafts:
        stmt = stmt.where(Incident.draft.is_(False))
    return list(session.scalars(stmt))


def maintenances(session: Session, *, open_only: bool) -> list[Incident]:
    stmt = (select(Incident).where(Incident.kind == "maintenance")
            .options(selectinload(Incident.updates), selectinload(Incident.components))
            .order_by(Incident.scheduled_for))
    if open_only:
        stmt = stmt.where(Incident.status != IncidentStatus.COMPLETED.value)
    return list(session.scalars(stmt))


def recent_incidents(session: Session, *, limit: int = 50, kind: str | None = "incident") -> list[Incident]:
    stmt = (select(Incident).where(Incident.draft.is_(False))
            .options(selectinload(Incident.updates), selectinload(Incident.components))
            .order_by(Incident.created_at.desc()).limit(limit))
    if kind:
        stmt = stmt.where(Incident.kind == kind)
    return list(session.scalars(stmt))


def resolved_since(session: Session, since: datetime) -> list[Incident]:
    """Public incidents resolved at or after `since`, newest first (the page's "recently resolved")."""
    stmt = (select(Incident).where(Incident.kind == "incident", Incident.draft.is_(False),
                                   Incident.status == IncidentStatus.RESOLVED.value, Incident.resolved_at >= since)
            .options(selectinload(Incident.updates), selectinload(Incident.components))
            .order_by(Incident.resolved_at.desc()))
    return list(session.scalars(stmt))


def search_incidents(session: Session, *, q: str = "", page: int = 1, per_page: int = 20,
                     include_drafts: bool = False) -> tuple[list[Incident], int]:
    """Incidents and maintenance, newest first; `q` matches titles and update texts (both languages)."""
    stmt = select(Incident)
    if not include_drafts:
        stmt = stmt.where(Incident.draft.is_(False))
    q = (q or "").strip()[:200]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_updates = select(IncidentUpdate.incident_id).where(or_(
            IncidentUpdate.body_en.ilike(like, escape="\\"), IncidentUpdate.body_zh.ilike(like, escape="\\")))
        stmt = stmt.where(or_(Incident.title_en.ilike(like, escape="\\"), Incident.title_zh.ilike(like, escape="\\"),
                              Incident.id.in_(in_updates)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = session.scalars(stmt.options(selectinload(Incident.updates), selectinload(Incident.components))
                           .order_by(Incident.created_at.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


# --- scheduled maintenance ------------------------------------------------------------------------

def schedule_maintenance(session: Session, *, title_en: str, title_zh: str = "", component_ids: list[int],
                         starts_at: datetime | None, ends_at: datetime | None, body_en: str = "", body_zh: str = "",
                         notify: bool = True, auto: bool = True, now: datetime, author: str) -> Incident:
    title_en, title_zh = _check_title(title_en, title_zh)
    if starts_at is None or ends_at is None:
        raise StatusError("window", _l("Give the start and the end of the maintenance window."), "starts_at")
    if ends_at <= starts_at:
        raise StatusError("window", _l("The maintenance must end after it starts."), "ends_at")
    if ends_at <= now:
        raise StatusError("window", _l("The maintenance window is already over."), "ends_at")
    components = _component_ids(session, component_ids)
    if not components:
        raise StatusError("component", _l("Choose at least one affected component."), "components")
    u = UpdateInput(status=IncidentStatus.SCHEDULED.value, body_en=body_en, body_zh=body_zh, notify=notify)
    u.checked(maintenance=True, now=now)
    m = Incident(kind="maintenance", title_en=title_en, title_zh=title_zh, impact=Impact.MAINTENANCE.value,
                 status=IncidentStatus.SCHEDULED.value, created_at=now, updated_at=now, scheduled_for=starts_at,
                 scheduled_until=ends_at, auto_transition=auto, components=components)
    session.add(m)
    session.flush()
    _add_update(session, m, u, now=now, author=author)
    return m


def run_maintenance(session: Session, *, now: datetime) -> list[tuple[Incident, str]]:
    """The job: start due maintenance windows and complete finished ones. Returns [(maintenance, action)]."""
    done: list[tuple[Incident, str]] = []
    due = session.scalars(select(Incident).where(
        Incident.kind == "maintenance", Incident.auto_transition.is_(True),
        Incident.status.in_([IncidentStatus.SCHEDULED.value, IncidentStatus.IN_PROGRESS.value,
                             IncidentStatus.VERIFYING.value]),
        Incident.scheduled_for <= now).order_by(Incident.scheduled_for)).all()
    for m in due:
        if m.status == IncidentStatus.SCHEDULED and m.scheduled_until > now:
            with force_locale("en"):
                en = _("Scheduled maintenance is in progress. We will update when it is complete.")
            with force_locale("zh"):
                zh = _("Scheduled maintenance is in progress. We will update when it is complete.")
            _add_update(session, m, UpdateInput(
                status=IncidentStatus.IN_PROGRESS.value, body_en=en, body_zh=zh if zh != en else "",
                states={c.id: State.MAINTENANCE.value for c in m.components}, notify=True),
                now=now, author="system")
            done.append((m, "started"))
        elif m.scheduled_until <= now:
            with force_locale("en"):
                en = _("The scheduled maintenance has been completed.")
            with force_locale("zh"):
                zh = _("The scheduled maintenance has been completed.")
            _add_update(session, m, UpdateInput(status=IncidentStatus.COMPLETED.value, body_en=en,
                                                body_zh=zh if zh != en else "", notify=True),
                        now=now, author="system")
            done.append((m, "completed"))
    return done


# --- reminders ---------------------------------------------------------------------------------

def overdue_incidents(session: Session, *, now: datetime) -> list[Incident]:
    """Open incidents whose promised update time has passed without an update, not yet reminded."""
    rows = session.scalars(select(Incident).where(
        Incident.status.not_in([s.value for s in CLOSED]), Incident.next_update_at.is_not(None),
        Incident.next_update_at < now))
    return [i for i in rows if i.reminded_for != i.next_update_at]


def remind_overdue_updates(session: Session, *, now: datetime) -> list[Incident]:
    """The job: tell staff (through notify) about every promise broken since the last run."""
    from vault import notify
    from vault.auth.models import User
    from vault.auth.roles import PERMISSIONS

    incidents = overdue_incidents(session, now=now)
    if not incidents:
        return []
    roles = [r.value for r in PERMISSIONS["status.manage"]]
    staff = list(session.scalars(select(User).where(User.active.is_(True), User.role.in_(roles))))
    from status.links import external_url
    for incident in incidents:
        url = external_url("status_admin.incident", uid=incident.uid)
        late = int((now - incident.next_update_at).total_seconds() // 60)
        for user in staff:
            with force_locale(user.locale or "en"):
                subject = _("Update overdue: %(title)s", title=incident.title(user.locale or "en"))
                text = _("An update on “%(title)s” was promised for %(when)s UTC, %(minutes)d minutes ago, and "
                         "none has been posted. Customers are waiting: post an update now, even if there is "
                         "nothing new, and say when the next one comes.\n\n%(url)s",
                         title=incident.title(user.locale or "en"),
                         when=incident.next_update_at.strftime("%Y-%m-%d %H:%M"), minutes=late, url=url)
            notify.send_email(session, to=user.email, subject=subject, text=text,
                              dedupe_key=f"status-overdue:{incident.uid}:{incident.next_update_at.isoformat()}:"
                                         f"{user.id}")
        incident.reminded_for = incident.next_update_at
    session.flush()
    return incidents


# --- post-incident report ------------------------------------------------------------------------

def save_report(session: Session, incident: Incident, *, root_cause: str, actions: str, publish: bool, author,
                now: datetime, notify: bool = False):
    """Write the report in place; publishing also stores it as a new version of a vault document.

    Returns the new `DocumentVersion` (commit it with `documents.service.commit_upload`) or None.
    """
    if not incident.closed:
        raise StatusError("open", _l("Write the post-incident report once the incident is resolved."), "root_cause")
    incident.report_root_cause = _clean(root_cause, field="root_cause", max_len=REPORT_MAX, label=_l("The root cause"))
    incident.report_actions = _clean(actions, field="actions", max_len=REPORT_MAX, label=_l("The corrective actions"))
    if publish and not (incident.report_root_cause and incident.report_actions):
        raise StatusError("report", _l("A published report needs both the root cause and the corrective actions."),
                          "root_cause")
    incident.updated_at = now
    version_ = None
    if publish:
        incident.report_published_at = now
        version_ = _store_report(session, incident, author)
    bump(session)
    session.flush()
    if publish and notify and not incident.draft:
        fanout.notify_report(session, incident)
    return version_


def report_markdown(incident: Incident) -> str:
    with force_locale("en"):
        head = _("Post-incident report: %(title)s", title=incident.title("en"))
        rc, ca = _("Root cause"), _("Corrective actions")
    when = incident.resolved_at.strftime("%Y-%m-%d %H:%M UTC") if incident.resolved_at else ""
    return (f"# {head}\n\n{incident.created_at:%Y-%m-%d %H:%M UTC} – {when}\n\n## {rc}\n\n"
            f"{incident.report_root_cause}\n\n## {ca}\n\n{incident.report_actions}\n")


def _store_report(session: Session, incident: Incident, author):
    from vault.documents import service as documents, validation
    from vault.documents.models import Document, DocumentType, Visibility

    texts = {}
    for lang in ("en", "zh"):
        with force_locale(lang):
            texts[lang] = (_("Post-incident report: %(title)s", title=incident.title(lang))[:300],
                           _("Root cause and corrective actions, as published on the status page."))
    with tempfile.TemporaryDirectory(prefix="vault-report-") as tmp:
        path = Path(tmp) / f"post-incident-report-{incident.uid}.md"
        path.write_text(report_markdown(incident), encoding="utf-8")
        with validation.checked_file(path, max_bytes=current_app.config["MAX_UPLOAD_BYTES"]) as upload:
            document = session.get(Document, incident.report_document_id) if incident.report_document_id else None
            if document is None:
                fields_ = documents.DocumentFields(doc_type=DocumentType.OTHER.value,
                                                   visibility=Visibility.PUBLIC.value, texts=texts, frameworks=[])
                document = documents.create_document(session, fields_, owner=author, first_upload=upload)
                incident.report_document_id = document.id
                return document.versions[0]
            return documents.add_version(session, document, upload, uploader=author)


def default_next_update(now: datetime, minutes: int = 30) -> datetime:
    return (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
