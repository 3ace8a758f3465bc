"""Characters outside the pre-cut (堃, 喆, 𠮷, 䶮, Arabic): glyphs converted from the whole font file, opened
once per process (precut.Face), instead of a fontTools subsetter run per name."""
from __future__ import annotations

import io
import logging
import os
import shutil
import threading
from pathlib import Path

import pytest
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from tests.watermark.builders import VALID_PDF, count_font_calls
from vault.watermark import Recipient, fonts, precut, watermark_pdf
from vault.watermark.fonts import CJK_FONT_CANDIDATES, FALLBACK_FONT_CANDIDATES

WQY, NOTO = (Path(p) for p in CJK_FONT_CANDIDATES[:2])  # TrueType outlines; CFF outlines (converted)
DEJAVU = Path(FALLBACK_FONT_CANDIDATES[0])
PRIMARIES = [pytest.param(p, id=i, marks=pytest.mark.skipif(not p.is_file(), reason=f"{p} is not installed"))
             for p, i in ((WQY, "wqy"), (NOTO, "noto"))]
pytestmark = pytest.mark.skipif(not DEJAVU.is_file(), reason="no DejaVu Sans (apt-get install fonts-dejavu-core)")


@pytest.fixture(autouse=True)
def cold(tmp_path):
    """A process that has opened no font and cut no name; its own (empty) pre-cut cache."""
    precut.configure(cache_dir=tmp_path / "fonts", enabled=True)
    precut.forget()
    fonts.clear_mini_fonts()
    yield
    precut.configure(cache_dir=None, enabled=None)
    precut.forget()
    fonts.clear_mini_fonts()


@pytest.fixture
def no_subsetter(monkeypatch):
    monkeypatch.setattr(fonts, "_cut_from_file", lambda *a: pytest.fail("cut with the subsetter"))


@pytest.fixture
def opened(monkeypatch):
    """Counts the fonts opened whole."""
    return count_font_calls(monkeypatch, precut, "Face")


def _has(path: Path, chars: str) -> bool:
    cmap = TTFont(str(path), fontNumber=fonts.collection_index(path), lazy=True).getBestCmap()
    return all(ord(c) in cmap for c in chars)


@pytest.mark.parametrize("primary", PRIMARIES)
@pytest.mark.parametrize("name", ["王堃", "李喆", "吉𠮷", "龚䶮", "曌 محمد"])
def test_a_rare_name_is_drawn_and_extractable_without_the_subsetter(primary, name, monkeypatch, caplog, no_subsetter):
    monkeypatch.setenv("VAULT_CJK_FONT", str(primary))
    rare = "".join(c for c in name if c in "堃喆𠮷䶮曌")
    if not any(p.is_file() and _has(p, rare) for p in (primary, NOTO)):
        pytest.skip(f"no installed font has {rare}")
    r = Recipient(name, "x@example.cn", "示例云科技有限公司", "2026-11-24 05:40 UTC", "RareGlyph_000001")
    out = io.BytesIO()
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        watermark_pdf(VALID_PDF, out, r)
    assert not [rec for rec in caplog.records if "missing the following glyphs" in rec.getMessage()]
    text = PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
    assert [ch for ch in name if not ch.isspace() and ch not in text] == []
    assert "示例云科技有限公司" in text and "RareGlyph_000001" in text
    assert len(out.getvalue()) <= 1.15 * VALID_PDF.stat().st_size


@pytest.mark.parametrize("primary", PRIMARIES)
def test_the_glyphs_are_the_fonts_own(primary):
    chars = "".join(c for c in "堃喆曌王A" if _has(primary, c))
    face = precut.face(primary, fonts.collection_index(primary))
    data, covered = face.cut(frozenset(chars))
    assert set(chars) == covered
    small = TTFont(io.BytesIO(data))
    source = TTFont(str(primary), fontNumber=fonts.collection_index(primary), lazy=True)
    small_map, source_map = small.getBestCmap(), source.getBestCmap()
    points = 0
    for ch in chars:
        a, b = small_map[ord(ch)], source_map[ord(ch)]
        assert small["hmtx"][a][0] == source["hmtx"][b][0], ch
        pen_a, pen_b = DecomposingRecordingPen(small.getGlyphSet()), DecomposingRecordingPen(source.getGlyphSet())
        small.getGlyphSet()[a].draw(pen_a)
        source.getGlyphSet()[b].draw(pen_b)
        if "glyf" in source:  # TrueType: the very same outline
            assert pen_a.value == pen_b.value, ch
        else:  # CFF converted to quadratic curves: the same contours
            assert [op for op, _ in pen_a.value].count("closePath") == [op for op, _ in pen_b.value].count("closePath")
        assert small["glyf"][a].numberOfContours != 0, ch  # drawn (WenQuanYi has composites: 堃)
    for name in small.getGlyphOrder():
        glyph = small["glyf"][name]
        assert not getattr(glyph, "program", None) or not glyph.program.getBytecode(), name  # no hinting left
        if glyph.numberOfContours > 0:
            points = max(points, len(glyph.coordinates))
    assert small["maxp"].tableVersion == 0x00010000 and small["maxp"].maxPoints >= points > 0
    assert len(small.getGlyphOrder()) < 3 * len(chars)  # the asked glyphs and their components only


def test_the_font_is_opened_once_per_process_and_again_after_forget(opened, no_subsetter):
    names = ["مرحبا", "محمد", "سلام", "أحمد", "ليلى", "نور"]  # DejaVu has Arabic, which is in no pre-cut
    results = {}

    def cut(name):
        results[name] = fonts.mini_font(DEJAVU, name)[1]

    threads = [threading.Thread(target=cut, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert opened == [DEJAVU]
    assert all(set(n) <= results[n] for n in names)
    assert precut.face(DEJAVU) is precut.face(DEJAVU)
    precut.forget()
    fonts.clear_mini_fonts()
    fonts.mini_font(DEJAVU, "شكرا")
    assert opened == [DEJAVU, DEJAVU]


def test_a_changed_font_file_is_opened_again(tmp_path, opened):
    font = tmp_path / "Sans.ttf"
    shutil.copyfile(DEJAVU, font)
    first = precut.face(font)
    os.utime(font, ns=(1, 1))
    assert precut.face(font) is not first and len(opened) == 2


def test_a_font_that_cannot_be_opened_whole_falls_back_to_the_subsetter(monkeypatch):
    attempts, cuts = [], []
    monkeypatch.setattr(precut, "Face", lambda *a: attempts.append(a) or (_ for _ in ()).throw(ValueError("bad")))
    real = fonts._cut_from_file
    monkeypatch.setattr(fonts, "_cut_from_file", lambda *a: cuts.append(a) or real(*a))
    for name in ("مرحبا", "سلام"):
        assert set(name) <= fonts.mini_font(DEJAVU, name)[1]
    assert len(attempts) == 1 and len(cuts) == 2  # the failure is remembered, not retried per name


def test_switched_off_the_font_is_never_opened_whole(opened):
    precut.configure(enabled=False)
    assert set("مرحبا") <= fonts.mini_font(DEJAVU, "مرحبا")[1]
    assert opened == []
