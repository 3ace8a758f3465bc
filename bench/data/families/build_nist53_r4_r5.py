"""NIST SP 800-53 rev4 control statements (questions) -> rev5 controls (library).

Usage: python bench/data/families/build_nist53_r4_r5.py <git dir of usnistgov/oscal-content mirror>
See nist53_r4_r5/SOURCES.md for what is done and why.
"""
from __future__ import annotations

import json
import re
import sys

from difflib import SequenceMatcher

from _common import git_show, oscal_controls, oscal_statement, stable_hash, write_family

R4 = ("88bb8deeaa815f8914d68ea7e31a622ebbc1719d", "nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_catalog-min.json")
R5 = ("a849dbca4649e0cc626fefdd46cf5232c8308f4c", "nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog-min.json")
# The library is the rev5 catalog without these families, so the questions that only they answer are the
# unanswerable part: a library that lacks the physical and environmental, personnel, incident response,
# maintenance and awareness-and-training sections (the same five in nist171r3_53r5).
HELD_OUT = {"pe", "ps", "ir", "ma", "at"}
MAX_QUESTIONS = 400
NEAR_COPY = 0.9


def words(text: str) -> list[str]:
    """Wording-neutral form for the near-copy filter: rev4's subject ('The organization:', 'The information
    system ...') dropped, 'information system' -> 'system', parameter placeholders dropped, and a crude
    stem (trailing s / es) so 'Identifies' and 'Identify' compare equal."""
    t = re.sub(r"\[[^\]]*\]", " ", text.lower())
    t = re.sub(r"^the (organization|information system)\b:?", " ", t)
    t = t.replace("information system", "system")
    out = []
    for w in re.findall(r"[a-z0-9]+", t):
        w = re.sub(r"(ies)$", "y", w)
        w = re.sub(r"(?<=[^s])(es|s)$", "", w) if len(w) > 3 else w
        out.append(w)
    return out


def near_copy(a: str, b: str) -> bool:
    return SequenceMatcher(None, words(a), words(b), autojunk=False).ratio() >= NEAR_COPY


def target(href: str) -> str:
    """'#ac-2_smt.k' -> 'ac-2'; '#ac-6' -> 'ac-6'."""
    return href.lstrip("#").split("_smt")[0]


def main(git_dir: str) -> None:
    r4 = json.loads(git_show(git_dir, *R4))["catalog"]
    r5 = json.loads(git_show(git_dir, *R5))["catalog"]

    r5_active, r5_withdrawn, r5_text = {}, {}, {}
    library = []
    for fam, c, props, params in oscal_controls(r5):
        cid = c["id"]
        if props.get("status", "").lower() == "withdrawn":
            r5_withdrawn[cid] = [target(l["href"]) for l in c.get("links", [])
                                 if l.get("rel") in ("incorporated-into", "moved-to")]
            continue
        text = oscal_statement(c, params)
        r5_active[cid] = props["label"]
        r5_text[cid] = text
        if cid.split("-")[0] not in HELD_OUT:
            library.append({"ref": props["label"], "question": text, "category": fam})
    lib_refs = {e["ref"] for e in library}

    def successors(cid: str, depth: int = 0) -> list[str]:
        if cid in r5_active:
            return [cid]
        if cid in r5_withdrawn and depth < 4:
            out = []
            for t in r5_withdrawn[cid]:
                out += [s for s in successors(t, depth + 1) if s not in out]
            return out
        return []

    candidates, labels = [], {}
    dropped_identical = 0
    for fam, c, props, params in oscal_controls(r4):
        if props.get("status", "").lower() == "withdrawn":
            continue                      # already withdrawn in rev4: not a question
        text = oscal_statement(c, params)
        if not text:
            continue
        if any(t not in r5_active and t not in r5_withdrawn for t in r5_withdrawn.get(c["id"], [])):
            continue                      # SA-12 -> "incorporated into the SR family": no control to name
        succ = successors(c["id"])
        if any(near_copy(text, r5_text[s]) for s in succ):
            dropped_identical += 1        # (nearly) the same words in rev5: no test of matching
            continue
        qid = "r4:" + props["label"]
        candidates.append({"id": qid, "text": text, "context": fam})
        labels[qid] = [r5_active[s] for s in succ if r5_active[s] in lib_refs]
    candidates.sort(key=lambda q: stable_hash(q["id"]))
    questions = sorted(candidates[:MAX_QUESTIONS], key=lambda q: q["id"])
    print(f"rev4 candidates {len(candidates)} (dropped {dropped_identical} near copies of their rev5 successor)")
    write_family("nist53_r4_r5", questions, library, labels)


if __name__ == "__main__":
    main(sys.argv[1])
