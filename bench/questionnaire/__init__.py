"""Questionnaire end-to-end benchmark: `python -m bench.questionnaire`."""
