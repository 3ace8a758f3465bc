"""python -m bench.matching [--fit] [--dev] [--no-speed] [--quick]

Quality as it predicts questionnaires never fitted on: leave one family out (bench/matching/lofo.py),
per held-out family the engine beside the lexical engine, the sentence model's cosine alone and
rapidfuzz; the precision / coverage / false-confidence curve and the auto-fill threshold chosen from it;
the stress tests through the real index (right entries removed, small libraries); the intent contrast
set (bench/matching/contrast.py). Then speed and memory on a synthetic library. --fit refits
answers/matching/data/calibration.json (every family, threshold from the held-out curve) first.
--dev adds the old per-set table on the development sets (tuned on: it predicts nothing).
"""
from __future__ import annotations

import argparse
import math
import time

from bench.matching import contrast, lofo, speed
from bench.matching.devset import all_sets, hecvat_vs_vsaq
from bench.matching.metrics import summarize
from bench.matching.quality import run_baseline, run_engine

COLS = ("top1", "top5", "mrr", "auroc", "prec@0.8", "cov@0.8", "no_match_acc")


def _fmt(v) -> str:
    return "  n/a" if isinstance(v, float) and math.isnan(v) else f"{v:5.3f}"


def dev_quality(emb) -> None:
    """The development sets as before (the shipped models were fitted on these questions too)."""
    print("== development sets (fitted on: for comparison with earlier rounds only)")
    print(f"{'set':8} {'system':9} {'n':>4} {'ans':>4} " + " ".join(f"{c:>7}" for c in COLS))
    for ds in all_sets():
        short = ds.name.split()[0]
        for name, outcomes in (("engine", run_engine(ds, ds.queries, embedder=emb)),
                               ("rapidfuzz", run_baseline(ds, ds.queries))):
            m = summarize(outcomes)
            print(f"{short:8} {name:9} {m['n']:4d} {m['n_ans']:4d} " + " ".join(f"{_fmt(m[c]):>7}" for c in COLS))
    print("(prec@0.8 / cov@0.8 here are at the shipped auto-fill threshold)\n")


def held_out_quality(emb, *, fit: bool) -> None:
    fams = lofo.load(emb)
    table, real, fake, fitted = lofo.run(fams, emb)
    t = lofo.choose_threshold(lofo.curve(real, fake))
    lofo.print_report(table, real, fake, t)
    if t is None:
        print("no threshold meets both targets: calibration not written" if fit else "")
        return
    if fit:
        lofo.fit_and_save(fams, t)
        print(f"\nrefitted answers/matching/data/calibration.json on every family; autofill_threshold {t}")
    lofo.print_stress(fams, fitted, emb, t)
    print()


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
    ap.add_argument("--fit", action="store_true", help="refit calibration.json on every family first")
    ap.add_argument("--dev", action="store_true", help="also the per-set table on the (fitted) development sets")
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
    held_out_quality(emb, fit=args.fit)
    print("== intent contrast set (bench/matching/contrast.py)")
    contrast.main([])
    print()
    if args.dev:
        dev_quality(emb)
    if not args.no_speed:
        speed_report(naive=not args.quick, sizes=(10_000,) if args.quick else (10_000, 50_000), emb=emb)


if __name__ == "__main__":
    main()
