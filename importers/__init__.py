"""Questionnaire importers: customer files in, one neutral `Questionnaire` out.

    from importers import load_questionnaire
    q = load_questionnaire(path_or_bytes, "customer.xlsx")

The format is decided from the content, never from the file name.
"""
from __future__ import annotations

import os
from pathlib import Path

from .layout import layout_signature
from .i18n_marker import N_
from .model import ImportErrorWithContext, Locator, Question, Questionnaire, SheetDetection
from .safety import DEFAULT_LIMITS, Deadline, Limits, check_members, describe_ole, open_zip, read_member, sniff

__all__ = ["load_questionnaire", "layout_signature", "Limits", "ImportErrorWithContext",
           "Locator", "Question", "Questionnaire", "SheetDetection"]


def load_questionnaire(path_or_bytes: str | os.PathLike | bytes, filename: str | None = None, *,
                       layout_hint: dict | None = None, limits: Limits | None = None) -> Questionnaire:
    """Parse a questionnaire file. Raises ImportErrorWithContext with a message meant for
    the person who uploaded it; never anything else for bad input."""
    limits = limits or DEFAULT_LIMITS
    data, filename = _read(path_or_bytes, filename, limits)
    deadline = Deadline(limits.max_seconds, filename)
    kind = sniff(data)
    try:
        if kind == "zip":
            return _load_zip(data, filename, limits, deadline, layout_hint)
        if kind == "text":
            from .csv_reader import load_csv
            return load_csv(data, filename, limits, deadline, layout_hint)
        if kind == "json":
            from .vsaq import load_vsaq
            return load_vsaq(data, filename, limits, deadline)
        if kind == "pdf":
            from .pdf_reader import load_pdf
            return load_pdf(data, filename, limits, deadline, layout_hint)
    except ImportErrorWithContext:
        raise
    except RecursionError:
        raise ImportErrorWithContext(N_("the file is nested too deeply to read"), file=filename) from None
    except MemoryError:
        raise ImportErrorWithContext(N_("the file needs too much memory to read"), file=filename) from None
    if kind == "ole":
        raise ImportErrorWithContext(describe_ole(data), file=filename)
    if kind == "xml":
        raise ImportErrorWithContext(N_("this is an XML file (perhaps an Excel 2003 XML spreadsheet), "
                                        "which is not supported; save it as .xlsx"), file=filename)
    raise ImportErrorWithContext(N_("this is not a spreadsheet or questionnaire file that can be read "
                                    "(supported: .xlsx, .xlsm, .csv, .docx, .pdf, VSAQ .json)"),
                                 file=filename)


def _read(src, filename, limits: Limits) -> tuple[bytes, str]:
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        name = filename or "upload"
    else:
        p = Path(src)
        name = filename or p.name
        try:
            size = p.stat().st_size
            if size > limits.max_file_bytes:
                raise _too_large(size, limits, name)
            data = p.read_bytes()
        except OSError as e:
            raise ImportErrorWithContext(N_("the file cannot be read (%(error)s)"),
                                         params={"error": str(e.strerror or e)}, file=name) from None
    if len(data) > limits.max_file_bytes:
        raise _too_large(len(data), limits, name)
    if not data.strip():
        raise ImportErrorWithContext(N_("the file is empty"), file=name)
    return data, name


def _too_large(size: int, limits: Limits, name: str) -> ImportErrorWithContext:
    return ImportErrorWithContext(N_("the file is %(size)s MB; the limit is %(limit)s MB"),
                                  params={"size": f"{size / 1e6:,.1f}", "limit": f"{limits.max_file_bytes / 1e6:,.0f}"},
                                  file=name)


def _load_zip(data: bytes, filename: str, limits: Limits, deadline: Deadline, layout_hint):
    zf = open_zip(data, filename, limits)
    check_members(zf, filename, deadline)
    names = set(zf.namelist())
    if any(n.startswith("xl/") for n in names) or "[Content_Types].xml" in names and any(
            n.endswith("workbook.xml") for n in names):
        from .xlsx import load_xlsx
        return load_xlsx(data, filename, limits, deadline, layout_hint)
    if "word/document.xml" in names:
        from .docx_reader import load_docx
        return load_docx(data, filename, limits, deadline, layout_hint)
    mimetype = read_member(zf, "mimetype", filename, limits)[:100] if "mimetype" in names else b""
    if b"opendocument.spreadsheet" in mimetype:
        raise ImportErrorWithContext(N_("this is an OpenDocument spreadsheet (.ods), which is not "
                                        "supported; save it as .xlsx"), file=filename)
    if "ppt/presentation.xml" in names:
        raise ImportErrorWithContext(N_("this is a PowerPoint file, not a questionnaire"), file=filename)
    raise ImportErrorWithContext(N_("this is a zip archive, not an Excel workbook or Word document"),
                                 file=filename)
