"""NIST CSF 1.1 subcategories (questions) -> SP 800-53 rev4 base controls (library), labelled with the
CSF 1.1 Core's informative references to SP 800-53 rev4.

Usage: python bench/data/families/build_csf11_53r4.py <git dir of usnistgov/oscal-content mirror> \
           <git dir of jburer/NIST-Crosswalks mirror>
See csf11_53r4/SOURCES.md.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sys

from _common import clean, git_show, oscal_controls, oscal_statement, write_family

R4 = ("88bb8deeaa815f8914d68ea7e31a622ebbc1719d", "nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_catalog-min.json")
XW = "e88996dd110ca5142bb9dbe0273f76bc4207d54f"
# Library without the contingency planning and incident response families: the CSF outcomes that only
# they answer (mostly RESPOND / RECOVER) are the unanswerable part, beside RC.CO-1/-2 (no 800-53 reference).
HELD_OUT = {"cp", "ir"}


def rows(git_dir: str, path: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(git_show(git_dir, XW, path))))


def main(oscal_dir: str, xw_dir: str) -> None:
    r4 = json.loads(git_show(oscal_dir, *R4))["catalog"]
    library, active = [], set()
    for fam, c, props, params in oscal_controls(r4):
        if props.get("status", "").lower() == "withdrawn" or c.get("class") != "SP800-53":
            continue                                   # base controls only (the CSF references name those)
        active.add(props["label"])
        if c["id"].split("-")[0] not in HELD_OUT:
            library.append({"ref": props["label"], "question": oscal_statement(c, params), "category": fam})
    lib_refs = {e["ref"] for e in library}

    cats = {r["CSFCategoryIndex"]: r for r in rows(xw_dir, "data/CSF/NIST-CSFCategory.csv")}
    refs: dict[str, list[str]] = {}
    unknown = set()
    for r in rows(xw_dir, "data/Crosswalks/NIST-CSF-SP800-53.csv"):
        m = re.match(r"^([A-Z]{2}-\d+)", r["SP88053ID"].strip())
        if not m:
            continue
        base = m.group(1)                              # 'CA-3a', 'CM-2(a)', 'AC-4 (1)' -> the base control
        if base not in active:
            unknown.add(base)
            continue
        lst = refs.setdefault(r["CSFID"], [])
        if base in lib_refs and base not in lst:
            lst.append(base)
    print("references to no active rev4 base control (dropped):", sorted(unknown))
    questions, labels = [], {}
    for s in rows(xw_dir, "data/CSF/NIST-CSFSubcategory.csv"):
        cat = cats[s["CSFCategoryIndex"]]
        qid = "csf11:" + s["CSFID"]
        questions.append({"id": qid, "text": clean(s["CSFSubcategoryDescription"]),
                          "context": f"{cat['CSFCategoryName']} ({cat['CSFID']})"})
        labels[qid] = sorted(refs.get(s["CSFID"], []))
    questions.sort(key=lambda q: q["id"])
    write_family("csf11_53r4", questions, library, labels)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
