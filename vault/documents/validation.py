"""Checks on uploads and document fields, shared by the web forms and the CLI.

Every refusal is an `UploadRefused`/`InvalidInput` with a specific, translatable message; nothing is
stored before these checks pass. No database access here.
"""
from __future__ import annotations

import io
import os
import shutil
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO, Iterator

from flask_babel import lazy_gettext as _l

from vault.inputs import BIDI_AND_INVISIBLE, InvalidInput, clean_text
from vault.tempcrypt import EncryptedTempFile
from vault.watermark import inspect_pdf
from vault.documents import mediatype
from vault.documents.models import FRAMEWORK_MAX, FRAMEWORKS

FILENAME_MAX = 200
TITLE_MAX = 300
DESCRIPTION_MAX = 5000
REASON_MAX = 2000
ISSUER_MAX = 200
NOTES_MAX = 5000
CHUNK = 1024 * 1024


class UploadRefused(InvalidInput):
    """A refused upload (the message goes beside the file field)."""

    def __init__(self, code: str, message, field: str = "file") -> None:
        super().__init__(code, message, field)


def _human_size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return str(n)


# --- file names -------------------------------------------------------------------------------

def check_filename(raw: str | None) -> str:
    """The display name of an upload, or UploadRefused saying why it is not acceptable.

    The name is only ever shown and offered back in Content-Disposition; the object is stored
    under a random key, so refusing path parts here is about honest display, not file safety.
    """
    name = unicodedata.normalize("NFC", raw or "")
    if not name.strip():
        raise UploadRefused("filename", _l("The file has no name."))
    if len(name) > FILENAME_MAX or len(name.encode("utf-8")) > 255:
        raise UploadRefused("filename", _l("The file name is too long (at most %(max)d characters).",
                                           max=FILENAME_MAX))
    if "/" in name or "\\" in name:
        raise UploadRefused("filename", _l("The file name contains a folder path (“/” or “\\”); "
                                           "upload the file itself, named without folders."))
    if name in (".", "..") or name.startswith(".."):
        raise UploadRefused("filename", _l("The file name cannot start with “..”."))
    for ch in name:
        if unicodedata.category(ch) == "Cc":
            raise UploadRefused("filename", _l("The file name contains a control character "
                                               "(such as a line break or NUL); rename the file."))
        if ch in BIDI_AND_INVISIBLE:
            raise UploadRefused("filename", _l("The file name contains invisible text-direction characters "
                                               "that can disguise its real type; rename the file."))
    if name != name.strip():
        raise UploadRefused("filename", _l("The file name starts or ends with spaces; rename the file."))
    return name


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1].lower()


# --- holding an upload while it is checked ------------------------------------------------------

@dataclass
class Spooled:
    """An upload held for the checks: an encrypted temporary file (`vault.tempcrypt`), or a file
    already on disk (tests). Read it with `open()` or `chunks()`, never by path."""

    source: Path | BinaryIO
    size: int
    _plain_dir: Path | None = field(default=None, repr=False, compare=False)

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The content from its first byte (an encrypted source is shared, not closed)."""
        if isinstance(self.source, (str, Path)):
            with open(self.source, "rb") as fh:
                yield fh
        else:
            self.source.seek(0)
            yield self.source

    def chunks(self, chunk_size: int = CHUNK) -> Iterator[bytes]:
        with self.open() as fh:
            while chunk := fh.read(chunk_size):
                yield chunk

    @property
    def path(self) -> Path:
        """A plaintext copy on disk, for the one caller that still wants a path (the public trust
        center logo, at most 1 MB; docs/security.md). 0600 in a private 0700 folder, removed when
        `spool` ends. Confidential uploads must use `open()`/`chunks()` instead."""
        if isinstance(self.source, (str, Path)):
            return Path(self.source)
        if self._plain_dir is None:
            self._plain_dir = Path(tempfile.mkdtemp(prefix="vault-plain-"))  # mode 0700
        path = self._plain_dir / "upload"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                for chunk in self.chunks():
                    out.write(chunk)
        return path

    def discard(self) -> None:
        if self._plain_dir is not None:
            shutil.rmtree(self._plain_dir, ignore_errors=True)
            self._plain_dir = None


@contextmanager
def spool(stream: BinaryIO, *, max_bytes: int, chunk_size: int = CHUNK) -> Iterator[Spooled]:
    """Hold an upload stream in an encrypted temporary file, refusing it past `max_bytes`.

    A stream that already is one (a file part parsed by `vault.http.VaultRequest`) is used as it is
    instead of being copied; the request closes it. Anything made here is gone when the block ends.
    """
    if isinstance(stream, EncryptedTempFile):
        held, owned = stream, False
        size = held.seek(0, io.SEEK_END)
        if size > max_bytes:
            raise too_large(max_bytes)
    else:
        held, owned, size = EncryptedTempFile(), True, 0
    spooled = Spooled(held, size)
    try:
        if owned:
            while chunk := stream.read(chunk_size):
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(max_bytes)
                held.write(chunk)
            spooled.size = size
        if size == 0:
            raise UploadRefused("empty", _l("The file is empty (0 bytes)."))
        held.seek(0)
        yield spooled
    finally:
        spooled.discard()
        if owned:
            held.close()


def too_large(max_bytes: int) -> UploadRefused:
    return UploadRefused("too_large", _l("The file is larger than the limit of %(limit)s.",
                                         limit=_human_size(max_bytes)))


def read_chunks(source: Path | BinaryIO, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The content of a path, or of an open file from its first byte, in chunks."""
    yield from Spooled(source, 0).chunks(chunk_size)


# --- content ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedUpload:
    """A spooled file that passed every check: safe to store as a version (`chunks()` feeds save_blob)."""

    spooled: Spooled
    filename: str
    media_type: str
    size: int
    page_count: int | None = None

    def chunks(self, chunk_size: int = CHUNK) -> Iterator[bytes]:
        return self.spooled.chunks(chunk_size)


def check_content(source: Path | BinaryIO, filename: str) -> mediatype.Detected:
    """The detected type, or UploadRefused if the content is refused or does not match the name."""
    ext = extension_of(filename)
    detected = mediatype.detect(source, extension=ext)
    if detected.executable:
        raise UploadRefused("executable", _l("The file is a program (%(kind)s); programs are not accepted.",
                                             kind=detected.label))
    allowed = mediatype.EXTENSIONS.get(ext)
    if allowed is None:
        accepted = ", ".join(sorted(mediatype.EXTENSIONS))
        if not ext:
            raise UploadRefused("extension", _l("The file name has no extension (such as .pdf), so its type cannot "
                                                "be checked. Accepted: %(accepted)s.", accepted=accepted))
        raise UploadRefused("extension", _l("Files named “%(ext)s” are not accepted. Accepted: %(accepted)s.",
                                            ext=ext, accepted=accepted))
    if detected.media_type not in mediatype.ACCEPTED:
        raise UploadRefused("unknown_type", _l("The file is named “%(ext)s” but its content looks like %(kind)s, "
                                               "which is not accepted.", ext=ext, kind=detected.label))
    if mediatype.base_type(detected.media_type) not in allowed:
        raise UploadRefused("type_mismatch", _l("The file is named “%(ext)s” but its content looks like %(kind)s. "
                                                "Check that you picked the right file.",
                                                ext=ext, kind=detected.label))
    return detected


def check_upload(spooled: Spooled, raw_filename: str | None) -> CheckedUpload:
    """Run every check on a spooled upload: name, type against content, PDF readability."""
    filename = check_filename(raw_filename)
    with spooled.open() as fh:
        detected = check_content(fh, filename)
    pages = None
    if detected.media_type == mediatype.PDF:
        with spooled.open() as fh:
            report = inspect_pdf(fh)  # the same checks the watermark runs at download, fed through a pipe
        if report.encrypted:
            raise UploadRefused("pdf_encrypted", _l("The PDF is encrypted or password-protected. Upload an "
                                                    "unprotected copy: protected files cannot be watermarked."))
        if report.broken:
            raise UploadRefused("pdf_broken", _l("The PDF cannot be read (%(problem)s). It may be damaged or "
                                                 "incomplete; export it again and retry.", problem=report.problem))
        pages = report.pages
    return CheckedUpload(spooled, filename, detected.media_type, spooled.size, pages)


# --- document and version fields ---------------------------------------------------------------

@dataclass
class VersionDates:
    effective_date: date | None = None
    expiry_date: date | None = None
    audit_period_start: date | None = None
    audit_period_end: date | None = None


def check_dates(d: VersionDates) -> None:
    if d.effective_date and d.expiry_date and d.expiry_date < d.effective_date:
        raise InvalidInput("dates", _l("The expiry date (%(expiry)s) is before the effective date (%(effective)s).",
                                       expiry=d.expiry_date.isoformat(), effective=d.effective_date.isoformat()),
                           field="expiry_date")
    if d.audit_period_start and d.audit_period_end and d.audit_period_end < d.audit_period_start:
        raise InvalidInput("dates", _l("The audit period ends (%(end)s) before it starts (%(start)s).",
                                       end=d.audit_period_end.isoformat(), start=d.audit_period_start.isoformat()),
                           field="audit_period_end")


def check_texts(texts: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """{language: (title, description)} -> cleaned; at least one title; a description needs a title."""
    cleaned: dict[str, tuple[str, str]] = {}
    for lang, (title, description) in texts.items():
        if "\n" in (title or "").strip() or "\r" in (title or "").strip():
            raise InvalidInput("title", _l("The title must be a single line."), field=f"title_{lang}")
        title = clean_text(title, field=f"title_{lang}", max_len=TITLE_MAX, label=_l("Title"), multiline=False)
        description = clean_text(description, field=f"description_{lang}", max_len=DESCRIPTION_MAX,
                                 label=_l("Description"))
        if description and not title:
            raise InvalidInput("title", _l("Give a title in this language too, or leave the description empty."),
                               field=f"title_{lang}")
        if title:
            cleaned[lang] = (title, description)
    if not cleaned:
        raise InvalidInput("title", _l("Give the document a title in at least one language."), field="title_en")
    return cleaned


def check_frameworks(known: list[str], custom: list[str]) -> list[str]:
    """Known codes plus custom names (trimmed, de-duplicated), or InvalidInput."""
    result: list[str] = []
    for code in known:
        if code not in FRAMEWORKS:
            raise InvalidInput("framework", _l("Unknown framework “%(name)s”.", name=code), field="frameworks")
        result.append(code)
    by_name = {name.casefold(): code for code, name in FRAMEWORKS.items()}
    for raw in custom:
        # Runs of spaces collapse on purpose: "ISO  27001" and "ISO 27001" are one framework.
        name = clean_text(" ".join((raw or "").split()), field="custom_frameworks", max_len=FRAMEWORK_MAX,
                          label=_l("Framework"), multiline=False)
        if not name:
            continue
        key = name.casefold()
        result.append(by_name.get(key) or (key if key in FRAMEWORKS else name))
    return sorted(dict.fromkeys(result))


def check_reason(reason: str | None) -> str:
    reason = clean_text(reason, field="reason", max_len=REASON_MAX, label=_l("Reason"))
    if not reason:
        raise InvalidInput("reason", _l("Say why the version is withdrawn."), field="reason")
    return reason


@contextmanager
def checked_file(path: Path | str, *, max_bytes: int, filename: str | None = None) -> Iterator[CheckedUpload]:
    """A file on disk (CLI, demo) through the same spool and checks as a web upload."""
    path = Path(path)
    if not path.is_file():
        raise UploadRefused("missing", _l("No such file: %(path)s", path=str(path)))
    with open(path, "rb") as fh, spool(fh, max_bytes=max_bytes) as spooled:
        yield check_upload(spooled, filename if filename is not None else path.name)
