"""Contrast-set bench for question intent (issue #12 part 3): `python -m bench.matching.contrast`.

bench/data/contrast_pairs.csv holds question/entry pairs on the same topic: `paraphrase` (the entry answers
the question) or `differs` (same topic, different intent: past event, third party, negation, frequency,
number, duration, date, list/describe; the entry's answer must not be sent). Measured:

(a) answers.matching.intent alone: share of `differs` pairs flagged (intent_mismatch >= 0.5), per kind, and
    share of `paraphrase` pairs wrongly flagged;
(b) the engine: one MatchIndex over every distinct entry of the set (each pair's entry plus all the others as
    distractors); for each pair, is its entry first with confidence >= AUTOFILL_THRESHOLD? For `differs` that
    is a wrong auto-fill (should be ~0), for paraphrases a right one (should be high). The same with the
    intent gate (no auto-fill when intent_mismatch >= 0.5) shows what the gate would change.

Every figure is given for the whole set and for its two halves (split by a hash of the pair id): `dev` is
the half whose misses may be looked at when changing intent rules, `holdout` is only measured.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass

from bench.matching.paths import DATA_DIR

CSV_PATH = DATA_DIR / "contrast_pairs.csv"
KINDS = ("past_event", "subject", "negation", "frequency", "number", "duration", "date", "list")
RELATIONS = ("paraphrase", "differs")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Pair:
    id: str
    question: str
    entry: str
    relation: str   # "paraphrase" | "differs"
    kind: str       # one of KINDS, or "none" for paraphrases
    source: str

    @property
    def split(self) -> str:
        return "holdout" if int(hashlib.sha1(f"contrast:{self.id}".encode()).hexdigest(), 16) % 2 else "dev"

    @property
    def zh(self) -> bool:
        return bool(_CJK.search(self.question) or _CJK.search(self.entry))


def pair_rows(path=CSV_PATH) -> list[Pair]:
    """The contrast pairs, parsed and checked (relation and kind spelled as documented)."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            p = Pair(row["id"].strip(), row["question"].strip(), row["entry"].strip(), row["relation"].strip(),
                     row["kind"].strip(), row["source"].strip())
            if p.relation not in RELATIONS:
                raise ValueError(f"{p.id}: relation {p.relation!r}")
            if (p.relation == "differs") != (p.kind in KINDS) or (p.relation == "paraphrase" and p.kind != "none"):
                raise ValueError(f"{p.id}: kind {p.kind!r} with relation {p.relation!r}")
            out.append(p)
    return out


def _share(hits: int, n: int) -> str:
    return f"{hits / n:.2f} ({hits}/{n})" if n else "-"


def intent_alone(pairs: list[Pair], flag_at: float = 0.5) -> dict:
    from answers.matching.intent import intent_mismatch
    res = {}
    for p in pairs:
        score, reasons = intent_mismatch(p.question, p.entry)
        res[p.id] = (score, reasons, score >= flag_at)
    return res


def engine(pairs: list[Pair]) -> dict:
    from answers.matching import AUTOFILL_THRESHOLD, LibraryEntry, MatchIndex
    refs: dict[str, str] = {}
    entries = []
    for p in pairs:
        if p.entry not in refs:
            refs[p.entry] = f"E{len(refs) + 1:03d}"
            entries.append(LibraryEntry(refs[p.entry], p.entry, answer_short="",
                                        language="zh" if _CJK.search(p.entry) else "en"))
    index = MatchIndex(entries)
    results = index.match_many([p.question for p in pairs], top_k=3)
    out = {}
    for p, r in zip(pairs, results):
        top = r.best.ref if r.best else None
        first = top == refs[p.entry]
        out[p.id] = (first, first and r.confidence >= AUTOFILL_THRESHOLD, r.confidence)
    return out


def _table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-engine", action="store_true", help="only the intent module (no MatchIndex)")
    ap.add_argument("--misses", choices=("dev", "holdout", "all"), help="list misses of the intent module in a split")
    args = ap.parse_args(argv)

    pairs = pair_rows()
    splits = {"all": pairs, "dev": [p for p in pairs if p.split == "dev"],
              "holdout": [p for p in pairs if p.split == "holdout"]}
    print(f"{len(pairs)} pairs: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(p.relation for p in pairs).items()))
          + f"; Chinese {sum(p.zh for p in pairs)}; dev {len(splits['dev'])}, holdout {len(splits['holdout'])}")

    from answers.matching import intent as _intent
    t0 = time.perf_counter()
    got = intent_alone(pairs)
    cold_us = (time.perf_counter() - t0) / len(pairs) * 1e6
    t0 = time.perf_counter()
    for _ in range(20):
        for p in pairs:
            _intent.intent_mismatch(p.question, p.entry)
    warm_us = (time.perf_counter() - t0) / (20 * len(pairs)) * 1e6

    # (a) intent module alone
    rows = []
    for kind in KINDS:
        cells = [kind]
        for s in ("all", "dev", "holdout"):
            ps = [p for p in splits[s] if p.kind == kind]
            cells.append(_share(sum(got[p.id][2] for p in ps), len(ps)))
        rows.append(cells)
    cells_d, cells_p = ["differs, all kinds (flagged: want high)"], ["paraphrase (wrongly flagged: want low)"]
    for s in ("all", "dev", "holdout"):
        d = [p for p in splits[s] if p.relation == "differs"]
        q = [p for p in splits[s] if p.relation == "paraphrase"]
        cells_d.append(_share(sum(got[p.id][2] for p in d), len(d)))
        cells_p.append(_share(sum(got[p.id][2] for p in q), len(q)))
    rows += [cells_d, cells_p]
    for lang, sel in (("en", lambda p: not p.zh), ("zh", lambda p: p.zh)):
        for rel in RELATIONS:
            cells = [f"{rel}, {lang}"]
            for s in ("all", "dev", "holdout"):
                ps = [p for p in splits[s] if p.relation == rel and sel(p)]
                cells.append(_share(sum(got[p.id][2] for p in ps), len(ps)))
            rows.append(cells)
    _table("(a) intent module alone: share with intent_mismatch >= 0.5", ["pairs", "all", "dev", "holdout"], rows)
    fa = Counter(r for p in pairs if p.relation == "paraphrase" and got[p.id][2] for r in got[p.id][1])
    print(f"\nreasons on wrongly flagged paraphrases: {dict(fa) or '-'}")
    print(f"intent_mismatch per pair: {cold_us:.1f} us cold (empty caches), {warm_us:.2f} us cached")

    if args.misses:
        print(f"\nmisses ({args.misses}):")
        for p in splits[args.misses]:
            score, reasons, flagged = got[p.id]
            if flagged != (p.relation == "differs"):
                print(f"  {p.id} {p.relation}/{p.kind} score={score} {reasons}\n    Q: {p.question}\n    E: {p.entry}")

    if args.no_engine:
        return 0
    # (b) engine
    t0 = time.perf_counter()
    eng = engine(pairs)
    secs = time.perf_counter() - t0
    rows = []
    for rel, label in (("differs", "differs: entry auto-filled (want ~0)"), ("paraphrase", "paraphrase: entry auto-filled (want high)")):
        for gate in (False, True):
            cells = [label + (" + intent gate" if gate else "")]
            for s in ("all", "dev", "holdout"):
                ps = [p for p in splits[s] if p.relation == rel]
                hits = sum(eng[p.id][1] and not (gate and got[p.id][2]) for p in ps)
                cells.append(_share(hits, len(ps)))
            rows.append(cells)
        cells = [f"{rel}: entry first (any confidence)"]
        for s in ("all", "dev", "holdout"):
            ps = [p for p in splits[s] if p.relation == rel]
            cells.append(_share(sum(eng[p.id][0] for p in ps), len(ps)))
        rows.append(cells)
    for kind in KINDS:
        ps = [p for p in pairs if p.kind == kind]
        rows.append([f"differs/{kind}: auto-filled, without / with gate",
                     f"{_share(sum(eng[p.id][1] for p in ps), len(ps))} / "
                     f"{_share(sum(eng[p.id][1] and not got[p.id][2] for p in ps), len(ps))}", "", ""])
    n_entries = len({p.entry for p in pairs})
    from answers.matching import AUTOFILL_THRESHOLD
    _table(f"(b) engine: MatchIndex over the set's {n_entries} distinct entries, top-1 with confidence >= "
           f"{AUTOFILL_THRESHOLD} (the auto-fill threshold; confidence includes the intent rule)",
           ["pairs", "all", "dev", "holdout"], rows)
    print(f"\nengine: {secs:.1f} s (index + {len(pairs)} questions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
