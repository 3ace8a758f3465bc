"""The status modules import one way: no module imports one that imports it back, even inside a function
(issue #17: api -> service -> subscriptions -> api was such a circle)."""
from __future__ import annotations

from pathlib import Path

from tests.test_subscriptions import imported_modules

STATUS = Path(__file__).resolve().parents[2] / "status"


def _graph() -> dict[str, set[str]]:
    modules = {f"status.{p.stem}": p for p in STATUS.glob("*.py") if p.stem != "__init__"}
    return {name: {m for m in imported_modules(path) if m in modules and m != name} for name, path in modules.items()}


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [node, nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, path + [node])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [])):
            return found
    return None


def test_no_status_module_imports_itself_back():
    assert _circle(_graph()) is None


def test_the_check_finds_a_circle():
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert _circle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
