"""Per-download DOCX watermark, the way Word's own Design > Watermark does it.

Every header in use gets a VML text-path shape behind the text (diagonal, semi-transparent grey)
and a hidden run (w:vanish) with the id marker; every footer in use gets the small
"Confidential — downloaded by ..." line; docProps/custom.xml gets the id. The body gets the id as
zero-width characters at the end of its paragraphs (`docx_body`), which survive removing all of those.
"""
from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

from lxml import etree

from importers.model import ImportErrorWithContext
from importers.safety import DEFAULT_LIMITS, OLE_MAGIC, ZIP_DAMAGE, check_zip_limits
from vault.watermark import marks
from vault.watermark.docx_body import DEFAULT_LATIN, mark_body
from vault.watermark.base import Recipient, WatermarkError, checked, footer_line
from vault.watermark.pdf import Source, read_source

LIMITS = DEFAULT_LIMITS  # zip entries, unpacked size and ratio: the one set of limits, importers.safety
CUSTOM_PART = "/docProps/custom.xml"
CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
PROPERTY = "TrustvaultDownloadId"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
V = "urn:schemas-microsoft-com:vml"
O = "urn:schemas-microsoft-com:office:office"
SHAPE_ID = "TrustvaultWatermark"
KINDS = ("header", "footer", "first_page_header", "first_page_footer", "even_page_header", "even_page_footer")

# Word's shape type 136 (text path), as Word writes it for a watermark.
_SHAPETYPE = f"""<v:shapetype xmlns:v="{V}" xmlns:o="{O}" id="_x0000_t136" coordsize="21600,21600" o:spt="136"
 adj="10800" path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/>
<v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>
<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>
<v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
 o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottomRight"
 xrange="6629,14971"/></v:handles><o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>"""


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _default_latin_font(document) -> str:
    """The Latin font the document's text uses by default (docDefaults, else the Normal style), if named."""
    styles = document.styles.element
    for fonts in styles.iterfind(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}/{_w('rFonts')}"):
        if fonts.get(_w("ascii")):
            return fonts.get(_w("ascii"))
    try:
        name = document.styles["Normal"].font.name
    except KeyError:
        name = None
    return name or DEFAULT_LATIN


def _check_archive(data: bytes) -> None:
    """Refuse what python-docx should not be handed: not a ZIP, encrypted, or a ZIP bomb."""
    if data[:8] == OLE_MAGIC:
        raise WatermarkError("The Word file is encrypted or password-protected (or in the old .doc format), "
                             "so it cannot be watermarked. Upload an unprotected .docx.")
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except ZIP_DAMAGE:
        raise WatermarkError("The Word file cannot be read (it is not a valid .docx archive), so it cannot be "
                             "watermarked. Save it again as .docx and upload it.") from None
    try:
        check_zip_limits(infos, "the Word file", LIMITS)
    except ImportErrorWithContext as exc:
        raise WatermarkError(f"The Word file unpacks to too many or too large parts to be watermarked "
                             f"({exc.reason}).") from None


def watermark_docx(src: Source, dst: BinaryIO, recipient: Recipient) -> None:
    """Write a copy of the .docx `src` to `dst`, marked for `recipient` in every header and footer."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    r = checked(recipient)
    data = read_source(src)
    _check_archive(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise WatermarkError(f"The Word file cannot be read ({type(exc).__name__}), so it cannot be watermarked. "
                             "Save it again as .docx and upload it.") from None
    line = footer_line(r)
    diagonal = f"{r.name} · {r.company} · {r.email} · {r.downloaded_at} · {r.download_id}"
    marker = marks.text_marker(r.download_id)
    odd_even = document.settings.odd_and_even_pages_header_footer
    done = []  # parts marked already: sections may share one header part
    defined: set[str] = set()  # kinds a later linked section inherits (marked) from
    for section in document.sections:
        in_use = {"header", "footer"}
        if section.different_first_page_header_footer:
            in_use |= {"first_page_header", "first_page_footer"}
        if odd_even:
            in_use |= {"even_page_header", "even_page_footer"}
        for kind in KINDS:
            item = getattr(section, kind)
            # A linked one shows the previous section's (marked already); one in use with nothing to
            # inherit would show blank, so it gets a definition of its own (reading .part adds it).
            if item.is_linked_to_previous and (kind not in in_use or kind in defined):
                continue
            defined.add(kind)
            if any(part is item.part for part in done):
                continue
            done.append(item.part)
            if kind.endswith("header"):
                _mark_header(item, diagonal, marker, len(done))
            else:
                _mark_footer(item, line, marker)
    _set_custom_property(document, r.download_id)
    mark_body(document.element.body, r.download_id, latin_font=_default_latin_font(document))
    document.save(dst)


def _run(text: str, *, hidden: bool = False, size_half_points: int = 0, color: str = "") -> etree._Element:
    run = etree.Element(_w("r"))
    props = etree.SubElement(run, _w("rPr"))
    if color:
        etree.SubElement(props, _w("color")).set(_w("val"), color)
    if size_half_points:
        etree.SubElement(props, _w("sz")).set(_w("val"), str(size_half_points))
    if hidden:
        etree.SubElement(props, _w("vanish"))
    t = etree.SubElement(run, _w("t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def _mark_header(header, text: str, marker: str, number: int) -> None:
    paragraph = header.add_paragraph()._p  # python-docx adds the header definition if missing
    shape_run = etree.SubElement(paragraph, _w("r"))
    etree.SubElement(etree.SubElement(shape_run, _w("rPr")), _w("noProof"))
    pict = etree.SubElement(shape_run, _w("pict"))
    pict.append(etree.fromstring(_SHAPETYPE))
    shape = etree.SubElement(pict, f"{{{V}}}shape", nsmap={"v": V, "o": O})
    shape.set("id", f"{SHAPE_ID}{number}")
    shape.set(f"{{{O}}}spid", f"_x0000_s{2049 + number}")
    shape.set("type", "#_x0000_t136")
    shape.set("style", "position:absolute;margin-left:0;margin-top:0;width:468pt;height:60pt;rotation:315;"
                       "z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
                       "mso-position-vertical:center;mso-position-vertical-relative:margin")
    shape.set(f"{{{O}}}allowincell", "f")
    shape.set("fillcolor", "silver")
    shape.set("stroked", "f")
    etree.SubElement(shape, f"{{{V}}}fill").set("opacity", ".5")
    path = etree.SubElement(shape, f"{{{V}}}textpath")
    path.set("style", 'font-family:"Arial";font-size:1pt')
    path.set("string", text)
    paragraph.append(_run(marker, hidden=True))


def _mark_footer(footer, line: str, marker: str) -> None:
    paragraph = footer.add_paragraph()._p
    paragraph.append(_run(line, size_half_points=12, color="808080"))
    paragraph.append(_run(marker, hidden=True))


def _set_custom_property(document, download_id: str) -> None:
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = document.part.package
    part = next((rel.target_part for rel in package.rels.values()
                 if rel.reltype == CUSTOM_RT and not rel.is_external), None)
    if part is None:
        root = etree.Element(f"{{{NS_CUSTOM}}}Properties", nsmap={None: NS_CUSTOM, "vt": NS_VT})
    else:
        root = etree.fromstring(part.blob, etree.XMLParser(resolve_entities=False, no_network=True))
    props = [p for p in root if p.get("name") != PROPERTY]
    for p in root:
        root.remove(p)
    pid = max([int(p.get("pid", "1")) for p in props] + [1]) + 1
    for p in props:
        root.append(p)
    prop = etree.SubElement(root, f"{{{NS_CUSTOM}}}property")
    prop.set("fmtid", "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}")
    prop.set("pid", str(pid))
    prop.set("name", PROPERTY)
    etree.SubElement(prop, f"{{{NS_VT}}}lpwstr").text = download_id
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if part is None:
        part = Part(PackURI(CUSTOM_PART), CUSTOM_CT, blob, package)
        package.relate_to(part, CUSTOM_RT)
    else:
        part._blob = blob

