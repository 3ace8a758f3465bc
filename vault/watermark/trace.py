"""Find the download id in a leaked copy (PDF or DOCX), trying every channel the watermark wrote.

Channels, strongest first (see docs/watermark.md for what survives what):
  invisible-text  the `[tv:<id>:<crc>]` marker (PDF render mode 3 / DOCX w:vanish), CRC-checked
  dot-pattern     the row of tiny dots under each PDF page, CRC-checked, read from the vector paths
  zero-width      the DOCX body code (ZWNJ/ZWJ at paragraph ends), CRC-checked; in a PDF made from the
                  DOCX (LibreOffice writes them as /ActualText spans, or as glyphs after Chinese text) it
                  is read from the content
  visible-text    "download ID <id>" in the footer line (no checksum)
  metadata        Info /TrustvaultDownloadId, DOCX custom property (trivially stripped or edited)
  file-id         PDF trailer /ID[0] (kept by many tools that re-save a file)
"""
from __future__ import annotations

import html
import io
import logging
import re
import zipfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from importers.model import ImportErrorWithContext
from importers.safety import DEFAULT_LIMITS, ZIP_DAMAGE, check_zip_limits
from vault.watermark import marks
from vault.watermark.base import DOWNLOAD_ID_RE
from vault.watermark.pdf_zw import zero_width_text

CHECKED = ("invisible-text", "dot-pattern", "zero-width")  # carry a CRC: a hit is the id that was written
PAGES_ENOUGH = 3  # stop reading pages once this many agree, per channel


@dataclass(frozen=True)
class TraceResult:
    download_id: str | None
    method: str  # the channel the answer came from, "" when nothing was found
    confidence: str  # "high" (CRC-checked or two channels agree), "medium", "low", "none"
    notes: list[str] = field(default_factory=list)
    candidates: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> {id: pages/hits}
    # Why the file could not be read in full (truncated, encrypted, a damaged part), else None. With no
    # id found, this is the answer: "damaged", not "not marked by this trust center".
    damaged: str | None = None


class _Damage(logging.Handler):
    """pypdf repairs damaged files and says so through `logging` (\"EOF marker not found\", a wrong
    xref offset): collect that as the file's damage instead of letting it reach the terminal."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def _pypdf_quiet():
    logger = logging.getLogger("pypdf")
    trap, propagate = _Damage(), logger.propagate
    logger.addHandler(trap)
    logger.propagate = False
    try:
        yield trap
    finally:
        logger.removeHandler(trap)
        logger.propagate = propagate


def find_download_id(data: bytes) -> TraceResult:
    """The download id a leaked PDF or DOCX was watermarked with, and how sure the answer is.
    Never raises for a damaged file: `damaged` says what is wrong with it."""
    if data[:4] == b"PK\x03\x04":
        found, notes, damaged = _trace_docx(data)
    elif b"%PDF-" in data[:1024]:
        with _pypdf_quiet() as trap:
            found, notes, damaged = _trace_pdf(data)
        if damaged is None and trap.messages:
            damaged = f"the PDF is damaged and was read as far as possible ({trap.messages[0][:120]})"
    else:
        return TraceResult(None, "", "none", ["not a PDF or DOCX file"])
    return _verdict(found, notes, damaged)


def _verdict(found: dict[str, Counter], notes: list[str], damaged: str | None = None) -> TraceResult:
    candidates = {m: dict(c) for m, c in found.items() if c}
    support: Counter = Counter()
    for method, counter in found.items():
        for download_id in counter:
            support[download_id] += 1
    if damaged:
        notes = notes + [damaged]
    if not support:
        return TraceResult(None, "", "none", notes + ["no download id found in any channel"], candidates, damaged)
    if len(support) > 1:
        notes = notes + [f"several ids found ({', '.join(sorted(support))}): the copy may combine "
                         "pages of different downloads, or carry a forged mark; compare the channels"]
    order = ["invisible-text", "dot-pattern", "zero-width", "visible-text", "metadata", "file-id"]
    for method in order:
        if found.get(method):
            best = found[method].most_common(1)[0][0]
            agreeing = support[best]
            confidence = "high" if method in CHECKED or agreeing >= 2 else (
                "medium" if method == "visible-text" else "low")
            return TraceResult(best, method, confidence, notes, candidates, damaged)
    raise AssertionError("unreachable")


# --- PDF ---------------------------------------------------------------------------------------

def _trace_pdf(data: bytes) -> tuple[dict[str, Counter], list[str], str | None]:
    from pypdf import PdfReader

    found: dict[str, Counter] = {m: Counter() for m in ("invisible-text", "dot-pattern", "zero-width",
                                                         "visible-text", "metadata", "file-id")}
    notes: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return found, [], "the PDF is encrypted with a password: it cannot be read"
    except Exception as exc:  # pypdf raises many types on damaged files
        return found, [], f"the PDF is damaged and cannot be opened ({_why(exc)})"
    try:
        info = reader.trailer.get("/Info")
        info = info.get_object() if info is not None else None
        value = info.get("/TrustvaultDownloadId") if info is not None else None
        if value is not None and DOWNLOAD_ID_RE.match(str(value)):
            found["metadata"][str(value)] += 1
    except Exception:
        notes.append("the Info dictionary cannot be read")
    try:
        ids = reader.trailer.get("/ID")
        first = bytes(ids[0].get_object().original_bytes) if ids else b""
        text = first.decode("ascii", "replace")
        if DOWNLOAD_ID_RE.match(text):
            found["file-id"][text] += 1
    except Exception:
        pass
    try:
        pages = list(reader.pages)
    except Exception as exc:
        return found, notes, f"the PDF is damaged: its page list cannot be read ({_why(exc)})"
    damaged = None
    for number, page in enumerate(pages, start=1):
        if all(sum(found[m].values()) >= PAGES_ENOUGH for m in ("invisible-text", "dot-pattern")):
            break
        try:
            text = page.extract_text()
        except Exception as exc:
            damaged = damaged or f"the PDF is damaged: the text of page {number} cannot be read ({_why(exc)})"
            text = ""
        for download_id in set(marks.ids_in_text(text)):
            found["invisible-text"][download_id] += 1
        for download_id in set(marks.visible_ids_in_text(text)):
            found["visible-text"][download_id] += 1
        if sum(found["zero-width"].values()) < PAGES_ENOUGH:
            try:
                ids = marks.zw_ids_in_text(text) + marks.zw_ids_in_text(actual_text(page))
                if not ids:  # a code drawn partly as glyphs, partly as ActualText (after Chinese text)
                    ids = marks.zw_ids_in_text(zero_width_text(page, reader))
                for download_id in set(ids):
                    found["zero-width"][download_id] += 1
            except Exception as exc:
                damaged = damaged or f"the PDF is damaged: the content of page {number} cannot be read ({_why(exc)})"
        if sum(found["dot-pattern"].values()) < PAGES_ENOUGH:
            try:
                for download_id in set(dot_ids_on_page(page, reader)):
                    found["dot-pattern"][download_id] += 1
            except Exception as exc:
                damaged = damaged or f"the PDF is damaged: the drawing of page {number} cannot be read ({_why(exc)})"
    return found, notes, damaged


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:160] if text else type(exc).__name__


_ACTUAL_TEXT_RE = re.compile(rb"/ActualText\s*(?:<([0-9A-Fa-f\s]*)>|\(((?:[^()\\]|\\.)*)\))")


def actual_text(page) -> str:
    """The /ActualText of the marked-content spans in the page's content, joined in order: LibreOffice
    writes each zero-width character of a DOCX as a space glyph carrying the real one as ActualText."""
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    if b"/ActualText" not in data:
        return ""
    parts = []
    for hexa, literal in _ACTUAL_TEXT_RE.findall(data):
        raw = bytes.fromhex("".join(hexa.decode().split())) if hexa else literal
        if raw.startswith(b"\xfe\xff"):
            parts.append(raw[2:].decode("utf-16-be", "replace"))
    return "".join(parts)


_FILL = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}


def _mul(m, n):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _apply(m, x, y):
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def tiny_squares(page, reader, max_size: float = 1.5) -> list[tuple[float, float]]:
    """Centres (in page user space) of every filled square path smaller than `max_size` points,
    following cm, q/Q and form XObjects; rectangles drawn as `re` or as m/l paths both count."""
    from pypdf.generic import ContentStream

    dots: list[tuple[float, float]] = []

    def run(content, resources, ctm, depth):
        stack, subpaths, current = [], [], []
        for operands, op in content.operations:
            if op == b"q":
                stack.append(ctm)
            elif op == b"Q":
                ctm = stack.pop() if stack else ctm
            elif op == b"cm" and len(operands) == 6:
                ctm = _mul(tuple(float(v) for v in operands), ctm)
            elif op == b"re" and len(operands) == 4:
                x, y, w, h = (float(v) for v in operands)
                subpaths.append([_apply(ctm, x, y), _apply(ctm, x + w, y), _apply(ctm, x + w, y + h),
                                 _apply(ctm, x, y + h)])
            elif op == b"m" and len(operands) == 2:
                current = [_apply(ctm, float(operands[0]), float(operands[1]))]
                subpaths.append(current)
            elif op in (b"l", b"c", b"v", b"y") and len(operands) >= 2 and current is not None:
                current.append(_apply(ctm, float(operands[-2]), float(operands[-1])))
            elif op in _FILL or op in (b"n", b"S", b"s"):
                if op in _FILL:
                    for pts in subpaths:
                        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                        w, h = max(xs) - min(xs), max(ys) - min(ys)
                        if 0 < w <= max_size and 0 < h <= max_size and abs(w - h) <= 0.25 * max(w, h):
                            dots.append(((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2))
                subpaths, current = [], []
            elif op == b"Do" and operands and depth < 6:
                xobjects = resources.get("/XObject") if resources is not None else None
                xobj = xobjects.get_object().get(operands[0]) if xobjects is not None else None
                xobj = xobj.get_object() if xobj is not None else None
                if xobj is not None and xobj.get("/Subtype") == "/Form":
                    matrix = tuple(float(v) for v in xobj.get("/Matrix", (1, 0, 0, 1, 0, 0)))
                    inner = xobj.get("/Resources")
                    inner = inner.get_object() if inner is not None else resources
                    run(ContentStream(xobj, reader), inner, _mul(matrix, ctm), depth + 1)

    contents = page.get_contents()
    if contents is not None:
        resources = page.get("/Resources")
        run(contents, resources.get_object() if resources is not None else None, (1, 0, 0, 1, 0, 0), 0)
    return dots


def dot_ids_on_page(page, reader) -> list[str]:
    """Ids decoded from rows of tiny squares on the page (any row direction, any scale)."""
    dots = tiny_squares(page, reader)
    ids = []
    for axis in (0, 1):  # rows along x (pages upright or upside down) or along y (quarter turns)
        rows: dict[int, list[float]] = {}
        for p in dots:
            rows.setdefault(round(p[1 - axis] * 4), []).append(p[axis])
        for positions in rows.values():
            if len(positions) < 26:
                continue
            for ordered in (sorted(positions), sorted(-x for x in positions)):  # read either way
                bits = marks.positions_to_bits(ordered)
                download_id = marks.bits_to_id(bits) if bits else None
                if download_id:
                    ids.append(download_id)
    return ids


# --- DOCX --------------------------------------------------------------------------------------

LIMITS = DEFAULT_LIMITS  # zip entries, unpacked size and ratio: the one set of limits, importers.safety


def _trace_docx(data: bytes) -> tuple[dict[str, Counter], list[str], str | None]:
    found: dict[str, Counter] = {m: Counter() for m in ("invisible-text", "zero-width", "visible-text", "metadata")}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except ZIP_DAMAGE as exc:
        return found, [], f"the DOCX is damaged: it is not a readable ZIP archive ({_why(exc)})"
    try:
        check_zip_limits(infos, "the DOCX", LIMITS)
    except ImportErrorWithContext as exc:
        return found, [], f"the DOCX is not read: {exc.reason}"
    if any(i.flag_bits & 0x1 for i in infos):
        return found, [], "the DOCX is encrypted: it cannot be read"
    names = {i.filename for i in infos}
    damaged = None

    def read(name: str) -> str:
        nonlocal damaged
        try:
            return archive.read(name).decode("utf-8", "replace")
        except ZIP_DAMAGE as exc:
            damaged = damaged or f'the DOCX is damaged: part "{name}" cannot be read ({_why(exc)})'
            return ""

    if "docProps/custom.xml" in names:
        custom = read("docProps/custom.xml")
        m = re.search(r'name="TrustvaultDownloadId"[^>]*>\s*<vt:lpwstr>([^<]*)</vt:lpwstr>', custom)
        if m and DOWNLOAD_ID_RE.match(m.group(1)):
            found["metadata"][m.group(1)] += 1
    for name in sorted(names):
        if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
            xml = read(name)
            # text of runs, joined: the marker and the footer line are single runs, so tags between
            # runs do not split them
            text = " ".join(re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>", xml))
            text += " " + " ".join(re.findall(r'\bstring="([^"]*)"', xml))  # VML text path
            for download_id in marks.ids_in_text(text):
                found["invisible-text"][download_id] += 1
            for download_id in marks.visible_ids_in_text(text):
                found["visible-text"][download_id] += 1
            # joined without a space: a converter may split the code over several runs
            joined = html.unescape("".join(re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>", xml)))
            for download_id in marks.zw_ids_in_text(joined):
                found["zero-width"][download_id] += 1
    return found, [], damaged

