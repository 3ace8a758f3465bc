"""python -m bench.matching [--fit] [--no-speed] [--quick]

Prints quality on the development sets: the engine as shipped (lexical + all-MiniLM-L6-v2 embeddings
where they can run), the lexical engine alone, and a plain rapidfuzz token_set_ratio baseline; then
speed and memory on a synthetic library, with and without embeddings. --fit refits
answers/matching/data/calibration.json on the tune halves first.
"""
from __future__ import annotations

import argparse
import math
import time

from bench.matching import speed
from bench.matching.devset import all_sets, hecvat_vs_vsaq
from bench.matching.metrics import summarize
from bench.matching.quality import run_baseline, run_engine

COLS = ("top1", "top5", "mrr", "auroc", "prec@0.8", "cov@0.8", "no_match_acc")
TARGETS = {"EN": {"top1": 0.65, "top5": 0.85, "auroc": 0.85}, "ZH->EN": {"top1": 0.6, "top5": 0.8, "auroc": 0.8}}


def _fmt(v) -> str:
    return "  n/a" if isinstance(v, float) and math.isnan(v) else f"{v:5.3f}"


def quality(emb) -> None:
    """emb: the embedder the shipped engine uses here, or None (then "engine" is lexical too)."""
    print("== quality (development sets; tune = half used to fit calibration.json, holdout = never fitted on)")
    print(f"{'set':8} {'split':8} {'system':9} {'n':>4} {'ans':>4} " + " ".join(f"{c:>7}" for c in COLS))
    for ds in all_sets():
        short = ds.name.split()[0]
        for split in ("tune", "holdout", None):
            qs = ds.part(split)
            systems = [("engine", run_engine(ds, qs, embedder=emb))]
            if emb is not None:
                systems.append(("lexical", run_engine(ds, qs, embedder=None)))
            if any(q.context for q in qs):
                systems.append(("eng+ctx", run_engine(ds, qs, embedder=emb, context=True)))
            systems.append(("rapidfuzz", run_baseline(ds, qs)))
            for name, outcomes in systems:
                m = summarize(outcomes)
                print(f"{short:8} {split or 'all':8} {name:9} {m['n']:4d} {m['n_ans']:4d} "
                      + " ".join(f"{_fmt(m[c]):>7}" for c in COLS))
        target = TARGETS.get(short)
        if target:
            m = summarize(run_engine(ds, ds.part("holdout"), embedder=emb))
            verdict = ", ".join(f"{k} {_fmt(m[k])} {'ok' if m[k] >= v else 'MISSED'} (target {v})" for k, v in target.items())
            print(f"  targets on holdout, engine: {verdict}")
        print()
    print("columns: top1/top5/mrr over answerable questions; auroc = confidence, answerable vs not;")
    print("prec@0.8 = share right among answers with confidence >= 0.8; cov@0.8 = those / answerable;")
    print("no_match_acc = share of uncovered questions flagged answerable=False\n")


def speed_report(naive: bool, sizes, emb) -> None:
    ds = hecvat_vs_vsaq()
    from bench.matching.devset import asvs_en_to_zh, asvs_zh_to_en
    real = ds.library + asvs_zh_to_en().library + asvs_en_to_zh().library
    questions = [q.text for q in ds.queries][:120]
    print(f"== speed (synthetic library varied from {len(real)} real entries; {len(questions)} HECVAT questions)")
    for r in speed.run(real, questions, sizes=sizes, naive=naive, embedder=emb):
        line = (f"n={r['n']:>6} {r['engine']:>7}: build {r['build_s']:.2f} s, first query {r['first_query_s']:.3f} s, "
                f"{r['n_q']} questions {r['match_s']:.3f} s (median of {len(r['match_runs'])}, {min(r['match_runs']):.3f}-{max(r['match_runs']):.3f}), add+match one {r['add_match_s'] * 1000:.1f} ms "
                f"(found: {r['added_found']}), peak RSS {r['peak_rss_mb']:.0f} MB")
        if "naive_s" in r:
            line += f"; naive rapidfuzz loop {r['naive_s']:.2f} s"
        print(line)
    print("targets: 120 q vs 10k < 0.5 s, vs 50k < 2 s, build 10k < 10 s, add+match < 0.1 s")
    print("(with embeddings, build includes embedding every entry once; a saved index keeps the vectors)\n")


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.matching")
    ap.add_argument("--fit", action="store_true", help="refit calibration.json on the tune half first")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--quick", action="store_true", help="speed at 10k only, no naive loop")
    args = ap.parse_args()
    from answers.matching.embed import resolve
    t0 = time.perf_counter()
    emb = resolve("minilm")
    if emb is not None:
        emb.encode(["warm up"])
        print(f"embeddings: {emb.name}, model load {time.perf_counter() - t0:.1f} s")
    else:
        print("embeddings: cannot run here (see the log); the engine is lexical only")
    if args.fit:
        from bench.matching.fit import fit
        fit(all_sets())
        if emb is not None:
            fit(all_sets(), embedder=emb)
        print("refitted answers/matching/data/calibration.json\n")
    quality(emb)
    if not args.no_speed:
        speed_report(naive=not args.quick, sizes=(10_000,) if args.quick else (10_000, 50_000), emb=emb)


if __name__ == "__main__":
    main()
