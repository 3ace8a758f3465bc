"""The status feature's input error, on its own so that every status module can raise it without importing
the service (which would bring the modules back round in a circle)."""
from __future__ import annotations

from vault.inputs import InvalidInput


class StatusError(InvalidInput):
    """Bad input with a specific, translatable message; `field` names the form field."""
