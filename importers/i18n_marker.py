"""Translatable importer messages without an i18n library in the pure core.

`N_("the file is larger than %(mb)s MB")` only marks the template for `scripts/i18n extract`; the
message keeps its template and parameters apart, `render` gives the English text (str(), the CLI)
and the web layer translates the template first (vault.i18n.localized)."""
from __future__ import annotations


def N_(template: str) -> str:  # noqa: N802 - the gettext convention for a no-op marker
    return template


def render(template: str, params: dict | None) -> str:
    """The template with its parameters; a template without parameters is used as it is (no % escaping)."""
    return template % params if params else template


class TranslatableError(Exception):
    """An error for a person: `template` (English, marked with N_) and `params` kept apart, so str()
    is the English text and the web can show the template translated (vault.i18n.localized)."""

    def __init__(self, template: str, *, params: dict | None = None):
        self.template = template
        self.params = dict(params or {})
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        return render(self.template, self.params)
