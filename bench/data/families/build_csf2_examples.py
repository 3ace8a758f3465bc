"""NIST CSF 2.0 implementation examples (questions) -> CSF 2.0 subcategories (library).

Every example is published by NIST under one subcategory; that subcategory is its label.
The GOVERN function is left out of the library, so its examples are the unanswerable part.

Usage: python bench/data/families/build_csf2_examples.py <git dir of usnistgov/oscal-content mirror>
See csf2_examples/SOURCES.md.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

from _common import clean, git_show, write_family

CSF2 = ("3b3cdee8f9f9f3e9f18dd70d89a58d6287ae433f", "src/nist.gov/CSF/v2.0/xml/NIST_CSF_v2.0_catalog.xml")
HELD_OUT_FUNCTIONS = {"GV"}
NS = "{http://csrc.nist.gov/ns/oscal/1.0}"


def text_of(part) -> str:
    return clean(" ".join(part.itertext()))


def main(git_dir: str) -> None:
    root = ET.fromstring(git_show(git_dir, *CSF2))
    questions, library, labels = [], [], {}
    for fn in root.findall(NS + "group"):
        fn_id, fn_title = fn.get("id"), fn.findtext(NS + "title")
        for cat in fn.findall(NS + "control"):
            cat_title = clean(cat.findtext(NS + "title") or "")
            if not any(x.get("name") == "example" for s in cat.findall(NS + "control") for x in s.findall(NS + "part")):
                continue        # withdrawn CSF 1.1 category
            for sub in cat.findall(NS + "control"):
                if sub.get("class") != "subcategory":
                    continue
                parts = sub.findall(NS + "part")
                stmt = next((text_of(p) for p in parts if p.get("name") == "statement"), "")
                active = any(p.get("name") == "risk-party" for p in sub.findall(NS + "prop")) or \
                    any(p.get("name") == "example" for p in parts)
                if not stmt or not active:
                    continue        # the CSF 1.1 subcategories withdrawn in 2.0 (kept in the file with 1.1 text)
                ref = sub.get("id")
                if fn_id not in HELD_OUT_FUNCTIONS:
                    library.append({"ref": ref, "question": stmt, "category": f"{cat_title} ({cat.get('id')})"})
                for p in parts:
                    if p.get("name") != "example":
                        continue
                    qid = "csf2ex:" + p.get("id")
                    questions.append({"id": qid, "text": text_of(p), "context": f"{fn_title} ({fn_id})"})
                    labels[qid] = [] if fn_id in HELD_OUT_FUNCTIONS else [ref]
    write_family("csf2_examples", questions, library, labels)


if __name__ == "__main__":
    main(sys.argv[1])
