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
