"""Helpers for the exporter tests: zip-part comparison, XML minus cells, LibreOffice."""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
HECVAT = SHARED_DATA / "questionnaires" / "HECVAT414.xlsx"
ZH_DIR = SHARED_DATA / "questionnaires" / "zh"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"


def zip_entries(data: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(data)).infolist()


def zip_parts(data: bytes) -> dict[str, bytes]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return {i.filename: zf.read(i) for i in zf.infolist()}


def assert_only_parts_changed(before: bytes, after: bytes, changed: set[str]) -> None:
    """Same entries in the same order with the same compression; every part byte-identical
    except *changed*, which must differ."""
    b_infos, a_infos = zip_entries(before), zip_entries(after)
    assert [i.filename for i in a_infos] == [i.filename for i in b_infos]
    assert [i.compress_type for i in a_infos] == [i.compress_type for i in b_infos]
    assert [i.date_time for i in a_infos] == [i.date_time for i in b_infos]
    assert zipfile.ZipFile(io.BytesIO(after)).testzip() is None
    b_parts, a_parts = zip_parts(before), zip_parts(after)
    differing = {n for n in b_parts if b_parts[n] != a_parts[n]}
    assert differing == changed


def cell_xfs(styles_xml: bytes) -> list:
    """The <xf> elements of <cellXfs> (a cell's ``s`` indexes them)."""
    root = etree.fromstring(styles_xml)
    return root.findall(f"{{{MAIN_NS}}}cellXfs/{{{MAIN_NS}}}xf")


def assert_styles_only_appended(before: bytes, after: bytes) -> list:
    """styles.xml: byte-identical but for <xf> elements appended to <cellXfs> and its count, each
    with quotePrefix="1"; returns the appended <xf> elements."""
    import re

    old, new = cell_xfs(before), cell_xfs(after)
    added = new[len(old):]
    assert added and all(x.get("quotePrefix") == "1" for x in added)
    start = re.search(rb"<(?:\w+:)?cellXfs\b", after).start()
    end = re.search(rb"</(?:\w+:)?cellXfs>", after).start()
    xf_starts = [start + k.start() for k in re.finditer(rb"<(?:\w+:)?xf[\s/>]", after[start:end])]
    assert len(xf_starts) == len(new)
    stripped = after[:xf_starts[len(old)]] + after[end:]
    stripped = re.sub(rb'(<(?:\w+:)?cellXfs\b[^>]*?count=")\d+', lambda k: k.group(1) + str(len(old)).encode(),
                      stripped, count=1)
    assert stripped == before
    return added


def sheet_part(data: bytes, sheet: str) -> str:
    """Part name of *sheet* (via workbook.xml + rels) -- independent of the code under test."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    wb = etree.fromstring(zf.read("xl/workbook.xml"))
    rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    rid = None
    for el in wb.iter(f"{{{MAIN_NS}}}sheet"):
        if el.get("name") == sheet:
            rid = el.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise KeyError(sheet)


def xml_minus_cells(xml: bytes, cells: set[str]) -> bytes:
    """Canonical XML of a worksheet with the <c> elements of *cells* removed."""
    root = etree.fromstring(xml)
    for c in list(root.iter(f"{{{MAIN_NS}}}c")):
        if c.get("r") in cells:
            c.getparent().remove(c)
    return etree.tostring(root, method="c14n")


def cell_element(xml: bytes, ref: str):
    root = etree.fromstring(xml)
    for c in root.iter(f"{{{MAIN_NS}}}c"):
        if c.get("r") == ref:
            return c
    return None


# ---------------------------------------------------------------- LibreOffice

def soffice_or_skip() -> str:
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    if exe:
        return exe
    msg = ("LibreOffice is not installed (apt-get install -y --no-install-recommends "
           "libreoffice-calc-nogui)")
    if os.environ.get("CI") == "true":
        pytest.fail(msg + " -- CI must run this test")
    pytest.skip(msg)


def libreoffice_csv(xlsx: bytes, workdir: Path) -> dict[str, list[list[str]]]:
    """Open *xlsx* in headless LibreOffice and export every sheet as UTF-8 CSV.

    Returns {sheet name: rows}.  Fails when LibreOffice cannot open the file."""
    exe = soffice_or_skip()
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / "book.xlsx"
    src.write_bytes(xlsx)
    outdir = workdir / "csv"
    outdir.mkdir(exist_ok=True)
    profile = workdir / "lo-profile"
    # 44=',' 34='"' 76=UTF-8, 1=start row; ...; last token -1 = every sheet to its own file
    fmt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    proc = subprocess.run(
        [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), str(src)],
        capture_output=True, text=True, timeout=240,
    )
    files = sorted(outdir.glob("book*.csv"))
    assert proc.returncode == 0 and files, (
        f"LibreOffice could not convert the workbook:\n{proc.stdout}\n{proc.stderr}")
    out = {}
    for f in files:
        name = f.stem[len("book-"):] if f.stem.startswith("book-") else f.stem
        with open(f, newline="", encoding="utf-8") as fh:
            out[name] = list(csv.reader(fh))
    return out


def csv_cell(rows: list[list[str]], ref: str) -> str:
    from exporters.xlsx_cells import parse_ref as _parse_ref  # noqa: PLC0415 - test helper

    row, col = _parse_ref(ref)
    if row - 1 >= len(rows) or col - 1 >= len(rows[row - 1]):
        return ""
    return rows[row - 1][col - 1]
