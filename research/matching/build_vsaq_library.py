"""Extract Google's VSAQ questionnaires into a frozen library file (bench/data/vsaq_library.json).

Run once; the labels in bench/data refer to the refs written here, so the file is
kept in the repo rather than rebuilt on every bench run.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bench.matching.paths import DATA_DIR, questionnaires_dir

FILES = {
    "vsaq_infrastructure.json": "INF",
    "vsaq_physical_and_datacenter.json": "PHY",
    "vsaq_security_privacy_programs.json": "SPP",
    "vsaq_webapp.json": "APP",
}
QUESTION_TYPES = {"radiogroup", "checkgroup", "line", "box"}
# Free-text "anything else?" boxes, feedback and contact fields are not answers to reuse.
SKIP_ID = re.compile(r"(_other$|^feedback$|^security_contacts$|^application_(name|description)$)")


def _clean(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", text).strip()


def _load_js_json(path: Path):
    # VSAQ files carry // licence comments and "a" + "b" string concatenation.
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.strip().startswith("//")]
    return json.loads(re.sub(r'"\s*\+\s*"', "", "\n".join(lines)))


def extract(src_dir: Path) -> list[dict]:
    entries: list[dict] = []
    for fname, prefix in FILES.items():
        counter = 0

        def walk(node, section):
            nonlocal counter
            if isinstance(node, list):
                for child in node:
                    walk(child, section)
                return
            if not isinstance(node, dict):
                return
            kind = node.get("type")
            if kind == "block":
                section = section + [_clean(node.get("text", ""))]
            elif kind in QUESTION_TYPES and node.get("text"):
                counter += 1
                qid = node.get("id") or ""
                if not SKIP_ID.search(qid):
                    choices = [_clean(v) for c in node.get("choices", []) for v in c.values()]
                    if kind == "radiogroup" and choices and choices[0].lower().startswith("yes"):
                        answer = choices[0]  # the affirmative choice reads like a vendor's answer
                    else:
                        answer = "; ".join(choices)
                    if answer.lower() in ("yes", "no"):
                        answer = ""
                    entries.append({
                        "ref": f"{prefix}-{counter:03d}",
                        "source_id": qid,
                        "question": _clean(node["text"]),
                        "answer_full": answer,
                        "category": " / ".join(s for s in section[1:] if s),
                    })
            for key, value in node.items():
                if key != "choices":
                    walk(value, section)

        walk(_load_js_json(src_dir / fname), [])
    return entries


def main() -> None:
    src = questionnaires_dir()
    entries = extract(src)
    out = DATA_DIR / "vsaq_library.json"
    out.write_text(json.dumps({
        "source": "google/vsaq questionnaires/*.json @ 366d670e (Apache-2.0); extracted by bench/matching/build_vsaq_library.py",
        "entries": entries,
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {len(entries)} entries to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
