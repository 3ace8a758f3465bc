"""Answers into the customer's own Word document: the answer cells, or after each question.

    data = fill_docx(src, [DocxWrite(question.answer_at, "Yes", comment="AES-256 at rest"), ...])

Locators come from `importers.docx_reader` and carry an XPath (`extra["path"]`, e.g.
`/w:document/w:body/w:tbl[3]/w:tr[2]/w:tc[4]`), which is what we follow: it is exact even
where grid columns and physical cells differ (merged cells).

Where an answer goes:
* a table answer cell: the cell's text is replaced (its first paragraph and first run keep
  their formatting; an option hint such as "Yes/no" is replaced the same way);
* `in_cell` (a full-width cell whose label ends with ":"): a paragraph after the label;
* a numbered question paragraph (`position="after"`): the blank paragraph below it when
  the importer found one, otherwise a new paragraph right after the question;
* a table question with no answer column (OWASP ASVS): a paragraph "Answer: ..." appended
  inside the question's own cell.

The upload is checked with `importers.safety.check_docx_safe` (zip limits, defusedxml on
every part) first. Only `word/document.xml` is rewritten (lxml, no entities, no DTD); every
other part of the package (styles, numbering, headers, images, custom XML) is copied as its
original compressed bytes, in the same order, by `exporters.package.write_package`. python-docx would
re-serialise a dozen parts and touch docProps/core.xml.
"""
from __future__ import annotations

import copy
import io
from dataclasses import dataclass

import zipfile

from lxml import etree

from exporters.package import PackageError, write_package
from exporters.safety import strip_illegal_xml_chars
from importers.model import ImportErrorWithContext, Locator
from importers.safety import check_docx_safe

NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
DOCUMENT_PART = "word/document.xml"


def qn(tag: str) -> str:
    prefix, local = tag.split(":")
    return "{%s}%s" % (NS[prefix], local)


class DocxExportError(PackageError):
    """The document cannot be filled (not a safe .docx, or a locator no longer points anywhere)."""


@dataclass
class DocxWrite:
    at: Locator  # answer_at, or question_at when the question has no answer place
    answer: str | None
    comment: str | None = None
    # A written answer with no place of its own is labelled inside the question's cell.
    label: str | None = None


def fill_docx(src: bytes, writes: list[DocxWrite], *, filename: str = "questionnaire.docx") -> bytes:
    """The document with every write applied; raises DocxExportError, never writes half."""
    try:
        check_docx_safe(src, filename)
    except ImportErrorWithContext as exc:
        raise DocxExportError(str(exc)) from None
    zin = zipfile.ZipFile(io.BytesIO(src))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.fromstring(zin.read(DOCUMENT_PART), parser)
    except (KeyError, etree.XMLSyntaxError) as exc:
        raise DocxExportError(f"the document part cannot be read: {exc}") from None
    missing, targets = [], []
    for w in writes:
        el = _find(tree, w.at)
        if el is None:
            missing.append(w.at.extra.get("path") or repr(w.at))
        targets.append(el)
    if missing:
        raise DocxExportError("these places are no longer in the document: " + ", ".join(missing[:5]))
    for w, el in zip(writes, targets):
        lines = _lines(w)
        if not lines:
            continue
        kind = w.at.kind
        if kind == "docx-table" and w.label is None and not w.at.extra.get("in_cell"):
            _replace_cell_text(el, lines)
        elif kind == "docx-table":
            _append_in_cell(el, lines)
        elif kind == "docx-paragraph":
            _after_paragraph(el, lines)
        else:
            raise DocxExportError(f"a {kind} locator cannot be written into a Word document")
    body = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
    return write_package(src, zin, {DOCUMENT_PART: body}, DocxExportError)


def _lines(w: DocxWrite) -> list[str]:
    parts = [strip_illegal_xml_chars(v).replace("\r\n", "\n").replace("\r", "\n").strip()
             for v in (w.answer, w.comment) if v and v.strip()]
    if w.label and parts:
        parts[0] = f"{w.label} {parts[0]}"
    return parts


def _find(root, at: Locator):
    path = at.extra.get("path")
    if not path or not path.startswith("/w:document/"):
        return None
    found = root.xpath("." + path[len("/w:document"):], namespaces=NS)
    return found[0] if len(found) == 1 else None


# ------------------------------------------------------------------ paragraphs and runs

def _clone_paragraph(model, *, keep_numbering: bool = False):
    """An empty w:p with `model`'s paragraph properties (minus list numbering) and first run's style."""
    p = model.makeelement(qn("w:p"), {})
    ppr = model.find(qn("w:pPr"))
    if ppr is not None:
        ppr = copy.deepcopy(ppr)
        if not keep_numbering:
            for num in ppr.findall(qn("w:numPr")):
                ppr.remove(num)
            style = ppr.find(qn("w:pStyle"))
            # A heading or list style would turn the answer into a heading or a new list item.
            if style is not None and _structural_style(style.get(qn("w:val"), "")):
                ppr.remove(style)
        p.append(ppr)
    return p


def _structural_style(name: str) -> bool:
    low = name.lower().replace(" ", "")
    return low.startswith(("heading", "title", "list", "toc")) or low in ("subtitle",)


def _first_rpr(p):
    run = p.find(qn("w:r"))
    rpr = run.find(qn("w:rPr")) if run is not None else None
    return copy.deepcopy(rpr) if rpr is not None else None


def _add_text(p, text: str, rpr=None) -> None:
    """One run holding `text`, line breaks as w:br (Word's Shift+Enter)."""
    r = p.makeelement(qn("w:r"), {})
    if rpr is not None:
        r.append(copy.deepcopy(rpr))
    for i, line in enumerate(text.split("\n")):
        if i:
            r.append(r.makeelement(qn("w:br"), {}))
        t = r.makeelement(qn("w:t"), {})
        t.text = line
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        r.append(t)
    p.append(r)


def _clear_runs(p) -> None:
    for child in list(p):
        if child.tag != qn("w:pPr"):
            p.remove(child)


def _text_of(el) -> str:
    return "".join(t.text or "" for t in el.iter(qn("w:t"))).strip()


# ------------------------------------------------------------------ the four places

def _replace_cell_text(tc, lines: list[str]) -> None:
    paras = tc.findall(qn("w:p"))
    if not paras:
        first = tc.makeelement(qn("w:p"), {})
        tc.append(first)
        paras = [first]
    first = paras[0]
    rpr = _first_rpr(first)
    for extra in paras[1:]:
        tc.remove(extra)
    _clear_runs(first)
    _add_text(first, lines[0], rpr)
    anchor = first
    for line in lines[1:]:
        p = _clone_paragraph(first)
        _add_text(p, line, rpr)
        anchor.addnext(p)
        anchor = p


def _append_in_cell(tc, lines: list[str]) -> None:
    paras = tc.findall(qn("w:p"))
    last = paras[-1] if paras else None
    # Replace an empty trailing paragraph instead of leaving a gap above the answer.
    if last is not None and not _text_of(last) and len(paras) > 1:
        model = paras[-2]
        tc.remove(last)
        last = model
    for line in lines:
        p = _clone_paragraph(last) if last is not None else tc.makeelement(qn("w:p"), {})
        _add_text(p, line)  # not the label's (often bold) run style
        if last is not None:
            last.addnext(p)
        else:
            tc.append(p)
        last = p


def _after_paragraph(question_p, lines: list[str]) -> None:
    nxt = question_p.getnext()
    anchor = question_p
    if nxt is not None and nxt.tag == qn("w:p") and not _text_of(nxt) and not list(nxt.iter(qn("w:numPr"))):
        # The blank paragraph under the question is where the customer expects the answer.
        _clear_runs(nxt)
        _add_text(nxt, lines[0])
        anchor, lines = nxt, lines[1:]
    for line in lines:
        p = _clone_paragraph(question_p)
        _add_text(p, line)
        anchor.addnext(p)
        anchor = p
