"""What a leaker does to a marked .docx to lose the id: each a function bytes -> bytes."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _rewrite(data: bytes, change) -> bytes:
    """A copy of the archive with each part passed through change(name, bytes) -> bytes or None (dropped)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = change(info.filename, src.read(info.filename))
            if blob is not None:
                dst.writestr(info.filename, blob)
    return out.getvalue()


def empty_headers_footers(data: bytes) -> bytes:
    """Every header and footer part reduced to one empty paragraph (the watermark shape, the footer line
    and the hidden markers go)."""
    def change(name, blob):
        m = re.fullmatch(r"word/(header|footer)\d*\.xml", name)
        if not m:
            return blob
        tag = "hdr" if m.group(1) == "header" else "ftr"
        return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{tag} xmlns:w="{W}"><w:p/></w:{tag}>'.encode()
    return _rewrite(data, change)


def strip_properties(data: bytes) -> bytes:
    """As Word's "Inspect Document" does: custom properties removed, core and app properties emptied."""
    def change(name, blob):
        if name == "docProps/custom.xml":
            return None
        if name == "[Content_Types].xml":
            return re.sub(rb'<Override[^>]*PartName="/docProps/custom.xml"[^>]*/>', b"", blob)
        if name == "_rels/.rels":
            return re.sub(rb'<Relationship[^>]*Target="docProps/custom.xml"[^>]*/>', b"", blob)
        if name == "docProps/core.xml":
            return re.sub(rb"(<(dc|cp|dcterms):(\w+)[^>]*>)[^<]*(</\2:\3>)", rb"\1\4", blob)
        return blob
    return _rewrite(data, change)


def copy_body(data: bytes, paragraphs: slice = slice(None)) -> bytes:
    """The body's paragraphs copied run by run (text and formatting) into a new document."""
    source, target = docx.Document(io.BytesIO(data)), docx.Document()
    for paragraph in source.paragraphs[paragraphs]:
        new = target.add_paragraph(style=paragraph.style.name if paragraph.style is not None else None)
        new.paragraph_format.alignment = paragraph.paragraph_format.alignment
        for run in paragraph.runs:
            copied = new.add_run(run.text)
            copied.bold, copied.italic, copied.underline = run.bold, run.italic, run.underline
            copied.font.name, copied.font.size = run.font.name, run.font.size
            if run.font.color is not None and run.font.color.type is not None:
                copied.font.color.rgb = run.font.color.rgb
    out = io.BytesIO()
    target.save(out)
    return out.getvalue()


def writer_available() -> bool:
    return shutil.which("soffice") is not None and Path("/usr/lib/libreoffice/program/libmswordlo.so").exists()


needs_writer = pytest.mark.skipif(not writer_available(), reason="LibreOffice Writer not installed "
                                  "(scripts/setup-system installs libreoffice-writer-nogui)")


def writer_convert(data: bytes, target: str, workdir: Path) -> bytes:
    """`data` (a .docx) converted by LibreOffice Writer: target "pdf" or "docx" (saved again as Word 2007+)."""
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "copy.docx"
    src.write_bytes(data)
    out = workdir / "out"
    fmt = "pdf" if target == "pdf" else "docx:MS Word 2007 XML"
    # a profile of our own: no lock shared with another soffice running on the machine
    subprocess.run(["soffice", f"-env:UserInstallation=file://{workdir}/profile", "--headless", "--norestore",
                    "--convert-to", fmt, "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    return (out / f"copy.{target}").read_bytes()
