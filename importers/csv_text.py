"""Reading a CSV file's text: its encoding and its delimiter, guessed the same way wherever the file is
read (the importer, the library import, and the line -> record numbers of `importers.model`).

No project imports, so `importers.model` can use it."""
from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter

DELIMITERS = (",", ";", "\t", "|")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Tries BOMs, strict UTF-8, GB18030, then cp1252. Bytes that do not decode
    become U+FFFD, which `record_damage` reports row by row: a UTF-8 file with one row in Latin-1 or
    GBK (mixed encodings) is read as UTF-8 with that row named, never re-read whole as cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    valid = len(_UTF8_MULTI.findall(data))
    if valid:
        text = data.decode("utf-8", errors="replace")
        if valid >= 2 * text.count("\ufffd"):  # mostly UTF-8: the rest is damage, not another encoding
            return text, "utf-8"
    try:
        text = data.decode("gb18030")
        non_ascii = [ch for ch in text if ord(ch) > 127]
        # GB18030 maps nearly any byte pair, so demand that the result is mostly Chinese.
        if non_ascii and sum(1 for ch in non_ascii if _CJK.match(ch)) / len(non_ascii) >= 0.6:
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter that gives the most consistent column count over the first lines."""
    sample = text[:64 * 1024]
    best, best_key = ",", (-1.0, 0)
    for d in DELIMITERS:
        try:
            rows = [r for _, r in zip(range(60), csv.reader(io.StringIO(sample), delimiter=d))]
        except csv.Error:
            continue
        counts = Counter(len(r) for r in rows if any(x.strip() for x in r))
        if not counts:
            continue
        width, n = counts.most_common(1)[0]
        if width < 2:
            continue
        key = (n / sum(counts.values()), width)
        if key > best_key:
            best, best_key = d, key
    return best
