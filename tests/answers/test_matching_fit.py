"""Round 3: the pairwise ranker fit (bench/matching/fit.py) and the shipped calibration file."""
from __future__ import annotations

import json
from importlib import resources

import numpy as np

from answers.matching import LibraryEntry, MatchIndex
from answers.matching.scoring import RANK_FEATURES, models_from_dict
from bench.matching.fit import fit_ranker, logistic, pairwise_rows


def test_pairwise_rows_are_right_minus_wrong_and_mirrored():
    rows = pairwise_rows([([1.0, 0.0], 1.0), ([0.2, 0.5], 0.0), ([0.0, 1.0], 0.0)])
    assert len(rows) == 4  # one right x two wrong, each mirrored
    assert ([0.8, -0.5], 1.0) in rows and ([-0.8, 0.5], 0.0) in rows
    assert pairwise_rows([([1.0], 0.0), ([0.0], 0.0)]) == []  # no right entry: nothing to learn from


def test_logistic_without_bias_keeps_it_at_zero():
    X = np.array([[1.0], [-1.0], [2.0], [-2.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    bias, w = logistic(X, y, l2=1.0, fit_bias=False)
    assert abs(bias) < 1e-6 and w[0] > 0


def _synthetic_sets(seed: int = 3):
    """Queries whose right entry has the higher feature 0; feature 1 is query-level noise that shifts
    every candidate of a query alike (a pointwise fit can be fooled by it, a pairwise one cannot)."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(2):
        queries = []
        for _ in range(60):
            shift = rng.normal()
            pool = [([rng.uniform(0.0, 0.6), shift], 0.0) for _ in range(8)]
            pool.append(([rng.uniform(0.5, 1.0), shift], 1.0))
            queries.append(pool)
        sets.append(queries)
    return sets


def test_fit_ranker_orders_by_the_signal_and_scores_are_probabilities():
    sets = _synthetic_sets()
    bias, w = fit_ranker(sets, l2=1.0)
    assert w[0] > 0 and abs(w[1]) < 0.5 * w[0]
    hits = 0
    probs = []
    for queries in sets:
        for pool in queries:
            z = [bias + float(np.dot(w, x)) for x, _ in pool]
            hits += pool[int(np.argmax(z))][1] == 1.0
            probs += [1 / (1 + np.exp(-v)) for v in z]
    assert hits / 120 > 0.7
    # Platt step: the mean predicted probability matches the share of right entries (1 in 9)
    assert abs(np.mean(probs) - 1 / 9) < 0.05


def test_shipped_calibration_loads_and_names_known_features():
    raw = json.loads(resources.files("answers.matching").joinpath("data/calibration.json").read_text("utf-8"))
    models = models_from_dict(raw)
    assert set(models.rank.weights) <= set(RANK_FEATURES)
    assert "leave-one-family-out" in raw["note"]
    assert 0.0 < models.answerable_threshold < 1.0
    from answers.matching import AUTOFILL_THRESHOLD
    # the auto-fill bar is the one chosen out of family and shipped beside the models
    assert AUTOFILL_THRESHOLD == raw["autofill_threshold"] and models.answerable_threshold < AUTOFILL_THRESHOLD < 1.0


def test_sibling_entries_follow_the_scope_word_in_the_question():
    index = MatchIndex([
        LibraryEntry("SRV", "Do you have a process for installing security patches on servers?"),
        LibraryEntry("CLI", "Do you have a process for installing security patches on client systems?"),
        LibraryEntry("OFF", "Do you have a written physical security policy for office facilities?"),
        LibraryEntry("DC", "Do you have a written physical security policy for data centers?"),
    ], embedder=None)
    assert index.match("How are servers patched?").candidates[0].ref == "SRV"
    assert index.match("Are laptops and other client systems patched promptly?").candidates[0].ref == "CLI"
    assert index.match("Is there a physical security policy for your data centre?").candidates[0].ref == "DC"
    assert index.match("Physical security policy covering offices?").candidates[0].ref == "OFF"


def test_confidence_prefers_a_full_match_to_a_one_word_topical_hit():
    index = MatchIndex([
        LibraryEntry("HOST", "Do you use Google Cloud, Amazon Web Services, or a similar outsourced data center?"),
        LibraryEntry("MFA", "Do you require multi-factor authentication for administrative access?"),
    ], embedder=None)
    full = index.match("Is multi-factor authentication required for administrator access?")
    topical = index.match("Are you offering a cloud-based product?")
    assert full.candidates[0].ref == "MFA" and full.confidence > topical.confidence
