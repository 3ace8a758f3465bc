"""Speed and memory with a synthetic library made by varying real entries."""
from __future__ import annotations

import random
import resource
import statistics
import time

from rapidfuzz import fuzz, utils

from answers.matching import LibraryEntry, MatchIndex

PREFIXES = ["", "Please describe: ", "Does your organization confirm that ", "(SaaS only) ", "Q: ",
            "For production systems, ", "In your environment, ", "Describe how "]
REPEAT = 5
SUFFIXES = ["", " Provide evidence.", " (if applicable)", " Include third parties.", " Explain exceptions."]


def synthetic_library(real: list[LibraryEntry], n: int, seed: int = 7) -> list[LibraryEntry]:
    """n entries: real questions with boilerplate, a word swap and a borrowed phrase from another entry."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        base = real[i % len(real)]
        other = real[rng.randrange(len(real))].question.split()
        words = base.question.split()
        if len(words) > 4:
            j = rng.randrange(len(words) - 1)
            words[j], words[j + 1] = words[j + 1], words[j]
        borrowed = " ".join(other[: rng.randint(2, 5)])
        q = f"{rng.choice(PREFIXES)}{' '.join(words)} {borrowed}{rng.choice(SUFFIXES)}"
        out.append(LibraryEntry(ref=f"SYN-{i:06d}", question=q, answer_full=base.answer_full,
                                language=base.language, category=base.category,
                                status="draft" if i % 10 == 0 else "approved"))
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def naive_rapidfuzz(entries: list[LibraryEntry], questions: list[str]) -> float:
    """A plain Python loop of rapidfuzz over every entry, for each question."""
    texts = [utils.default_process(e.question) for e in entries]
    t0 = time.perf_counter()
    for q in questions:
        pq = utils.default_process(q)
        best, best_i = -1.0, -1
        for i, t in enumerate(texts):
            s = fuzz.token_set_ratio(pq, t)
            if s > best:
                best, best_i = s, i
    return time.perf_counter() - t0


def run(real: list[LibraryEntry], questions: list[str], sizes=(10_000, 50_000), naive: bool = True,
        embedder=None) -> list[dict]:
    """Each size lexical only, then (if given) with the embedder; the naive loop once per size."""
    rows = []
    for n in sizes:
        for engine in (None, embedder) if embedder is not None else (None,):
            rows.append(_one(real, questions, n, engine, naive=naive and engine is None))
    return rows


def _one(real, questions, n, embedder, naive: bool) -> dict:
    lib = synthetic_library(real, n)
    t0 = time.perf_counter()
    index = MatchIndex(lib, embedder=embedder)
    build = time.perf_counter() - t0
    index.match(questions[0])  # first query builds per-term arrays; count it separately
    warm = time.perf_counter() - t0 - build
    runs = []
    for _ in range(REPEAT):  # the median of a few runs: one run on a shared machine jitters by ~20%
        t0 = time.perf_counter()
        index.match_many(questions)
        runs.append(time.perf_counter() - t0)
    match = statistics.median(runs)
    new = LibraryEntry(ref="NEW-1", question="Do you rotate the break-glass emergency access credentials quarterly?")
    t0 = time.perf_counter()
    index.add(new)
    hit = index.match("How often are break-glass emergency credentials rotated?")
    add = time.perf_counter() - t0
    row = {"n": n, "engine": "lexical" if embedder is None else "+emb", "build_s": build, "first_query_s": warm,
           "match_s": match, "match_runs": runs, "n_q": len(questions), "add_match_s": add, "added_found": bool(hit.candidates) and hit.candidates[0].ref == "NEW-1",
           "peak_rss_mb": peak_mb()}
    if naive:
        row["naive_s"] = naive_rapidfuzz(lib, questions)
    del index
    return row
