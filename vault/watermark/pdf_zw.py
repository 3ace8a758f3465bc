"""The DOCX body code (ZWNJ/ZWJ) read back from a PDF page's content, in drawing order.

LibreOffice writes a zero-width character either as a space glyph inside a marked-content span whose
/ActualText is the real character, or, when the text portion's font has a glyph for it (after Chinese
text, drawn in a CJK fallback font), as that glyph with a ToUnicode entry mapping it to U+200C/U+200D.
One code can mix both, so neither the extracted text nor the ActualText alone holds it: this walks the
content once and keeps, in order, the zero-width characters of both kinds (a glyph inside an
ActualText span counts through the span, not twice).
"""
from __future__ import annotations

import re

from pypdf.generic import ContentStream

ZW = frozenset("\u200c\u200d")
_BFCHAR_RE = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE_RE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX_RE = re.compile(rb"<([0-9A-Fa-f]*)>")
_ACTUAL_RE = re.compile(r"[\u200c\u200d]")


def _zw_codes(font) -> tuple[int, dict[bytes, str]]:
    """(code width in bytes, {code: zero-width character}) from a font's ToUnicode CMap."""
    try:
        cmap = font["/ToUnicode"].get_object().get_data()
    except Exception:
        return 1, {}
    found, width = {}, 1
    for block in _BFCHAR_RE.findall(cmap):
        pairs = _HEX_RE.findall(block)
        for src, dst in zip(pairs[0::2], pairs[1::2]):
            width = max(1, len(src) // 2)
            char = _utf16(dst)
            if char in ZW:
                found[bytes.fromhex(src.decode())] = char
    for block in _BFRANGE_RE.findall(cmap):
        for line in block.splitlines():
            parts = _HEX_RE.findall(line)
            if len(parts) != 3 or "[" in line.decode("latin-1"):
                continue
            lo, hi, dst = (int(p, 16) if p else 0 for p in parts)
            width = max(1, len(parts[0]) // 2)
            for zw in ZW:
                if dst <= ord(zw) <= dst + (hi - lo):
                    found[(lo + ord(zw) - dst).to_bytes(width, "big")] = zw
    return width, found


def _utf16(hexa: bytes) -> str:
    try:
        return bytes.fromhex(hexa.decode()).decode("utf-16-be")
    except (ValueError, UnicodeDecodeError):
        return ""


def _actual(props) -> str:
    try:
        value = props.get_object().get("/ActualText")
    except Exception:
        return ""
    return "".join(_ACTUAL_RE.findall(str(value))) if value is not None else ""


def zero_width_text(page, reader=None) -> str:
    """The zero-width characters the page draws, in content order (empty when it draws none)."""
    try:
        fonts = page["/Resources"]["/Font"].get_object()
    except Exception:
        fonts = {}
    codes = {name: _zw_codes(font.get_object()) for name, font in fonts.items()}
    contents = page.get_contents()
    if contents is None:
        return ""
    data = contents.get_data()
    if b"/ActualText" not in data and not any(found for _, found in codes.values()):
        return ""
    out, spans, font = [], [], (1, {})
    for operands, op in ContentStream(contents, reader).operations:
        if op == b"Tf" and operands:
            font = codes.get(operands[0], (1, {}))
        elif op == b"BDC":
            text = _actual(operands[1]) if len(operands) > 1 else ""
            spans.append(bool(text) or (len(operands) > 1 and "/ActualText" in str(operands[1])))
            out.append(text)
        elif op == b"BMC":
            spans.append(False)
        elif op == b"EMC":
            if spans:
                spans.pop()
        elif op in (b"Tj", b"'", b'"', b"TJ") and font[1] and not any(spans):
            strings = operands[-1] if op == b"TJ" else operands[-1:]
            width, found = font
            for item in strings:
                if isinstance(item, (bytes, str)) and hasattr(item, "original_bytes"):
                    raw = item.original_bytes
                    out.extend(found.get(raw[i:i + width], "") for i in range(0, len(raw), width))
    return "".join(out)
