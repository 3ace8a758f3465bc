"""The labelled development sets (see bench/data/README.md for how the labels were made).

Each set is a library (list of LibraryEntry) and queries (id, text, gold refs; empty gold = the
library does not cover it). Queries are split in two halves by a stable hash of their id:
"tune" (used to fit calibration.json and to look at errors) and "holdout" (only measured).
"""
from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass

from answers.matching import LibraryEntry
from bench.matching.paths import DATA_DIR, questionnaires_dir

# GB/T 22239 level-3 categories that an application-security standard (ASVS) does not cover:
# physical environment, security organisation, personnel, policy system.
ZH_UNCOVERED = {"安全物理环境", "安全管理机构", "安全管理人员", "安全管理制度"}
# VSAQ sections that ASVS does not cover: physical/office/datacenter and HR/personnel questions.
EN_UNCOVERED_PREFIX = ("PHY-",)
EN_UNCOVERED_REFS = {f"SPP-0{n}" for n in range(35, 44)}


@dataclass
class Query:
    qid: str
    text: str
    gold: frozenset[str]
    context: str | None = None   # section heading of the question in its questionnaire, when known

    @property
    def split(self) -> str:
        return "tune" if int(hashlib.sha1(self.qid.encode()).hexdigest(), 16) % 2 == 0 else "holdout"


@dataclass
class DevSet:
    name: str
    library: list[LibraryEntry]
    queries: list[Query]

    def part(self, split: str | None) -> list[Query]:
        return [q for q in self.queries if split is None or q.split == split]


def vsaq_library() -> list[LibraryEntry]:
    raw = json.loads((DATA_DIR / "vsaq_library.json").read_text(encoding="utf-8"))["entries"]
    return [LibraryEntry(ref=e["ref"], question=e["question"], answer_full=e["answer_full"],
                         category=e["category"]) for e in raw]


# HECVAT 4.1.4 section headings (from the answer sheets: Organization / Product / Infrastructure / Privacy / ...)
# by question-id prefix: what an importer reading the sheet would pass as the question's context.
HECVAT_SECTIONS = {
    "GNRL": "General Information", "COMP": "Company Information", "REQU": "Required Questions",
    "DOCU": "Documentation", "ITAC": "IT Accessibility", "THRD": "Assessment of Third Parties",
    "CONS": "Consulting", "APPL": "Application/Service Security",
    "AAAI": "Authentication, Authorization, and Account Management", "CHNG": "Change Management",
    "DATA": "Data", "DCTR": "Datacenter", "FIDP": "Firewalls, IDS, IPS, and Networking",
    "PPPR": "Policies, Processes, and Procedures", "HFIH": "Incident Handling", "VULN": "Vulnerability Management",
    "OPEM": "Systems Management", "HIPA": "HIPAA", "PCID": "PCI DSS", "PRGN": "General Privacy",
    "PCOM": "Privacy-Specific Company Details", "PDOC": "Privacy-Specific Documentation",
    "PTHP": "Privacy of Third Parties", "PCHG": "Privacy Change Management", "PDAT": "Privacy of Sensitive Data",
    "PRPO": "Privacy Policies and Procedures", "INTL": "International Privacy", "DRPV": "Data Privacy",
    "DPAI": "Privacy and AI", "AIQU": "AI Qualifying Questions", "AIGN": "AI General", "AIPL": "AI Policy",
    "AISC": "AI Security", "AIML": "AI Machine Learning", "AILM": "AI Large Language Models",
}


def hecvat_vs_vsaq() -> DevSet:
    queries = []
    with open(DATA_DIR / "hecvat_to_vsaq_labels.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            gold = frozenset(r for r in row["vsaq_refs"].split(";") if r)
            queries.append(Query(row["hecvat_id"], row["question"], gold,
                                 HECVAT_SECTIONS.get(row["hecvat_id"].split("-")[0])))
    return DevSet("EN  HECVAT -> VSAQ library", vsaq_library(), queries)


def asvs_vs_vsaq() -> DevSet:
    """Second, independent English set: 91 ASVS 4.0.3 requirements (a hash-chosen third) against VSAQ."""
    queries = []
    with open(questionnaires_dir() / "zh" / "owasp_asvs_4.0.3-en.csv", encoding="utf-8", newline="") as f:
        sections = {r["req_id"]: f"{r['chapter_name']} / {r['section_name']}" for r in csv.DictReader(f)}
    with open(DATA_DIR / "asvs_to_vsaq_labels.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            gold = frozenset(r for r in row["vsaq_refs"].split(";") if r)
            queries.append(Query("asvs2vsaq:" + row["asvs_id"], row["question"], gold, sections.get(row["asvs_id"])))
    return DevSet("EN2  ASVS en -> VSAQ library", vsaq_library(), queries)


def _asvs_pairs() -> list[dict]:
    with open(questionnaires_dir() / "zh" / "owasp_asvs_4.0.3_en_zh_pairs.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def asvs_zh_to_en() -> DevSet:
    pairs = _asvs_pairs()
    library = [LibraryEntry(ref=p["id"], question=p["requirement_en"], category=p["section_en"]) for p in pairs]
    queries = [Query("zh:" + p["id"], p["requirement_zh"], frozenset([p["id"]])) for p in pairs]
    with open(questionnaires_dir() / "zh" / "gbt22239_2019_level3.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["requirement_type"] == "安全通用要求" and row["category"] in ZH_UNCOVERED:
                queries.append(Query("mlps:" + row["id"], row["requirement"], frozenset()))
    return DevSet("ZH->EN  ASVS zh -> ASVS en library (+54 uncovered MLPS)", library, queries)


def asvs_en_to_zh() -> DevSet:
    pairs = _asvs_pairs()
    library = [LibraryEntry(ref=p["id"], question=p["requirement_zh"], category=p["section_zh"], language="zh")
               for p in pairs]
    queries = [Query("en:" + p["id"], p["requirement_en"], frozenset([p["id"]])) for p in pairs]
    for e in vsaq_library():
        if e.ref.startswith(EN_UNCOVERED_PREFIX) or e.ref in EN_UNCOVERED_REFS:
            queries.append(Query("vsaq:" + e.ref, e.question, frozenset()))
    return DevSet("EN->ZH  ASVS en -> ASVS zh library (+uncovered VSAQ)", library, queries)


def all_sets() -> list[DevSet]:
    return [hecvat_vs_vsaq(), asvs_vs_vsaq(), asvs_zh_to_en(), asvs_en_to_zh()]
