"""Per-download PDF watermark: a visible mark on every page plus hidden copies of the download id.

How it stays fast and small (see docs/watermark.md):

* `prepare_pdf` parses the source once (per content hash, cached) and serialises every object that
  is the same in all copies into one blob, small objects packed into compressed object streams.
  Each page's /Contents becomes [prefix, original..., suffix] and its /Resources gain names for a
  handful of objects whose numbers are reserved but whose content is written per download.
* `PreparedPdf.write` renders the mark once per distinct page size with fpdf2 (font subset, grey
  text, an ExtGState for transparency), wraps each as a shared Form XObject, writes the reserved
  objects and a new cross-reference stream after the blob. No page is re-parsed per download.

The prefix stream draws the id dot pattern *under* the page and opens `q`; the suffix closes the
original content's graphics state with `Q` and draws the mark *over* everything (scanned pages
included), upright whatever the page's /Rotate, inside its CropBox.
"""
from __future__ import annotations

import hashlib
import io
import os
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pypdf.generic import (ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject,
                           TextStringObject)

from importers.sandbox import SandboxError, run_bounded
from vault.watermark import marks
from vault.watermark._pdfcheck import PdfProblem, open_checked
from vault.watermark.base import Recipient, WatermarkError, checked, diagonal_lines, footer_line
from vault.watermark.layout import diagonal_layout

Source = bytes | str | Path | BinaryIO
OBJSTM_BATCH = 200
MAX_OBJECTS = 2_000_000
HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
INFO_KEY = "/TrustvaultDownloadId"
CACHE_BYTES = 256 * 1024 * 1024
PIPE_CHUNK = 256 * 1024  # what inspect_pdf hands the checking child at a time


# --- reading the source --------------------------------------------------------------------------

def read_source(src: Source) -> bytes:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    if isinstance(src, (str, Path)):
        return Path(src).read_bytes()
    return src.read()


@dataclass(frozen=True)
class PdfInfo:
    pages: int | None
    encrypted: bool = False
    broken_reason: str | None = None

    # The names vault.documents.validation.PdfReport used, so callers can switch without edits.
    @property
    def broken(self) -> bool:
        return self.broken_reason is not None

    @property
    def problem(self) -> str:
        return self.broken_reason or ""


def inspect_pdf(src: Source, *, timeout: float = 60.0) -> PdfInfo:
    """Encrypted / broken / page count, from the same checks `watermark_pdf` runs, in a child process
    with a memory limit and a timeout (a crafted PDF can exhaust both).

    Bytes or an open file (read from its current position, such as an encrypted temporary file) go
    to the child through a pipe, a piece at a time, so no plaintext copy is written to disk."""
    if isinstance(src, (str, Path)):
        with open(src, "rb") as fh:
            return _run_pdfcheck(Path(src).stat().st_size, iter(lambda: fh.read(PIPE_CHUNK), b""), timeout)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return _run_pdfcheck(len(src), src, timeout)
    try:
        start = src.tell()
        size = src.seek(0, os.SEEK_END) - start
        src.seek(start)
    except (AttributeError, OSError, ValueError):  # not seekable: hold it (the child holds it anyway)
        data = read_source(src)
        return _run_pdfcheck(len(data), data, timeout)
    return _run_pdfcheck(size, iter(lambda: src.read(PIPE_CHUNK), b""), timeout)


_PDFCHECK = f"{Path(__file__).with_name('_pdfcheck.py')}:check"  # by path: no vault (Flask) import in the child


def _run_pdfcheck(size: int, data, timeout: float) -> PdfInfo:
    limit = 768 * 1024 * 1024 + 3 * size  # pypdf holds the whole file in memory
    try:
        result = run_bounded(_PDFCHECK, data, {}, memory_bytes=limit, seconds=timeout)
    except SandboxError as exc:
        if exc.kind == "timeout":
            return PdfInfo(None, broken_reason=f"it takes longer than {int(timeout)} seconds to open")
        if exc.kind == "memory":
            return PdfInfo(None, broken_reason="it needs too much memory to open")
        return PdfInfo(None, broken_reason=f"the reader stopped ({exc.detail})")
    if "encrypted" in result:
        return PdfInfo(None, encrypted=True)
    if "pages" in result:
        return PdfInfo(int(result["pages"]))
    return PdfInfo(None, broken_reason=result.get("broken") or "the reader stopped")


def _refusal(problem: PdfProblem) -> WatermarkError:
    if problem.kind == "encrypted":
        return WatermarkError("The PDF is encrypted or password-protected, so it cannot be watermarked. "
                              "Upload an unprotected copy.")
    return WatermarkError(f"The PDF cannot be read ({problem.reason}), so it cannot be watermarked. "
                          "It may be damaged or incomplete; export it again and upload it.")


# --- serialisation helpers -----------------------------------------------------------------------

def _ser(obj) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf)
    return buf.getvalue()


def _stream_obj(num: int, dict_body: bytes, data: bytes, gen: int = 0) -> bytes:
    return (b"%d %d obj\n<<%s/Length %d>>\nstream\n" % (num, gen, dict_body, len(data))) + data + b"\nendstream\nendobj\n"


def _num(x: float) -> bytes:
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()


def _refs_in(obj):
    """Indirect references inside a (direct) object, without resolving anything."""
    todo = [obj]
    while todo:
        o = todo.pop()
        if isinstance(o, IndirectObject):
            yield o
        elif isinstance(o, dict):
            todo.extend(dict.values(o))
        elif isinstance(o, list):
            todo.extend(list.__iter__(o))


# --- geometry ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Geometry:
    box: tuple[float, float, float, float]  # visible box in user space: CropBox clipped to MediaBox
    rotation: int  # 0, 90, 180 or 270 (clockwise, as /Rotate)

    @property
    def size(self) -> tuple[float, float]:
        """Width and height as the reader sees the page."""
        w, h = self.box[2] - self.box[0], self.box[3] - self.box[1]
        return (round(w, 2), round(h, 2)) if self.rotation in (0, 180) else (round(h, 2), round(w, 2))

    @property
    def matrix(self) -> tuple[float, ...]:
        """Maps upright display coordinates (origin bottom-left of what the reader sees) to user space."""
        x0, y0, x1, y1 = self.box
        return {0: (1, 0, 0, 1, x0, y0), 90: (0, 1, -1, 0, x1, y0),
                180: (-1, 0, 0, -1, x1, y1), 270: (0, -1, 1, 0, x0, y1)}[self.rotation]

    def cm(self) -> bytes:
        return b" ".join(_num(v) for v in self.matrix) + b" cm"


def _rect(value) -> tuple[float, float, float, float] | None:
    try:
        a, b, c, d = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    x0, x1, y0, y1 = min(a, c), max(a, c), min(b, d), max(b, d)
    return (x0, y0, x1, y1) if x1 - x0 >= 1 and y1 - y0 >= 1 else None


def page_geometry(page) -> Geometry:
    media = _rect(page.mediabox)
    crop = _rect(page.cropbox) if "/CropBox" in page else None
    box = media
    if crop and media:
        inter = (max(crop[0], media[0]), max(crop[1], media[1]), min(crop[2], media[2]), min(crop[3], media[3]))
        if inter[2] - inter[0] >= 1 and inter[3] - inter[1] >= 1:
            box = inter
    try:
        rotation = int(page.get("/Rotate", 0) or 0) % 360
    except (TypeError, ValueError):
        rotation = 0
    if rotation % 90:
        rotation = 0  # not allowed by the spec; viewers show such pages unrotated
    return Geometry(tuple(round(v, 3) for v in box), rotation)


# --- the prepared document -----------------------------------------------------------------------

@dataclass
class PreparedPdf:
    blob: bytes  # the unchanging objects, serialised
    xref: dict[int, tuple[int, int, int]]  # num -> (1, offset in blob, gen) or (2, objstm num, index)
    root: bytes  # b"n g R"
    info: bytes  # serialised entries of the source's Info dictionary (without << >>)
    sizes: list[tuple[float, float]]  # distinct display sizes: one mark and one dot pattern each
    geometries: list[tuple[Geometry, int]]  # distinct geometries and their size index
    reserved: dict[str, int]  # "font", "mark{k}", "dots{k}", "suffix{g}" -> object number
    next_num: int
    names: dict[str, str]  # resource names used in the streams: "font", "mark", "dots" prefixes
    pages: int

    def write(self, dst: BinaryIO, recipient: Recipient) -> int:
        """Write one watermarked copy for `recipient`; returns the number of bytes written."""
        r = checked(recipient)
        parts: list[bytes] = [HEADER]
        pos = len(HEADER)
        entries = {num: (t, (off + pos) if t == 1 else off, g) for num, (t, off, g) in self.xref.items()}
        parts.append(self.blob)
        pos += len(self.blob)

        def add(num: int, data: bytes) -> None:
            nonlocal pos
            entries[num] = (1, pos, 0)
            parts.append(data)
            pos += len(data)

        n = self.names
        add(self.reserved["font"], b"%d 0 obj\n<</Type/Font/Subtype/Type1/BaseFont/Helvetica"
                                    b"/Encoding/WinAnsiEncoding>>\nendobj\n" % self.reserved["font"])
        next_num = self.next_num
        mark_objects, next_num = _render_marks(r, self.sizes, next_num)
        for k, (form_dict, content, extra) in enumerate(mark_objects):
            add(self.reserved[f"mark{k}"], _stream_obj(self.reserved[f"mark{k}"], form_dict, content))
            for num, data in extra:
                add(num, data)
        bits = marks.id_bits(r.download_id)
        for k, size in enumerate(self.sizes):
            data = zlib.compress(_dots_content(size, bits))
            w, h = size
            add(self.reserved[f"dots{k}"], _stream_obj(
                self.reserved[f"dots{k}"], b"/Type/XObject/Subtype/Form/BBox[0 0 %s %s]/Resources<<>>"
                b"/Filter/FlateDecode" % (_num(w), _num(h)), data))
        marker = marks.text_marker(r.download_id).encode("ascii")
        for g, (geom, k) in enumerate(self.geometries):
            # Closes the q the prefix opened, so nothing the page set (a clip, a CTM) applies to the mark.
            # /Artifact: screen readers of tagged PDFs skip it; text extraction still sees it.
            content = (b"\nQ /Artifact BMC q %s /%s%d Do BT /%s 4 Tf 3 Tr 1 0 0 1 2 2 Tm (%s) Tj ET Q EMC\n"
                       % (geom.cm(), n["mark"].encode(), k, n["font"].encode(), marker))
            add(self.reserved[f"suffix{g}"], _stream_obj(self.reserved[f"suffix{g}"], b"", content))
        info_num = next_num
        info = self.info + b"/%s %s" % (INFO_KEY[1:].encode(), _ser(TextStringObject(r.download_id)))
        add(info_num, b"%d 0 obj\n<<%s>>\nendobj\n" % (info_num, info))
        xref_num = info_num + 1
        size = xref_num + 1
        rows = bytearray()
        for num in range(size):
            t, a, b = entries.get(num, (0, 0, 0 if num else 65535))
            if num == xref_num:
                t, a, b = 1, pos, 0
            rows += bytes([t]) + a.to_bytes(4, "big") + b.to_bytes(2, "big")
        # The first file identifier carries the id: many tools keep /ID[0] when they re-save a file.
        file_id = r.download_id.encode().hex().encode()
        second = hashlib.md5(r.download_id.encode() + self.blob[:64]).hexdigest().encode()
        data = zlib.compress(bytes(rows))
        parts.append(_stream_obj(xref_num, b"/Type/XRef/Size %d/W[1 4 2]/Root %s/Info %d 0 R/ID[<%s><%s>]"
                                 b"/Filter/FlateDecode" % (size, self.root, info_num, file_id, second), data))
        parts.append(b"startxref\n%d\n%%%%EOF\n" % pos)
        out = b"".join(parts)
        dst.write(out)
        return len(out)


def prepare_pdf(src: Source) -> PreparedPdf:
    """Parse and check the source once; cached by content (the same version is downloaded often)."""
    data = read_source(src)
    key = hashlib.sha256(data).digest()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:  # twenty simultaneous first downloads prepare once
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
        prepared = _prepare(data)
        with _cache_lock:
            _cache[key] = prepared
            _key_locks.pop(key, None)
            while sum(len(p.blob) for p in _cache.values()) > CACHE_BYTES and len(_cache) > 1:
                _cache.popitem(last=False)
        return prepared


_cache: OrderedDict[bytes, PreparedPdf] = OrderedDict()
_cache_lock = threading.Lock()
_key_locks: dict[bytes, threading.Lock] = {}


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def watermark_pdf(src: Source, dst: BinaryIO, recipient: Recipient) -> None:
    """Write a copy of `src` to `dst`, marked for `recipient` on every page; WatermarkError if the
    PDF is encrypted or cannot be read (nothing is written then)."""
    prepare_pdf(src).write(dst, recipient)


def _free_prefix(resource_dicts: list[DictionaryObject]) -> str:
    used: set[str] = set()
    for d in resource_dicts:
        used.update(str(k) for k in dict.keys(d))
    for i in range(1000):
        prefix = "TV" + (str(i) if i else "")
        if not any(u.startswith("/" + prefix) for u in used):
            return prefix
    raise WatermarkError("The PDF uses too many resource names to add a watermark.")


def _prepare(data: bytes) -> PreparedPdf:
    try:
        reader = open_checked(data)
    except PdfProblem as problem:
        raise _refusal(problem) from None
    try:
        return _prepare_reader(reader)
    except WatermarkError:
        raise
    except Exception as exc:  # a damaged object somewhere past the page checks
        raise WatermarkError(f"The PDF cannot be read ({type(exc).__name__}: {str(exc)[:150]}), so it cannot be "
                             "watermarked. It may be damaged; export it again and upload it.") from exc


def _prepare_reader(reader) -> PreparedPdf:
    pages = list(reader.pages)
    highest = max([n for table in reader.xref.values() for n in table] + list(reader.xref_objStm) + [0])
    next_num = highest + 1

    # distinct geometries and sizes
    geometries: dict[Geometry, int] = {}
    sizes: dict[tuple[float, float], int] = {}
    page_geom: list[int] = []
    for page in pages:
        geom = page_geometry(page)
        sizes.setdefault(geom.size, len(sizes))
        page_geom.append(geometries.setdefault(geom, len(geometries)))
    geometry_list = [(g, sizes[g.size]) for g in geometries]

    reserved: dict[str, int] = {}
    for name in ["font"] + [f"mark{k}" for k in range(len(sizes))] + [f"dots{k}" for k in range(len(sizes))] \
            + [f"suffix{g}" for g in range(len(geometries))] + [f"prefix{g}" for g in range(len(geometries))]:
        reserved[name] = next_num
        next_num += 1

    # the resource dictionaries to extend, resolved once (shared ones appear once)
    page_resources = []
    for page in pages:
        res = page.get("/Resources")
        res = res.get_object() if res is not None else None
        if not isinstance(res, DictionaryObject):
            res = DictionaryObject()
            page[NameObject("/Resources")] = res
        page_resources.append(res)
    subdicts = []
    for res in {id(r): r for r in page_resources}.values():
        for key in ("/XObject", "/Font"):
            sub = res.get(key)
            sub = sub.get_object() if sub is not None else None
            if not isinstance(sub, DictionaryObject):
                sub = DictionaryObject()
                res[NameObject(key)] = sub
            subdicts.append(sub)
    prefix = _free_prefix(subdicts)
    names = {"font": prefix + "f", "mark": prefix + "m", "dots": prefix + "d"}

    ref = lambda num: IndirectObject(num, 0, reader)  # noqa: E731 - serialises as "num 0 R"
    for page, res, g in zip(pages, page_resources, page_geom):
        k = geometry_list[g][1]
        xobjects, fonts = res["/XObject"].get_object(), res["/Font"].get_object()
        xobjects[NameObject(f"/{names['mark']}{k}")] = ref(reserved[f"mark{k}"])
        xobjects[NameObject(f"/{names['dots']}{k}")] = ref(reserved[f"dots{k}"])
        fonts[NameObject("/" + names["font"])] = ref(reserved["font"])
        raw = page.raw_get("/Contents") if "/Contents" in page else None
        contents = raw.get_object() if raw is not None else None
        items: list = []
        if isinstance(contents, ArrayObject):
            items = [c for c in list.__iter__(contents) if isinstance(c, IndirectObject)]
        elif isinstance(raw, IndirectObject) and isinstance(contents, StreamObject):
            items = [raw]
        page[NameObject("/Contents")] = ArrayObject([ref(reserved[f"prefix{g}"]), *items, ref(reserved[f"suffix{g}"])])

    # every object reachable from the catalogue, pages taken from the flattened (inherited) copies
    override = {page.indirect_reference.idnum: page for page in pages}
    reserved_nums = set(reserved.values())
    root_ref = reader.trailer.raw_get("/Root")
    if not isinstance(root_ref, IndirectObject):
        raise WatermarkError("The PDF cannot be read (its catalogue is not an object), so it cannot be watermarked.")
    objects: dict[int, tuple[int, object]] = {}
    todo = [root_ref]
    while todo:
        r = todo.pop()
        num = r.idnum
        if num in objects or num in reserved_nums:
            continue
        obj = override.get(num)
        if obj is None:
            obj = reader.get_object(r)
        if obj is None:
            continue
        objects[num] = (r.generation, obj)
        if len(objects) > MAX_OBJECTS:
            raise WatermarkError("The PDF has too many objects to be watermarked.")
        todo.extend(_refs_in(obj))

    # prefix streams (same in every copy): draw the dot pattern under the page, then open q
    prefix_data = {}
    for g, (geom, k) in enumerate(geometry_list):
        prefix_data[reserved[f"prefix{g}"]] = b"q %s /%s%d Do Q q\n" % (geom.cm(), names["dots"].encode(), k)

    blob = io.BytesIO()
    xref: dict[int, tuple[int, int, int]] = {}
    batch: list[tuple[int, bytes]] = []

    def flush() -> None:
        nonlocal next_num
        if not batch:
            return
        num = next_num
        next_num += 1
        header, body, off = [], [], 0
        for i, (n, data) in enumerate(batch):
            header.append(b"%d %d" % (n, off))
            body.append(data)
            off += len(data) + 1
            xref[n] = (2, num, i)
        head = b" ".join(header) + b"\n"
        stream = zlib.compress(head + b"\n".join(body), 6)
        xref[num] = (1, blob.tell(), 0)
        blob.write(_stream_obj(num, b"/Type/ObjStm/N %d/First %d/Filter/FlateDecode" % (len(batch), len(head)),
                               stream))
        batch.clear()

    for num in sorted(objects):
        gen, obj = objects[num]
        if isinstance(obj, StreamObject) or gen != 0:
            xref[num] = (1, blob.tell(), gen)
            blob.write(b"%d %d obj\n" % (num, gen) + _ser(obj) + b"\nendobj\n")
        else:
            batch.append((num, _ser(obj)))
            if len(batch) >= OBJSTM_BATCH:
                flush()
    flush()
    for num, content in prefix_data.items():
        xref[num] = (1, blob.tell(), 0)
        blob.write(_stream_obj(num, b"", content))

    info = b""
    info_obj = reader.trailer.get("/Info")
    info_obj = info_obj.get_object() if info_obj is not None else None
    if isinstance(info_obj, DictionaryObject):
        for key, value in info_obj.items():
            value = value.get_object() if value is not None else None
            if key != INFO_KEY and value is not None and not isinstance(value, (DictionaryObject, ArrayObject)):
                info += _ser(NameObject(key)) + b" " + _ser(value)
    return PreparedPdf(blob.getvalue(), xref, b"%d %d R" % (root_ref.idnum, root_ref.generation), info,
                       list(sizes), geometry_list, reserved, next_num, names, len(pages))


# --- the marks -----------------------------------------------------------------------------------

def _dots_content(size: tuple[float, float], bits: list[int]) -> bytes:
    """A row of tiny light-grey squares near the top edge; the position in each cell is one bit."""
    w, h = size
    margin = w * 0.08
    length = w - 2 * margin
    pitch = length / (len(bits) - 1)
    dot = max(0.05, min(0.6, pitch * 0.25))
    y = h - min(6.0, h * 0.02) - dot
    out = [b"0.8 g"]
    for x in marks.dot_positions(len(bits), bits, margin, length):
        out.append(b"%s %s %s %s re" % (_num(x - dot / 2), _num(y), _num(dot), _num(dot)))
    out.append(b"f")
    return b"\n".join(out) + b"\n"


def _needs_unicode_font(texts: list[str]) -> bool:
    try:
        for t in texts:
            t.encode("cp1252")
        return False
    except UnicodeEncodeError:
        return True


def _render_marks(r: Recipient, sizes: list[tuple[float, float]], next_num: int):
    """One Form XObject per display size, from an fpdf2 document with one page per size.

    Returns ([(form dict body, compressed content, [(num, object bytes)...])...], next free number).
    The fonts and graphics states are shared between the forms (fpdf2 writes them once).
    """
    from fpdf import FPDF
    from pypdf import PdfReader

    footer = footer_line(r)
    lines = diagonal_lines(r)
    pdf = FPDF(unit="pt")
    pdf.core_fonts_encoding = "windows-1252"  # WinAnsi: the em dash and middle dot of the mark
    pdf.set_compression(True)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0  # _text: no cell padding, so x is where the text starts
    family = "helvetica"
    if _needs_unicode_font([footer, *lines]):
        family = _add_unicode_fonts(pdf, footer)
    for w, h in sizes:
        pdf.add_page(format=(w, h))
        pdf.set_font(family, size=10)
        layout = diagonal_layout(w, h, [pdf.get_string_width(t) / 10 for t in lines])
        with pdf.local_context(fill_opacity=0.3, stroke_opacity=0.3):
            pdf.set_text_color(110, 110, 110)
            pdf.set_font(family, size=layout.size)
            with pdf.rotation(layout.angle, x=w / 2, y=h / 2):
                for text, (x, y) in zip(lines, layout.starts):
                    _text(pdf, x, y, text)
        pdf.set_font(family, size=10)
        fsize = max(0.5, min(6.5, 0.94 * w / ((pdf.get_string_width(footer) / 10) or 1)))
        with pdf.local_context(fill_opacity=0.85, stroke_opacity=0.85):
            pdf.set_text_color(90, 90, 90)
            pdf.set_font(family, size=fsize)
            base = h - max(fsize * 0.5, min(8.0, h * 0.012))
            _text(pdf, w / 2 - pdf.get_string_width(footer) / 2, base, footer)
    mark = PdfReader(io.BytesIO(bytes(pdf.output())))
    # renumber every object the pages' resources need into our numbering
    mapping: dict[int, int] = {}
    order: list[int] = []
    todo = []
    forms = []
    for page in mark.pages:
        res = page.get("/Resources").get_object()
        todo.extend(_refs_in(res))
        forms.append((page, res))
    while todo:
        ref = todo.pop()
        if ref.idnum in mapping:
            continue
        mapping[ref.idnum] = next_num
        order.append(ref.idnum)
        next_num += 1
        todo.extend(_refs_in(mark.get_object(ref)))

    def remap(o):
        if isinstance(o, IndirectObject):
            return IndirectObject(mapping[o.idnum], 0, None)
        if isinstance(o, dict):
            for key, value in list(dict.items(o)):
                dict.__setitem__(o, key, remap(value))
        elif isinstance(o, list):
            for i, value in enumerate(list.__iter__(o)):
                list.__setitem__(o, i, remap(value))
        return o

    resources: dict[int, bytes] = {}
    for _page, res in forms:
        if id(res) not in resources:  # fpdf2 shares one resource dictionary between its pages
            resources[id(res)] = _ser(remap(res))
    extra = []
    for old in order:
        obj = remap(mark.get_object(old))
        extra.append((mapping[old], b"%d 0 obj\n" % mapping[old] + _ser(obj) + b"\nendobj\n"))
    result = []
    for k, (page, res) in enumerate(forms):
        w, h = sizes[k]
        content = page["/Contents"].get_object()
        data, filt = content._data, content.get("/Filter")
        if filt != "/FlateDecode":
            data = zlib.compress(content.get_data())
        res_bytes = resources[id(res)]
        form = b"/Type/XObject/Subtype/Form/BBox[0 0 %s %s]/Resources %s/Filter/FlateDecode" % (
            _num(w), _num(h), res_bytes)
        result.append((form, data, extra if k == 0 else []))
    return result, next_num


def _text(pdf, x: float, baseline: float, text: str) -> None:
    """`text` with its left end at x on `baseline`, like pdf.text(), but through cell(), which switches to a
    fallback font for each character the current font lacks (and orders right-to-left runs)."""
    # Not set_xy: fpdf2 reads a negative x as "from the right edge", and a diagonal line wider than
    # the page starts left of 0 before it is rotated (the third line was drawn off the top-right corner).
    pdf.x, pdf.y = x, baseline - 0.3 * pdf.font_size  # cell() puts the baseline 0.5 h + 0.3 size below y
    pdf.cell(h=0, text=text)


def _add_unicode_fonts(pdf, text: str) -> str:
    from vault.watermark.fonts import fallback_fonts, find_cjk_font, font_chars, mini_font

    path = find_cjk_font()
    if path is None:
        raise WatermarkError("The recipient's name needs a Unicode font (for Chinese text: Noto Sans CJK or WenQuanYi "
                             "Micro Hei) and none is installed; install fonts-noto-cjk or set VAULT_CJK_FONT.")
    font, covered = mini_font(path, text)
    pdf.add_font("tvcjk", fname=str(font))
    missing = {ch for ch in text if ch not in covered and not ch.isspace()}
    families = []
    for fallback in fallback_fonts(path) if missing else ():
        wanted = "".join(sorted(missing & font_chars(fallback)))
        if not wanted:
            continue
        family = f"tvfallback{len(families)}"
        font, covered = mini_font(fallback, wanted)
        pdf.add_font(family, fname=str(font))
        families.append(family)
        missing -= covered
        if not missing:
            break
    if families:  # drawn with cell(): fpdf2's text() ignores fallback fonts
        pdf.set_fallback_fonts(families)
    return "tvcjk"
