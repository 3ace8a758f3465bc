"""STUB by the lead — the auth engineer replaces this file (error pages)."""


def register(app):
    pass
