"""Per-download copies: decrypt the original into an encrypted temporary file (`vault.tempcrypt`: the
plaintext is never on disk), mark it for the recipient into another, and stream the marked copy with
its exact length. The original is never what a grantee receives for a markable format; a marking
failure raises, and the caller answers with a clear page instead.
"""
from __future__ import annotations

from typing import BinaryIO, Iterable, Iterator

from vault import watermark
from vault.documents.mediatype import DOCX, PDF
from vault.tempcrypt import EncryptedTempFile

CHUNK = 256 * 1024
SPOOL_IN_MEMORY = 16 * 1024 * 1024

MARKERS = {PDF: ("pdf", watermark.watermark_pdf), DOCX: ("docx", watermark.watermark_docx)}
WatermarkError = watermark.WatermarkError
Recipient = watermark.Recipient


def marking_kind(media_type: str) -> str | None:
    """"pdf" or "docx" when the format can be marked, else None."""
    entry = MARKERS.get(media_type)
    return entry[0] if entry else None


def _read_all(fh: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := fh.read(CHUNK):
            yield chunk
    finally:
        fh.close()


def marked_copy(chunks: Iterable[bytes], *, media_type: str, recipient: Recipient) -> tuple[Iterator[bytes], int]:
    """The marked file as (chunks, size). Raises WatermarkError (or the storage's IntegrityError)
    before anything is returned, so no partial or unmarked file can start streaming."""
    _kind, mark = MARKERS[media_type]
    out = EncryptedTempFile(max_memory=SPOOL_IN_MEMORY)
    try:
        with EncryptedTempFile(max_memory=SPOOL_IN_MEMORY) as src:
            for chunk in chunks:
                src.write(chunk)
            src.seek(0)
            mark(src, out, recipient)
        size = out.seek(0, 2)
        if size <= 0:
            raise WatermarkError("the marked copy is empty")
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return _read_all(out), size
