"""STUB by the lead — the documents engineer replaces this file."""
