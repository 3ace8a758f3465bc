"""Group-to-role mapping as the admin types it: one `group = role` a line, first matching line wins.

No Flask and no database; roles are the ones of vault/auth/roles.py. An empty mapping maps nobody:
an unmapped user is refused, never given a default role.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from vault.auth.roles import Role
from vault.inputs import InvalidInput

MAX_LINES = 200
MAX_GROUP = 300


def parse(text: str) -> list[list[str]]:
    """[[group, role], ...] in order; InvalidInput naming the line that is wrong."""
    mapping: list[list[str]] = []
    roles = {r.value for r in Role}
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if len(lines) > MAX_LINES:
        raise InvalidInput("too_many", _l("At most %(n)d mapping lines.", n=MAX_LINES), "group_roles")
    for number, line in enumerate(lines, 1):
        group, sep, role = line.rpartition("=")
        group, role = group.strip(), role.strip().lower()
        if not sep or not group:
            raise InvalidInput("format", _l("Line %(n)d: write “group = role”, e.g. “trust-admins = admin”.",
                                            n=number), "group_roles")
        if role not in roles:
            raise InvalidInput("role", _l("Line %(n)d: “%(role)s” is not a role. Roles: %(roles)s.", n=number,
                                          role=role, roles=", ".join(sorted(roles))), "group_roles")
        if len(group) > MAX_GROUP or any(ord(c) < 32 for c in group):
            raise InvalidInput("group", _l("Line %(n)d: the group name is too long or holds control characters.",
                                           n=number), "group_roles")
        mapping.append([group, role])
    return mapping


def as_text(mapping: list) -> str:
    return "\n".join(f"{group} = {role}" for group, role in mapping or [])


def role_for(mapping: list, groups: list[str]) -> str | None:
    """The role of the first line naming one of `groups` (exact, case-sensitive as the IdP sends it)."""
    have = set(groups)
    for group, role in mapping or []:
        if group in have:
            return role
    return None
