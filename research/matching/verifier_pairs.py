"""Question / entry pairs for training and measuring the verifier, one JSON line each.

    python -m research.matching.verifier_pairs OUT.jsonl [--top 8]

For every English question of every family (bench/matching/lofo.py), the engine's first `--top`
candidates (the shipped ranker's order) and every right entry, labelled 1 if the entry is a right answer.
The wrong ones are the hard negatives a verifier must learn to refuse: topical neighbours the engine
ranks high. Families stay named so that training can leave one out.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from answers.matching.scoring import default_models
from bench.matching import lofo
from bench.matching.pools import EMB_NAMES, rank


def rows(fams, top: int):
    m = default_models().rank_emb
    w = np.array([m.weights.get(n, 0.0) for n in EMB_NAMES])
    for fam in fams:
        for s in fam.sets:
            if not s.english:
                continue
            lib = {e.ref: e for e in s.ds.library}
            for p in s.emb:
                if not p.with_emb:
                    continue
                ranked = [ref for _, ref, _, _ in rank(p, m.bias, w)][:top]
                for i, ref in enumerate(dict.fromkeys(ranked + sorted(p.gold))):
                    if ref not in lib:
                        continue
                    yield {"family": fam.name, "set": s.ds.name.split()[0], "qid": p.qid, "question": p.text,
                           "ref": ref, "entry": lib[ref].question, "label": int(ref in p.gold),
                           "rank": i if ref in ranked else -1}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m research.matching.verifier_pairs")
    ap.add_argument("out")
    ap.add_argument("--top", type=int, default=8)
    args = ap.parse_args()
    from answers.matching.embed import resolve
    fams = lofo.load(resolve("minilm"))
    n = 0
    with open(args.out, "w", encoding="utf-8") as f:
        for r in rows(fams, args.top):
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    print(f"{n} pairs -> {args.out}")


if __name__ == "__main__":
    main()
