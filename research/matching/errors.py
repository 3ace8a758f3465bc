"""Print the misses of the engine on a development set, with the features of the top candidates.

    python -m research.matching.errors [--set EN] [--split tune] [--all]

For error analysis: question, gold refs (and the rank they reached), predicted top-3 with the
re-ranker features, and the confidence. --all also prints the hits.
"""
from __future__ import annotations

import argparse

from answers.matching import MatchIndex
from bench.matching.devset import all_sets


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m research.matching.errors")
    ap.add_argument("--set", default="EN", help="first word of the set name: EN, EN2, ZH->EN, EN->ZH")
    ap.add_argument("--split", default="tune", choices=("tune", "holdout", "all"))
    ap.add_argument("--all", action="store_true", help="print hits too")
    ap.add_argument("--unanswerable", action="store_true", help="print uncovered questions answered with confidence >= 0.5")
    args = ap.parse_args()
    ds = next(d for d in all_sets() if d.name.split()[0] == args.set)
    index = MatchIndex(ds.library, embedder=None)
    text = {e.ref: e.question for e in ds.library}
    for q in ds.part(None if args.split == "all" else args.split):
        scored, _ = index._scored(q.text, None)
        r = index.match(q.text, top_k=10)
        ranked = [ref for _, ref, _, _ in scored]
        if not q.gold:
            if args.unanswerable and r.confidence >= 0.5:
                print(f"### {q.qid} UNCOVERED but conf {r.confidence:.2f}: {q.text[:200]}")
                for s, ref, f, _ in scored[:2]:
                    print(f"    {ref} {s:.3f} {text[ref][:110]}")
            continue
        hit = bool(ranked) and ranked[0] in q.gold
        if hit and not args.all:
            continue
        ranks = {g: (ranked.index(g) + 1 if g in ranked else None) for g in sorted(q.gold)}
        print(f"### {q.qid} {'HIT' if hit else 'MISS'} conf={r.confidence:.2f}  {q.text[:240]}")
        for g, rk in ranks.items():
            print(f"  gold {g} rank={rk}: {text[g][:150]}")
        for s, ref, f, _ in scored[:3]:
            fs = " ".join(f"{k}={v:.2f}" for k, v in f.items() if k != "qlen")
            print(f"  {'*' if ref in q.gold else ' '} {ref} {s:.3f} [{fs}] {text[ref][:120]}")
        print()


if __name__ == "__main__":
    main()
