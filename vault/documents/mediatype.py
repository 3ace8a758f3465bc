"""What a file really is, from its bytes (never from its name or the browser's Content-Type).

Pure: no Flask, no database. `detect(path or open file)` looks at the magic bytes (filetype), looks inside ZIP
containers by their central directory only (no decompression), and accepts text only if the whole
file is valid UTF-8 without NUL bytes.
"""
from __future__ import annotations

import codecs
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import filetype

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ZIP = "application/zip"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
CSV = "text/csv"
MARKDOWN = "text/markdown"
OCTET = "application/octet-stream"

# Plain-language names, used in messages such as "its content looks like a ZIP archive".
LABELS = {
    PDF: "a PDF document", DOCX: "a Word document (DOCX)", XLSX: "an Excel workbook (XLSX)",
    PPTX: "a PowerPoint presentation (PPTX)", ZIP: "a ZIP archive", PNG: "a PNG image",
    JPEG: "a JPEG image", TEXT: "plain text", CSV: "CSV text", MARKDOWN: "Markdown text",
    "application/x-executable": "a Linux executable program",
    "application/x-msdownload": "a Windows executable program",
    "application/x-mach-binary": "a macOS executable program",
    "application/wasm": "a WebAssembly program",
    "application/x-shockwave-flash": "a Flash program",
    "application/x-google-chrome-extension": "a browser extension",
    "application/x-deb": "a software package",
    "application/x-rpm": "a software package",
    "application/msword": "a legacy Word document (DOC)",
    "application/vnd.ms-excel": "a legacy Excel workbook (XLS)",
    OCTET: "unrecognised binary data",
}

EXECUTABLES = frozenset({
    "application/x-executable", "application/x-msdownload", "application/x-mach-binary",
    "application/wasm", "application/x-shockwave-flash", "application/x-google-chrome-extension",
    "application/x-deb", "application/x-rpm", "application/vnd.ms-cab-compressed",
})

# The types a version may hold.
ACCEPTED = frozenset({PDF, DOCX, XLSX, PPTX, ZIP, PNG, JPEG, TEXT, CSV, MARKDOWN})

# Declared type (the extension) -> media types its content may have.
EXTENSIONS: dict[str, frozenset[str]] = {
    ".pdf": frozenset({PDF}),
    ".docx": frozenset({DOCX}),
    ".xlsx": frozenset({XLSX}),
    ".pptx": frozenset({PPTX}),
    ".zip": frozenset({ZIP, DOCX, XLSX, PPTX}),
    ".png": frozenset({PNG}),
    ".jpg": frozenset({JPEG}),
    ".jpeg": frozenset({JPEG}),
    ".txt": frozenset({TEXT}),
    ".csv": frozenset({TEXT}),
    ".md": frozenset({TEXT}),
    ".markdown": frozenset({TEXT}),
}
TEXT_SUBTYPES = {".csv": CSV, ".md": MARKDOWN, ".markdown": MARKDOWN}

ZIP_MAX_ENTRIES = 100_000  # beyond this we do not list the archive; it stays a generic ZIP
HEAD_BYTES = 8192
MACHO_MAGIC = (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xfe\xed\xfa\xce")


@dataclass(frozen=True)
class Detected:
    media_type: str
    label: str

    @property
    def executable(self) -> bool:
        return self.media_type in EXECUTABLES


def label_for(media_type: str) -> str:
    return LABELS.get(media_type, media_type)


Source = Path | str | BinaryIO


@contextmanager
def _opened(src: Source) -> Iterator[BinaryIO]:
    """A path opened for reading, or an open seekable file rewound (and left open: the caller's)."""
    if isinstance(src, (str, Path)):
        with open(src, "rb") as fh:
            yield fh
    else:
        src.seek(0)
        yield src


def _ooxml_kind(src: Source) -> str:
    """DOCX, XLSX, PPTX or a generic ZIP, from the entry names in the central directory."""
    try:
        with _opened(src) as fh, zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            if len(infos) > ZIP_MAX_ENTRIES:
                return ZIP
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return OCTET  # starts like a ZIP but is not a readable one
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
        if "ppt/presentation.xml" in names:
            return PPTX
    return ZIP


def is_utf8_text(src: Source, chunk_size: int = 1 << 16) -> bool:
    """Whole file is UTF-8 (a BOM is fine) and has no NUL or other binary control bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    allowed_controls = {9, 10, 12, 13}
    with _opened(src) as fh:
        while chunk := fh.read(chunk_size):
            if any(b < 32 and b not in allowed_controls for b in chunk):
                return False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect(src: Source, *, extension: str = "") -> Detected:
    """Media type of the file at a path or of an open seekable file (read from its first byte).
    `extension` only picks CSV/Markdown for text content."""
    with _opened(src) as fh:
        head = fh.read(HEAD_BYTES)
    if head[:4] in MACHO_MAGIC:  # filetype does not know Mach-O
        return Detected("application/x-mach-binary", label_for("application/x-mach-binary"))
    kind = filetype.guess(head) if head else None
    if kind is not None:
        mime = kind.mime
        if head.startswith(b"PK\x03\x04") or mime in (ZIP, DOCX, XLSX, PPTX):
            mime = _ooxml_kind(src)
        return Detected(mime, label_for(mime))
    if head and is_utf8_text(src):
        mime = TEXT_SUBTYPES.get(extension.lower(), TEXT)
        return Detected(mime, label_for(mime))
    return Detected(OCTET, label_for(OCTET))


def base_type(media_type: str) -> str:
    """Text subtypes compare as text/plain against a declared extension."""
    return TEXT if media_type in (CSV, MARKDOWN) else media_type
