"""The common-characters pre-cut of a CJK font: cut once per font file, kept on disk, copied from per name.

Cutting a subset of the 19 MB Noto CJK collection with the fontTools subsetter costs 0.25-0.5 s (0.15 s
for WenQuanYi), and a burst of downloads by new Chinese names paid it once per name, one after another.
Instead each font file is cut once to the characters of GB2312 (the 6,763 common hanzi, its symbols, kana
and full-width forms) plus Latin, general and CJK punctuation; outlines are normalised to TrueType without
hinting (Noto's CFF is converted), and the result is cached on disk, where every process finds it.
A name's font is then built by copying the raw glyph records of its characters out of that pre-cut
(~2 ms). fpdf2 subsets again when it writes, so a PDF embeds only the glyphs it shows.

Cache directory: `configure(cache_dir=...)`, else `VAULT_FONT_CACHE_DIR`, else
`$VAULT_INSTANCE_PATH/cache/fonts`, else `$XDG_CACHE_HOME/trustvault/fonts` (`~/.cache/...`). If it cannot
be written the pre-cut is kept in memory only. `configure(enabled=False)` or `VAULT_FONT_PRECUT=0` turns the
pre-cut off (every new set of characters is cut from the font file, as before).
`python -m vault.watermark.precut` builds it ahead, e.g. at deploy time.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import io
import logging
import os
import re
import struct
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from vault import cachedir
from vault.watermark.fontfiles import collection_index, find_cjk_font

log = logging.getLogger(__name__)

# Bump when the pre-cut's content or format changes: old files are then ignored and replaced.
PRECUT_VERSION = 1
MAGIC = b"TVPRECUT\n"
SUFFIX = ".tvfont"
_EXTRA_RANGES = ((0x20, 0x7F), (0xA0, 0x180), (0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0))
_SMALL_TABLES = ("head", "hhea", "OS/2", "name", "maxp")
_KEEP = object()
_settings: dict = {"cache_dir": None, "enabled": None}


# --- settings ------------------------------------------------------------------------------------

def configure(*, cache_dir: str | Path | None = _KEEP, enabled: bool | None = _KEEP) -> None:  # type: ignore
    """Set the cache directory and/or switch the pre-cut on or off; None goes back to the default."""
    if cache_dir is not _KEEP:
        _settings["cache_dir"] = Path(cache_dir) if cache_dir is not None else None
    if enabled is not _KEEP:
        _settings["enabled"] = enabled


def enabled() -> bool:
    if _settings["enabled"] is not None:
        return bool(_settings["enabled"])
    return os.environ.get("VAULT_FONT_PRECUT", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_dir() -> Path | None:
    """Where pre-cuts are kept; None: nowhere (memory only)."""
    if _settings["cache_dir"] is not None:
        return _settings["cache_dir"]
    return cachedir.cache_dir("fonts", "VAULT_FONT_CACHE_DIR")


@functools.lru_cache(maxsize=1)
def common_chars() -> frozenset[str]:
    """GB2312 (all 7,445 characters: 6,763 hanzi, symbols, kana, full-width forms) plus Latin and punctuation."""
    chars = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for start, stop in _EXTRA_RANGES:
        chars.update(chr(c) for c in range(start, stop))
    return frozenset(chars)


# --- the in-memory template ----------------------------------------------------------------------

class Template:
    """A loaded pre-cut: raw glyph records and metrics by glyph name, read-only once built (thread-safe)."""

    def __init__(self, data: bytes):
        from fontTools.ttLib import TTFont

        font = TTFont(io.BytesIO(data), lazy=True, recalcTimestamp=False)
        if "glyf" not in font or "loca" not in font:
            raise ValueError("the pre-cut has no TrueType outlines")
        self.order = font.getGlyphOrder()
        raw = font.reader["glyf"]
        loca = list(font["loca"])
        if len(loca) != len(self.order) + 1 or loca[-1] > len(raw):
            raise ValueError("the pre-cut's glyph table is truncated")
        self.raw = {name: raw[loca[i]:loca[i + 1]] for i, name in enumerate(self.order)}
        self.metrics = dict(font["hmtx"].metrics)
        self.cmap = dict(font.getBestCmap() or {})
        self.covered = frozenset(chr(c) for c in self.cmap)
        self.tables = {tag: font[tag] for tag in _SMALL_TABLES}
        post = font["post"]
        self.post = {k: getattr(post, k) for k in ("italicAngle", "underlinePosition", "underlineThickness",
                                                     "isFixedPitch")}
        self.upem = font["head"].unitsPerEm
        # what Glyph.expand needs to name the components of a composite glyph
        self._names = SimpleNamespace(getGlyphName=self.order.__getitem__, extended=False)

    def cut(self, chars) -> tuple[bytes, frozenset[str]]:
        """A TrueType font with only the glyphs of `chars` (those the pre-cut has), and the characters it covers."""
        from fontTools.ttLib.tables._g_l_y_f import Glyph

        cmap = {ord(ch): self.cmap[ord(ch)] for ch in chars if ord(ch) in self.cmap}
        glyphs: dict[str, Glyph] = {}
        todo = [".notdef", *cmap.values()]
        while todo:
            name = todo.pop()
            if name in glyphs:
                continue
            data = self.raw[name]
            glyph = glyphs[name] = Glyph(data)
            if len(data) >= 2 and struct.unpack(">h", data[:2])[0] < 0:  # composite: renumber its components
                glyph.expand(self._names)
                todo.extend(c.glyphName for c in glyph.components)
        font = _assemble(self.upem, glyphs, cmap, self.metrics, self.tables, self.post)
        out = io.BytesIO()
        font.save(out)
        return out.getvalue(), frozenset(chr(c) for c in cmap)


class Face:
    """The whole font file, opened lazily once per process: glyphs for characters outside the pre-cut (堃, 𠮷...),
    converted to TrueType one at a time (well under 1 ms each) instead of running the subsetter (0.15-0.5 s).
    Opening it reads the cmap and metrics only (~0.1 s for Noto). Thread-safe: reads are serialised."""

    def __init__(self, path: Path, font_number: int = 0):
        from fontTools.ttLib import TTFont

        self._font = font = TTFont(str(path), fontNumber=font_number, lazy=True, recalcTimestamp=False)
        self.cmap = dict(font.getBestCmap() or {})
        self._glyf = font["glyf"] if "glyf" in font else None
        self._glyph_set = font.getGlyphSet() if self._glyf is None else None
        self._hmtx = font["hmtx"]
        self.upem = font["head"].unitsPerEm
        self.tables = {tag: copy.deepcopy(font[tag]) for tag in _SMALL_TABLES}
        self.tables["name"].names = [n for n in self.tables["name"].names if 1 <= n.nameID <= 6]
        _truetype_maxp(self.tables["maxp"])  # recalculated per cut from the glyphs it holds
        post = font["post"]
        self.post = {k: getattr(post, k) for k in ("italicAngle", "underlinePosition", "underlineThickness",
                                                     "isFixedPitch")}
        self._lock = threading.Lock()
        self._simple: dict[str, bytes] = {}  # glyph name -> compiled record (bounds included)
        self._composite: dict[str, object] = {}  # glyph name -> Glyph with component names (TrueType fonts)

    def _load(self, name: str) -> list[str]:
        """Convert glyph `name` once; the names of its components (caller holds the lock)."""
        if name in self._simple:
            return []
        if name in self._composite:
            return [c.glyphName for c in self._composite[name].components]
        if self._glyf is None:  # CFF: quadratic outlines, as the pre-cut has
            from fontTools.pens.cu2quPen import Cu2QuPen
            from fontTools.pens.ttGlyphPen import TTGlyphPen

            pen = TTGlyphPen(None)
            self._glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
            glyph = pen.glyph()
        else:
            glyph = copy.deepcopy(self._glyf[name])
            glyph.removeHinting()  # the cut has no fpgm/prep/cvt for instructions to call
        if glyph.isComposite():
            self._composite[name] = glyph
            return [c.glyphName for c in glyph.components]
        self._simple[name] = glyph.compile(None, recalcBBoxes=True) if glyph.numberOfContours else b""
        return []

    def cut(self, chars) -> tuple[bytes, frozenset[str]]:
        """A TrueType font with the glyphs of `chars` (those the font has), and the characters it covers."""
        from fontTools.ttLib.tables._g_l_y_f import Glyph

        cmap = {ord(ch): self.cmap[ord(ch)] for ch in chars if ord(ch) in self.cmap}
        glyphs: dict[str, Glyph] = {}
        with self._lock:
            todo = [".notdef", *cmap.values()]
            while todo:
                name = todo.pop()
                if name not in glyphs:
                    todo.extend(self._load(name))
                    glyphs[name] = (copy.deepcopy(self._composite[name]) if name in self._composite
                                    else Glyph(self._simple[name]))
            metrics = {n: self._hmtx[n] for n in glyphs}
        font = _assemble(self.upem, glyphs, cmap, metrics, self.tables, self.post)
        font["maxp"].recalc(font)  # the copied maxp is the whole font's, or zeros for a converted CFF font
        out = io.BytesIO()
        font.save(out)
        return out.getvalue(), frozenset(chr(c) for c in cmap)


def _assemble(upem: int, glyphs: dict, cmap: dict, metrics: dict, tables: dict, post: dict):
    """A TTFont of `glyphs` (records copied as they are, bounding boxes included) and copies of `tables`."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.ttLib import newTable

    order = [".notdef", *sorted(n for n in glyphs if n != ".notdef")]
    builder = FontBuilder(upem, isTTF=True)
    font = builder.font
    font.recalcBBoxes = False
    builder.setupGlyphOrder(order)
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphs, glyf.glyphOrder = glyphs, order
    builder.setupCharacterMap(cmap)
    builder.setupHorizontalMetrics({n: metrics[n] for n in order})
    for tag in _SMALL_TABLES:  # small; copied because compiling a font updates them
        font[tag] = copy.deepcopy(tables[tag])
    builder.setupPost(**post)
    return font


# --- building, storing, loading ------------------------------------------------------------------

def build(path: Path, font_number: int = 0) -> bytes:
    """The pre-cut of one face of `path`, as TrueType bytes (1-6 s, once per font file)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=font_number, lazy=True, recalcTimestamp=False)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[], hinting=False,
                             glyph_names=True, desubroutinize=True, name_IDs=[1, 2, 3, 4, 5, 6])
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "FFTM", "gasp", "kern"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in common_chars()])
    subsetter.subset(font)
    if "glyf" not in font:
        to_truetype(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def to_truetype(font) -> None:
    """CFF outlines (Noto CJK) to quadratic glyf outlines, so one copier serves every font."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    for tag in ("CFF ", "CFF2", "VORG"):
        if tag in font:
            del font[tag]
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    _truetype_maxp(font["maxp"])
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    font.sfntVersion = "\x00\x01\x00\x00"


def _truetype_maxp(maxp) -> None:
    """maxp as TrueType (1.0) with no hinting limits; the point and contour counts are recalculated on save."""
    if maxp.tableVersion == 0x00010000:
        return
    maxp.tableVersion = 0x00010000
    for attr in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxTwilightPoints",
                 "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                 "maxComponentElements", "maxComponentDepth"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1


def cache_key(path: Path, font_number: int = 0) -> str:
    """Changes when the font file (path, size, mtime), the face, the character set or PRECUT_VERSION does."""
    stat = path.stat()
    ident = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{font_number}|{PRECUT_VERSION}|{_charset_digest()}"
    return hashlib.sha256(ident.encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def _charset_digest() -> str:
    return hashlib.sha256("".join(sorted(common_chars())).encode()).hexdigest()[:16]


def cache_file(path: Path, font_number: int, key: str, directory: Path) -> Path:
    return directory / f"{_prefix(path, font_number)}-{key[:16]}{SUFFIX}"


def _prefix(path: Path, font_number: int) -> str:
    where = hashlib.sha256(f"{path.resolve()}|{font_number}".encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', path.stem)[:40]}-{where}"


def _read(file: Path, key: str) -> bytes | None:
    """The font bytes of a cache file, or None if it is missing, for another key, truncated or corrupt."""
    try:
        blob = file.read_bytes()
    except OSError:
        return None
    head = MAGIC + key.encode() + b"\n"
    if not blob.startswith(head) or len(blob) < len(head) + 32:
        return None
    digest, data = blob[len(head):len(head) + 32], blob[len(head) + 32:]
    return data if hashlib.sha256(data).digest() == digest else None


def _write(file: Path, key: str, data: bytes) -> None:
    """Atomically: a reader sees the old file, no file, or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + key.encode() + b"\n" + hashlib.sha256(data).digest() + data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _FileLock:
    """An exclusive flock, so processes starting together build the pre-cut once (no-op without fcntl)."""

    def __init__(self, file: Path):
        self.file, self.fd = file, None

    def __enter__(self):
        try:
            import fcntl
            self.fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except (ImportError, OSError):
            if self.fd is not None:
                os.close(self.fd)
            self.fd = None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock


def _remove_stale(directory: Path, prefix: str, keep: Path) -> None:
    """Pre-cuts of an older version of the same font, and temporary files of builds that died."""
    for old in directory.glob(f"{prefix}-*{SUFFIX}"):
        if old != keep:
            old.unlink(missing_ok=True)
    for tmp in directory.glob(f".{prefix}-*.tmp"):
        try:
            if time.time() - tmp.stat().st_mtime > 600:
                tmp.unlink(missing_ok=True)
        except OSError:
            pass


def _load_or_build(path: Path, font_number: int, key: str) -> Template:
    directory = cache_dir()
    if directory is None:
        return Template(build(path, font_number))
    file = cache_file(path, font_number, key, directory)
    template = _template_from(file, key)
    if template is not None:
        return template
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("font cache %s cannot be created (%s): the pre-cut is kept in memory only", directory, exc)
        return Template(build(path, font_number))
    with _FileLock(directory / f"{_prefix(path, font_number)}.lock"):
        template = _template_from(file, key)  # another process may have built it while we waited
        if template is not None:
            return template
        start = time.perf_counter()
        data = build(path, font_number)
        template = Template(data)  # check it loads before anyone else can read it
        try:
            _write(file, key, data)
            _remove_stale(directory, _prefix(path, font_number), file)
        except OSError as exc:
            log.warning("font cache %s cannot be written (%s): the pre-cut is kept in memory only", file, exc)
        log.info("pre-cut %s (%d glyphs, %.1f MB) in %.1f s", path.name, len(template.order), len(data) / 1e6,
                 time.perf_counter() - start)
        return template


def _template_from(file: Path, key: str) -> Template | None:
    data = _read(file, key)
    if data is None:
        return None
    try:
        return Template(data)
    except Exception as exc:  # a file that passes the checksum but does not parse: rebuilt
        log.warning("ignoring unreadable font cache %s (%s: %s)", file, type(exc).__name__, exc)
        return None


# One loaded template per font face; a lock per face, so a build or load never blocks other fonts.
_lock = threading.Lock()
_templates: dict[tuple[Path, int], tuple[str, Template | None]] = {}
_face_locks: dict[tuple[Path, int], threading.Lock] = {}


_faces: dict[tuple[Path, int], tuple[str, Face | None]] = {}


def template(path: Path, font_number: int = 0) -> Template | None:
    """The loaded pre-cut of `path` (from memory, else the disk cache, else built now), or None if the
    font cannot be pre-cut (the caller then cuts from the font file)."""
    return _per_face(_templates, "T", path, font_number, _load_or_build)


def face(path: Path, font_number: int = 0) -> Face | None:
    """The whole font `path`, opened once per process, for characters outside the pre-cut; None if it
    cannot be read that way (the caller then cuts from the font file)."""
    return _per_face(_faces, "F", path, font_number, lambda p, n, _key: Face(p, n))


def _per_face(table: dict, kind: str, path: Path, font_number: int, load):
    try:
        key = cache_key(path, font_number)
    except OSError:
        return None
    face_id = (path, font_number)
    with _lock:
        hit = table.get(face_id)
        if hit is not None and hit[0] == key:
            return hit[1]
        face_lock = _face_locks.setdefault((kind, *face_id), threading.Lock())
    with face_lock:
        with _lock:
            hit = table.get(face_id)
        if hit is not None and hit[0] == key:
            return hit[1]
        try:
            loaded = load(path, font_number, key)
        except Exception as exc:  # a font the subsetter or the copier cannot handle: remembered, not retried
            log.warning("cannot %s %s (%s: %s); cutting per name instead", "pre-cut" if kind == "T" else "open whole",
                        path, type(exc).__name__, exc)
            loaded = None
        with _lock:
            table[face_id] = (key, loaded)
        return loaded


def forget() -> None:
    """Drop the loaded templates and opened fonts (the disk cache stays): the next use loads them again, as a
    new process would."""
    with _lock:
        _templates.clear()
        _faces.clear()


def warm() -> tuple[bool, str]:
    """Load or build the pre-cut of the CJK font now (deploy time, `vault init`), so that the first
    burst of downloads does not build it. (ready, one line saying what happened)."""
    if not enabled():
        return False, "Font pre-cut is switched off (VAULT_FONT_PRECUT=0)."
    path = find_cjk_font()
    if path is None:
        return False, "No CJK font found (install fonts-noto-cjk or fonts-wqy-microhei, or set VAULT_CJK_FONT)."
    start = time.perf_counter()
    number = collection_index(path)
    loaded = template(path, number)
    if loaded is None:
        return False, f"{path} cannot be pre-cut (see the log); names will be cut from the font file."
    directory = cache_dir()
    file = directory and cache_file(path, number, cache_key(path, number), directory)
    where = f"{file} ({file.stat().st_size / 1e6:.1f} MB)" if file and file.exists() else "memory only"
    return True, f"Pre-cut of {path}: {len(loaded.order)} glyphs, {where}, ready in {time.perf_counter() - start:.1f} s"


def main() -> int:
    ready, line = warm()
    print(line)
    return 0 if ready else 1


if __name__ == "__main__":
    raise SystemExit(main())
