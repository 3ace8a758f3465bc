"""Integer matrix products for the sentence model: derived once from the checked model file, cached on disk.

The published model keeps its weights as int8 but multiplies in float (each weight is cast and scaled
first), so every product runs at float speed. Folding those casts into float weights and re-quantizing
the matrix products dynamically (weights per output channel, activations per run) lets onnxruntime use
its integer kernels. The feed-forward down-projections stay in float: their inputs (after GELU) have the
outliers that one activation scale per run handles worst. Measured: 1.7x faster on CPU, vectors within
cosine 0.993 of the original, the matcher's cross-validated quality unchanged (docs/matching.md); all
products in integer was 2.5x faster but cost English top-1 and top-5.

Cache directory: `configure(cache_dir=...)` (the app: `<instance>/cache/models`), else
`TRUSTVAULT_MODEL_CACHE`, else `$VAULT_INSTANCE_PATH/cache/models`, else
`$XDG_CACHE_HOME/trustvault/models` (`~/.cache/...`). The file name carries the source's SHA-256 and the
onnxruntime and onnx versions, so an upgrade derives a fresh file; writes are atomic (temp file +
rename), so concurrent processes never see half a model. Unwritable cache: derived in a temp directory and
kept in memory.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from vault import cachedir

RECIPE = "q8dyn-pc-ffdf"  # part of the file name: change it when the derivation changes
_configured: dict[str, Path | None] = {"cache_dir": None}


def configure(cache_dir: Path | None) -> None:
    _configured["cache_dir"] = Path(cache_dir) if cache_dir else None


def cache_dir() -> Path | None:
    if _configured["cache_dir"] is not None:
        return _configured["cache_dir"]
    return cachedir.cache_dir("models", "TRUSTVAULT_MODEL_CACHE")


def _derive(source: Path, out: Path, work: Path) -> None:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folded = work / "folded.onnx"
    options = onnxruntime.SessionOptions()
    # Basic optimisations only: constant folding turns cast-and-scale into plain float weights, and the
    # file stays portable (extended fusions are hardware-specific and re-applied at load anyway).
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(folded)
    onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    keep_float = _down_projections(folded)
    quiet = _DropAdvice()
    logging.getLogger().addFilter(quiet)  # the quantizer advises on the root logger; not for our users
    try:
        quantize_dynamic(folded, out, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                         per_channel=True, nodes_to_exclude=keep_float)
    finally:
        logging.getLogger().removeFilter(quiet)


def _down_projections(path: Path) -> list[str]:
    """MatMul nodes whose weight maps a wider input to a narrower output (1536 -> 384 in MiniLM)."""
    import onnx

    model = onnx.load(str(path))
    shapes = {t.name: tuple(t.dims) for t in model.graph.initializer}
    found = []
    for node in model.graph.node:
        dims = [shapes[i] for i in node.input if i in shapes and len(shapes[i]) == 2]
        if node.op_type == "MatMul" and dims and dims[0][0] > dims[0][1]:
            found.append(node.name)
    if not found:
        raise RuntimeError("no feed-forward down-projection found: not the expected model layout")
    return found


class _DropAdvice(logging.Filter):
    """The quantizer's advice and its per-tensor INFO notes (it logs on the root logger); warnings pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING and "pre-processing before quantization" not in record.getMessage()


def quantized(source: Path, source_sha256: str, *, rebuild: bool = False) -> Path | bytes:
    """A path to the derived model (cached), or its bytes when there is nowhere to keep it.
    rebuild: derive again even if a cached file exists (it failed to load)."""
    import onnx
    import onnxruntime

    name = f"minilm-{source_sha256[:16]}-{RECIPE}-ort{onnxruntime.__version__}-onnx{onnx.__version__}.onnx"
    where = cache_dir()
    if where is not None:
        target = where / name
        if not rebuild and target.is_file() and target.stat().st_size > 0:
            return target
        try:
            where.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=where, prefix=".derive-") as work:
                tmp = Path(work) / name
                _derive(source, tmp, Path(work))
                os.replace(tmp, target)
            return target
        except OSError:
            pass  # read-only or full: derive in memory below
    with tempfile.TemporaryDirectory(prefix="tv-model-") as work:
        out = Path(work) / name
        _derive(source, out, Path(work))
        return out.read_bytes()
