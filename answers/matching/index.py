"""MatchIndex: BM25 inverted index over normalised tokens, re-ranked by a fitted logistic model."""
from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from answers.matching import embed as _embed
from answers.matching.intent import intent_mismatch
from answers.matching.model import Candidate, LibraryEntry, MatchResult
from answers.matching.scoring import Models, default_models, fuzzy, intent_adjusted
from answers.matching.text import (CONCEPT_PREFIX, ZH_PREFIX, exact_key, fuzzy_string, is_chinese, question_sentences,
                                   strip_asides, tokens, weighted_tokens)

FORMAT_VERSION = 1
TOKENIZER_VERSION = 2  # bump when text.py changes meaning; saved tokens are then recomputed
ANSWER_WEIGHT = 0.5    # answer text counts, but less than the question itself
META_WEIGHT = 0.3
SIM_CHUNK = 256  # questions per similarity matrix (entries x questions floats)
CONTEXT_WEIGHT = 0.3   # words of the incoming question's section/category, when the importer gives one
EMB_POOL_MIN = 0.3     # an entry joins the pool by meaning alone only if it is about something similar


class _Doc:
    __slots__ = ("entry", "q_toks", "a_toks", "m_toks", "q_tf", "a_tf", "tf", "length", "zh", "fuzzy", "exact")

    def __init__(self, entry: LibraryEntry, q_toks: list[list[str]], a_toks: list[str], m_toks: list[str]):
        self.entry = entry
        self.q_toks = q_toks      # question, then each alternative
        self.a_toks = a_toks      # answer_short + answer_full
        self.m_toks = m_toks      # category + tags
        self.q_tf = [dict(Counter(toks)) for toks in q_toks]
        self.a_tf = dict(Counter(a_toks))
        tf: Counter = Counter()
        for qtf in self.q_tf:
            for t, c in qtf.items():
                tf[t] = max(tf[t], c)  # alternatives say the same thing: do not add them up
        for t, c in self.a_tf.items():
            tf[t] += ANSWER_WEIGHT * c
        for t, c in Counter(m_toks).items():
            tf[t] += META_WEIGHT * c
        self.tf = dict(tf)
        self.length = max(1.0, float(sum(tf.values())))
        self.zh = entry.language == "zh" or is_chinese(entry.question)
        self.fuzzy = [fuzzy_string(t) for t in q_toks]
        self.exact = {k for k in (exact_key(x) for x in [entry.question, *entry.alternatives]) if k}


def _tokenize_entry(e: LibraryEntry) -> tuple[list[list[str]], list[str], list[str]]:
    q = [tokens(e.question)] + [tokens(a) for a in e.alternatives if a and a.strip()]
    asked = question_sentences(e.question)
    if asked:  # "Firewalls are a basic control. Do you use firewalls ...?" -> also the bare question
        q.append(tokens(asked))
    bare = strip_asides(e.question)
    if bare:  # "Are systems scanned? (Note: this does not refer to anti-malware scans ...)" -> without the note
        q.append(tokens(bare))
    a = tokens(f"{e.answer_short} {e.answer_full}") if (e.answer_short or e.answer_full) else []
    m = tokens(" ".join([e.category, *e.tags])) if (e.category or e.tags) else []
    return q, a, m


def q_norm(vec: dict[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vec.values())) or 1.0


def conf_features(scored: list) -> dict[str, float]:
    """Features of a re-ranked list for the confidence model."""
    s1, _, f1, _ = scored[0]
    s2 = scored[1][0] if len(scored) > 1 else 0.0
    # How much closer in meaning the first is than any other: a library that lacks the answer tends to
    # offer several topical neighbours at about the same cosine.
    e2 = max((f["emb"] for _, _, f, _ in scored[1:]), default=0.0)
    return {"top": s1, "margin": s1 - s2, "qcov": f1["qcov"], "fcov": f1["fcov"], "dcov": f1["dcov"],
            "cos_q": f1["cos_q"], "qlen": f1["qlen"], "emb_top": f1.get("emb", 0.0),
            # a verifier's probability when a bench attaches one (bench/matching/lofo.py --verifier-scores)
            "emb_gap": f1.get("emb", 0.0) - e2, "ver_top": f1.get("ver", 0.0)}


@dataclass(slots=True)
class _QueryTerms:
    idf: dict[str, float]  # query-weighted idf of every query term
    didf: dict[str, float]  # unweighted idf of the terms the library knows
    dot: dict[str, float]  # query idf-vector x document idf, for the cosines
    qn: float
    mass: float
    fuzzy: str
    qlen: float


class MatchIndex:
    def __init__(self, entries=(), *, embedder="auto", models: Models | None = None,
                 k1: float = 1.2, b: float = 0.5, pool: int = 40):
        self.k1, self.b, self.pool = k1, b, pool
        self.models = models or default_models()
        self.embedder = _embed.resolve(embedder)
        self._docs: list[_Doc | None] = []
        self._slot: dict[str, int] = {}
        self._retired: dict[str, LibraryEntry] = {}
        self._post: dict[str, list] = {}  # term -> [doc slots, term frequencies, used length]
        self._df: Counter = Counter()
        self._alive = np.zeros(0, dtype=bool)
        self._len = np.zeros(0)  # document length by slot
        self._len_sum = 0.0  # over live documents: the BM25 average is exact whatever the order of adds
        self._w_cache: dict[str, np.ndarray] = {}  # term -> BM25 tf weights at the current average
        self._exact: dict[str, set[int]] = {}  # exact_key of a question or alternative -> slots
        self._vocab: list[str] | None = None
        self._idf_cache: dict[str, float] = {}
        self._vec_cache: dict[int, tuple] = {}
        # Vectors live in buffers grown by doubling (like the postings), so add() does not copy them all.
        self._emb_buf = np.zeros((0, self.embedder.dim if self.embedder else 0), dtype=np.float32)
        self._emb_doc_buf = np.zeros(0, dtype=np.int64)
        self._emb_n = 0
        self._emb_rows: dict[int, list[int]] = {}
        self._groups = None  # (rows when computed, row order by entry, group starts, entry slots)
        self._build([(e, None) for e in entries])

    # ---- building -------------------------------------------------------------------------
    def _build(self, items: list[tuple[LibraryEntry, tuple | None]], emb: np.ndarray | None = None) -> None:
        live = []
        for entry, toks in items:
            if entry.status == "retired":
                self._retired[entry.ref] = entry
                continue
            if entry.ref in self._slot:
                self.remove(entry.ref)
            live.append(_Doc(entry, *(toks or _tokenize_entry(entry))))
        for doc in live:
            self._append(doc)
        if self.embedder and live:
            self._add_embeddings([self._slot[d.entry.ref] for d in live], emb)

    def _append(self, doc: _Doc) -> None:
        slot = len(self._docs)
        self._docs.append(doc)
        self._slot[doc.entry.ref] = slot
        if slot >= len(self._alive):
            size = max(64, 2 * len(self._alive))
            grown, lens = np.zeros(size, dtype=bool), np.zeros(size)
            grown[: len(self._alive)] = self._alive
            lens[: len(self._len)] = self._len
            self._alive, self._len = grown, lens
        self._alive[slot] = True
        self._len[slot] = doc.length
        self._len_sum += doc.length
        for key in doc.exact:
            self._exact.setdefault(key, set()).add(slot)
        self._changed()
        for t, tf in doc.tf.items():
            post = self._post.get(t)
            if post is None:
                post = self._post[t] = [np.empty(4, dtype=np.int64), np.empty(4, dtype=np.float64), 0]
            docs, ws, size = post
            if size == len(docs):  # grow by doubling: appends stay cheap, no rebuild of long lists
                post[0] = docs = np.concatenate([docs, np.empty(size, dtype=np.int64)])
                post[1] = ws = np.concatenate([ws, np.empty(size, dtype=np.float64)])
            docs[size] = slot
            ws[size] = tf
            post[2] = size + 1
            if self._df[t] == 0:
                self._vocab = None
            self._df[t] += 1

    def _add_embeddings(self, slots: list[int], emb: np.ndarray | None) -> None:
        """Vectors for the question and alternatives of English entries (the model is English-only)."""
        texts, owners = [], []
        for s in slots:
            if self._docs[s].zh:
                continue
            e = self._docs[s].entry
            for t in [e.question, *[a for a in e.alternatives if a and a.strip()]]:
                texts.append(t)
                owners.append(s)
        if not texts:
            return
        vecs = emb if emb is not None and len(emb) == len(texts) else self.embedder.encode(texts)
        start, end = self._emb_n, self._emb_n + len(vecs)
        if end > len(self._emb_buf):
            size = max(64, end, 2 * len(self._emb_buf))
            buf = np.zeros((size, vecs.shape[1]), dtype=np.float32)
            buf[:start] = self._emb_buf[:start]
            docs = np.zeros(size, dtype=np.int64)
            docs[:start] = self._emb_doc_buf[:start]
            self._emb_buf, self._emb_doc_buf = buf, docs
        self._emb_buf[start:end] = vecs
        self._emb_doc_buf[start:end] = owners
        self._emb_n = end
        for i, s in enumerate(owners):
            self._emb_rows.setdefault(s, []).append(start + i)

    @property
    def _emb(self) -> np.ndarray:
        return self._emb_buf[: self._emb_n]

    @property
    def _emb_doc(self) -> np.ndarray:
        return self._emb_doc_buf[: self._emb_n]

    def add(self, entry: LibraryEntry) -> None:
        """Add or replace (same ref) one entry; it is matchable as soon as this returns."""
        self.add_many([entry])

    def add_many(self, entries: list[LibraryEntry]) -> None:
        """Add or replace several entries; their sentence vectors are computed in batches."""
        for entry in entries:
            if entry.ref in self._slot:
                self.remove(entry.ref)
            self._retired.pop(entry.ref, None)
        self._build([(entry, None) for entry in entries])

    def remove(self, ref: str) -> None:
        self._retired.pop(ref, None)
        slot = self._slot.pop(ref, None)
        if slot is None:
            return
        doc = self._docs[slot]
        self._alive[slot] = False
        self._docs[slot] = None
        self._len_sum -= doc.length
        for key in doc.exact:
            self._exact[key].discard(slot)
        self._changed()
        for t in doc.tf:
            self._df[t] -= 1
        self._emb_rows.pop(slot, None)
        if len(self._docs) > 1000 and len(self._slot) < 0.5 * len(self._docs):
            self._compact()

    def _compact(self) -> None:
        docs = [d for d in self._docs if d is not None]
        emb = None
        if self.embedder and len(self._emb):
            emb = self._emb[[r for d in docs for r in self._emb_rows.get(self._slot[d.entry.ref], [])]]
        retired = self._retired
        self.__init__(embedder=self.embedder, models=self.models, k1=self.k1, b=self.b, pool=self.pool)
        self._retired = retired
        self._build([(d.entry, (d.q_toks, d.a_toks, d.m_toks)) for d in docs], emb)

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, ref: str) -> bool:
        return ref in self._slot

    def get(self, ref: str) -> LibraryEntry | None:
        slot = self._slot.get(ref)
        return self._docs[slot].entry if slot is not None else self._retired.get(ref)

    def entries(self) -> list[LibraryEntry]:
        return [d.entry for d in self._docs if d is not None] + list(self._retired.values())

    # ---- matching -------------------------------------------------------------------------
    def _idf(self, t: str) -> float:
        v = self._idf_cache.get(t)
        if v is None:
            n = max(1, len(self._slot))
            df = self._df.get(t, 0)
            v = self._idf_cache[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return v

    def _changed(self) -> None:
        self._idf_cache.clear()
        self._vec_cache.clear()
        self._w_cache.clear()

    @property
    def _avgdl(self) -> float:
        return self._len_sum / len(self._slot) if self._slot else 0.0

    def _doc_norms(self, slot: int, doc: _Doc):
        """Per question/alternative: (L2 norm of the idf-weighted vector, idf mass); and the answer's norm."""
        cached = self._vec_cache.get(slot)
        if cached is None:
            idf = self._idf
            q = []
            for tf in doc.q_tf:
                w = [(idf(t), c) for t, c in tf.items()]
                q.append((math.sqrt(sum((i * c) ** 2 for i, c in w)), sum(i for i, _ in w)))
            a = math.sqrt(sum((idf(t) * c) ** 2 for t, c in doc.a_tf.items()))
            cached = self._vec_cache[slot] = (q, a)
        return cached

    def _arrays(self, t: str) -> tuple[np.ndarray, np.ndarray]:
        """The term's documents and their BM25 tf weights, computed at the current average length."""
        docs, tfs, size = self._post[t]
        docs = docs[:size]
        w = self._w_cache.get(t)
        if w is None:
            tf = tfs[:size]
            norm = self.k1 * (1 - self.b + self.b * self._len[docs] / (self._avgdl or 1.0))
            w = self._w_cache[t] = tf * (self.k1 + 1) / (tf + norm)
        return docs, w

    def _correct_typos(self, toks: list[str]) -> list[str]:
        out = []
        for t in toks:
            if self._df.get(t, 0) > 0 or len(t) < 5 or t.startswith((CONCEPT_PREFIX, ZH_PREFIX)) or not t.isalpha():
                out.append(t)
                continue
            if self._vocab is None:
                self._vocab = [v for v, c in self._df.items() if c > 0 and v.isalpha() and len(v) >= 4]
            hit = process.extractOne(t, self._vocab, scorer=fuzz.ratio, score_cutoff=84)
            out.append(hit[0] if hit else t)
        return out

    def match(self, question: str, top_k: int = 5, context: str | None = None) -> MatchResult:
        """context: optional section/category heading of the incoming question ("Data Center Security");
        its words help a little (weight 0.3) but never stand in for the question's own words."""
        return self.match_many([question], top_k, contexts=None if context is None else [context])[0]

    def match_many(self, questions: list[str], top_k: int = 5, contexts: list[str | None] | None = None) -> list[MatchResult]:
        ctx = contexts or [None] * len(questions)
        english = [i for i, q in enumerate(questions) if not is_chinese(q)]
        if not (self.embedder and len(self._emb) and english):
            return self._finish([(q, self._scored(q, None, ctx[i])[0]) for i, q in enumerate(questions)], top_k)
        vecs = self.embedder.encode([questions[i] for i in english])
        scored: list = [None] * len(questions)
        for i, q in enumerate(questions):
            if is_chinese(q):
                scored[i] = self._scored(q, None, ctx[i])[0]
        for start in range(0, len(english), SIM_CHUNK):  # one matrix product per chunk of questions
            part = english[start:start + SIM_CHUNK]
            sims = self._doc_sims(vecs[start:start + len(part)])
            for col, i in enumerate(part):
                scored[i] = self._scored(questions[i], vecs[start + col], ctx[i], sims[:, col])[0]
        return self._finish(list(zip(questions, scored)), top_k)

    def _doc_sims(self, qvecs: np.ndarray) -> np.ndarray:
        """Cosine of each live entry's best vector (rows, by slot) to each query vector (columns); -1 if none."""
        n = len(self._docs)
        out = np.full((n, len(qvecs)), -1.0, dtype=np.float32)
        if not len(self._emb) or not len(qvecs):
            return out
        if self._groups is None or self._groups[0] != self._emb_n:
            order = np.argsort(self._emb_doc, kind="stable")  # rows grouped by entry, for reduceat
            owners = self._emb_doc[order]
            starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
            self._groups = (self._emb_n, order, starts, owners[starts])
        _, order, starts, owners = self._groups
        sims = (self._emb @ np.asarray(qvecs, dtype=np.float32).T)[order]
        out[owners] = np.maximum.reduceat(sims, starts, axis=0)
        out[~self._alive[:n]] = -1.0
        return out

    def _finish(self, items: list[tuple[str, list]], top_k: int) -> list[MatchResult]:
        """(question, scored candidates) -> results: the confidence model and the intent rule decide."""
        out = []
        for question, scored in items:
            if not scored:
                out.append(MatchResult([], 0.0, False))
                continue
            f1 = scored[0][2]
            calibrator = self.models.calibrator(f1.get("with_emb", 0.0) > 0)
            confidence = float(calibrator(conf_features(scored)))
            entry = self._docs[self._slot[scored[0][1]]].entry
            confidence = intent_adjusted(confidence, self._intent(question, entry))
            cands = [Candidate(ref, round(float(s), 6)) for s, ref, _, _ in scored[:top_k]]
            out.append(MatchResult(cands, round(confidence, 6), confidence >= self.models.answerable_threshold))
        return out

    def _query(self, question: str, context: str | None):
        """Query tokens (typo-repaired) and per-term weights; context words join at CONTEXT_WEIGHT."""
        raw, weights = weighted_tokens(question)
        fixed = self._correct_typos(raw)
        qw: dict[str, float] = {}
        for r, f in zip(raw, fixed):
            qw[f] = max(qw.get(f, 0.0), weights.get(r, 1.0))
        toks = list(fixed)
        if context and context.strip():
            for t in self._correct_typos(tokens(context)):
                if t not in qw:
                    qw[t] = CONTEXT_WEIGHT
                    toks.append(t)
        return fixed, toks, qw

    def _scored(self, question: str, qvec, context: str | None = None, doc_sims=None) -> tuple[list, bool]:
        """(score, ref, features, entry_is_zh) for the candidate pool, best first.
        doc_sims: this question's column of _doc_sims when match_many computed them for a batch."""
        n = len(self._docs)
        own, toks, qw = self._query(question, context)
        q_zh = is_chinese(question)
        exact = self._exact.get(exact_key(question), set())  # the same wording: always a candidate
        if not (own or exact or qvec is not None) or not self._slot:
            return [], q_zh
        qtf = Counter(toks)
        known = [t for t in qtf if self._df.get(t, 0) > 0]
        idf = {t: self._idf(t) * qw[t] for t in qtf}  # weighted query idf; doc terms use the shared cache
        # Normalise by the best score the query could reach; Chinese bigrams that this library
        # cannot contain (no zh entries) are left out so that zh->en is not penalised for them.
        norm_terms = [t for t in qtf if t in known or not t.startswith(ZH_PREFIX)]
        max_score = sum(idf[t] * (self.k1 + 1) for t in norm_terms) or 1.0

        pool: set[int] = set(exact)
        bm25 = np.zeros(n)
        if known:
            idx, wts = [], []
            for t in known:
                d, w = self._arrays(t)
                idx.append(d)
                wts.append(w * idf[t])
            bm25 = np.bincount(np.concatenate(idx), weights=np.concatenate(wts), minlength=n)[:n]
            bm25[~self._alive[:n]] = 0.0
            k = min(self.pool, int((bm25 > 0).sum()))
            if k:
                pool.update(np.argpartition(-bm25, k - 1)[:k].tolist())
        if q_zh:
            qvec = None  # English-only model: a Chinese question is matched lexically
        emb_best = {}
        if qvec is not None and len(self._emb):
            per_doc = self._doc_sims(np.asarray(qvec)[None, :])[:, 0] if doc_sims is None else doc_sims
            k = min(self.pool // 2, len(self._slot))
            top = np.argpartition(-per_doc, k - 1)[:k]
            pool.update(int(t) for t in top if per_doc[t] >= EMB_POOL_MIN)
            emb_best = per_doc
        if not pool:
            return [], q_zh
        english = [slot for slot in pool if self._docs[slot] is not None and not self._docs[slot].zh]
        if qvec is not None and not english:
            qvec = None  # an English question among Chinese entries: the lexical model ranks them
        neutral = float(np.median([emb_best[s] for s in english])) if qvec is not None else 0.0

        qt = self._query_terms(own, qtf, idf, known, norm_terms)
        with_emb = qvec is not None
        ranker = self.models.ranker(with_emb)
        with_fuzz = "fuzz" in ranker.weights  # the costliest feature: only when the ranker weighs it
        feats = []
        for slot in pool:
            doc = self._docs[slot]
            if doc is None:
                continue
            f = self._features(slot, doc, qt, bm25[slot] / max_score, with_fuzz)
            if slot in exact:  # identical wording covers the question fully, whatever its words are
                f.update(bm25=max(f["bm25"], 1.0), cos_q=1.0, qcov=1.0, dcov=1.0, fcov=1.0, fuzz=1.0)
            # A Chinese entry has no vector: it gets the pool's median, neither helped nor hurt.
            f["emb"] = (neutral if doc.zh else float(emb_best[slot])) if with_emb else 0.0
            f["with_emb"] = 1.0 if with_emb else 0.0  # which calibrator applies
            feats.append((doc, f))
        # Ranked by how well each entry answers the question; an approved entry wins a tie against a draft
        # (autofill fills from approved entries only). Scaling drafts down (x0.9, once) made a questions-only
        # library less confident and let weaker approved entries overtake the right draft.
        scores = ranker.many([f for _, f in feats])
        ranked = sorted(((s, doc.entry.status != "approved", doc.entry.ref, f, doc.zh)
                         for s, (doc, f) in zip(scores, feats)),
                        key=lambda x: (-x[0], x[1], x[2]))
        return [(s, ref, f, zh) for s, _, ref, f, zh in ranked], q_zh

    @staticmethod
    def _intent(question: str, entry: LibraryEntry) -> float:
        """How far the entry's intent is from the question's (past event, someone else's practice, a
        number asked for, ...), by its closest wording: 0 same, up to 1 clearly another question."""
        return min(intent_mismatch(question, t)[0] for t in [entry.question, *entry.alternatives] if t) \
            if entry.question else 0.0

    def _query_terms(self, own, qtf, idf, known, norm_terms) -> "_QueryTerms":
        """What every candidate's features need from the query, computed once per query."""
        q_idf_vec = {t: c * idf[t] for t, c in qtf.items() if t in known}
        didf = {t: self._idf(t) for t in q_idf_vec}  # document side: unweighted idf
        return _QueryTerms(
            idf=idf, didf=didf,
            dot={t: v * didf[t] for t, v in q_idf_vec.items()},
            qn=q_norm(q_idf_vec), mass=sum(idf[t] for t in norm_terms) or 1.0,
            fuzzy=fuzzy_string(own), qlen=math.log1p(sum(1 for t in qtf if not t.startswith(ZH_PREFIX))))

    def _features(self, slot, doc: _Doc, qt: "_QueryTerms", bm25n, with_fuzz: bool = True) -> dict[str, float]:
        q_norms, a_norm = self._doc_norms(slot, doc)
        dot, didf, qn = qt.dot, qt.didf, qt.qn
        cos_q = dcov = 0.0
        for tf, (norm, mass) in zip(doc.q_tf, q_norms):
            shared = [t for t in dot if t in tf]
            if not shared or not norm:
                continue
            cos_q = max(cos_q, sum(dot[t] * tf[t] for t in shared) / (qn * norm))
            dcov = max(dcov, sum(didf[t] for t in shared) / mass)

        cos_a = 0.0
        if a_norm:
            a_tf = doc.a_tf
            cos_a = sum(v * a_tf[t] for t, v in dot.items() if t in a_tf) / (qn * a_norm)
        fz = max((fuzzy(qt.fuzzy, s) for s in doc.fuzzy), default=0.0) if with_fuzz else 0.0
        dtf = doc.tf
        qcov = sum(w for t, w in qt.idf.items() if t in dtf) / qt.mass
        fcov = 2 * qcov * dcov / (qcov + dcov) if qcov + dcov else 0.0  # both sides covered, not a subset
        return {"bm25": float(bm25n), "cos_q": cos_q, "cos_a": cos_a, "fuzz": fz, "qcov": qcov, "dcov": dcov,
                "fcov": fcov, "qlen": qt.qlen}

    # ---- persistence ----------------------------------------------------------------------
    def state(self, refs) -> dict[str, tuple]:
        """What a host needs to add these entries again without computing anything: per ref,
        (tokens, vectors). tokens: None for a retired entry; vectors: float32 rows (question, then each
        alternative), an empty array for a Chinese entry, None when this index has no sentence model."""
        out = {}
        for ref in refs:
            slot = self._slot.get(ref)
            if slot is None:
                if ref in self._retired:
                    out[ref] = (None, None)
                continue
            doc = self._docs[slot]
            vecs = None
            if self.embedder:
                vecs = self._emb[self._emb_rows.get(slot, [])].copy()
            out[ref] = ((doc.q_toks, doc.a_toks, doc.m_toks), vecs)
        return out

    def add_prepared(self, items: list[tuple[LibraryEntry, tuple | None, np.ndarray | None]]) -> list[str]:
        """Add or replace entries from saved `state()`: (entry, tokens or None, vectors or None).
        Tokens must come from this TOKENIZER_VERSION and vectors from this index's sentence model (the
        caller checks both); an entry whose vectors are missing or do not fit is embedded here.
        Returns the refs that had to be embedded."""
        for entry, _, _ in items:
            if entry.ref in self._slot:
                self.remove(entry.ref)
            self._retired.pop(entry.ref, None)
        ready, rest = [], []
        for entry, toks, vecs in items:
            toks = tuple(toks) if toks else None
            if entry.status == "retired" or not self.embedder:
                ready.append((entry, toks, None))
            elif vecs is not None and len(vecs) == self._text_count(entry):
                ready.append((entry, toks, vecs))
            else:
                rest.append((entry, toks))
        if ready:
            vecs = [v for _, _, v in ready if v is not None and len(v)]
            emb = np.concatenate(vecs).astype(np.float32) if vecs else None
            self._build([(e, t) for e, t, _ in ready], emb)
        if rest:
            self._build(rest)
        return [e.ref for e, _ in rest]

    @staticmethod
    def _text_count(entry: LibraryEntry) -> int:
        """How many sentence vectors the entry has (_add_embeddings): none for a Chinese entry."""
        if entry.language == "zh" or is_chinese(entry.question):
            return 0
        return 1 + sum(1 for a in entry.alternatives if a and a.strip())

    def save(self, path) -> None:
        """One zip file: index.json (entries + their tokens) and, with embeddings, emb.npy."""
        docs = [d for d in self._docs if d is not None]
        payload = {
            "format": FORMAT_VERSION,
            "tokenizer": TOKENIZER_VERSION,
            "embedder": self.embedder.name if self.embedder else None,
            "entries": [asdict(d.entry) for d in docs] + [asdict(e) for e in self._retired.values()],
            "tokens": [[d.q_toks, d.a_toks, d.m_toks] for d in docs],
        }
        path = Path(path)
        # A unique temp name: several worker processes may save the same index at once.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr("index.json", json.dumps(payload, ensure_ascii=False))
                if self.embedder and len(self._emb):
                    rows = [r for d in docs for r in self._emb_rows.get(self._slot[d.entry.ref], [])]
                    with z.open("emb.npy", "w") as f:
                        np.save(f, self._emb[rows], allow_pickle=False)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
            raise

    @classmethod
    def load(cls, path, *, embedder="auto", models: Models | None = None) -> "MatchIndex":
        with zipfile.ZipFile(path) as z:
            payload = json.loads(z.read("index.json").decode("utf-8"))
            if payload.get("format") != FORMAT_VERSION:
                raise ValueError(f"unsupported index format {payload.get('format')!r}")
            emb = None
            if "emb.npy" in z.namelist():
                with z.open("emb.npy") as f:
                    emb = np.load(f, allow_pickle=False)
        index = cls(embedder=embedder, models=models)
        if index.embedder and payload.get("embedder") != getattr(index.embedder, "name", None):
            emb = None  # different model: recompute
        entries = [LibraryEntry(**e) for e in payload["entries"]]
        same_tok = payload.get("tokenizer") == TOKENIZER_VERSION
        toks = payload["tokens"] if same_tok else []
        items = [(e, tuple(toks[i]) if i < len(toks) else None) for i, e in enumerate(entries)]
        index._build(items, emb)
        return index
