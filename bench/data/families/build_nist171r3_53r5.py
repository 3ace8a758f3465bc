"""NIST SP 800-171 rev3 requirements (questions) -> SP 800-53 rev5 controls (library), labelled with the
"source controls" NIST lists for each requirement.

Usage: python bench/data/families/build_nist171r3_53r5.py <git dir of usnistgov/oscal-content mirror>
See nist171r3_53r5/SOURCES.md.
"""
from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET

from _common import clean, git_show, oscal_controls, oscal_statement, write_family

R3 = ("3b3cdee8f9f9f3e9f18dd70d89a58d6287ae433f", "src/nist.gov/SP800-171/rev3/xml/NIST_SP800-171_rev3_catalog.xml")
R5 = ("a849dbca4649e0cc626fefdd46cf5232c8308f4c", "nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog-min.json")
HELD_OUT = {"pe", "ps", "ir", "ma", "at"}      # same library as nist53_r4_r5
NS = "{http://csrc.nist.gov/ns/oscal/1.0}"
SOURCE = re.compile(r"^([A-Z]{2})-(\d{2})(?:\((\d{2})\))?$")


def rev5_label(title: str) -> str | None:
    """'AC-02(03)' -> 'AC-2(3)' (the label style of the rev5 catalog); None if not an 800-53 control."""
    m = SOURCE.match(title.strip())
    if not m:
        return None
    base = f"{m.group(1)}-{int(m.group(2))}"
    return base + (f"({int(m.group(3))})" if m.group(3) else "")


def render(el, params: dict) -> str:
    """Text of a <p>/<part> with <insert type="param"> replaced by the parameter's usage text."""
    out = []
    if el.text:
        out.append(el.text)
    for ch in el:
        if ch.tag == NS + "insert":
            out.append("[" + params.get(ch.get("id-ref"), "organization-defined value") + "]")
        elif ch.tag in (NS + "p", NS + "part"):
            if ch.tag == NS + "part" and ch.get("name") != "item":
                pass
            else:
                out.append(" " + render(ch, params) + " ")
        elif ch.tag in (NS + "em", NS + "strong", NS + "a", NS + "q", NS + "code"):
            out.append(render(ch, params))
        if ch.tail:
            out.append(ch.tail)
    return "".join(out)


def main(git_dir: str) -> None:
    r5 = json.loads(git_show(git_dir, *R5))["catalog"]
    library, rev5_labels = [], set()
    for fam, c, props, params in oscal_controls(r5):
        if props.get("status", "").lower() == "withdrawn":
            continue
        rev5_labels.add(props["label"])
        if c["id"].split("-")[0] not in HELD_OUT:
            library.append({"ref": props["label"], "question": oscal_statement(c, params), "category": fam})
    lib_refs = {e["ref"] for e in library}

    root = ET.fromstring(git_show(git_dir, *R3))
    resources = {r.get("uuid"): (r.findtext(NS + "title") or "") for r in root.iter(NS + "resource")}
    questions, labels, not_in_501 = [], {}, set()
    for fam in root.iter(NS + "group"):
        fam_title = fam.findtext(NS + "title")
        for c in fam.iter(NS + "control"):
            props = {p.get("name"): p.get("value") for p in c.findall(NS + "prop")}
            if props.get("status") == "withdrawn" or c.get("class") != "requirement":
                continue
            params = {}
            for p in c.findall(NS + "param"):
                usage = " ".join((p.find(NS + "usage").itertext()) if p.find(NS + "usage") is not None else [])
                params[p.get("id")] = clean(usage) or "organization-defined " + (p.findtext(NS + "label") or "value")
            # the requirement text sits in a child control of class "security_requirement"
            texts = []
            for sr in c.findall(NS + "control"):
                if sr.get("class") == "security_requirement":
                    texts += [render(p, params) for p in sr.findall(NS + "part") if p.get("name") == "statement"]
            text = clean(" ".join(texts))
            if not text:
                continue
            src = []
            for l in c.findall(NS + "link"):
                if l.get("rel") != "reference":
                    continue
                lab = rev5_label(resources.get(l.get("href", "").lstrip("#"), ""))
                if lab is None:
                    continue
                if lab not in rev5_labels:
                    not_in_501.add(lab)
                elif lab in lib_refs and lab not in src:
                    src.append(lab)
            qid = "171r3:" + props["sort-id"]
            questions.append({"id": qid, "text": text, "context": fam_title})
            labels[qid] = src
    print("source controls not in the rev5 5.0.1 catalog (dropped):", sorted(not_in_501))
    write_family("nist171r3_53r5", questions, library, labels)


if __name__ == "__main__":
    main(sys.argv[1])
