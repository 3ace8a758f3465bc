"""Writers that put answers back into the customer's own questionnaire file.

Pure Python (no Flask / SQLAlchemy).  See docs/exporters.md.
"""
from exporters.answer_sheet import PdfFormError
from exporters.csv_writer import CsvExportError, CsvFormat, detect_csv_format, fill_csv
from exporters.docx_writer import DocxExportError
from exporters.safety import is_formula_like, neutralise
from exporters.xlsx_patch import (
    MAX_CELL_CHARS,
    CellProblem,
    CellWrite,
    XlsxCellError,
    XlsxExportError,
    fill_xlsx,
)

# What an exporter raises for a file it cannot fill (damaged, unsupported, refused writes): always a
# message for a person, never a traceback. The filled copy (exporters.filled) may also raise the
# importers' ImportErrorWithContext for a damaged source.
EXPORT_ERRORS = (XlsxExportError, CsvExportError, DocxExportError, PdfFormError)

__all__ = [
    "EXPORT_ERRORS",
    "DocxExportError",
    "PdfFormError",
    "CellWrite",
    "CellProblem",
    "XlsxExportError",
    "XlsxCellError",
    "MAX_CELL_CHARS",
    "fill_xlsx",
    "fill_csv",
    "detect_csv_format",
    "CsvFormat",
    "CsvExportError",
    "neutralise",
    "is_formula_like",
]
