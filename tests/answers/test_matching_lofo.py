"""Leave-one-family-out bench pieces: threshold choice, stress pools, the intent rule, the real-index stress."""
from __future__ import annotations

import numpy as np

from answers.matching import LibraryEntry, MatchIndex
from answers.matching.scoring import INTENT_PENALTY, intent_adjusted
from bench.matching.devset import DevSet, Query
from bench.matching.lofo import FALSE_CONF_TARGET, PRECISION_TARGET, choose_threshold, curve
from bench.matching.metrics import Outcome
from bench.matching.pools import Pool, collect
from bench.matching.stress import gold_removed, small_libraries


def _o(gold, top, conf):
    return Outcome(frozenset(gold), [top], conf, conf >= 0.5)


def test_curve_counts_uncovered_and_stress_questions_as_false_confidence():
    real = [_o({"A"}, "A", 0.99), _o({"B"}, "X", 0.97), _o(set(), "Y", 0.91), _o({"C"}, "C", 0.6)]
    fake = [_o(set(), "Z", 0.95)]
    row = {r["t"]: r for r in curve(real, fake)}
    assert row[0.9] == {"t": 0.9, "prec": 1 / 3, "cov": 1 / 3, "n": 3, "false": 2 / 2}
    assert row[0.98] == {"t": 0.98, "prec": 1.0, "cov": 1 / 3, "n": 1, "false": 0.0}


def test_threshold_is_the_lowest_meeting_both_targets():
    rows = [{"t": 0.8, "prec": 0.9, "n": 10, "false": 0.01}, {"t": 0.9, "prec": PRECISION_TARGET, "n": 8,
            "false": FALSE_CONF_TARGET + 0.01}, {"t": 0.95, "prec": 0.97, "n": 5, "false": 0.0}]
    assert choose_threshold(rows) == 0.95
    assert choose_threshold(rows[:2]) is None


def test_pool_without_gold_drops_rows_and_labels():
    p = Pool("q", "text", frozenset({"A"}), ["A", "B"], [{"x": 1}, {"x": 2}], False, np.array([[1.0], [2.0]]))
    q = p.without({"A"})
    assert (q.refs, q.gold, q.X.tolist()) == (["B"], frozenset(), [[2.0]])


def test_intent_rule_lowers_confidence_in_proportion():
    assert intent_adjusted(0.9, 0.0) == 0.9
    assert intent_adjusted(0.9, 1.0) == 0.9 * (1 - INTENT_PENALTY)


LIB = [LibraryEntry("MFA", "Do you require multi-factor authentication for administrators?", answer_short="Yes"),
       LibraryEntry("ENC", "Is customer data encrypted at rest?", answer_short="Yes"),
       LibraryEntry("BCK", "Are backups tested at least annually?", answer_short="Yes")]
DS = DevSet("T tiny", LIB, [Query("q1", "Is two-factor authentication enforced for admin accounts?", frozenset({"MFA"})),
                            Query("q2", "Do you run a bug bounty programme?", frozenset())])


def test_collected_pools_hold_the_engine_features():
    index, pools = collect(DS, DS.queries, embedder=None)
    assert pools[0].refs[0] == "MFA" and pools[0].X.shape[0] == len(pools[0].refs)
    assert index.match(DS.queries[0].text).candidates[0].ref == "MFA"


def test_gold_removed_puts_entries_back_and_counts_answerable_questions_only():
    index = MatchIndex(LIB, embedder=None)
    from answers.matching.scoring import default_models
    m = default_models()
    as_dict = {k: {"bias": v.bias, "weights": v.weights} if v else None
               for k, v in (("rank", m.rank), ("conf", m.conf), ("rank_emb", m.rank_emb), ("conf_emb", m.conf_emb))}
    as_dict["answerable_threshold"] = m.answerable_threshold
    res = gold_removed(index, DS.queries, as_dict, threshold=0.0)
    assert res == {"n": 1, "false": 1}  # threshold 0: any answer counts as confident
    assert "MFA" in index and len(index) == 3
    assert small_libraries(DS, None, as_dict, 0.5) == []  # every size is larger than the library
