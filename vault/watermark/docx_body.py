"""The download id in the body of a .docx, as zero-width characters at the end of paragraphs.

Header, footer and custom property are gone after Word's "Inspect Document" or a copy of the body
into a new document; the body text is what every such copy keeps. Each marked paragraph ends with
the whole code (`marks.zw_code`: length, id, CRC-16 as ZERO WIDTH NON-JOINER / JOINER), so one
paragraph copied alone still names the download, and the codes of many paragraphs outvote a damaged
one. Nothing visible changes: both characters have no width and draw nothing; at the end of a
paragraph there is no next character for them to join or keep on the same line, and a paragraph is
only marked after a character they cannot change (Latin, Greek, Cyrillic, Western punctuation: not
after Arabic, Indic, emoji, where a joiner changes the letter shapes). After Chinese or Japanese text the
code goes in a run of its own after the last one (`cjk_run`): appended to the CJK text it made
LibreOffice pick another fallback font for the whole line when the East Asian font is missing (tested).
Deterministic per download id.
"""
from __future__ import annotations

import copy
import unicodedata

from lxml import etree

from vault.watermark import marks

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MAX_CODES = 200  # paragraphs marked at most, spread evenly over a long document
SYMBOL_FONTS = ("symbol", "wingdings", "webdings")
# Not in the same run as CJK: when the paragraph's named CJK font is missing, LibreOffice asks fontconfig
# for one covering the whole text portion, the joiners included, and drew the line in another font (tested).
_SAFE_RANGES = ((0x20, 0x058F), (0x2010, 0x2027), (0x2030, 0x205E))
# Han, kana, bopomofo, CJK punctuation and full-width forms: nothing joins or reshapes after them.
_CJK_RANGES = ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3040, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
               (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
_EAST_ASIAN_ATTRS = ("eastAsia", "eastAsiaTheme", "hint")
DEFAULT_LATIN = "Calibri"  # Word's default body font, when the document names none


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def safe_after(ch: str) -> bool:
    """True when a zero-width joiner or non-joiner after `ch` cannot change how it is drawn."""
    code = ord(ch)
    return (not unicodedata.combining(ch) and unicodedata.category(ch)[0] != "C"
            and any(lo <= code <= hi for lo, hi in _SAFE_RANGES))


def cjk(ch: str) -> bool:
    """True for a Chinese/Japanese character after which the code goes in a run of its own."""
    code = ord(ch)
    return unicodedata.category(ch)[0] not in "CM" and any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def cjk_run(t, code: str, latin_font: str = DEFAULT_LATIN):
    """A w:r holding `code`, put right after the run of `t`: the same properties (size, so the line
    height cannot grow), explicit Latin fonts (the run's own, else `latin_font`, the document's default)
    and its East Asian font and hint dropped, so the
    CJK text before it stays one portion for Writer's font fallback, as it was."""
    run = t.getparent()
    new = etree.Element(_w("r"))
    props = run.find(_w("rPr"))
    if props is not None:
        props = copy.deepcopy(props)
        new.append(props)
    else:
        props = etree.SubElement(new, _w("rPr"))
    fonts = props.find(_w("rFonts"))
    if fonts is None:
        fonts = etree.Element(_w("rFonts"))
        props.insert(0, fonts)
    for name in _EAST_ASIAN_ATTRS:
        fonts.attrib.pop(_w(name), None)
    # explicit, not inherited from the theme: with the theme's font Writer still redrew the lines (tested)
    latin = fonts.get(_w("ascii")) or latin_font
    for name in ("ascii", "hAnsi", "cs"):
        fonts.set(_w(name), latin)
        fonts.attrib.pop(_w(name + "Theme"), None)
    text = etree.SubElement(new, _w("t"))
    text.text = code
    run.addnext(new)
    return new


def _last_text(paragraph):
    """The paragraph's last shown w:t with text (a run of its own, not hidden, not a symbol font)."""
    for t in reversed(list(paragraph.iter(_w("t")))):
        run = t.getparent()
        holder = run.getparent()
        if holder is not None and holder.tag in (_w("ins"), _w("hyperlink"), _w("smartTag")):
            holder = holder.getparent()
        if not t.text or run.tag != _w("r") or holder is not paragraph:
            continue  # empty, or in a text box nested in this paragraph (marked as its own paragraph)
        props = run.find(_w("rPr"))
        if props is not None:
            if props.find(_w("vanish")) is not None or props.find(_w("webHidden")) is not None:
                continue  # not shown, so not printed either
            fonts = props.find(_w("rFonts"))
            if fonts is not None and any(str(v).lower().startswith(SYMBOL_FONTS) for v in fonts.attrib.values()):
                return None
        return t
    return None


def mark_body(body, download_id: str, limit: int = MAX_CODES, latin_font: str = DEFAULT_LATIN) -> int:
    """Append the id's code to up to `limit` paragraphs of `body` (a w:body element); how many."""
    targets = []
    for paragraph in body.iter(_w("p")):
        t = _last_text(paragraph)
        if t is not None and (safe_after(t.text[-1]) or cjk(t.text[-1])):
            targets.append(t)
    if len(targets) > limit:
        step = len(targets) / limit
        targets = [targets[int(i * step)] for i in range(limit)]
    code = marks.zw_code(download_id)
    for t in targets:
        if cjk(t.text[-1]):
            cjk_run(t, code, latin_font)
        else:
            t.text = t.text + code
    return len(targets)
