"""The app's request class (uploads never touch the disk in plaintext), and the streaming file response
with its headers. Download views go through `vault.downloads` (open, audit, commit, stream), which
builds its responses here; exports made in memory call `stream_download` directly.

Headers: RFC 6266 Content-Disposition with an ASCII fallback and `filename*=UTF-8''...` (Chinese
names survive), a known Content-Length, `Cache-Control: no-store` (no proxy or browser keeps a copy
after access is revoked), `X-Content-Type-Options: nosniff` and no byte ranges.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Iterator
from urllib.parse import quote

from flask import Request, Response, stream_with_context

from vault.tempcrypt import DEFAULT_MAX_MEMORY, EncryptedTempFile

# RFC 5987 attr-char, minus nothing: these stay literal in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"
_UNSAFE_ASCII = re.compile(r'[^A-Za-z0-9!#$&+\-.^_`|~ ()\[\]{}@,=]')


class VaultRequest(Request):
    """Werkzeug spools every uploaded file part over 500 KB to a plaintext temporary file before any
    of our code runs; here each part goes to an encrypted one instead (in memory while small)."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None):
        return EncryptedTempFile(max_memory=DEFAULT_MAX_MEMORY)


def ascii_fallback(filename: str, default: str = "download") -> str:
    """A plain-ASCII name for old clients: accents dropped, anything else becomes "_"."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    decomposed = unicodedata.normalize("NFKD", stem)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = _UNSAFE_ASCII.sub("_", plain).strip(" ._") or default
    plain = re.sub(r"_{2,}", "_", plain)
    ext = _UNSAFE_ASCII.sub("", unicodedata.normalize("NFKD", ext))
    return f"{plain}.{ext}" if ext else plain


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 / RFC 5987)."""
    kind = "inline" if inline else "attachment"
    # Control characters can never reach a header line, whatever the caller passes.
    clean = "".join(ch for ch in filename if unicodedata.category(ch) != "Cc") or "download"
    fallback = ascii_fallback(clean)
    encoded = quote(clean, safe=_ATTR_CHARS)
    return f'{kind}; filename="{fallback}"; filename*=UTF-8\'\'{encoded}'


def _close_after(chunks: Iterable[bytes]) -> Iterator[bytes]:
    it = iter(chunks)
    try:
        yield from it
    finally:
        close = getattr(it, "close", None)
        if close:
            close()


def stream_download(chunks: Iterable[bytes], *, filename: str, media_type: str, size: int,
                    inline: bool = False) -> Response:
    """A streamed response for a file of known `size`; `chunks` is read only as the client reads."""
    # Flask adds "; charset=utf-8" to text/* types (our text uploads are checked to be UTF-8).
    resp = Response(stream_with_context(_close_after(chunks)), status=200, mimetype=media_type,
                    direct_passthrough=True)
    resp.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    resp.headers["Content-Length"] = str(size)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Accept-Ranges"] = "none"
    # If a browser renders it anyway, the file runs no script and reads no cookies of ours.
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp
