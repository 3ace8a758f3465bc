"""Answers -> the customer's file with them written in, never over an answer the file already holds.

`keep_theirs` is the one "never overwrite the customer's own answer" rule: the CLI's `vault autofill`
(`filled_copy`) and the web export (`answers.questionnaires.export`) both pass their answers through it."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from answers.autofill.plan import Proposal
from exporters.filled import FilledAnswer, fill_questionnaire
from importers.model import Questionnaire


def write_filled(src: bytes, questionnaire: Questionnaire, proposals: list[Proposal], output: Path,
                 statuses: tuple[str, ...] = ("filled",), kept: list[str] | None = None) -> int:
    """Write the confident answers into a copy of the file (see `filled_copy`)."""
    data, written = filled_copy(src, questionnaire, proposals, statuses, kept)
    write_all({Path(output): data})
    return written


def filled_copy(src: bytes, questionnaire: Questionnaire, proposals: list[Proposal],
                statuses: tuple[str, ...] = ("filled",), kept: list[str] | None = None) -> tuple[bytes, int]:
    """(the file with the confident answers written in, cells written). A cell the file already answers
    is left as it is (its locator goes to `kept`, see `keep_theirs`).
    Raises ImportErrorWithContext or one of exporters.EXPORT_ERRORS for a file that cannot be filled."""
    answers = [FilledAnswer(p.question, p.answer, p.comment) for p in proposals if p.status in statuses]
    return fill_questionnaire(src, questionnaire, keep_theirs(answers, kept))


def keep_theirs(answers: list[FilledAnswer], kept: list[str] | None = None) -> list[FilledAnswer]:
    """The answers without the places the file already answers: the customer's own answer (or comment)
    is not ours to overwrite. Each place kept where we had something to write goes to `kept` ("'Sheet'!C5")."""
    result = []
    for a in answers:
        q = a.question
        theirs_answer, theirs_comment = _answered(q.existing_answer), _answered(q.existing_comment)
        for loc, mine, theirs in ((q.answer_at, a.answer, theirs_answer), (q.comment_at, a.comment, theirs_comment)):
            if kept is not None and loc is not None and mine and theirs:
                marked = q.marked_cell(q.existing_answer) if loc is q.answer_at else None  # their mark's cell
                kept.append(f"'{loc.sheet}'!{marked}" if marked else _where(loc))
        result.append(FilledAnswer(q, None if theirs_answer else a.answer, None if theirs_comment else a.comment))
    return result


def write_all(files: dict[Path, bytes]) -> None:
    """All or nothing: every file is written to a temporary file beside its target first; only when all
    are written are they renamed into place. On any failure (a missing folder, a full disk) the
    temporary files are removed and no target is touched. OSError propagates."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".autofill-")
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _path in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _where(loc) -> str:
    if loc.sheet and loc.cell:
        return f"'{loc.sheet}'!{loc.cell}"
    letter = loc.extra.get("column_letter")
    return f"{letter}{loc.row}" if letter else f"row {loc.row}"


_PROMPT = re.compile(r"^\s*(please|select|choose|click|enter|type|tbd\b|answer here|response here|-+$|_+$|\.+$|"
                     r"\[.*\]$|<.*>$|请选择|请填写|请输入|待填写)", re.IGNORECASE)


def _answered(existing: str | None) -> bool:
    """An answer the file already holds; "Please select", "[Answer]" or "请选择" only prompt for one."""
    return bool(existing and existing.strip() and not _PROMPT.match(existing))
