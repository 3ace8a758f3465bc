"""Run the engine and the rapidfuzz baseline over a development set."""
from __future__ import annotations

from rapidfuzz import fuzz, process, utils

from answers.matching import MatchIndex
from bench.matching.devset import DevSet, Query
from bench.matching.metrics import Outcome


def run_engine(ds: DevSet, queries: list[Query], *, embedder="auto", models=None, context: bool = False) -> list[Outcome]:
    """The engine as shipped (embedder="auto": sentence embeddings where they can run); None = lexical only."""
    index = MatchIndex(ds.library, embedder=embedder, models=models)
    results = index.match_many([q.text for q in queries], top_k=10,
                               contexts=[q.context for q in queries] if context else None)
    return [Outcome(q.gold, [c.ref for c in r.candidates], r.confidence, r.answerable)
            for q, r in zip(queries, results)]


class Baseline:
    """Plain rapidfuzz token_set_ratio of the question against every entry's question."""

    def __init__(self, library):
        self.refs = [e.ref for e in library]
        self.texts = [utils.default_process(e.question) for e in library]

    def match(self, text: str, top_k: int = 10) -> list[tuple[str, float]]:
        hits = process.extract(utils.default_process(text), self.texts, scorer=fuzz.token_set_ratio,
                               processor=None, limit=top_k)
        return [(self.refs[i], s / 100.0) for _, s, i in hits]


def run_baseline(ds: DevSet, queries: list[Query]) -> list[Outcome]:
    base = Baseline(ds.library)
    out = []
    for q in queries:
        hits = base.match(q.text)
        conf = hits[0][1] if hits else 0.0
        out.append(Outcome(q.gold, [r for r, _ in hits], conf, conf >= 0.5))
    return out
