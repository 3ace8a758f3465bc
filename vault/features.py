"""The parts of the app, in registration order: the one list `create_app` walks.

Each package's `register(app)` adds its blueprints, its `vault` commands and its providers (for example
the dates it puts on legal's timeline). A new feature is one package with the usual files and one line here.
"""
from __future__ import annotations

from importlib import import_module

PARTS = (
    # platform parts with pages or commands
    "vault.auth", "vault.admin", "vault.notify", "vault.storage",
    # features
    "vault.documents", "answers.library", "vault.trust", "vault.access", "vault.expiry", "status",
    "answers.questionnaires",
)


def register_all(app) -> None:
    for name in PARTS:
        import_module(name).register(app)
