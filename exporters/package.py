"""The OOXML (zip) package of a customer's file: opened only within the untrusted-file limits of
`importers.safety`, its parts and relationships read, and written back with every part that was not
replaced copied as its original compressed bytes.

The package is rewritten by a small zip writer of our own rather than zipfile's: the parts we do not
patch are copied as their *compressed* bytes (no inflate / deflate), so they stay byte-identical down
to the compressed stream, and copying is fast.  Local headers are rewritten from the central
directory's CRC and sizes (a data descriptor, if the source used one, is dropped), zip64 extra fields
are dropped (the size limits of `importers.safety` keep every offset below 4 GiB).

Errors are raised as the caller's own error type (a subclass of :class:`PackageError`, such as
``XlsxExportError`` or ``DocxExportError``), whose messages name the caller's file kind.
"""
from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib

from lxml import etree

from importers.model import ImportErrorWithContext
from importers.safety import DEFAULT_LIMITS, OLE_MAGIC, ZIP_DAMAGE, check_members, check_zip_limits

__all__ = ["PackageError", "Package", "open_package", "write_package", "parse_xml", "xml_parser", "local_name"]


class PackageError(ValueError):
    """The package cannot be read or written (not a zip, damaged, over the limits, unsupported)."""


def xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=False,
        strip_cdata=False,
    )


def parse_xml(data: bytes, what: str, error: type[PackageError] = PackageError) -> etree._ElementTree:
    """A part parsed with lxml: no entities, no network, no DTD (OOXML never has one)."""
    try:
        tree = etree.parse(io.BytesIO(data), xml_parser())
    except etree.XMLSyntaxError as exc:
        raise error(f"{what} is not well-formed XML: {exc}") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise error(f"{what} has a DOCTYPE, which OOXML does not allow")
    return tree


def local_name(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def open_package(data: bytes, kind: str, error: type[PackageError] = PackageError) -> zipfile.ZipFile:
    """The zip archive of *data* (an *kind* file, e.g. ".xlsx"), after the zip limits of
    `importers.safety` (entries, declared size, compression ratio) and one unpacking of every part
    (every part is copied as its compressed bytes: one that does not inflate or fails its CRC would
    be copied into a broken file)."""
    if data[:8] == OLE_MAGIC:
        raise error(
            f"this is not an {kind} package but an OLE file: a legacy Office file or a "
            f"password-protected (encrypted) {kind}; ask for an unprotected {kind}")
    try:
        zin = zipfile.ZipFile(io.BytesIO(data))
        infos = zin.infolist()
    except ZIP_DAMAGE as exc:
        raise error(f"not an {kind} (zip) package: {exc}") from None
    names = [i.filename for i in infos]
    if len(set(n.lower() for n in names)) != len(names):
        raise error(f"package has duplicate part names; it is not a valid {kind}")
    try:
        check_zip_limits(infos, f"the {kind} file", DEFAULT_LIMITS)
        check_members(zin, f"the {kind} file")
    except ImportErrorWithContext as exc:
        raise error(exc.reason) from None
    return zin


class Package:
    """Parts by name (case-insensitive, as Office reads them) and their relationships."""

    def __init__(self, zin: zipfile.ZipFile, error: type[PackageError] = PackageError):
        self.zin = zin
        self.error = error
        self.by_lower = {i.filename.lower(): i for i in zin.infolist()}

    def info(self, name: str) -> zipfile.ZipInfo | None:
        return self.by_lower.get(name.lower())

    def read(self, name: str) -> bytes:
        info = self.info(name)
        if info is None:
            raise self.error(f"package part {name!r} is missing")
        try:
            return self.zin.read(info)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            raise self.error(f"cannot read package part {name!r}: {exc}") from None

    def rels(self, part: str) -> list[dict]:
        """The relationships of *part* (``""`` for the package itself)."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if self.info(rels_name) is None:
            return []
        root = parse_xml(self.read(rels_name), rels_name, self.error).getroot()
        out = []
        for el in root:
            if local_name(el.tag) != "Relationship":
                continue
            target = el.get("Target") or ""
            external = (el.get("TargetMode") or "").lower() == "external"
            if not external:
                if target.startswith("/"):
                    target = target.lstrip("/")
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
            out.append({"id": el.get("Id"), "type": el.get("Type") or "",
                        "target": target, "external": external})
        return out



# --------------------------------------------------------------------------- zip output

_LOCAL_SIG = b"PK\x03\x04"
_LOCAL_FMT = "<4s5H3I2H"  # sig, version, flags, method, time, date, crc, csize, usize, nlen, xlen
_CENTRAL_FMT = "<4s6H3I5H2I"
_EOCD_FMT = "<4s4H2IH"


def _strip_zip64_extra(extra: bytes) -> bytes:
    out, i = bytearray(), 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack("<HH", extra[i:i + 4])
        if hid != 0x0001:
            out += extra[i:i + 4 + size]
        i += 4 + size
    return bytes(out)


def _raw_entry(data: bytes, info: zipfile.ZipInfo, error: type[PackageError]) -> tuple[bytes, bytes, int, int, bytes]:
    """(raw name, local extra, dos time, dos date, compressed bytes) of *info* in *data*."""
    off = info.header_offset
    head = data[off:off + 30]
    if len(head) < 30 or head[:4] != _LOCAL_SIG:
        raise error(f"damaged zip: bad local header for {info.filename!r}")
    (_sig, _ver, _flags, _method, dos_time, dos_date, _crc, _cs, _us,
     nlen, xlen) = struct.unpack(_LOCAL_FMT, head)
    name = data[off + 30:off + 30 + nlen]
    extra = data[off + 30 + nlen:off + 30 + nlen + xlen]
    start = off + 30 + nlen + xlen
    body = data[start:start + info.compress_size]
    if len(body) != info.compress_size:
        raise error(f"damaged zip: {info.filename!r} is truncated")
    return name, _strip_zip64_extra(extra), dos_time, dos_date, body


def write_package(data: bytes, zin: zipfile.ZipFile, replaced: dict[str, bytes],
                  error: type[PackageError] = PackageError) -> bytes:
    """*data* (the archive *zin* was opened from) with the parts named in *replaced* holding their new
    bytes; every other entry, and the order of all, exactly as it was."""
    out = io.BytesIO()
    central = []
    for info in zin.infolist():
        if info.flag_bits & 0x1:
            raise error(f"zip entry {info.filename!r} is encrypted")
        name, lextra, dos_time, dos_date, body = _raw_entry(data, info, error)
        flags = info.flag_bits & ~0x0008  # no data descriptor: sizes are in the header
        method, version = info.compress_type, info.extract_version
        crc, usize = info.CRC, info.file_size
        if info.filename in replaced:
            plain = replaced[info.filename]
            crc, usize = zlib.crc32(plain) & 0xFFFFFFFF, len(plain)
            if method == zipfile.ZIP_STORED:
                body = plain
            else:
                method, version = zipfile.ZIP_DEFLATED, max(version, 20)
                comp = zlib.compressobj(6, zlib.DEFLATED, -15)
                body = comp.compress(plain) + comp.flush()
                flags &= ~0x0006  # compression-option bits described the old stream
        offset = out.tell()
        if max(offset, len(body), usize) > 0xFFFFFFFF:
            raise error("package too large (needs zip64)")
        out.write(struct.pack(_LOCAL_FMT, _LOCAL_SIG, version, flags, method, dos_time, dos_date,
                              crc, len(body), usize, len(name), len(lextra)))
        out.write(name)
        out.write(lextra)
        out.write(body)
        cextra = _strip_zip64_extra(info.extra)
        comment = info.comment or b""
        central.append(struct.pack(
            _CENTRAL_FMT, b"PK\x01\x02", (info.create_system << 8) | (info.create_version & 0xFF),
            version, flags, method, dos_time, dos_date, crc, len(body), usize, len(name),
            len(cextra), len(comment), 0, info.internal_attr, info.external_attr & 0xFFFFFFFF,
            offset) + name + cextra + comment)
    cd_offset = out.tell()
    for rec in central:
        out.write(rec)
    cd_size = out.tell() - cd_offset
    comment = (zin.comment or b"")[:0xFFFF]
    out.write(struct.pack(_EOCD_FMT, b"PK\x05\x06", 0, 0, len(central), len(central),
                          cd_size, cd_offset, len(comment)))
    out.write(comment)
    return out.getvalue()

