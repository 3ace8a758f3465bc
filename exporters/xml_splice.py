"""Byte-preserving edits of an XML part: the changed elements of lxml's serialisation are spliced
into the original bytes, so everything else (attribute order, quoting, entity forms) stays as the
customer's program wrote it; a splice is only used when it parses to the same tree as the full
serialisation."""
from __future__ import annotations

import re

from lxml import etree

from exporters.package import xml_parser

ATTRS = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""


def first_element(buf: bytes, tag: bytes) -> tuple[int, int] | None:
    """Byte span of the first empty element <tag .../> in *buf*."""
    m = re.search(b"<" + re.escape(tag) + ATTRS + b"/>", buf)
    return (m.start(), m.end()) if m else None


def element_spans(buf: bytes, tag: bytes, container: bytes):
    """Byte spans of the <tag> elements directly in <container> (rows in sheetData), and
    the position of </container>; None when the layout is not the plain one."""
    open_re = re.compile(b"<" + re.escape(container) + ATTRS + b"(/?)>")
    m = open_re.search(buf)
    if not m or m.group(1):
        return None  # <sheetData/>: nothing to splice into
    end = buf.find(b"</" + container + b">", m.end())
    if end < 0:
        return None
    start_re = re.compile(b"<" + re.escape(tag) + b"(?=[\\s/>])" + ATTRS + b"(/?)>")
    close = b"</" + tag + b">"
    spans, pos = [], m.end()
    while True:
        sm = start_re.search(buf, pos, end)
        if not sm:
            break
        if sm.group(1):
            spans.append((sm.start(), sm.end()))
            pos = sm.end()
            continue
        ce = buf.find(close, sm.end(), end)
        if ce < 0:
            return None
        spans.append((sm.start(), ce + len(close)))
        pos = ce + len(close)
    return spans, end


def serialise(tree: etree._ElementTree, original: bytes) -> bytes:
    """Serialise *tree*, keeping *original*'s XML declaration (and what follows it) verbatim."""
    enc = (tree.docinfo.encoding or "UTF-8").upper()
    if enc.replace("-", "") != "UTF8":
        return etree.tostring(tree, encoding=enc, xml_declaration=True,
                              standalone=tree.docinfo.standalone)
    m = re.match(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml\b.*?\?>\s*)?", original, re.S)
    prefix = m.group(0) if m else b""
    return prefix + etree.tostring(tree, encoding="UTF-8", xml_declaration=False)



def checked_splice(spliced: bytes, root, full: bytes) -> bytes:
    """The spliced bytes when they parse to the same tree as the full rewrite, else the full rewrite."""
    try:
        same = (etree.tostring(etree.fromstring(spliced, xml_parser()), method="c14n")
                == etree.tostring(root, method="c14n"))
    except etree.XMLSyntaxError:
        same = False
    return spliced if same else full

