"""Import a library table: plan (what would change), then apply in one transaction."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.language import guess_language
from answers.library import service
from answers.library.models import LibraryEntry
from vault import audit
from vault.audit import Actor
from importers.library import LibraryRow, LibraryTable, RowProblem

def _norm_q(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


@dataclass
class ImportPlan:
    creates: list[tuple[LibraryRow, dict]] = field(default_factory=list)
    updates: list[tuple[LibraryEntry, LibraryRow, dict]] = field(default_factory=list)
    unchanged: list[LibraryRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def summary(self) -> dict:
        return {"create": len(self.creates), "update": len(self.updates), "unchanged": len(self.unchanged),
                "problems": len(self.problems),
                "unanswered": sum(1 for row, _ in self.creates if row.needs_answer)}


def _values(row: LibraryRow, default_status: str, source: dict) -> dict:
    values = {
        "question": row.question, "answer_short": row.answer_short, "answer_full": row.answer_full,
        "language": row.language or guess_language(row.question),
        "source": {**source, "row": row.row, **({"sheet": row.sheet} if row.sheet else {})},
    }
    if row.ref:
        values["ref"] = row.ref
    for name, value in (("category", row.category), ("tags", row.tags), ("alternatives", row.alternatives),
                        ("framework_refs", row.framework_refs)):
        if value:
            values[name] = value
    values["status"] = row.status or ("draft" if row.needs_answer else default_status)
    return values


def plan_import(session: Session, table: LibraryTable, *, default_status: str = "approved",
                source: dict | None = None) -> ImportPlan:
    plan = ImportPlan(problems=list(table.problems))
    source = {"file": table.filename, **(source or {})}
    by_ref = {e.ref: e for e in session.scalars(select(LibraryEntry))}
    by_question = {_norm_q(e.question): e for e in by_ref.values()}
    for row in table.rows:
        values = _values(row, default_status, source)
        entry = by_ref.get(row.ref) if row.ref else by_question.get(_norm_q(row.question))
        if entry is None:
            plan.creates.append((row, values))
            continue
        values.pop("source")
        if row.needs_answer:  # a re-import without answers never erases the library's answers
            for name in ("answer_short", "answer_full"):
                values.pop(name, None)
            if row.status != "retired":
                values.pop("status", None)
        if entry.status != "approved" and not row.status:
            values.pop("status", None)  # re-import does not resurrect a retired entry or approve a draft
        if not row.status and entry.status == "approved" and "status" in values:
            values.pop("status", None)
        changes = {k: v for k, v in values.items() if getattr(entry, k) != v}
        if changes:
            plan.updates.append((entry, row, changes))
        else:
            plan.unchanged.append(row)
    return plan


def apply_import(session: Session, plan: ImportPlan, actor: Actor, source_file: str = "") -> None:
    """Everything in the plan, in the caller's transaction (the caller commits or rolls back)."""
    for _row, values in plan.creates:
        service.create_entry(session, actor, audited=False, **values)
    for entry, row, changes in plan.updates:
        service.update_entry(session, entry, actor, note=f"imported (row {row.row})", audited=False, **changes)
    audit.record(session, "library.import", by=actor, object_type="library",
                 detail={**plan.summary(), "file": source_file})
