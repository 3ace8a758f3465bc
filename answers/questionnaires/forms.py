"""Forms and labels for the questionnaire pages. Review actions are small POSTs parsed in the view
(CSRF is checked for every POST by CSRFProtect: a hidden field, or the X-CSRFToken header from JS)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

STATUS_LABELS = {"open": _l("Open"), "suggested": _l("Suggested"), "edited": _l("Edited, not accepted"),
                 "accepted": _l("Accepted"), "rejected": _l("Rejected")}
STATUS_BADGES = {"open": "badge-none", "suggested": "badge-soon", "edited": "badge-soon",
                 "accepted": "badge-valid", "rejected": "badge-expired"}
HOW_LABELS = {"library": _l("Library answer"), "alternative": _l("Alternative library answer"),
              "edited": _l("Edited by a reviewer"), "written": _l("Written by a reviewer"), "": ""}
ROLE_LABELS = {"id": _l("ID"), "question": _l("Question"), "answer": _l("Answer"), "comment": _l("Comment / details"),
               "section": _l("Section"), "guidance": _l("Guidance")}
LAYOUT_SOURCES = {"detected": _l("Detected automatically"),
                  "remembered": _l("A correction remembered from an earlier file of the same layout"),
                  "corrected": _l("Corrected by hand")}
ACTIONS = ("accept", "save", "edit", "reject", "alternative", "reopen", "assign")


def confidence_band(value: float | None, flagged: bool = False) -> tuple[str, str]:
    """(badge class, words) so confidence is never shown as colour alone. "High" only from the auto-fill
    threshold (answers.matching.AUTOFILL_THRESHOLD, fitted on held-out questionnaires), and never for a
    flagged proposal: close wording is not a safe answer when the entry asks another question."""
    from flask_babel import gettext as _
    from answers.matching import AUTOFILL_THRESHOLD
    if value is None:
        return "badge-none", _("No match")
    pct = round(value * 100)
    if flagged and value >= 0.5:
        return "badge-soon", _("Similar wording (%(pct)d%%), check before accepting", pct=pct)
    if value >= AUTOFILL_THRESHOLD:
        return "badge-valid", _("High confidence (%(pct)d%%)", pct=pct)
    if value >= 0.5:
        return "badge-soon", _("Medium confidence (%(pct)d%%)", pct=pct)
    return "badge-expired", _("Low confidence (%(pct)d%%)", pct=pct)


FLAG_LABELS = {
    "answer_type": _l("the library answer is not the kind of answer asked for (e.g. Yes for a number or a duration)"),
    "stale": _l("the library entry is out of date: its evidence has expired or was withdrawn"),
    "draft": _l("the library entry is a draft: its answer has not been approved"),
}


def live_flags(flags: list[str] | None, stale: list | None) -> list[str]:
    """The item's stored flags, plus "stale" when its entry's evidence lapsed since it was matched."""
    flags = list(flags or [])
    return flags + ["stale"] if stale and "stale" not in flags else flags


def flag_reasons(flags: list[str] | None, stale: list | None = None) -> list[str]:
    """Reviewer sentences for QuestionItem.flags in the page's language: intent reasons through
    answers.matching.intent.explain, the others from FLAG_LABELS; "stale" names the lapsed evidence and
    the day when `stale` ([StaleEvidence]) is given. Unknown flags are shown as they are."""
    from flask_babel import get_locale, gettext as _
    from answers.matching.intent import explain
    from answers.library.stale import describe
    locale = str(get_locale() or "")
    lang = "zh" if locale.startswith("zh") else "en"
    out = []
    for flag in flags or []:
        if flag.startswith("intent:"):
            out += explain([flag.split(":", 1)[1]], lang)
        elif flag == "stale" and stale:
            out += [_("the library entry is out of date. %(why)s", why=describe(s, locale)) for s in stale]
        else:
            out.append(str(FLAG_LABELS.get(flag, flag)))
    return list(dict.fromkeys(out))


class UploadForm(FlaskForm):
    customer = StringField(_l("Customer"), validators=[DataRequired(), Length(max=200)],
                           description=_l("Who sent the questionnaire; their answers are recorded under this name."))
    file = FileField(_l("Questionnaire file"), validators=[FileRequired()],
                     description=_l("Excel (.xlsx, .xlsm), CSV, Word (.docx), PDF or VSAQ (.json)."))


def report_labels() -> dict:
    """The summary report's words in the reader's language (exporters/report.py is pure)."""
    from flask_babel import gettext as _
    return {
        "summary": _("Summary"), "questions": _("Questions"), "customer": _("Customer"), "file": _("File"),
        "uploaded": _("Uploaded"), "exported": _("Exported"), "by": _("by"), "total": _("Questions in total"),
        "accepted": _("Answered (accepted)"), "auto_accepted": _("Accepted as the library proposed"),
        "edited": _("Accepted after editing or written by a reviewer"),
        "suggested": _("Suggested, not yet reviewed"), "open": _("Open (no answer yet)"),
        "rejected": _("Rejected"), "reviewers": _("Reviewed by"), "still_open": _("Still open"),
        "edited_only": _("Edited, not accepted"), "bulk": _("Accepted in bulk"),
        # %-placeholders filled by the pure report (exporters/report.py)
        "bulk_by": _("accepted in bulk at %(pct)s or more, by %(who)s"),
        "columns": [_("ID"), _("Section"), _("Question"), _("Status"), _("Answer"), _("Details"), _("How"),
                    _("Auto-filled"), _("Library entry"), _("Confidence"), _("Reviewed by"), _("Reviewed at"),
                    _("Assigned to"), _("Comments"), _("Stale evidence")],
        "status": {k: str(v) for k, v in STATUS_LABELS.items()},
        "how": {k: str(v) for k, v in HOW_LABELS.items()},
        "yes": _("yes"), "no": _("no"),
        "stale": _("From a stale library entry (evidence expired or withdrawn)"),
    }
