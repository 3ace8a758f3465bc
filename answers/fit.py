"""Moved to `answers.autofill.fit`. Kept only for `answers/library/issues.py`, which imports `meaning_of`
from here; delete this file when that import line names answers.autofill.fit."""
from answers.autofill.fit import fit_to_choices, meaning_of

__all__ = ["fit_to_choices", "meaning_of"]
