"""Fit the ranker and the confidence calibration on the tuning half of the dev sets.

    python -m bench.matching --fit        (writes answers/matching/data/calibration.json)
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import answers.matching.scoring as scoring
from answers.matching import MatchIndex
from answers.matching.index import conf_features
from answers.matching.text import is_chinese
from answers.matching.scoring import CONF_FEATURES, EMB_RANK_FEATURES, RANK_FEATURES, models_from_dict

OUT = Path(scoring.__file__).with_name("data") / "calibration.json"


def logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50,
             sw: np.ndarray | None = None, fit_bias: bool = True) -> tuple[float, np.ndarray]:
    """Newton-Raphson with an L2 penalty (bias not penalised) and sample weights; small problems only.
    fit_bias=False keeps the bias at 0 (pairwise difference rows are symmetric)."""
    sw = np.ones(len(X)) if sw is None else sw
    Xb = np.hstack([np.ones((len(X), 1)), X])
    w = np.zeros(Xb.shape[1])
    reg = np.full(Xb.shape[1], l2)
    reg[0] = 0.0 if fit_bias else 1e12
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(Xb @ w, -40, 40)))
        grad = Xb.T @ (sw * (p - y)) + reg * w
        H = (Xb * (sw * p * (1 - p))[:, None]).T @ Xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), w[1:]


def _pack(bias, w, names):
    return {"bias": round(bias, 5), "weights": {n: round(float(v), 5) for n, v in zip(names, w)}}


def pairwise_rows(pool_rows: list[tuple[list[float], float]]) -> list[tuple[list[float], float]]:
    """One query's pool -> difference rows (right minus wrong entry, and the mirror), for a pairwise ranker."""
    pos = [x for x, lab in pool_rows if lab > 0]
    neg = [x for x, lab in pool_rows if lab <= 0]
    out = []
    for p in pos:
        for n in neg:
            d = [a - b for a, b in zip(p, n)]
            out.append((d, 1.0))
            out.append(([-v for v in d], 0.0))
    return out


def fit_ranker(per_set: list[list[list[tuple[list[float], float]]]], l2: float = 1.0) -> tuple[float, np.ndarray]:
    """per_set[set][query] = that query's pool as (features, 1 if right entry else 0).

    v3: the weights come from a pairwise logistic model (learn which of two entries of one query is the
    right one: only within-query differences matter, so an easy query with many strong candidates no longer
    pulls the weights the way a pointwise fit does); then a one-feature Platt step on the pointwise rows maps
    the pairwise margin to P(right entry), so that the ranker score stays a probability for the confidence
    model. Each dev set weighs the same in both steps."""
    X, y, sw = [], [], []
    for queries in per_set:
        rows = [r for pool in queries for r in pairwise_rows(pool)]
        for xr, yr in rows:
            X.append(xr)
            y.append(yr)
            sw.append(1000.0 / len(rows))
    _, w = logistic(np.asarray(X), np.asarray(y), l2, sw=np.asarray(sw), fit_bias=False)
    Z, Y, SW = [], [], []
    for queries in per_set:
        rows = [r for pool in queries for r in pool]
        for xr, yr in rows:
            Z.append([float(np.dot(w, xr))])
            Y.append(yr)
            SW.append(1000.0 / len(rows))
    bias, scale = logistic(np.asarray(Z), np.asarray(Y), 0.0, sw=np.asarray(SW))
    return bias, w * scale[0]


def english_set(ds) -> bool:
    """Questions and library both mostly English."""
    def mostly_english(texts):
        texts = list(texts)
        return sum(not is_chinese(t) for t in texts) > len(texts) / 2
    return mostly_english(q.text for q in ds.queries) and mostly_english(e.question for e in ds.library)


def fit(sets, *, embedder=None, l2: float = 1.0) -> dict:
    """Two passes: ranker on (query, candidate) pairs, then calibration on the re-ranked top-1."""
    # qlen is a query property: calibration only
    names = list(EMB_RANK_FEATURES) if embedder else [f for f in RANK_FEATURES if f != "emb"]
    if embedder:  # the model is English-only and the index uses it for English against English only
        sets = [ds for ds in sets if english_set(ds)]
    indexes = [(ds, MatchIndex(ds.library, embedder=embedder)) for ds in sets]
    # Each dev set weighs the same in the fit, whatever its size: the 1:1 ASVS pairs must not
    # drown the English questionnaire set, which looks most like real use.
    per_set = []
    for ds, index in indexes:
        qs = ds.part("tune")
        qvecs = index.embedder.encode([q.text for q in qs]) if index.embedder else None
        pools = []
        for i, q in enumerate(qs):
            scored, _ = index._scored(q.text, None if qvecs is None else qvecs[i])
            pools.append([([f.get(n, 0.0) for n in names], 1.0 if ref in q.gold else 0.0) for _, ref, f, _ in scored])
        per_set.append(pools)
    rb, rw = fit_ranker(per_set, l2)
    rank = _pack(rb, rw, names)

    cnames = [f for f in CONF_FEATURES if embedder or f != "emb_top"]
    key = "emb" if embedder else ""
    current = json.loads(OUT.read_text()) if OUT.exists() else dict(scoring._DEFAULT)
    current["rank_emb" if key else "rank"] = rank
    if key:
        # The confidence model fitted on all four sets also calibrates the embedding ranker's lists
        # (same precision at 0.8, three times the coverage); one fitted on the two English sets alone
        # was underconfident. So there is one confidence model (docs/matching.md, round 5).
        current["conf_emb"] = None
        _save(current, l2)
        return current
    models = models_from_dict(current)
    X, y, sw = [], [], []
    for ds, index in indexes:
        index.models = models
        qs = ds.part("tune")
        n0 = len(X)
        qvecs = index.embedder.encode([q.text for q in qs]) if index.embedder else None
        for i, q in enumerate(qs):
            scored, q_zh = index._scored(q.text, None if qvecs is None else qvecs[i])
            if not scored:
                continue
            ref = scored[0][1]
            feats = conf_features(scored)
            X.append([feats[n] for n in cnames])
            y.append(1.0 if ref in q.gold else 0.0)
        sw += [100.0 / max(1, len(X) - n0)] * (len(X) - n0)
    cb, cw = logistic(np.asarray(X), np.asarray(y), l2, sw=np.asarray(sw))
    current["conf_emb" if key else "conf"] = _pack(cb, cw, cnames)
    _save(current, l2)
    return current


def _save(current: dict, l2: float) -> None:
    current.setdefault("answerable_threshold", 0.5)
    current["note"] = ("Fitted by `python -m bench.matching --fit` on the tune half of bench/matching/devset.py "
                       "(rank: pairwise logistic + Platt scaling; rank_emb: the same on the English sets only; "
                       "conf: logistic; L2=%.1f). Do not edit by hand." % l2)
    OUT.write_text(json.dumps(current, indent=1) + "\n")
    scoring.default_models.cache_clear()
