"""The hidden encodings of a download id, and their decoders.

* a text marker `[tv:<id>:<crc>]`, written as invisible text (PDF render mode 3, DOCX w:vanish) and
  read back from extracted text; the CRC rejects ids mangled by extraction;
* a bit string (length byte, UTF-8 id, CRC-16) drawn as a row of tiny dots whose position inside
  each cell encodes one bit, framed by a 0 bit at each end so that the cell pitch can be measured
  back whatever the scale, rotation or offset the copy was re-drawn with.
"""
from __future__ import annotations

import re
from binascii import crc_hqx

MARKER_RE = re.compile(r"\[tv:([A-Za-z0-9_-]{8,64}):([0-9a-f]{4})\]")
VISIBLE_RE = re.compile(r"download\s*ID\s*([A-Za-z0-9_-]{8,64})")


def crc16(data: bytes) -> int:
    return crc_hqx(data, 0xFFFF)


def text_marker(download_id: str) -> str:
    return f"[tv:{download_id}:{crc16(download_id.encode()):04x}]"


def ids_in_text(text: str) -> list[str]:
    """Every id whose marker (with a valid CRC) appears in `text`, in order."""
    return [m.group(1) for m in MARKER_RE.finditer(text) if int(m.group(2), 16) == crc16(m.group(1).encode())]


def visible_ids_in_text(text: str) -> list[str]:
    return [m.group(1) for m in VISIBLE_RE.finditer(text)]


# --- dot pattern ---------------------------------------------------------------------------------

def id_bits(download_id: str) -> list[int]:
    """Frame bit 0, length byte, id bytes, CRC-16, frame bit 0."""
    raw = download_id.encode()
    payload = bytes([len(raw)]) + raw + crc16(raw).to_bytes(2, "big")
    bits = [(byte >> (7 - i)) & 1 for byte in payload for i in range(8)]
    return [0] + bits + [0]


def bits_to_id(bits: list[int]) -> str | None:
    """The id from a framed bit list, or None if the frame, length or CRC does not check out."""
    if len(bits) < 2 + 8 + 16 or bits[0] or bits[-1]:
        return None
    inner = bits[1:-1]
    if len(inner) % 8:
        return None
    data = bytes(int("".join(map(str, inner[i:i + 8])), 2) for i in range(0, len(inner), 8))
    n = data[0]
    if len(data) != n + 3:
        return None
    raw, crc = data[1:1 + n], int.from_bytes(data[1 + n:], "big")
    if crc16(raw) != crc:
        return None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return None
    return text if re.fullmatch(r"[A-Za-z0-9_-]{8,64}", text) else None


def dot_positions(n_bits: int, bits: list[int], start: float, length: float) -> list[float]:
    """Positions along the row: cell i starts at start + i*pitch; a 1 bit sits half a pitch later."""
    pitch = length / (n_bits - 1)
    return [start + i * pitch + (pitch / 2 if b else 0.0) for i, b in enumerate(bits)]


def positions_to_bits(positions: list[float]) -> list[int] | None:
    """Inverse of dot_positions for sorted positions of one row (any offset and scale)."""
    n = len(positions)
    if n < 26:
        return None
    pitch = (positions[-1] - positions[0]) / (n - 1)
    if pitch <= 0:
        return None
    bits = []
    for i, x in enumerate(positions):
        frac = (x - positions[0] - i * pitch) / pitch
        if abs(frac) < 0.2:
            bits.append(0)
        elif abs(frac - 0.5) < 0.2:
            bits.append(1)
        else:
            return None
    return bits


# --- zero-width code (DOCX body) -----------------------------------------------------------------
# Two zero-width characters that Word and LibreOffice draw as nothing, keep in the text, and that
# LibreOffice's PDF export keeps (as /ActualText): U+200B, U+2060, U+FEFF and the bidi marks were
# dropped from its PDFs; U+2061-2064 survive but Word may draw a box for them.
ZW0, ZW1 = "\u200c", "\u200d"  # ZERO WIDTH NON-JOINER = 0, ZERO WIDTH JOINER = 1
ZW_RUN_RE = re.compile(f"[{ZW0}{ZW1}]{{{6 + 6 * 8 + 16},}}")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def zw_code(download_id: str) -> str:
    """6 bits (length - 8), 6 bits per id character, CRC-16 of the id: 154 characters for 22."""
    bits = format(len(download_id) - 8, "06b") + "".join(format(_B64.index(c), "06b") for c in download_id)
    bits += format(crc16(download_id.encode()), "016b")
    return bits.translate(str.maketrans("01", ZW0 + ZW1))


def _zw_decode_at(bits: str, pos: int) -> tuple[str, int] | None:
    if pos + 6 > len(bits):
        return None
    n = int(bits[pos:pos + 6], 2) + 8
    end = pos + 6 + 6 * n + 16
    if n > 64 or end > len(bits):
        return None
    text = "".join(_B64[int(bits[i:i + 6], 2)] for i in range(pos + 6, pos + 6 + 6 * n, 6))
    if int(bits[end - 16:end], 2) != crc16(text.encode()):
        return None
    return text, end


def zw_ids_in_text(text: str, limit: int = 64) -> list[str]:
    """Every CRC-valid id coded in runs of the two zero-width characters in `text` (at most `limit`).

    The code is self-delimiting (length first), so codes written back to back are read one after the
    other; a stray joiner of the document's own before or between codes is skipped one at a time."""
    ids: list[str] = []
    for match in ZW_RUN_RE.finditer(text):
        bits = match.group().translate(str.maketrans(ZW0 + ZW1, "01"))
        pos = 0
        while pos < len(bits) and len(ids) < limit:
            hit = _zw_decode_at(bits, pos)
            if hit:
                ids.append(hit[0])
                pos = hit[1]
            else:
                pos += 1
    return ids
