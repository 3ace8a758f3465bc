"""STUB by the lead — the storage engineer replaces this file."""
