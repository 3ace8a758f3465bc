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
from answers.matching.scoring import CONF_FEATURES, RANK_FEATURES, models_from_dict

OUT = Path(scoring.__file__).with_name("data") / "calibration.json"


def logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50,
             sw: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Newton-Raphson with an L2 penalty (bias not penalised) and sample weights; small problems only."""
    sw = np.ones(len(X)) if sw is None else sw
    Xb = np.hstack([np.ones((len(X), 1)), X])
    w = np.zeros(Xb.shape[1])
    reg = np.full(Xb.shape[1], l2)
    reg[0] = 0.0
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


def fit(sets, *, embedder=None, l2: float = 1.0) -> dict:
    """Two passes: ranker on (query, candidate) pairs, then calibration on the re-ranked top-1."""
    names = [f for f in RANK_FEATURES if embedder or f != "emb"]  # qlen is a query property: calibration only
    indexes = [(ds, MatchIndex(ds.library, embedder=embedder)) for ds in sets]
    # Each dev set weighs the same in the fit, whatever its size: the 1:1 ASVS pairs must not
    # drown the English questionnaire set, which looks most like real use.
    X, y, sw = [], [], []
    for ds, index in indexes:
        qs = ds.part("tune")
        qvecs = index.embedder.encode([q.text for q in qs]) if index.embedder else None
        rows = []
        for i, q in enumerate(qs):
            scored, _ = index._scored(q.text, None if qvecs is None else qvecs[i])
            for _, ref, f, _ in scored:
                rows.append(([f.get(n, 0.0) for n in names], 1.0 if ref in q.gold else 0.0))
        for xr, yr in rows:
            X.append(xr)
            y.append(yr)
            sw.append(1000.0 / len(rows))
    rb, rw = logistic(np.asarray(X), np.asarray(y), l2, sw=np.asarray(sw))
    rank = _pack(rb, rw, names)

    cnames = [f for f in CONF_FEATURES if embedder or f != "emb_top"]
    key = "emb" if embedder else ""
    current = json.loads(OUT.read_text()) if OUT.exists() else dict(scoring._DEFAULT)
    current["rank_emb" if key else "rank"] = rank
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
    current.setdefault("answerable_threshold", 0.5)
    current["note"] = ("Fitted by `python -m bench.matching --fit` on the tune half of bench/matching/devset.py "
                       "(logistic regressions, L2=%.1f). Do not edit by hand." % l2)
    OUT.write_text(json.dumps(current, indent=1) + "\n")
    scoring.default_models.cache_clear()
    return current
