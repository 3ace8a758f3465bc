"""Label-free stress tests of the confidence, through the real index (not the fitted pools).

1. Gold removed: for every answerable question, remove its right entries from the library, match
   again, put them back. Any confidence at or above the auto-fill threshold is a false confidence.
2. Small libraries like a new customer's: random libraries of 20, 100 and 1,000 entries drawn from a
   set's library; a question whose right entries were not drawn must not reach the threshold.
"""
from __future__ import annotations

import random

from answers.matching import MatchIndex
from answers.matching.scoring import models_from_dict

SIZES = (20, 100, 1000)


def gold_removed(index, queries, models: dict, threshold: float) -> dict:
    index.models = models_from_dict(models)
    n = false = 0
    for q in queries:
        if not q.gold:
            continue
        removed = [index.get(r) for r in q.gold if r in index]
        for e in removed:
            index.remove(e.ref)
        r = index.match(q.text, top_k=5)
        index.add_many(removed)
        n += 1
        false += r.confidence >= threshold
    return {"n": n, "false": false}


def small_libraries(ds, embedder, models: dict, threshold: float, *, seed: int = 11) -> list[dict]:
    out = []
    m = models_from_dict(models)
    for size in SIZES:
        if size >= len(ds.library):
            continue
        rng = random.Random(f"{seed}:{ds.name}:{size}")
        sub = rng.sample(ds.library, size)
        refs = {e.ref for e in sub}
        index = MatchIndex(sub, embedder=embedder, models=m)
        results = index.match_many([q.text for q in ds.queries], top_k=5)
        covered = uncovered = false = filled = right = 0
        for q, r in zip(ds.queries, results):
            has = bool(q.gold & refs)
            covered += has
            uncovered += not has
            if r.confidence >= threshold:
                filled += 1
                if has and r.candidates and r.candidates[0].ref in q.gold:
                    right += 1
                elif not has:
                    false += 1
        out.append({"size": size, "covered": covered, "uncovered": uncovered, "filled": filled,
                    "right": right, "false": false})
    return out
