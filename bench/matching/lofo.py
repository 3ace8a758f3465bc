"""Leave one family out: every figure about a questionnaire family comes from models not fitted on it.

    python -m bench.matching.lofo [--conf NAMES] [--no-stress-fit]

A family is the questionnaire the questions come from (HECVAT, ASVS in English and Chinese, each NIST /
CIS family of bench/data/families). For each family: fit the rankers and the confidence models on all
the other families, then measure on this one. The fit adds "stress" rows: each answerable training
question once more with its right entries removed from the pool (label: wrong), so the confidence model
learns what a library that lacks the answer looks like. Printed per held-out family: the engine, the
lexical engine, the sentence model's cosine alone and rapidfuzz; the precision / coverage curve of the
pooled out-of-family confidences; and the auto-fill threshold chosen from them.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np

from answers.matching.scoring import intent_adjusted
from bench.matching.devset import DevSet, all_sets
from bench.matching.fit import fit_ranker, logistic
from bench.matching.metrics import Outcome, summarize
from bench.matching.pools import EMB_NAMES, LEX_NAMES, Pool, collect, conf_row, rank
from bench.matching.quality import run_baseline

CONF_LEX = ["top", "margin", "qcov", "fcov", "dcov", "cos_q", "qlen"]
CONF_EMB = ["top", "margin", "qcov", "fcov", "dcov", "cos_q", "qlen", "emb_top", "emb_gap"]
PRECISION_TARGET = 0.95
FALSE_CONF_TARGET = 0.02
GRID = [round(0.5 + 0.01 * i, 2) for i in range(50)]


@dataclass
class SetData:
    ds: DevSet
    lex: list[Pool]
    emb: list[Pool]          # the engine's pools: with the sentence model where it applies
    index: object            # the engine's index over ds.library (embedder on)

    @property
    def english(self) -> bool:
        return any(p.with_emb for p in self.emb)


@dataclass
class Family:
    name: str
    sets: list[SetData]


def family_groups() -> list[tuple[str, list[DevSet]]]:
    """Families by the questionnaire the questions come from. VSAQ is a library, never a question side."""
    en, en2, zh_en, en_zh = all_sets()
    groups = [("HECVAT", [en]), ("ASVS-4.0.3", [en2, zh_en, en_zh])]
    try:
        from bench.matching.families import families
    except ImportError:
        return groups
    for ds in families():
        groups.append((ds.name, [ds]))
    return groups


def load(embedder) -> list[Family]:
    fams = []
    for name, sets in family_groups():
        data = []
        for ds in sets:
            _, lex = collect(ds, ds.queries, embedder=None)
            index, emb = collect(ds, ds.queries, embedder=embedder)
            data.append(SetData(ds, lex, emb, index))
        fams.append(Family(name, data))
    return fams


# ---- fitting ------------------------------------------------------------------------------
def _rank_rows(pools: list[Pool]):
    return [[(list(p.X[i]), 1.0 if r in p.gold else 0.0) for i, r in enumerate(p.refs)] for p in pools if p.refs]


def _conf_rows(pools, bias, w, names, stress: bool):
    """(features, label) for the top of each ranked pool; with stress, also each answerable pool without its gold."""
    real, fake = [], []
    for p in pools:
        sc = rank(p, bias, w)
        if sc:
            real.append((conf_row(sc, names), 1.0 if sc[0][1] in p.gold else 0.0))
        if stress and p.gold:
            q = p.without(set(p.gold))
            sc = rank(q, bias, w)
            if sc:
                fake.append((conf_row(sc, names), 0.0))
    return real, fake


STRESS_WEIGHT = 1.0  # stress rows of a set weigh this much against its real rows
RECALIBRATE = True   # after the stress fit, map its margin to a probability on the real rows only


def _fit_conf(groups: list[tuple[list, list]], l2: float = 1.0):
    """Each training set weighs the same. The weights are fitted with the stress rows (they teach what a
    missing answer looks like); a Platt step on the real rows alone then restores the real base rate,
    so the confidence stays a probability for questionnaires as they come."""
    X, y, sw = [], [], []
    for real, fake in groups:
        for rows, weight in ((real, 100.0), (fake, 100.0 * STRESS_WEIGHT)):
            for x, lab in rows:
                X.append(x)
                y.append(lab)
                sw.append(weight / len(rows))
    b, w = logistic(np.asarray(X), np.asarray(y), l2, sw=np.asarray(sw))
    if not RECALIBRATE:
        return b, w
    Z, Y, SW = [], [], []
    for real, _ in groups:
        for x, lab in real:
            Z.append([b + float(np.dot(w, x))])
            Y.append(lab)
            SW.append(100.0 / len(real))
    b2, a = logistic(np.asarray(Z), np.asarray(Y), 0.0, sw=np.asarray(SW))
    return b2 + a[0] * b, w * a[0]


def fit_models(train: list[Family], *, stress: bool = True, conf_lex=CONF_LEX, conf_emb=CONF_EMB) -> dict:
    sets = [s for f in train for s in f.sets]
    rb, rw = fit_ranker([_rank_rows(s.lex) for s in sets])
    eng = [s for s in sets if s.english]
    eb, ew = fit_ranker([_rank_rows([p for p in s.emb if p.with_emb]) for s in eng])
    lex_groups = [_conf_rows(s.lex, rb, rw, conf_lex, stress) for s in sets]
    cb, cw = _fit_conf(lex_groups)
    emb_groups = [_conf_rows([p for p in s.emb if p.with_emb], eb, ew, conf_emb, stress) for s in eng]
    ceb, cew = _fit_conf(emb_groups)
    pack = lambda b, w, n: {"bias": float(b), "weights": {k: float(v) for k, v in zip(n, w)}}  # noqa: E731
    return {"rank": pack(rb, rw, LEX_NAMES), "rank_emb": pack(eb, ew, EMB_NAMES),
            "conf": pack(cb, cw, conf_lex), "conf_emb": pack(ceb, cew, conf_emb), "answerable_threshold": 0.5}


# ---- scoring a held-out family with given models -------------------------------------------
def _predict(pools: list[Pool], models: dict, *, lexical: bool = False, drop_gold: bool = False,
             index=None) -> list[Outcome]:
    """index: the set's MatchIndex, to apply the intent rule to the first candidate as the engine does."""
    out = []
    for p in pools:
        if drop_gold:
            if not p.gold:
                continue
            p = p.without(set(p.gold))
        emb = p.with_emb and not lexical
        r, c = (models["rank_emb"], models["conf_emb"]) if emb else (models["rank"], models["conf"])
        names = EMB_NAMES if emb else LEX_NAMES
        sc = rank(p, r["bias"], np.array([r["weights"][n] for n in names]))
        if not sc:
            out.append(Outcome(p.gold, [], 0.0, False))
            continue
        cn = list(c["weights"])
        z = c["bias"] + float(np.dot([c["weights"][n] for n in cn], conf_row(sc, cn)))
        conf = 1.0 / (1.0 + math.exp(-max(-40, min(40, z))))
        if index is not None:
            conf = intent_adjusted(conf, index._intent(p.text, index.get(sc[0][1])))
        out.append(Outcome(p.gold, [ref for _, ref, _, _ in sc[:10]], conf, conf >= 0.5))
    return out


def cosine_alone(s: SetData, embedder) -> list[Outcome]:
    lib = s.ds.library
    E = embedder.encode([e.question for e in lib])
    Q = embedder.encode([q.text for q in s.ds.queries])
    sims = Q @ E.T
    out = []
    for q, row in zip(s.ds.queries, sims):
        order = np.argsort(-row)[:10]
        out.append(Outcome(q.gold, [lib[i].ref for i in order], float(row[order[0]]), True))
    return out


def curve(real: list[Outcome], fake: list[Outcome]) -> list[dict]:
    """Precision, coverage (of answerable questions) and false confidence (stress) at each threshold."""
    rows = []
    n_ans = max(1, sum(1 for o in real if o.gold))
    for t in GRID:
        filled = [o for o in real if o.confidence >= t]
        right = sum(1 for o in filled if o.gold and o.ranked and o.ranked[0] in o.gold)
        false = [o for o in real if not o.gold and o.confidence >= t] + [o for o in fake if o.confidence >= t]
        n_none = sum(1 for o in real if not o.gold) + len(fake)
        rows.append({"t": t, "prec": right / len(filled) if filled else float("nan"), "cov": right / n_ans,
                     "n": len(filled), "false": len(false) / max(1, n_none)})
    return rows


def choose_threshold(rows: list[dict]) -> float | None:
    """The lowest threshold whose filled answers (everything at or above it) meet both targets."""
    for r in rows:
        if r["n"] and r["prec"] >= PRECISION_TARGET and r["false"] <= FALSE_CONF_TARGET:
            return r["t"]
    return None


def _f(v) -> str:
    return "  n/a" if isinstance(v, float) and math.isnan(v) else f"{v:5.3f}"


def run(fams: list[Family], embedder, *, stress: bool = True, conf_lex=CONF_LEX, conf_emb=CONF_EMB):
    """Returns (per family rows, pooled real outcomes, pooled stress outcomes, per-family models)."""
    table, pooled_real, pooled_fake, fitted = [], [], [], {}
    for held in fams:
        train = [f for f in fams if f is not held]
        models = fit_models(train, stress=stress, conf_lex=conf_lex, conf_emb=conf_emb)
        fitted[held.name] = models
        for s in held.sets:
            eng = _predict(s.emb, models, index=s.index)
            fake = _predict(s.emb, models, drop_gold=True, index=s.index)
            lex = _predict(s.lex, models, lexical=True, index=s.index)
            cos = cosine_alone(s, embedder) if embedder is not None else []
            fuzz_ = run_baseline(s.ds, s.ds.queries)
            pooled_real += eng
            pooled_fake += fake
            table.append((held.name, s.ds.name.split()[0], summarize(eng), summarize(lex),
                          summarize(cos) if cos else None, summarize(fuzz_), eng, fake))
    return table, pooled_real, pooled_fake, fitted


def print_report(table, pooled_real, pooled_fake, threshold: float | None) -> None:
    print("== leave one family out (each row: models fitted on every other family)")
    print(f"{'family':14} {'set':7} {'n':>4} {'ans':>4} | {'engine t1/t5/auroc':>19} | {'lexical t1':>10} "
          f"| {'cosine t1':>9} | {'fuzz t1':>7} | engine>cosine")
    for fam, short, m, lx, cs, fz, _, _ in table:
        beats = "n/a" if cs is None else ("yes" if m["top1"] > cs["top1"] else "NO")
        print(f"{fam:14} {short:7} {m['n']:4d} {m['n_ans']:4d} | {_f(m['top1'])} {_f(m['top5'])} {_f(m['auroc'])} | "
              f"{_f(lx['top1']):>10} | {_f(cs['top1']) if cs else '  n/a':>9} | {_f(fz['top1']):>7} | {beats}")
    t = threshold
    print()
    print("== precision / coverage / false confidence of the pooled held-out confidences")
    print("   (false = share of questions with no right entry in the library, uncovered ones and every answerable")
    print("    one with its right entries removed, that reach the threshold)")
    rows = curve(pooled_real, pooled_fake)
    for r in rows:
        if r["t"] in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99) or r["t"] == t:
            mark = "  <- chosen" if r["t"] == t else ""
            print(f"  t={r['t']:.2f}  precision {_f(r['prec'])}  coverage {_f(r['cov'])}  filled {r['n']:4d}  "
                  f"false {_f(r['false'])}{mark}")
    print(f"chosen threshold (lowest where the answers filled at or above it are right >= {PRECISION_TARGET} "
          f"and false confidence <= {FALSE_CONF_TARGET}): {t}")
    if t is not None:
        print("\n== per held-out family at the chosen threshold")
        for fam, short, m, _, _, _, eng, fake in table:
            c = [r for r in curve(eng, fake) if r["t"] == t][0]
            print(f"  {fam:14} {short:7} precision {_f(c['prec'])}  coverage {_f(c['cov'])}  filled {c['n']:4d}  "
                  f"false {_f(c['false'])}")


def fit_and_save(fams: list[Family], threshold: float) -> dict:
    """The shipped models: fitted on every family; the auto-fill threshold as chosen out of family."""
    import json

    import answers.matching.scoring as scoring
    from bench.matching.fit import OUT
    models = fit_models(fams)
    for part in ("rank", "rank_emb", "conf", "conf_emb"):
        models[part] = {"bias": round(models[part]["bias"], 5),
                        "weights": {k: round(v, 5) for k, v in models[part]["weights"].items()}}
    models["autofill_threshold"] = threshold
    models["note"] = ("Fitted by `python -m bench.matching --fit` (bench/matching/lofo.py) on every question family; "
                      "autofill_threshold chosen from leave-one-family-out confidences (precision >= "
                      f"{PRECISION_TARGET}, false confidence <= {FALSE_CONF_TARGET}). Do not edit by hand.")
    OUT.write_text(json.dumps(models, indent=1) + "\n")
    scoring.default_models.cache_clear()
    return models


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.matching.lofo")
    ap.add_argument("--no-stress-fit", action="store_true", help="fit the confidence without gold-removed rows")
    ap.add_argument("--no-real-stress", action="store_true", help="skip the stress run through the real index")
    ap.add_argument("--conf", help="comma-separated confidence features (both models)")
    ap.add_argument("--verifier-scores", help="held-out verifier scores (train_verifier.py --lofo): adds ver_top")
    ap.add_argument("--ver-rank", action="store_true", help="with --verifier-scores: the ranker uses it too")
    args = ap.parse_args()
    from answers.matching.embed import resolve
    emb = resolve("minilm")
    fams = load(emb)
    kw = {}
    if args.verifier_scores:
        attach_verifier(fams, args.verifier_scores, rank=args.ver_rank)
        kw = {"conf_emb": CONF_EMB + ["ver_top"]}
    if args.conf:
        names = args.conf.split(",")
        kw = {"conf_lex": [n for n in names if not n.startswith(("emb_", "ver"))], "conf_emb": names}
    table, real, fake, fitted = run(fams, emb, stress=not args.no_stress_fit, **kw)
    t = choose_threshold(curve(real, fake))
    print_report(table, real, fake, t)
    if t is not None and not args.no_real_stress:
        print_stress(fams, fitted, emb, t)


def attach_verifier(fams: list[Family], path: str, *, rank: bool) -> None:
    """Out-of-family verifier probabilities onto the English pools' features ("ver"); a candidate the
    verifier did not score (outside the pairs' top 8) gets 0."""
    import json

    from bench.matching import pools as P
    scores = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            scores[(r["qid"], r["ref"])] = r["p"]
    if rank and "ver" not in P.EMB_NAMES:
        P.EMB_NAMES.append("ver")
    missing = n = 0
    for fam in fams:
        for s in fam.sets:
            for p in s.emb:
                if not p.with_emb:
                    continue
                for ref, f in zip(p.refs, p.feats):
                    v = scores.get((p.qid, ref))
                    n += 1
                    missing += v is None
                    f["ver"] = 0.0 if v is None else v
                if rank:
                    p.X = np.array([[f.get(k, 0.0) for k in P.EMB_NAMES] for f in p.feats]) if p.feats else p.X
    print(f"verifier scores attached: {n - missing} of {n} pool candidates scored")


def print_stress(fams: list[Family], fitted: dict, embedder, t: float) -> None:
    from bench.matching import stress
    print(f"\n== stress through the real index, held-out models, threshold {t}")
    print("   gold removed: answerable questions matched again without their right entries;")
    print("   small libraries: random libraries of N entries; 'false' = no right entry drawn, yet >= threshold")
    tot_n = tot_f = 0
    for fam in fams:
        models = fitted[fam.name]
        for s in fam.sets:
            g = stress.gold_removed(s.index, s.ds.queries, models, t)
            small = stress.small_libraries(s.ds, embedder, models, t)
            tot_n += g["n"] + sum(x["uncovered"] for x in small)
            tot_f += g["false"] + sum(x["false"] for x in small)
            parts = [f"gold removed {g['false']}/{g['n']}"]
            parts += [f"N={x['size']}: false {x['false']}/{x['uncovered']}, filled right {x['right']}/{x['filled']}"
                      for x in small]
            print(f"  {fam.name:14} {s.ds.name.split()[0]:7} " + "; ".join(parts))
    print(f"  false-confidence rate over all stress cases: {tot_f}/{tot_n} = {tot_f / max(1, tot_n):.4f} "
          f"(target <= {FALSE_CONF_TARGET})")


if __name__ == "__main__":
    main()
