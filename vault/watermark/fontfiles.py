"""Font files on this machine: which one covers Chinese (and Latin) text, which ones to fall back on, and
which face of a .ttc collection to use. Shared by the small fonts (fonts.py), the pre-cut (precut.py) and the
demo PDFs; imports neither, so they can both import it.

`VAULT_CJK_FONT` (a .ttf/.otf/.ttc path) wins; then Debian's fonts-wqy-microhei / fonts-noto-cjk;
then whatever fontconfig lists for Chinese.
"""
from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei (5 MB, has Latin glyphs)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian fonts-noto-cjk
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
# Scripts the CJK fonts lack (Arabic, Hebrew, ...): DejaVu covers them, unshaped.
FALLBACK_FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)


def find_cjk_font() -> Path | None:
    """The font file to use for Chinese text, or None when there is none (or VAULT_CJK_FONT is wrong)."""
    explicit = os.environ.get("VAULT_CJK_FONT")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in out.splitlines():
        path = line.split(":")[0].strip()
        if path and Path(path).is_file():
            return Path(path)
    return None


def find_fallback_font() -> Path | None:
    return next((Path(p) for p in FALLBACK_FONT_CANDIDATES if Path(p).is_file()), None)


def fallback_fonts(primary: Path) -> list[Path]:
    """Fonts to try, in order, for characters `primary` lacks: DejaVu (Arabic, Hebrew, Latin Extended),
    then the other installed CJK fonts (Noto has 𠮷 and 䶮, which WenQuanYi lacks)."""
    paths = [Path(p) for p in (*FALLBACK_FONT_CANDIDATES, *CJK_FONT_CANDIDATES)]
    return [p for p in dict.fromkeys(paths) if p != primary and p.is_file()]


@functools.lru_cache(maxsize=8)
def font_chars(path: Path) -> frozenset[str]:
    """Every character the font (its face `collection_index`) has a glyph for; read once per process."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=collection_index(path), lazy=True)
    return frozenset(chr(c) for c in (font.getBestCmap() or {}))


@functools.lru_cache(maxsize=8)
def collection_index(path: Path) -> int:
    """In a .ttc collection, the Simplified Chinese face (Noto Sans CJK SC is face 2), else the first."""
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection  # fpdf2 depends on fontTools
    collection = TTCollection(str(path), lazy=True)
    names = [(font["name"].getDebugName(1) or "") for font in collection.fonts]
    for i, name in enumerate(names):
        if name.endswith(" SC") and "Mono" not in name:
            return i
    return 0
