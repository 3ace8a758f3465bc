"""Limits and format sniffing: decide what a file is from its bytes, and refuse
anything that would make parsing unbounded (zip bombs, encrypted or legacy files, XML bombs).

The one place for untrusted-file limits: the importers and the exporters (which open the customer's
file again to fill it) both use `open_zip`, `check_members` and `check_docx_safe`."""
from __future__ import annotations

import io
import re
import time
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as DET

from .i18n_marker import N_
from .model import ImportErrorWithContext

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
MAX_PART_BYTES = 40 * 1024 * 1024  # one XML part; document.xml of a 1,000-page manual is ~15 MB
_JS_COMMENTS = re.compile(rb"\A(?:\s*(?://[^\n]*(?:\n|\Z)|/\*.*?\*/))*\s*", re.DOTALL)


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_zip_entries: int = 5_000
    max_uncompressed_bytes: int = 300 * 1024 * 1024  # sum of declared ZipInfo.file_size
    max_compression_ratio: float = 200.0  # whole archive; legit xlsx is ~5-20
    max_cells: int = 2_000_000  # stored non-empty cells, whole workbook
    max_rows_per_sheet: int = 200_000
    max_questions: int = 20_000
    max_seconds: float = 60.0
    max_formula_steps: int = 5_000_000
    max_nesting: int = 64  # JSON / VSAQ block nesting depth
    max_pdf_pages: int = 2_000
    max_pdf_memory_bytes: int = 1024 * 1024 * 1024  # RLIMIT_AS of the PDF parsing child process


DEFAULT_LIMITS = Limits()


class Deadline:
    """Wall-clock budget shared by one import; checked in every long loop."""

    def __init__(self, seconds: float, filename: str):
        self.end = time.monotonic() + seconds
        self.seconds = seconds
        self.filename = filename
        self._n = 0

    def check(self, sheet: str | None = None) -> None:
        self._n += 1
        if self._n & 0x3FF:  # only look at the clock every 1024 calls
            return
        if time.monotonic() > self.end:
            raise ImportErrorWithContext(
                N_("reading the file took longer than %(seconds)s seconds and was stopped; "
                   "the file is too large or too complex to import"), params={"seconds": f"{self.seconds:g}"},
                file=self.filename, sheet=sheet)


def sniff(data: bytes) -> str:
    """Return "zip", "ole", "pdf", "json", "text", "xml" or "binary"."""
    if data.startswith(ZIP_MAGICS):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    if data.startswith(b"%PDF-"):
        return "pdf"
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16 with BOM (Excel "Unicode text")
    stripped = _JS_COMMENTS.sub(b"", head.lstrip(b"\xef\xbb\xbf \t\r\n"))
    if stripped.startswith((b"{", b"[")):  # VSAQ templates start with // license comments
        return "json"
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<"):
        return "xml"
    if b"\x00" in head and not _mostly_text(head):
        return "binary"
    return "text"


def _mostly_text(head: bytes) -> bool:
    """A CSV with a stray NUL byte or two is a damaged CSV (named row by row), not a binary file."""
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls <= max(2, len(head) // 200)


def describe_ole(data: bytes) -> str:
    """Explain an OLE/CFB container; these are never parsed, only named."""
    # Directory entry names are UTF-16LE; a substring search is enough to tell them apart.
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return N_("the file is password-protected (encrypted Office file); remove the password "
                  "in Excel (File > Info > Protect Workbook > Encrypt with Password) and upload it again")
    if has("Workbook") or has("Book"):
        return N_("this is a legacy Excel 97-2003 .xls file, which is not supported; "
                  "open it in Excel and save it as .xlsx")
    if has("WordDocument"):
        return N_("this is a legacy Word 97-2003 .doc file, which is not supported; "
                  "save it as .docx")
    return N_("this is an old-style Office (OLE) file that is not supported; save it as .xlsx")


def open_zip(data: bytes, filename: str, limits: Limits) -> zipfile.ZipFile:
    """Open an archive only after its declared sizes pass the limits."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except ZIP_DAMAGE as e:
        raise ImportErrorWithContext(
            N_("the file is damaged: it looks like a zip-based Office file but cannot be opened (%(error)s)"),
            params={"error": str(e)}, file=filename) from None
    check_zip_limits(infos, filename, limits)
    return zf


def check_zip_limits(infos: list[zipfile.ZipInfo], filename: str, limits: Limits) -> None:
    """Refuse an archive whose entry count, declared unpacked size or compression ratio is over the
    limits (a zip bomb, or far larger than any document we read)."""
    if len(infos) > limits.max_zip_entries:
        raise ImportErrorWithContext(
            N_("the file contains %(parts)s parts (the limit is %(limit)s); it is not a normal spreadsheet"),
            params={"parts": f"{len(infos):,}", "limit": f"{limits.max_zip_entries:,}"}, file=filename)
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > limits.max_uncompressed_bytes:
        raise ImportErrorWithContext(
            N_("the file would expand to %(mb)s MB when unpacked (the limit is %(limit)s MB); "
               "it may be a zip bomb or is far larger than a questionnaire"),
            params={"mb": f"{total / 1e6:,.0f}", "limit": f"{limits.max_uncompressed_bytes / 1e6:,.0f}"},
            file=filename)
    if total > 10 * 1024 * 1024 and total / packed > limits.max_compression_ratio:
        raise ImportErrorWithContext(
            N_("the file is compressed %(ratio)s times (the limit is %(limit)s); this is typical of a zip bomb"),
            params={"ratio": f"{total / packed:,.0f}", "limit": f"{limits.max_compression_ratio:g}"},
            file=filename)


def read_member(zf: zipfile.ZipFile, name: str, filename: str, limits: Limits) -> bytes:
    """Read one archive member; zipfile stops at the declared size and checks the CRC."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ImportErrorWithContext(N_('the file is incomplete: part "%(part)s" is missing'),
                                     params={"part": name}, file=filename) from None
    if info.flag_bits & 0x1:
        raise ImportErrorWithContext(N_("the file is password-protected (encrypted zip entries)"),
                                     file=filename)
    try:
        return zf.read(info)
    except ZIP_DAMAGE as e:
        raise damaged_part(name, filename, e) from None


# What zipfile raises for damaged archives and members: a bad CRC or header is BadZipFile, a corrupt
# deflate stream zlib.error, a cut-off member EOFError; unknown methods NotImplementedError.
ZIP_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
              NotImplementedError, RuntimeError, UnicodeDecodeError)


def damaged_part(name: str, filename: str, error: BaseException, sheet: str | None = None) -> ImportErrorWithContext:
    return ImportErrorWithContext(N_('the file is damaged: part "%(part)s" cannot be read (%(error)s)'),
                                  params={"part": name, "error": _short(error)}, file=filename, sheet=sheet)


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


def check_members(zf: zipfile.ZipFile, filename: str, deadline: Deadline | None = None) -> None:
    """Unpack every member once (discarding the bytes) so a damaged part is named before anything is
    read or copied: the filled copy copies parts the importer never reads (webSettings, media), and a
    part that does not inflate or fails its CRC would make a broken copy. Declared sizes already passed
    open_zip's limits, so this is bounded."""
    for info in zf.infolist():
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise ImportErrorWithContext(N_("the file is password-protected (encrypted zip entries)"),
                                         file=filename)
        try:
            with zf.open(info) as fh:
                while fh.read(1 << 20):
                    if deadline is not None:
                        deadline.check()
        except ZIP_DAMAGE as e:
            raise damaged_part(info.filename, filename, e) from None


# ------------------------------------------------------------------ safe XML parts

def parse_xml_part(zf: zipfile.ZipFile, name: str, filename: str, limits: Limits, *,
                   required: bool = True):
    """One XML part of an OOXML package, parsed with defusedxml (no DTD, no entities) after a size cap;
    None when it is missing and not `required`."""
    if name not in zf.NameToInfo:
        if required:
            raise ImportErrorWithContext(N_('the file is incomplete: part "%(part)s" is missing'),
                                         params={"part": name}, file=filename)
        return None
    info = zf.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise ImportErrorWithContext(
            N_('part "%(part)s" is %(mb)s MB of XML (the limit is %(limit)s MB); '
               "this is far larger than a questionnaire"),
            params={"part": name, "mb": f"{info.file_size / 1e6:,.1f}", "limit": f"{MAX_PART_BYTES / 1e6:,.1f}"},
            file=filename)
    raw = read_member(zf, name, filename, limits)
    try:
        return DET.fromstring(raw, forbid_dtd=True)
    except defusedxml.DefusedXmlException as e:
        raise ImportErrorWithContext(
            N_('part "%(part)s" declares a DTD or XML entities (%(kind)s), which a real Word '
               "document never does; refused as a possible XML bomb / entity-expansion attack"),
            params={"part": name, "kind": type(e).__name__}, file=filename) from None
    except (ParseError, LookupError, ValueError) as e:  # LookupError: a damaged encoding="UTG-8"
        raise ImportErrorWithContext(N_('the file is damaged: part "%(part)s" is not valid XML (%(error)s)'),
                                     params={"part": name, "error": str(e)}, file=filename) from None


def check_docx_safe(data: bytes, filename: str, limits: Limits | None = None) -> None:
    """Raise ImportErrorWithContext unless the .docx passes the zip limits and every XML
    part parses with defusedxml (no DTD, no entities, bounded size). Call this before
    giving an uploaded file to python-docx."""
    limits = limits or DEFAULT_LIMITS
    zf = open_zip(data, filename, limits)
    if "word/document.xml" not in zf.NameToInfo:
        raise ImportErrorWithContext(N_("this is not a Word document (no word/document.xml)"), file=filename)
    check_members(zf, filename)
    for name in zf.namelist():
        if name.endswith((".xml", ".rels")):
            parse_xml_part(zf, name, filename, limits)
