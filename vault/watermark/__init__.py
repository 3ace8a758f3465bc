"""Per-download watermarks for confidential documents, and tracing a leaked copy back to its download.

Pure: no Flask, no database. See docs/watermark.md.
"""
from vault.watermark.base import Recipient, WatermarkError
from vault.watermark.docx import watermark_docx
from vault.watermark.pdf import PdfInfo, PreparedPdf, inspect_pdf, prepare_pdf, watermark_pdf
from vault.watermark.trace import TraceResult, find_download_id

__all__ = ["PdfInfo", "PreparedPdf", "Recipient", "TraceResult", "WatermarkError", "find_download_id",
           "inspect_pdf", "prepare_pdf", "watermark_docx", "watermark_pdf"]
