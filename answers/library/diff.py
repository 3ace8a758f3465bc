"""Word-level text differences for the history page (Chinese compares character by character)."""
from __future__ import annotations

import difflib
import re

# A word, one CJK character, a run of spaces, or one other character.
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|\w+|\s+|[^\w\s]")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, text)] with op "same", "del" or "ins"; joining the same+ins parts gives `new`."""
    a, b = _tokens(old), _tokens(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return out


def as_text(value) -> str:
    """A snapshot value as readable text: lists one per line."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return str(value)


def snapshot_changes(before: dict | None, after: dict, fields: list[str],
                     show=lambda name, value: as_text(value)) -> list[tuple[str, list[tuple[str, str]]]]:
    """(field, diff) for each changed field from one snapshot to the next; `show` turns a stored value
    (an id, say) into text for people."""
    before = before or {}
    return [(name, text_diff(show(name, before.get(name)), show(name, after.get(name)))) for name in fields]
