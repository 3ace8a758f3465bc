"""Public data types of the matching engine."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources


def _autofill_threshold() -> float:
    """The auto-fill bar, chosen with the confidence model from families it was not fitted on (the lowest
    confidence at which held-out answers were right >= 95% of the time: bench/matching/lofo.py)."""
    try:
        raw = resources.files("answers.matching").joinpath("data", "calibration.json").read_text("utf-8")
        return float(json.loads(raw).get("autofill_threshold", 0.8))
    except (FileNotFoundError, ValueError):
        return 0.8


AUTOFILL_THRESHOLD = _autofill_threshold()
STATUSES = ("draft", "approved", "retired")


@dataclass
class LibraryEntry:
    ref: str                    # external reference id, e.g. "IAM-01"; unique key in the index
    question: str               # canonical question
    alternatives: list[str] = field(default_factory=list)   # alternative phrasings
    answer_short: str = ""      # Yes / No / N/A / free text
    answer_full: str = ""
    language: str = "en"        # "en" | "zh"
    status: str = "approved"    # "draft" | "approved" | "retired"
    category: str = ""
    tags: list[str] = field(default_factory=list)
    stale: bool = False         # its evidence expired or was withdrawn: suggested, never auto-filled
    stale_reason: str = ""      # why, in English, naming the evidence and the day (the CLI report's `reason`)


@dataclass
class Candidate:
    ref: str
    score: float                # in [0, 1]


@dataclass
class MatchResult:
    candidates: list[Candidate]  # best first, up to top_k, present even when not answerable
    confidence: float            # calibrated probability that candidates[0] is right
    answerable: bool             # False = explicit "no good match"

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def autofill(self) -> bool:
        return self.answerable and self.confidence >= AUTOFILL_THRESHOLD
