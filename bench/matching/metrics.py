"""Ranking and calibration metrics."""
from __future__ import annotations

from dataclasses import dataclass

from answers.matching import AUTOFILL_THRESHOLD


@dataclass
class Outcome:
    gold: frozenset[str]
    ranked: list[str]
    confidence: float
    answerable: bool


def auroc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    wins = 0.0
    for p in pos:
        for n in neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(pos) * len(neg))


def summarize(outcomes: list[Outcome]) -> dict[str, float]:
    ans = [o for o in outcomes if o.gold]
    top1 = sum(1 for o in ans if o.ranked[:1] and o.ranked[0] in o.gold)
    top5 = sum(1 for o in ans if any(r in o.gold for r in o.ranked[:5]))
    mrr = 0.0
    for o in ans:
        for i, r in enumerate(o.ranked[:10]):
            if r in o.gold:
                mrr += 1.0 / (i + 1)
                break
    right = lambda o: bool(o.gold) and bool(o.ranked) and o.ranked[0] in o.gold  # noqa: E731
    filled = [o for o in outcomes if o.confidence >= AUTOFILL_THRESHOLD]
    flagged = [o for o in outcomes if o.answerable]
    n = max(1, len(ans))
    return {
        "n": len(outcomes),
        "n_ans": len(ans),
        "top1": top1 / n,
        "top5": top5 / n,
        "mrr": mrr / n,
        "auroc": auroc([o.confidence for o in ans], [o.confidence for o in outcomes if not o.gold]),
        # AUROC of confidence for "top-1 is right" vs everything else (answerable-but-wrong included)
        "auroc_right": auroc([o.confidence for o in outcomes if right(o)],
                             [o.confidence for o in outcomes if not right(o)]),
        "prec@0.8": (sum(map(right, filled)) / len(filled)) if filled else float("nan"),
        "cov@0.8": len(filled) / n,
        "n@0.8": len(filled),
        "no_match_acc": (sum(1 for o in outcomes if not o.gold and not o.answerable)
                         / max(1, sum(1 for o in outcomes if not o.gold))),
        "prec@ans": (sum(map(right, flagged)) / len(flagged)) if flagged else float("nan"),
    }
