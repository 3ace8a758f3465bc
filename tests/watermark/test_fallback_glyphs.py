"""Every character of the stamped name is drawn with a font that has its glyph (no empty boxes), whichever
CJK font is chosen: Arabic and Polish fall back to DejaVu, ideographs WenQuanYi lacks to Noto Sans CJK."""
from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.watermark.builders import OTHER_VALID
from vault.watermark import Recipient, watermark_pdf
from vault.watermark.fonts import CJK_FONT_CANDIDATES, FALLBACK_FONT_CANDIDATES

WQY, NOTO = (Path(p) for p in CJK_FONT_CANDIDATES[:2])
DEJAVU = Path(FALLBACK_FONT_CANDIDATES[0])
ID = "AbCdEfGhIjKlMnOpQrStUv"

# name -> the fallback fonts (BaseFont substrings) that must be embedded, per primary font
CASES = {
    "محمد الأحمد": {WQY: ["DejaVu"], NOTO: ["DejaVu"]},
    "Łukasz Żółć": {WQY: [], NOTO: ["DejaVu"]},  # Noto Sans CJK has no Ł Ż ł ć
    "Ærøskøbing Ðe": {WQY: [], NOTO: []},
    "张𠮷䶮": {WQY: ["NotoSansCJK"], NOTO: []},  # WenQuanYi has neither 𠮷 nor 䶮
    "王伟 (Wang Wei) محمد": {WQY: ["DejaVu"], NOTO: ["DejaVu"]},
}


def _mark_fonts(page) -> list[str]:
    names = []
    for xobj in page["/Resources"]["/XObject"].values():
        xobj = xobj.get_object()
        if xobj.get("/Subtype") == "/Form":
            for font in xobj.get("/Resources", {}).get("/Font", {}).values():
                names.append(str(font.get_object()["/BaseFont"]))
    return names


@pytest.mark.parametrize("primary", [WQY, NOTO], ids=["wqy", "noto"])
@pytest.mark.parametrize("name", list(CASES))
def test_every_character_of_the_name_is_drawn(name, primary, monkeypatch, caplog):
    needed = CASES[name][primary]
    for path in [primary, DEJAVU, *(NOTO for n in needed if "Noto" in n)]:
        if not path.is_file():
            pytest.skip(f"{path} is not installed")
    monkeypatch.setenv("VAULT_CJK_FONT", str(primary))
    recipient = Recipient(name, "r@example.org", "Example Co", "2026-11-24 05:40 UTC", ID)
    out = io.BytesIO()
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        watermark_pdf(OTHER_VALID[0], out, recipient)
    # fpdf2 logs each character it drew as an empty box (.notdef)
    assert not [r for r in caplog.records if "missing the following glyphs" in r.getMessage()]
    page = PdfReader(io.BytesIO(out.getvalue())).pages[0]
    text = page.extract_text()
    assert [ch for ch in name if not ch.isspace() and ch not in text] == []
    assert ID in text
    fonts = _mark_fonts(page)
    for fallback in needed:
        assert any(fallback in f for f in fonts), (fallback, fonts)
    if not needed:  # a fallback only when a character needs it
        assert not any("DejaVu" in f for f in fonts), fonts
