"""The workbook-level parts of an .xlsx export: which part each sheet is, the quotePrefix copies of
cell styles (formula-like answers stay text), and fullCalcOnLoad in workbook.xml."""
from __future__ import annotations

import copy
import re

from lxml import etree

from exporters.package import Package, local_name, parse_xml
from exporters.xlsx_cells import XlsxExportError
from exporters.xml_splice import ATTRS, checked_splice, element_spans, first_element, serialise

OFFICE_DOC_SUFFIX = "/officeDocument"
WORKSHEET_SUFFIX = "/worksheet"


def sheet_parts(pkg: Package) -> tuple[list[tuple[str, str | None, str]], str]:
    """[(sheet name, part name or None, relationship type)] in workbook order."""
    wb_part = None
    for rel in pkg.rels(""):
        if rel["type"].endswith(OFFICE_DOC_SUFFIX) and not rel["external"]:
            wb_part = rel["target"]
            break
    if wb_part is None or pkg.info(wb_part) is None:
        raise XlsxExportError("no workbook part found: this is not a spreadsheet package")
    root = parse_xml(pkg.read(wb_part), wb_part, XlsxExportError).getroot()
    if local_name(root.tag) != "workbook":
        raise XlsxExportError(f"{wb_part} is not a spreadsheet workbook (.docx/.pptx?)")
    if wb_part.lower().endswith(".bin"):
        raise XlsxExportError("binary workbooks (.xlsb) are not supported")
    rels = {r["id"]: r for r in pkg.rels(wb_part)}
    sheets = []
    for el in root.iter():
        if local_name(el.tag) != "sheet" or local_name(el.getparent().tag) != "sheets":
            continue
        rid = next((v for k, v in el.attrib.items()
                    if etree.QName(k).namespace and etree.QName(k).localname == "id"), None)
        rel = rels.get(rid)
        if rel is None or rel["external"]:
            sheets.append((el.get("name") or "", None, ""))
        else:
            info = pkg.info(rel["target"])
            sheets.append((el.get("name") or "", info.filename if info else None, rel["type"]))
    return sheets, wb_part


# --------------------------------------------------------------------------- quotePrefix styles

_STYLES_SUFFIX = "/styles"


def styles_part(pkg: Package, wb_part: str) -> str | None:
    for rel in pkg.rels(wb_part):
        if rel["type"].endswith(_STYLES_SUFFIX) and not rel["external"]:
            info = pkg.info(rel["target"])
            return info.filename if info else None
    return None


def style_index(cell) -> int:
    s = cell.get("s") or "0"
    return int(s) if s.isdigit() else 0


def add_quote_prefix_styles(data: bytes, part: str, sources: set[int]) -> tuple[bytes, dict[int, int]]:
    """styles.xml with, for each cell style index in *sources*, a copy of that ``<xf>`` with
    ``quotePrefix="1"`` appended to ``<cellXfs>`` (and its ``count``), and the map old -> new
    index. An ``<xf>`` that already has ``quotePrefix`` maps to itself. The existing styles are
    not touched: the new ``<xf>`` elements are spliced in before ``</cellXfs>``, and only the
    ``count`` attribute of the ``<cellXfs>`` start tag changes (checked against lxml's full
    serialisation, as for the worksheets)."""
    tree = parse_xml(data, part, XlsxExportError)
    root = tree.getroot()
    ns = etree.QName(root).namespace
    q = (lambda n: f"{{{ns}}}{n}") if ns else (lambda n: n)
    cell_xfs = root.find(q("cellXfs"))
    if local_name(root.tag) != "styleSheet" or cell_xfs is None:
        raise XlsxExportError(f"{part} has no cell styles (<cellXfs>); cannot mark formula-like answers as text")
    xfs = [el for el in cell_xfs if el.tag == q("xf")]
    if not xfs:
        raise XlsxExportError(f"{part} has no cell style to copy; cannot mark formula-like answers as text")
    mapping: dict[int, int] = {}
    added = 0
    for src in sorted(sources):
        base = xfs[src] if src < len(xfs) else xfs[0]
        if base.get("quotePrefix") in ("1", "true"):
            mapping[src] = src if src < len(xfs) else 0
            continue
        new = copy.deepcopy(base)
        new.set("quotePrefix", "1")
        new.tail = None
        cell_xfs.append(new)
        mapping[src] = len(xfs) + added
        added += 1
    if not added:
        return data, mapping
    if cell_xfs.get("count") is not None:
        cell_xfs.set("count", str(len(xfs) + added))
    full = serialise(tree, data)
    return _splice_appended(data, full, root, cell_xfs, added), mapping


def _splice_appended(data: bytes, full: bytes, root, container, added: int) -> bytes:
    """*data* with the last *added* children of *container* (as serialised in *full*) put before its
    end tag and its start tag's ``count`` updated; *full* when the splice does not check out."""
    prefix = (root.prefix + ":") if root.prefix else ""
    tag, child = (prefix + "cellXfs").encode(), (prefix + "xf").encode()
    old, new = element_spans(data, child, tag), element_spans(full, child, tag)
    start = re.compile(b"<" + re.escape(tag) + ATTRS + b">").search(data)
    if old is None or new is None or start is None or len(new[0]) < added:
        return full
    new_children = b"".join(full[a:b] for a, b in new[0][-added:])
    head = data[start.start():start.end()]
    if container.get("count") is not None:
        head, n = re.subn(rb'(\scount\s*=\s*)(["\'])\d*\2', lambda m: m.group(1) + m.group(2)
                          + container.get("count").encode() + m.group(2), head, count=1)
        if n != 1:
            return full
    end = old[1]
    spliced = data[:start.start()] + head + data[start.end():end] + new_children + data[end:]
    return checked_splice(spliced, root, full)



# CT_Workbook children that come after <calcPr>, in schema order.
_AFTER_CALCPR = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                 "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


def set_full_calc_on_load(data: bytes, part: str) -> bytes:
    """workbook.xml with <calcPr fullCalcOnLoad="1">: Excel recomputes every formula when
    the file is opened, so cached results that depend on the answers are not shown stale."""
    tree = parse_xml(data, part, XlsxExportError)
    root = tree.getroot()
    ns = etree.QName(root).namespace
    calc = root.find(f"{{{ns}}}calcPr")
    if calc is None:
        calc = etree.Element(f"{{{ns}}}calcPr")
        later = next((el for el in root if local_name(el.tag) in _AFTER_CALCPR), None)
        if later is not None:
            later.addprevious(calc)
        else:
            root.append(calc)
    calc.set("fullCalcOnLoad", "1")
    full = serialise(tree, data)
    # splice just the <calcPr/> element into the original bytes when we can, and check it
    tag = (f"{root.prefix}:calcPr" if root.prefix else "calcPr").encode()
    old_span, new_span = first_element(data, tag), first_element(full, tag)
    if old_span is None or new_span is None:
        return full
    spliced = data[:old_span[0]] + full[new_span[0]:new_span[1]] + data[old_span[1]:]
    return checked_splice(spliced, root, full)
