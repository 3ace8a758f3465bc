"""Proposals -> the customer's file with the confident answers written in."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from answers.autofill import Proposal
from exporters.filled import FilledAnswer, fill_questionnaire
from importers.model import Questionnaire


def write_filled(src: bytes, questionnaire: Questionnaire, proposals: list[Proposal], output: Path,
                 statuses: tuple[str, ...] = ("filled",)) -> int:
    answers = [FilledAnswer(p.question, p.answer, p.comment) for p in proposals if p.status in statuses]
    data, written = fill_questionnaire(src, questionnaire, answers)
    output = Path(output)
    fd, tmp = tempfile.mkstemp(dir=output.parent or ".", prefix=".autofill-")
    with os.fdopen(fd, "wb") as fh:  # never leave a half-written file under the output name
        fh.write(data)
    os.replace(tmp, output)
    return written
