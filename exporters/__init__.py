"""Writers that put answers back into the customer's own questionnaire file.

Pure Python (no Flask / SQLAlchemy).  See docs/exporters.md.
"""
from exporters.csv_writer import CsvExportError, CsvFormat, detect_csv_format, fill_csv
from exporters.safety import is_formula_like, neutralise
from exporters.xlsx_patch import (
    MAX_CELL_CHARS,
    CellProblem,
    CellWrite,
    XlsxCellError,
    XlsxExportError,
    fill_xlsx,
)

__all__ = [
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
