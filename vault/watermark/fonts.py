"""Small fonts for the watermark: the few glyphs of one name, cut from the CJK font (or its pre-cut).

Which font files there are is fontfiles.py (`find_cjk_font`, `collection_index`, ... are re-exported here).
"""
from __future__ import annotations

import atexit
import io
import itertools
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from vault.watermark import precut
# Finding the font files lives in fontfiles.py (precut.py needs it too); the names stay importable here.
from vault.watermark.fontfiles import (  # noqa: F401
    CJK_FONT_CANDIDATES,
    FALLBACK_FONT_CANDIDATES,
    collection_index,
    fallback_fonts,
    find_cjk_font,
    find_fallback_font,
    font_chars,
)


# --- small fonts for the watermark ------------------------------------------------------------------
# The watermark needs a few dozen glyphs, the same ones for every download by the same person (name and
# company), so each distinct set of characters gets a small font file that fpdf2 then loads in
# milliseconds. A set within the common characters (GB2312, Latin, punctuation) is copied out of the
# font's pre-cut in ~2 ms (see precut.py); a set with a rarer character (𠮷, 堃, 喆...) is built from the
# whole font file, opened once per process (~0.1 s), a glyph at a time (precut.Face, a few ms a name), not
# with the fontTools subsetter (0.15-0.5 s a name). Both are kept per process.

_BASE_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset("—·…")
_mini_lock = threading.Lock()  # guards the table only: a slow cut never blocks a hit or another cut
_mini_key_locks: dict[tuple[Path, frozenset[str]], threading.Lock] = {}
_mini_dir: Path | None = None
_mini_names = itertools.count()
_mini_fonts: OrderedDict[tuple[Path, frozenset[str]], tuple[Path, frozenset[str]]] = OrderedDict()
MINI_FONTS_KEPT = 256


def mini_font(path: Path, text: str) -> tuple[Path, frozenset[str]]:
    """A font file with only the glyphs of `text` (plus ASCII) taken from `path`, and the characters it
    covers; cached per process."""
    global _mini_dir
    chars = frozenset(text) | _BASE_CHARS
    key = (path, chars)
    with _mini_lock:
        hit = _mini_fonts.get(key)
        if hit is not None:
            _mini_fonts.move_to_end(key)
            return hit
        key_lock = _mini_key_locks.setdefault(key, threading.Lock())
    with key_lock:  # the same new name downloading twice at once is cut once
        with _mini_lock:
            hit = _mini_fonts.get(key)
        if hit is not None:
            return hit
        data, covered = _cut(path, chars)
        with _mini_lock:
            if _mini_dir is None:
                _mini_dir = Path(tempfile.mkdtemp(prefix="vault-wmfonts-"))
                atexit.register(shutil.rmtree, _mini_dir, True)
            out = _mini_dir / f"{next(_mini_names)}-{os.getpid()}.ttf"
        out.write_bytes(data)
        with _mini_lock:
            _mini_fonts[key] = (out, covered)
            _mini_key_locks.pop(key, None)
            while len(_mini_fonts) > MINI_FONTS_KEPT:
                _, (old, _covered) = _mini_fonts.popitem(last=False)
                old.unlink(missing_ok=True)
        return out, covered


def clear_mini_fonts() -> None:
    """Forget the per-process small fonts (the benchmark starts its cold bursts with this)."""
    with _mini_lock:
        while _mini_fonts:
            _, (old, _covered) = _mini_fonts.popitem()
            old.unlink(missing_ok=True)


def _cut(path: Path, chars: frozenset[str]) -> tuple[bytes, frozenset[str]]:
    if precut.enabled():
        if chars - _BASE_CHARS <= precut.common_chars():
            source = precut.template(path, collection_index(path))
        else:  # a rare character: glyphs converted from the whole font, opened once per process
            source = precut.face(path, collection_index(path))
        if source is not None:
            return source.cut(chars)
    return _cut_from_file(path, chars)


def _cut_from_file(path: Path, chars: frozenset[str]) -> tuple[bytes, frozenset[str]]:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=collection_index(path), lazy=True, recalcTimestamp=False)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[])
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG", "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    if "glyf" not in font:  # CFF (Noto): pypdf cannot extract text set in fpdf2's CFF subsets
        precut.to_truetype(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), frozenset(chr(c) for c in (font.getBestCmap() or {}))
