"""The fitting pieces: a small logistic regression and the pairwise ranker.

`python -m bench.matching --fit` uses them through bench/matching/lofo.py (every family, stress rows)
and writes answers/matching/data/calibration.json (OUT).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import answers.matching.scoring as scoring

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
