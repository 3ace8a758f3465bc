"""Re-ranking features, the fitted ranker and the confidence calibration.

Both models are small logistic regressions whose coefficients live in data/calibration.json
(fitted by `python -m bench.matching --fit` on the tuning half of the development set).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from rapidfuzz import fuzz

RANK_FEATURES = ("bm25", "cos_q", "cos_a", "fuzz", "qcov", "dcov", "fcov", "emb")
# With the sentence model the fuzzy string ratio added nothing (5-fold CV) and was 40% of the feature time.
EMB_RANK_FEATURES = tuple(f for f in RANK_FEATURES if f != "fuzz")
# No language feature: whether zh->en is easier than en->en is a property of the dev set, not of questions.
CONF_FEATURES = ("top", "margin", "qcov", "fcov", "dcov", "cos_q", "qlen", "emb_top", "emb_gap")
# An entry that asks another question on the same topic (a past event, a third party's practice, a number
# where it says yes/no: answers/matching/intent.py) keeps at most this share of its confidence at full
# mismatch. A rule, not a fitted weight: the fitting families hardly contain such pairs (the fitted weight
# came out near 0 either way), the contrast set does (bench/matching/contrast.py).
INTENT_PENALTY = 0.5

# Hand-set starting point, replaced by the fitted file; kept so the engine works without it.
_DEFAULT = {
    "rank": {"bias": -6.0, "weights": {"bm25": 2.0, "cos_q": 4.0, "cos_a": 1.0, "fuzz": 2.0,
                                        "qcov": 2.0, "dcov": 1.0, "emb": 0.0}},
    "rank_emb": None,
    "conf": {"bias": -4.0, "weights": {"top": 6.0, "margin": 4.0, "qcov": 1.0, "emb_top": 0.0}},
    "conf_emb": None,
    "answerable_threshold": 0.5,
}


def intent_adjusted(confidence: float, mismatch: float) -> float:
    return confidence * (1.0 - INTENT_PENALTY * mismatch)


def sigmoid(x: float) -> float:
    if x < -40:
        return 0.0
    if x > 40:
        return 1.0
    return 1.0 / (1.0 + math.exp(-x))


@dataclass
class Linear:
    bias: float
    weights: dict[str, float]

    def __call__(self, feats: dict[str, float]) -> float:
        return sigmoid(self.bias + sum(w * feats.get(k, 0.0) for k, w in self.weights.items()))

    def many(self, rows: list[dict[str, float]]) -> list[float]:
        """The same for a list of feature dicts, as one matrix product (the candidate pool of a query)."""
        if not rows:
            return []
        names = list(self.weights)
        x = np.array([[f.get(k, 0.0) for k in names] for f in rows])
        z = np.clip(self.bias + x @ np.array([self.weights[k] for k in names]), -40.0, 40.0)
        return (1.0 / (1.0 + np.exp(-z))).tolist()


@dataclass
class Models:
    rank: Linear
    conf: Linear
    rank_emb: Linear | None
    conf_emb: Linear | None
    answerable_threshold: float

    def ranker(self, with_emb: bool) -> Linear:
        return self.rank_emb if with_emb and self.rank_emb else self.rank

    def calibrator(self, with_emb: bool) -> Linear:
        return self.conf_emb if with_emb and self.conf_emb else self.conf


def _linear(d) -> Linear | None:
    return Linear(float(d["bias"]), {k: float(v) for k, v in d["weights"].items()}) if d else None


def models_from_dict(d: dict) -> Models:
    return Models(_linear(d["rank"]), _linear(d["conf"]), _linear(d.get("rank_emb")),
                  _linear(d.get("conf_emb")), float(d.get("answerable_threshold", 0.5)))


@lru_cache(maxsize=1)
def default_models() -> Models:
    try:
        raw = resources.files("answers.matching").joinpath("data").joinpath("calibration.json").read_text("utf-8")
        return models_from_dict(json.loads(raw))
    except FileNotFoundError:
        return models_from_dict(_DEFAULT)


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    if dot <= 0:
        return 0.0
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb)


def fuzzy(a: str, b: str) -> float:
    # token_set_ratio alone gives 100 to any entry whose words are a subset of the query
    # ("data center provider" inside a long question); averaging with token_sort tempers that.
    if not a or not b:
        return 0.0
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 200.0
