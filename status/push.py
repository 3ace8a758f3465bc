"""The monitoring push API's core: tokens, the two payload formats, applying pushed states.

Tokens are 256-bit random strings shown once; only their SHA-256 is stored. A token is scoped to some
components (or all) and may or may not open draft incidents. Revoked tokens stop working at once.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from status import service
from status.labels import state_label
from status.models import CLOSED, SEVERITY, Component, Impact, Incident, IncidentStatus, PushToken, State
from status.service import StatusError, UpdateInput

TOKEN_PREFIX = "tvs_"
MAX_ITEMS = 100
OUT_OF_SCOPE = "this token may not change this component"
# Alertmanager severities -> component states, when the alert does not carry a status_state label.
SEVERITY_STATES = {"critical": State.MAJOR, "page": State.MAJOR, "error": State.PARTIAL, "major": State.PARTIAL,
                   "warning": State.DEGRADED, "minor": State.DEGRADED, "info": State.DEGRADED}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- tokens -------------------------------------------------------------------------------------

def create_token(session: Session, *, name: str, component_ids=(), all_components: bool = False,
                 may_open_incidents: bool = False, actor: str, now: datetime) -> tuple[PushToken, str]:
    """A new token; the plain value is returned once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise StatusError("name", _l("Name the token after the system that uses it (at most 200 characters)."),
                          "name")
    components = []
    if not all_components:
        ids = set(component_ids or [])
        components = list(session.scalars(select(Component).where(Component.id.in_(ids)))) if ids else []
        if not components or len(components) != len(ids):
            raise StatusError("components", _l("Choose the components this token may change, or all of them."),
                              "components")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PushToken(name=name, token_hash=_hash(raw), prefix=raw[:12], all_components=all_components,
                      may_open_incidents=may_open_incidents, created_at=now, created_by=actor,
                      components=components)
    session.add(token)
    session.flush()
    return token, raw


def revoke_token(session: Session, token: PushToken, *, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
    session.flush()


def authenticate(session: Session, authorization: str | None) -> PushToken | None:
    """The live token named by an `Authorization: Bearer ...` header, or None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    raw = authorization[7:].strip()
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    digest = _hash(raw)
    token = session.scalar(select(PushToken).where(PushToken.token_hash == digest)
                           .options(selectinload(PushToken.components)))
    if token is None or token.revoked_at is not None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token


def list_tokens(session: Session) -> list[PushToken]:
    return list(session.scalars(select(PushToken).options(selectinload(PushToken.components))
                                .order_by(PushToken.created_at.desc())))


def get_token(session: Session, uid: str) -> PushToken | None:
    return session.scalar(select(PushToken).where(PushToken.uid == uid)) if uid and len(uid) <= 16 else None


def may_change(token: PushToken, component: Component) -> bool:
    return token.all_components or any(c.id == component.id for c in token.components)


# --- payloads -----------------------------------------------------------------------------------

class PayloadError(ValueError):
    pass


@dataclass
class PushItem:
    component: str  # the component's key
    state: str
    open_incident: bool = False
    title: str = ""
    message: str = ""


def _text(value, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def parse_generic(body) -> list[PushItem]:
    """{"component": "api", "state": "major_outage", "open_incident": true, "title": ..., "message": ...}
    or {"updates": [ ...the same objects... ]}."""
    if not isinstance(body, dict):
        raise PayloadError("The body must be a JSON object.")
    raw_items = body.get("updates") if "updates" in body else [body]
    if not isinstance(raw_items, list) or not raw_items or len(raw_items) > MAX_ITEMS:
        raise PayloadError(f"'updates' must be a list of 1 to {MAX_ITEMS} objects.")
    items = []
    for n, raw in enumerate(raw_items, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("component"), str):
            raise PayloadError(f"Update {n}: 'component' (the component's key) is required.")
        state = raw.get("state")
        if state not in set(State):
            raise PayloadError(f"Update {n}: 'state' must be one of {', '.join(s.value for s in State)}.")
        items.append(PushItem(raw["component"].strip().lower(), state, bool(raw.get("open_incident")),
                              _text(raw.get("title"), 300), _text(raw.get("message"), 5000)))
    return items


def parse_alertmanager(body, *, open_incident: bool = False) -> tuple[list[PushItem], int]:
    """Prometheus Alertmanager's webhook (version 4). The component comes from the label `status_component`
    (or `component`), the state from `status_state` or else `severity`; a resolved alert means operational.
    Per component the worst firing alert wins. Returns (items, alerts ignored for lack of a component)."""
    if not isinstance(body, dict) or not isinstance(body.get("alerts"), list):
        raise PayloadError("Not an Alertmanager webhook payload: 'alerts' is missing.")
    if len(body["alerts"]) > 10 * MAX_ITEMS:
        raise PayloadError("Too many alerts in one payload.")
    per_component: dict[str, PushItem] = {}
    ignored = 0
    for alert in body["alerts"]:
        labels = alert.get("labels") if isinstance(alert, dict) else None
        if not isinstance(labels, dict):
            ignored += 1
            continue
        key = labels.get("status_component") or labels.get("component")
        if not isinstance(key, str) or not key.strip():
            ignored += 1
            continue
        annotations = alert.get("annotations") if isinstance(alert.get("annotations"), dict) else {}
        if alert.get("status") == "resolved":
            state = State.OPERATIONAL.value
        elif labels.get("status_state") in set(State):
            state = labels["status_state"]
        else:
            state = SEVERITY_STATES.get(str(labels.get("severity", "")).lower(), State.PARTIAL).value
        item = PushItem(key.strip().lower(), state, open_incident,
                        _text(annotations.get("summary") or labels.get("alertname"), 300),
                        _text(annotations.get("description") or annotations.get("summary"), 5000))
        prev = per_component.get(item.component)
        if prev is None or SEVERITY[item.state] > SEVERITY[prev.state]:
            per_component[item.component] = item
    return list(per_component.values()), ignored


# --- applying -----------------------------------------------------------------------------------

@dataclass
class PushResult:
    component: str
    ok: bool
    state: str = ""
    changed: bool = False
    incident: str | None = None
    error: str = ""

    def as_json(self) -> dict:
        out = {"component": self.component, "ok": self.ok}
        if self.ok:
            out.update(state=self.state, changed=self.changed, incident=self.incident)
        else:
            out["error"] = self.error
        return out


def apply(session: Session, token: PushToken, items: list[PushItem], *, now: datetime) -> list[PushResult]:
    """Set each pushed state (within the token's scope) and open draft incidents where asked and allowed."""
    token.last_used_at = now
    actor = f"push:{token.name}"
    results = []
    for item in items:
        component = service.component_by_key(session, item.component)
        if component is None:
            results.append(PushResult(item.component, False, error="unknown component"))
            continue
        if not may_change(token, component):
            results.append(PushResult(item.component, False, error=OUT_OF_SCOPE))
            continue
        changed = service.set_state(session, component, item.state, now=now, source="push", actor=actor)
        incident = None
        if item.open_incident and token.may_open_incidents and item.state != State.OPERATIONAL:
            incident = _draft_incident(session, component, item, now=now, actor=actor)
        results.append(PushResult(item.component, True, item.state, changed, incident.uid if incident else None))
    session.flush()
    return results


def _draft_incident(session: Session, component: Component, item: PushItem, *, now: datetime,
                    actor: str) -> Incident:
    """One open draft per component: later pushes while it is open reuse it."""
    key = f"push:{component.key}"
    existing = session.scalar(select(Incident).where(Incident.source_key == key,
                                                     Incident.status.not_in([s.value for s in CLOSED])).limit(1))
    if existing is not None:
        return existing
    with force_locale("en"):
        title = item.title or _("%(component)s: %(state)s", component=component.name("en"),
                                state=state_label(item.state))
        body = item.message or _("Monitoring reports %(state)s for %(component)s. We are investigating.",
                                 state=state_label(item.state).lower(), component=component.name("en"))
    impact = {State.MAJOR: Impact.MAJOR, State.PARTIAL: Impact.MAJOR}.get(item.state, Impact.MINOR).value
    return service.open_incident(
        session, title_en=title, impact=impact, now=now, author=actor, draft=True, source_key=key,
        update_=UpdateInput(status=IncidentStatus.INVESTIGATING.value, body_en=body, notify=False,
                            states={component.id: item.state}))
