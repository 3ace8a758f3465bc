"""Extra question families with publisher-made mappings (bench/data/families/, see its README.md), for
fitting and measuring the matcher leave-one-family-out.

Each family folder holds questions.csv (id,text,context), library.csv (ref,question,answer,category) and
labels.csv (question_id,refs; refs ';'-separated, empty = the library does not answer the question).
"""
from __future__ import annotations

import csv
from pathlib import Path

from answers.matching import LibraryEntry
from bench.matching.devset import DevSet, Query
from bench.matching.paths import DATA_DIR

FAMILIES_DIR = DATA_DIR / "families"

# folder -> short DevSet name
FAMILIES = {
    "nist53_r4_r5": "NIST-53r4->r5",
    "nist171r3_53r5": "NIST-171r3->53r5",
    "csf2_examples": "CSF2-ex->subcat",
    "csf11_53r4": "CSF1.1->53r4",
}


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_family(folder: str, name: str | None = None) -> DevSet:
    d = FAMILIES_DIR / folder
    library = [LibraryEntry(ref=r["ref"], question=r["question"], answer_full=r["answer"] or "",
                            category=r["category"] or "")
               for r in _rows(d / "library.csv")]
    gold = {r["question_id"]: frozenset(x for x in r["refs"].split(";") if x) for r in _rows(d / "labels.csv")}
    queries = [Query(r["id"], r["text"], gold.get(r["id"], frozenset()), r["context"] or None)
               for r in _rows(d / "questions.csv")]
    return DevSet(name or FAMILIES.get(folder, folder), library, queries)


def families() -> list[DevSet]:
    return [load_family(folder, name) for folder, name in FAMILIES.items()]
