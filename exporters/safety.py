"""Spreadsheet formula-injection ("CSV injection") neutralising, and text clean-up for cells.

Where it is used, and why it differs per format (see docs/exporters.md):

* CSV: a spreadsheet program parses every CSV field as if it were typed in, so a field that
  starts with ``= + - @`` (or a tab / carriage return, which some programs skip before
  parsing) becomes a formula.  ``fill_csv`` therefore passes every value through
  :func:`neutralise`, which prefixes such values with a single quote ``'`` -- the OWASP
  recommendation, and the character Excel itself uses to mean "this is text".
* XLSX: ``fill_xlsx`` writes every value as an inline *string* cell (``t="inlineStr"``).
  Excel and LibreOffice never evaluate a string cell, so ``=1+1`` stays the literal text
  ``=1+1`` and the value is written unchanged (a ``'`` would be shown to the reader, and
  would break answers that other formulas compare with, e.g. HECVAT's ``"Yes"``/``"No"``).
  A formula-like value also gets a copy of its cell style with ``quotePrefix="1"``, so Excel
  keeps it text when a person edits the cell or saves the sheet as CSV.
"""
from __future__ import annotations

import re

__all__ = [
    "FORMULA_TRIGGERS",
    "is_formula_like",
    "neutralise",
    "strip_illegal_xml_chars",
]

#: Characters that make a spreadsheet program treat typed-in / CSV text as a formula.
#: ASCII ``= + - @``, tab and CR (OWASP), plus their full-width forms, which some East-Asian
#: input methods and Excel builds fold to ASCII before parsing.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

# Whitespace that a program may skip before it looks at the first character.
_LEADING_SPACE = " \n\u00a0\u3000\ufeff"


def is_formula_like(value: str) -> bool:
    """True when *value*, typed into a spreadsheet, could be parsed as a formula.

    The first character is checked, and also the first character after leading spaces,
    newlines, no-break / ideographic spaces and a BOM (some importers trim them).
    """
    if not value:
        return False
    if value[0] in FORMULA_TRIGGERS:
        return True
    stripped = value.lstrip(_LEADING_SPACE)
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def neutralise(value: str) -> str:
    """Make *value* inert as a spreadsheet formula by prefixing a single quote ``'``.

    ``"=1+1"`` -> ``"'=1+1"``, ``"  =1+1"`` -> ``"'  =1+1"``; values that cannot start a
    formula are returned unchanged (so neutralising twice is the same as once: ``'`` is
    not a trigger).  Note that legitimate values such as ``"-1"`` or ``"+44 20 ..."`` get
    the prefix too: in a CSV there is no way to tell them apart from a payload.
    """
    if not isinstance(value, str):
        raise TypeError(f"neutralise() expects str, got {type(value).__name__}")
    return "'" + value if is_formula_like(value) else value


# XML 1.0 Char production minus what is allowed: everything except
# #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_illegal_xml_chars(value: str) -> str:
    """Remove characters that cannot appear in an XML 1.0 document (C0 controls other
    than tab/LF/CR, lone surrogates, U+FFFE, U+FFFF)."""
    return _ILLEGAL_XML.sub("", value)
