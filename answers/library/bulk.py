"""One change applied to many library entries (the list page's bulk actions)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from answers.library import service
from answers.library.models import LibraryEntry
from importers.i18n_marker import N_
from vault import audit
from vault.audit import Actor

ACTIONS = ("approve", "retire", "set_owner", "add_tag", "mark_reviewed", "make_public", "make_private")


def apply_bulk(session: Session, entries: list[LibraryEntry], actor: Actor, action: str, *,
               owner_id: int | None = None, tag: str = "", today: date | None = None) -> list[str]:
    """Apply `action` to each entry (each change is in its history and the audit trail, plus one summary
    event); returns the refs that changed. Raises LibraryError and changes nothing the caller commits."""
    if action not in ACTIONS:
        raise service.LibraryError(N_("unknown bulk action %(action)s"), params={"action": repr(action)})
    tag = (tag or "").strip()
    if action == "add_tag" and not tag:
        raise service.LibraryError(N_("enter the tag to add"))
    note = f"bulk: {action}"
    changed = []
    for entry in entries:
        if action == "approve":
            fields = service.update_entry(session, entry, actor, note=note, status="approved")
        elif action == "retire":
            fields = service.update_entry(session, entry, actor, note=note, status="retired")
        elif action in ("make_public", "make_private"):
            fields = service.update_entry(session, entry, actor, note=note, public=action == "make_public")
        elif action == "set_owner":
            fields = service.update_entry(session, entry, actor, note=note, owner_id=owner_id)
        elif action == "add_tag":
            tags = list(entry.tags or [])
            fields = [] if tag in tags else service.update_entry(session, entry, actor, note=note, tags=tags + [tag])
        else:
            fields = service.update_entry(session, entry, actor, note="reviewed", last_reviewed_on=today or date.today())
        if fields:
            changed.append(entry.ref)
    audit.record(session, "library.bulk", by=actor, object_type="library",
                 detail={"action": action, "selected": len(entries), "changed": changed,
                         **({"owner_id": owner_id} if action == "set_owner" else {}),
                         **({"tag": tag} if action == "add_tag" else {})})
    session.flush()
    return changed
