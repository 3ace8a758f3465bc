"""Cross-validation inside the tune halves, for choosing how to fit (never looks at holdout).

    python -m research.matching.cv

Five folds by a hash of the question id over the tune half of every set; the ranker and the confidence
model are fitted on four folds and measured on the fifth (out-of-fold top-1 / top-5 / AUROC per set).
Compares the v2 pointwise ranker with the v3 pairwise + Platt ranker.
"""
from __future__ import annotations

import hashlib
import math

import numpy as np

from answers.matching import MatchIndex
from answers.matching.index import conf_features
from answers.matching.scoring import CONF_FEATURES, RANK_FEATURES
from bench.matching.devset import all_sets
from bench.matching.fit import fit_ranker, logistic
from bench.matching.metrics import Outcome, summarize

K = 5


def _fold(qid: str) -> int:
    return int(hashlib.md5(qid.encode()).hexdigest(), 16) % K


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, x))))


def _pools():
    names = [f for f in RANK_FEATURES if f != "emb"]
    out = []
    for ds in all_sets():
        index = MatchIndex(ds.library, embedder=None)
        qs = []
        for q in ds.part("tune"):
            scored, _ = index._scored(q.text, None)
            qs.append((q.qid, q.gold, [(ref, f, [f.get(n, 0.0) for n in names]) for _, ref, f, _ in scored]))
        out.append((ds.name.split()[0], qs))
    return out


def _fit_rank(pools, train, pairwise: bool):
    per_set = [[[(x, 1.0 if ref in gold else 0.0) for ref, _, x in pool] for qid, gold, pool in qs if train(qid)]
               for _, qs in pools]
    if pairwise:
        return fit_ranker(per_set)
    X, y, sw = [], [], []
    for queries in per_set:
        rows = [r for pool in queries for r in pool]
        for xr, yr in rows:
            X.append(xr)
            y.append(yr)
            sw.append(1000.0 / len(rows))
    return logistic(np.asarray(X), np.asarray(y), 1.0, sw=np.asarray(sw))


def run(pairwise: bool, pools) -> dict:
    cnames = [c for c in CONF_FEATURES if c != "emb_top"]
    oof: dict[str, list] = {}
    for k in range(K):
        train = lambda qid, k=k: _fold(qid) != k  # noqa: E731
        rb, rw = _fit_rank(pools, train, pairwise)
        ranked = []
        for name, qs in pools:
            rq = []
            for qid, gold, pool in qs:
                sc = sorted(((_sig(rb + float(np.dot(rw, x))), ref, f, False) for ref, f, x in pool),
                            key=lambda t: (-t[0], t[1]))
                rq.append((qid, gold, sc))
            ranked.append((name, rq))
        score_fold(ranked, train, cnames, oof)
    return {name: summarize(o) for name, o in oof.items()}


def score_fold(ranked, train, cnames, oof) -> None:
    """Fit the confidence model on this fold's training questions; score the held-out ones into `oof`."""
    X, y, sw = [], [], []
    for name, rq in ranked:
        rows = [([conf_features(sc)[c] for c in cnames], 1.0 if sc[0][1] in gold else 0.0)
                for qid, gold, sc in rq if train(qid) and sc]
        for xr, yr in rows:
            X.append(xr)
            y.append(yr)
            sw.append(100.0 / len(rows))
    cb, cw = logistic(np.asarray(X), np.asarray(y), 1.0, sw=np.asarray(sw))
    for name, rq in ranked:
        for qid, gold, sc in rq:
            if train(qid):
                continue
            c = _sig(cb + float(np.dot(cw, [conf_features(sc)[n] for n in cnames]))) if sc else 0.0
            oof.setdefault(name, []).append(Outcome(gold, [r for _, r, _, _ in sc[:10]], c, c >= 0.5))


def main() -> None:
    pools = _pools()
    print(f"== {K}-fold cross-validation inside the tune halves (out-of-fold figures)")
    for label, pairwise in (("pointwise (v2)", False), ("pairwise+Platt (v3)", True)):
        res = run(pairwise, pools)
        print(f"{label:20} " + " | ".join(f"{n} top1 {m['top1']:.3f} top5 {m['top5']:.3f} auroc {m['auroc']:.3f}"
                                          for n, m in res.items()))


if __name__ == "__main__":
    main()
