"""Roles and the permission matrix. The server checks these on every request; docs/permissions.md
renders the same table for people."""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    ADMIN = "admin"  # everything, users, settings
    SECURITY = "security"  # documents, answer library
    SALES = "sales"  # questionnaires, access requests
    LEGAL = "legal"  # documents, NDAs, expiry
    VIEWER = "viewer"  # read


ALL = frozenset(Role)

ROLE_NAMES = {
    Role.ADMIN: _l("Admin"),
    Role.SECURITY: _l("Security"),
    Role.SALES: _l("Sales"),
    Role.LEGAL: _l("Legal"),
    Role.VIEWER: _l("Viewer"),
}


def role_name(role: str):
    """The role's name in the reader's language; an unknown value is shown as it is."""
    try:
        return ROLE_NAMES[Role(role)]
    except ValueError:
        return role

PERMISSIONS: dict[str, frozenset[Role]] = {
    "documents.view": ALL,
    "documents.edit": frozenset({Role.ADMIN, Role.SECURITY, Role.LEGAL}),
    "documents.download": frozenset({Role.ADMIN, Role.SECURITY, Role.LEGAL, Role.SALES}),
    "library.view": ALL,
    "library.edit": frozenset({Role.ADMIN, Role.SECURITY}),
    "questionnaires.view": frozenset({Role.ADMIN, Role.SECURITY, Role.SALES, Role.VIEWER}),
    "questionnaires.edit": frozenset({Role.ADMIN, Role.SECURITY, Role.SALES}),
    "access.view": frozenset({Role.ADMIN, Role.SECURITY, Role.SALES, Role.LEGAL}),
    "access.decide": frozenset({Role.ADMIN, Role.SALES, Role.LEGAL}),
    "ndas.manage": frozenset({Role.ADMIN, Role.LEGAL}),
    "engagement.view": frozenset({Role.ADMIN, Role.SALES, Role.LEGAL}),
    "expiry.view": frozenset({Role.ADMIN, Role.SECURITY, Role.LEGAL}),
    "status.manage": frozenset({Role.ADMIN, Role.SECURITY}),
    "advisories.manage": frozenset({Role.ADMIN, Role.SECURITY}),
    "disclosure.manage": frozenset({Role.ADMIN, Role.SECURITY}),
    "audit.view": frozenset({Role.ADMIN}),
    "users.manage": frozenset({Role.ADMIN}),
    "settings.manage": frozenset({Role.ADMIN}),
    "overview.manage": frozenset({Role.ADMIN, Role.SECURITY}),  # the trust center's security overview
}


def role_can(role: str, permission: str) -> bool:
    allowed = PERMISSIONS.get(permission)
    if allowed is None:
        raise KeyError(f"unknown permission {permission!r}")
    return role in allowed


def matrix_markdown() -> str:
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |",
             "|---|" + "---|" * len(roles)]
    for perm, allowed in PERMISSIONS.items():
        lines.append(f"| `{perm}` | " + " | ".join("yes" if r in allowed else "-" for r in roles) + " |")
    return "\n".join(lines)
