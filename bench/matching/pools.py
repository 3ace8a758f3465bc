"""Candidate pools with their features, computed once per question, for fitting and leave-one-family-out.

A pool is what `MatchIndex._scored` looks at for one question: the candidate entries and their raw
features. Features do not depend on the fitted models, so a pool can be re-ranked and re-calibrated
with any weights without running the index again; "gold removed" pools are the same pool without the
right entries (the stress case of a library that lacks the answer).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from answers.matching import MatchIndex
from answers.matching.index import conf_features
from answers.matching.scoring import EMB_RANK_FEATURES, RANK_FEATURES
from answers.matching.text import is_chinese

LEX_NAMES = [f for f in RANK_FEATURES if f != "emb"]
EMB_NAMES = list(EMB_RANK_FEATURES)


@dataclass
class Pool:
    qid: str
    text: str
    gold: frozenset[str]
    refs: list[str]
    feats: list[dict[str, float]]
    with_emb: bool
    X: np.ndarray = field(default=None)  # rank features in the order of the ranker's names

    def without(self, drop: set[str]) -> "Pool":
        keep = [i for i, r in enumerate(self.refs) if r not in drop]
        return Pool(self.qid, self.text, frozenset(), [self.refs[i] for i in keep], [self.feats[i] for i in keep],
                    self.with_emb, self.X[keep] if len(keep) else self.X[:0])


def collect(ds, queries, *, embedder, context: bool = False) -> tuple[MatchIndex, list[Pool]]:
    """Pools of every query of a dev set; embedder None = the lexical engine's pools."""
    index = MatchIndex(ds.library, embedder=embedder)
    texts = [q.text for q in queries]
    qvecs = index.embedder.encode(texts) if index.embedder else None
    out = []
    for i, q in enumerate(queries):
        qvec = None if qvecs is None or is_chinese(q.text) else qvecs[i]
        scored, _ = index._scored(q.text, qvec, q.context if context else None)
        with_emb = bool(scored) and scored[0][2].get("with_emb", 0.0) > 0
        names = EMB_NAMES if with_emb else LEX_NAMES
        refs = [ref for _, ref, _, _ in scored]
        feats = [f for _, _, f, _ in scored]
        X = np.array([[f.get(n, 0.0) for n in names] for f in feats]) if feats else np.zeros((0, len(names)))
        out.append(Pool(q.qid, q.text, q.gold, refs, feats, with_emb, X))
    return index, out


def _sig(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def rank(pool: Pool, bias: float, w: np.ndarray) -> list[tuple]:
    """(score, ref, features, False) best first, as `MatchIndex._scored` returns them."""
    if not pool.refs:
        return []
    s = _sig(bias + pool.X @ w)
    order = sorted(range(len(s)), key=lambda i: (-s[i], pool.refs[i]))
    return [(float(s[i]), pool.refs[i], pool.feats[i], False) for i in order]


def conf_row(scored: list, names: list[str]) -> list[float]:
    f = conf_features(scored)
    return [f[n] for n in names]

