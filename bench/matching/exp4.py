"""Round-4 experiments, decided by cross-validation inside the tune halves (never looks at holdout).

    python -m bench.matching.exp4

1. pool recall (is gold in the 40-candidate BM25 pool at all?) per set, and for other answer weights;
2. out-of-fold top-1 / top-5 / AUROC for the v3 feature set plus candidate features:
   head (interrogative clause / first sentence of a long question), split BM25 (entry question vs answer),
   character 3-5-gram TF-IDF cosine computed on the pool only.
"""
from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from answers.matching import MatchIndex
from answers.matching.scoring import CONF_FEATURES, RANK_FEATURES
from answers.matching.text import ZH_PREFIX, clean, fuzzy_string
from bench.matching.cv import K, _fold, _sig, score_fold
from bench.matching.devset import all_sets
from bench.matching.fit import fit_ranker
from bench.matching.metrics import summarize

BASE = [f for f in RANK_FEATURES if f != "emb"]
_SENT = re.compile(r"(?<=[.?!:])\s+(?=[A-Z])")


def head_text(text: str) -> str | None:
    """The interrogative clause of a long item ("Q? Explanation." / "Explanation. Q?"), else its first sentence."""
    parts = [p for p in _SENT.split((text or "").strip()) if p.strip()]
    if len(parts) < 2:
        return None
    asked = [p for p in parts if p.rstrip().endswith("?")]
    if asked and len(asked) < len(parts):
        return " ".join(asked)
    if not asked:
        return parts[0]
    return None


def char_grams(s: str, lo: int = 3, hi: int = 5) -> Counter:
    c: Counter = Counter()
    for w in s.split():
        w = f" {w} "
        for n in range(lo, hi + 1):
            for i in range(len(w) - n + 1):
                c[w[i:i + n]] += 1
    return c


def _prep(index: MatchIndex, text: str):
    own, toks, qw = index._query(text, None)
    qtf = Counter(toks)
    known = [t for t in qtf if index._df.get(t, 0) > 0]
    idf = {t: index._idf(t) * qw[t] for t in qtf}
    norm_terms = [t for t in qtf if t in known or not t.startswith(ZH_PREFIX)]
    q_idf_vec = {t: c * idf[t] for t, c in qtf.items() if t in known}
    q_mass = sum(idf[t] for t in norm_terms) or 1.0
    return own, qtf, idf, q_idf_vec, q_mass, index._query_terms(own, qtf, idf, known, norm_terms)


def _bm25_split(index, doc, qtf, idf, max_score):
    """BM25 of the query against the entry's question fields only and against its answer only."""
    k1, b = index.k1, index.b
    out = []
    for tf in (dict(Counter({t: max(q.get(t, 0) for q in doc.q_tf) for t in qtf})), doc.a_tf):
        length = max(1.0, float(sum(tf.values())))
        norm = k1 * (1 - b + b * length / index._avgdl)
        s = sum(idf[t] * tf[t] * (k1 + 1) / (tf[t] + norm) for t in qtf if tf.get(t))
        out.append(s / max_score)
    return out


def pools(answer_weight=None, pool=40):
    import answers.matching.index as ix
    saved = ix.ANSWER_WEIGHT
    if answer_weight is not None:
        ix.ANSWER_WEIGHT = answer_weight
    out, recall = [], {}
    try:
        for ds in all_sets():
            name = ds.name.split()[0]
            index = MatchIndex(ds.library, embedder=None, pool=pool)
            qs, hit40, hit100, n_ans = [], 0, 0, 0
            for q in ds.part("tune"):
                scored, _ = index._scored(q.text, None)
                # pool recall: rank of the best gold entry by BM25 alone
                if q.gold:
                    n_ans += 1
                    refs = {r for _, r, _, _ in scored}
                    hit40 += bool(refs & q.gold)
                    own, toks, qw = index._query(q.text, None)
                    qtf = Counter(toks)
                    known = [t for t in qtf if index._df.get(t, 0) > 0]
                    n = len(index._docs)
                    bm = np.zeros(n)
                    for t in known:
                        d, w = index._arrays(t)
                        np.add.at(bm, d, w * index._idf(t) * qw[t])
                    top = set(np.argsort(-bm)[:100].tolist())
                    hit100 += any(index._slot.get(g) in top for g in q.gold)
                qs.append((q.qid, q.gold, _extra(index, q.text, scored)))
            out.append((name, qs))
            recall[name] = (hit40 / max(1, n_ans), hit100 / max(1, n_ans), n_ans)
    finally:
        ix.ANSWER_WEIGHT = saved
    return out, recall


def _extra(index, text, scored):
    """Per candidate: the engine's features + round-4 candidates."""
    if not scored:
        return []
    own, qtf, idf, q_idf_vec, q_mass, _ = _prep(index, text)
    max_score = sum(idf[t] * (index.k1 + 1) for t in qtf
                    if index._df.get(t, 0) > 0 or not t.startswith(ZH_PREFIX)) or 1.0
    h = head_text(text)
    hp = _prep(index, h) if h else None
    # char n-grams: query vs entry question variants; idf over the pool only
    qg = char_grams(fuzzy_string(own))
    qg_raw = char_grams(clean(text))
    docs = [index._docs[index._slot[ref]] for _, ref, _, _ in scored]
    dgs = [[char_grams(s) for s in d.fuzzy] for d in docs]
    dgs_raw = [[char_grams(clean(s)) for s in [d.entry.question, *d.entry.alternatives]] for d in docs]

    def pool_idf(qgrams, dgrams):
        df: Counter = Counter()
        for g in dgrams:
            seen = set()
            for c in g:
                seen.update(c)
            df.update(seen)
        n = len(dgrams)
        keys = set(df) | set(qgrams)
        return {t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5)) for t in keys}

    def cos(q, d, w):
        num = sum(v * w.get(t, 0.0) ** 2 * d.get(t, 0) for t, v in q.items())
        if not num:
            return 0.0
        nq = math.sqrt(sum((v * w.get(t, 0.0)) ** 2 for t, v in q.items()))
        nd = math.sqrt(sum((v * w.get(t, 0.0)) ** 2 for t, v in d.items()))
        return num / (nq * nd) if nq and nd else 0.0

    w1 = pool_idf(qg, dgs)
    w2 = pool_idf(qg_raw, dgs_raw)
    bm_rank = {ref: i for i, ref in enumerate(sorted((r for _, r, _, _ in scored),
                                                       key=lambda r: (-[x[2]['bm25'] for x in scored if x[1] == r][0], r)))}
    rows = []
    for (s, ref, f, _), doc, dg, dr in zip(scored, docs, dgs, dgs_raw):
        g = dict(f)
        if hp is not None:
            slot = index._slot[ref]
            hf = index._features(slot, doc, hp[5], 0.0)
            g["cos_head"], g["qcov_head"], g["fuzz_head"] = hf["cos_q"], hf["qcov"], hf["fuzz"]
        else:
            g["cos_head"], g["qcov_head"], g["fuzz_head"] = f["cos_q"], f["qcov"], f["fuzz"]
        g["bm25_q"], g["bm25_a"] = _bm25_split(index, doc, qtf, idf, max_score)
        g["chr"] = max((cos(qg, c, w1) for c in dg), default=0.0)
        g["chr_raw"] = max((cos(qg_raw, c, w2) for c in dr), default=0.0)
        g["bm_rank"] = bm_rank[ref]
        rows.append((ref, g))
    return rows


def run(pool_data, names, l2=1.0, rrf=0):
    cnames = [c for c in CONF_FEATURES if c != "emb_top"]
    oof: dict[str, list] = {}
    for k in range(K):
        train = lambda qid, k=k: _fold(qid) != k  # noqa: E731
        per_set = [[[([f.get(n, 0.0) for n in names], 1.0 if ref in gold else 0.0) for ref, f in pool]
                    for qid, gold, pool in qs if train(qid)] for _, qs in pool_data]
        rb, rw = fit_ranker(per_set, l2)
        ranked = []
        for name, qs in pool_data:
            rq = []
            for qid, gold, pool in qs:
                sc = sorted(((_sig(rb + float(np.dot(rw, [f.get(n, 0.0) for n in names]))), ref, f, False)
                             for ref, f in pool), key=lambda t: (-t[0], t[1]))
                if rrf:
                    fused = {r: 1 / (rrf + i) + 1 / (rrf + f["bm_rank"]) for i, (_, r, f, _) in enumerate(sc)}
                    sc.sort(key=lambda t: (-fused[t[1]], t[1]))
                rq.append((qid, gold, sc))
            ranked.append((name, rq))
        score_fold(ranked, train, cnames, oof)
    return {name: summarize(o) for name, o in oof.items()}


def report(label, res):
    print(f"{label:28} " + " | ".join(f"{n} {m['top1']:.3f}/{m['top5']:.3f}/{m['auroc']:.3f}" for n, m in res.items()),
          flush=True)


CONFIGS = {
    "v3 base": BASE,
    "+head (cos,qcov)": BASE + ["cos_head", "qcov_head"],
    "+head (cos,qcov,fuzz)": BASE + ["cos_head", "qcov_head", "fuzz_head"],
    "+bm25 q/a split": BASE + ["bm25_q", "bm25_a"],
    "bm25 -> q/a split": [f for f in BASE if f != "bm25"] + ["bm25_q", "bm25_a"],
    "+chr (tokens)": BASE + ["chr"],
    "+chr (raw text)": BASE + ["chr_raw"],
    "+head +chr_raw": BASE + ["cos_head", "qcov_head", "chr_raw"],
}


def main() -> None:
    import sys
    data, recall = pools()
    print("pool recall@40 / BM25 recall@100 (tune, answerable):",
          {k: f"{a:.3f}/{b:.3f} (n={n})" for k, (a, b, n) in recall.items()})
    if "--aw" in sys.argv:
        for aw in (0.25, 1.0):
            _, r = pools(aw)
            print(f"  ANSWER_WEIGHT={aw}:", {k: f"{a:.3f}/{b:.3f}" for k, (a, b, n) in r.items()})
    print(f"== {K}-fold CV inside tune halves, out-of-fold top1/top5/auroc")
    for label, names in CONFIGS.items():
        report(label, run(data, names))
    for c in (10, 60):
        report(f"RRF rerank+bm25 k={c}", run(data, BASE, rrf=c))
    for p in (60, 100):
        d2, r2 = pools(pool=p)
        report(f"pool {p}", run(d2, BASE))


if __name__ == "__main__":
    main()
