"""Importer remarks (skip reasons, notes, warnings) that stay plain English strings but keep their
N_ template and parameters for the web to translate (see answers.questionnaires.service.detection_of)."""
from __future__ import annotations

from .i18n_marker import render


class Msg(str):
    """A message that is its English text (so comparisons, joins, the CLI and the stored JSON see plain
    English) and still knows its N_ template and parameters, for the web to translate:
    `Msg(N_("%(n)s rows left out"), n=3) == "3 rows left out"`."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        self = super().__new__(cls, render(template, params))
        self.template, self.params = template, params
        return self
