"""Open a PDF with pypdf and refuse what cannot be watermarked: encrypted, unreadable, no pages.

Standalone on purpose (no project imports): `inspect_pdf` has `check` run by path in the
memory-limited child process of `importers.sandbox`, and `watermark_pdf` runs the very same checks
in-process, so an upload that passed the check is one the watermark can open.
"""
from __future__ import annotations

import io


class PdfProblem(Exception):
    def __init__(self, kind: str, reason: str) -> None:  # kind: "encrypted" or "broken"
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def open_checked(data: bytes):
    """A PdfReader whose every page has a readable page box and content, or PdfProblem."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if b"%PDF-" not in data[:1024]:
        raise PdfProblem("broken", "it is not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except PdfReadError as exc:
        if "encrypt" in str(exc).lower():
            raise PdfProblem("encrypted", "it is encrypted") from exc
        raise PdfProblem("broken", _describe(exc)) from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        raise PdfProblem("broken", _describe(exc)) from exc
    # Even an empty user password counts: the copy we serve must not carry the owner's restrictions
    # and the watermark must not be removable by re-encrypting tools.
    if reader.is_encrypted:
        raise PdfProblem("encrypted", "it is encrypted or password-protected")
    try:
        count = len(reader.pages)
        if count < 1:
            raise PdfProblem("broken", "it has no pages")
        for number, page in enumerate(reader.pages, start=1):
            if page.indirect_reference is None:
                raise PdfProblem("broken", f"page {number} is not stored as a separate object")
            box = page.mediabox
            if not (box.width and box.height) or abs(float(box.width)) < 1 or abs(float(box.height)) < 1:
                raise PdfProblem("broken", f"page {number} has no usable page size")
            page.get_contents()
    except PdfProblem:
        raise
    except Exception as exc:
        raise PdfProblem("broken", _describe(exc)) from exc
    return reader


def _describe(exc: Exception) -> str:
    text = str(exc).strip() or "no details"
    return f"{type(exc).__name__}: {text}"[:200]


def check(data: bytes) -> dict:
    """In the sandbox child: {"pages": n}, {"encrypted": reason} or {"broken": reason}."""
    try:
        return {"pages": len(open_checked(data).pages)}
    except PdfProblem as problem:
        return {problem.kind: problem.reason}
