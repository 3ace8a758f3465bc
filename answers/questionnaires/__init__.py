"""Questionnaires: upload, detection, review, export (see docs/questionnaires.md)."""
