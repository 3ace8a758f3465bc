"""Helpers shared by the family builders (build_*.py). Standard library only."""
from __future__ import annotations

import csv
import hashlib
import re
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def git_show(git_dir: str, commit: str, path: str) -> str:
    """A file of a fetched mirror (bare git dir) at a commit."""
    out = subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{path}"],
                         capture_output=True, check=True)
    return out.stdout.decode("utf-8").lstrip("\ufeff")


def stable_hash(s: str) -> int:
    return int(hashlib.sha1(s.encode("utf-8")).hexdigest(), 16)


def clean(s: str) -> str:
    s = re.sub(r"<[^>]+>", " ", s)            # stray markup
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s+([,;:.)])", r"\1", s)
    s = re.sub(r"\(\s+", "(", s)
    return s


def norm(s: str) -> str:
    """For the 'identical text' filter: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]+", "", s.lower())


def write_family(name: str, questions: list[dict], library: list[dict], labels: dict[str, list[str]]) -> Path:
    out = HERE / name
    out.mkdir(exist_ok=True)
    refs = {e["ref"] for e in library}
    with open(out / "questions.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "context"])
        for q in questions:
            w.writerow([q["id"], q["text"], q.get("context", "")])
    with open(out / "library.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ref", "question", "answer", "category"])
        for e in library:
            w.writerow([e["ref"], e["question"], e.get("answer", ""), e.get("category", "")])
    with open(out / "labels.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["question_id", "refs"])
        for q in questions:
            rs = labels.get(q["id"], [])
            missing = [r for r in rs if r not in refs]
            assert not missing, (q["id"], missing)
            w.writerow([q["id"], ";".join(rs)])
    n = len(questions)
    ans = sum(1 for q in questions if labels.get(q["id"]))
    print(f"{name}: {n} questions, {ans} answerable ({ans / max(n, 1):.0%}), {len(library)} library entries")
    return out


# ---- OSCAL JSON catalogs (SP 800-53 rev4 / rev5) ----

_INSERT = re.compile(r"\{\{\s*insert:\s*param,\s*([\w.\-]+)\s*\}\}")


def _param_text(p: dict, params: dict, depth: int = 0) -> str:
    if "select" in p:
        choices = [_INSERT.sub(lambda m: _param_ref(m.group(1), params, depth + 1), c)
                   for c in p["select"].get("choice", [])]
        return "[selection: " + "; ".join(choices) + "]"
    label = p.get("label") or "organization-defined value"
    return "[" + label + "]"


def _param_ref(pid: str, params: dict, depth: int = 0) -> str:
    p = params.get(pid)
    if p is None or depth > 3:
        return "[organization-defined value]"
    return _param_text(p, params, depth)


def oscal_prose(part: dict, params: dict) -> str:
    """A statement part with its nested items as one plain sentence run (item labels dropped)."""
    bits = []
    if part.get("prose"):
        bits.append(_INSERT.sub(lambda m: _param_ref(m.group(1), params), part["prose"]))
    for sub in part.get("parts", []):
        if sub.get("name") in ("item", "statement"):
            bits.append(oscal_prose(sub, params))
    return clean(" ".join(b for b in bits if b))


def oscal_controls(catalog: dict):
    """Yields (family title, control dict, props dict, params dict) for every control and enhancement."""
    def walk(group_title, controls, inherited):
        for c in controls:
            params = dict(inherited)
            params.update({p["id"]: p for p in c.get("params", [])})
            props = {p["name"]: p["value"] for p in c.get("props", [])}
            yield group_title, c, props, params
            yield from walk(group_title, c.get("controls", []), params)
    for g in catalog["groups"]:
        yield from walk(g["title"], g.get("controls", []), {})


def oscal_statement(c: dict, params: dict) -> str:
    for p in c.get("parts", []):
        if p.get("name") == "statement":
            return oscal_prose(p, params)
    return ""
