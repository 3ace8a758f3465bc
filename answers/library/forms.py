"""Web forms for the answer library pages."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

STATUS_LABELS = {"draft": _l("Draft"), "approved": _l("Approved"), "retired": _l("Retired")}
LANGUAGE_LABELS = {"en": _l("English"), "zh": _l("Chinese")}
FIELD_LABELS = {
    "ref": _l("Reference id"), "question": _l("Question"), "alternatives": _l("Other phrasings"),
    "answer_short": _l("Short answer"), "answer_full": _l("Full answer"), "category": _l("Category"),
    "tags": _l("Tags"), "framework_refs": _l("Framework references"), "status": _l("Status"),
    "language": _l("Language"), "owner_id": _l("Owner"), "last_reviewed_on": _l("Last reviewed"),
    "review_interval_days": _l("Review interval (days)"), "translation_of_id": _l("Translation of"),
    "source": _l("Source"), "evidence": _l("Evidence documents"), "public": _l("Public FAQ"),
}
# Why a public entry is not on the trust center's FAQ (answers.library.public.HIDDEN_REASONS)
HIDDEN_LABELS = {"not_approved": _l("it is not approved"), "never_reviewed": _l("it was never reviewed"),
                 "review_overdue": _l("its review is overdue"), "stale": _l("its evidence expired or was withdrawn")}
ROLE_LABELS = {
    "id": _l("Reference id"), "question": _l("Question"), "answer": _l("Answer"), "comment": _l("Details"),
    "category": _l("Category"), "tags": _l("Tags"), "alternatives": _l("Other phrasings"),
    "frameworks": _l("Framework references"), "status": _l("Status"), "language": _l("Language"),
}

_TAG_SPLIT = re.compile(r"[,，、;；\n]")
_LINE_SPLIT = re.compile(r"[\n;；]")


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _user_choices(users) -> list[SelectChoice]:
    return _choices([(0, _l("Nobody"))] + [(u.id, f"{u.name} <{u.email}>" if u.name else u.email)
                                           for u in users if u.active])


def split_tags(text: str | None) -> list[str]:
    """Tags typed on one line: commas (also Chinese ones) or semicolons separate them."""
    return list(dict.fromkeys(t.strip() for t in _TAG_SPLIT.split(text or "") if t.strip()))


def split_lines(text: str | None) -> list[str]:
    """One item per line (semicolons also separate framework references)."""
    return [t.strip() for t in (text or "").splitlines() if t.strip()]


def split_refs(text: str | None) -> list[str]:
    return [t.strip() for t in _LINE_SPLIT.split(text or "") if t.strip()]


class EntryForm(FlaskForm):
    ref = StringField(_l("Reference id"), validators=[Optional(), Length(max=100)],
                      description=_l("Left empty, a new id such as LIB-0042 is given."))
    question = TextAreaField(_l("Question"), validators=[DataRequired(_l("Enter the question."))])
    alternatives = TextAreaField(_l("Other phrasings (one per line)"))
    answer_short = StringField(_l("Short answer"), validators=[Length(max=200)],
                               description=_l("Yes, No, N/A or a few words."))
    answer_full = TextAreaField(_l("Full answer"))
    category = StringField(_l("Category"), validators=[Length(max=200)])
    tags = StringField(_l("Tags (separated by commas)"))
    framework_refs = TextAreaField(_l("Framework references (one per line)"),
                                   description=_l("For example: SOC 2 CC6.1, ISO 27001 A.8.5"))
    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS.items()), default="draft")
    language = SelectField(_l("Language"), choices=_choices(LANGUAGE_LABELS.items()), default="en")
    owner_id = SelectField(_l("Owner"), coerce=int, default=0)
    review_interval_days = IntegerField(_l("Review interval (days)"), default=365,
                                        validators=[InputRequired(_l("Enter the review interval in days.")),
                                                    NumberRange(1, 3650, _l("Enter between 1 and 3650 days."))])
    evidence = SelectMultipleField(_l("Evidence documents"))
    translation_of = StringField(_l("Translation of (reference id)"), validators=[Optional(), Length(max=100)],
                                 description=_l("The entry in the other language that this one translates."))
    public = BooleanField(_l("Publish in the trust center FAQ"),
                          description=_l("Shown to anyone on the trust center while the entry is approved, "
                                         "reviewed on time and its evidence is valid. Only the question, the "
                                         "answers, category and tags are shown."))
    revision = HiddenField()

    def set_choices(self, users, documents, locale: str) -> None:
        self.owner_id.choices = _user_choices(users)
        self.evidence.choices = _choices((d.uid, d.title_for(locale) or d.uid) for d in documents)

    def values(self) -> dict:
        """Service keyword arguments (without evidence and translation, which need look-ups)."""
        return {
            "ref": (self.ref.data or "").strip(), "question": self.question.data or "",
            "alternatives": split_lines(self.alternatives.data), "answer_short": self.answer_short.data or "",
            "answer_full": self.answer_full.data or "", "category": self.category.data or "",
            "tags": split_tags(self.tags.data), "framework_refs": split_refs(self.framework_refs.data),
            "status": self.status.data, "language": self.language.data,
            "owner_id": self.owner_id.data or None, "review_interval_days": self.review_interval_days.data,
            "public": bool(self.public.data),
        }

    def fill(self, entry) -> None:
        self.ref.data, self.question.data = entry.ref, entry.question
        self.alternatives.data = "\n".join(entry.alternatives or [])
        self.answer_short.data, self.answer_full.data = entry.answer_short, entry.answer_full
        self.category.data = entry.category
        self.tags.data = ", ".join(entry.tags or [])
        self.framework_refs.data = "\n".join(entry.framework_refs or [])
        self.status.data, self.language.data = entry.status, entry.language
        self.owner_id.data = entry.owner_id or 0
        self.review_interval_days.data = entry.review_interval_days
        self.public.data = bool(entry.public)
        self.evidence.data = [d.uid for d in entry.evidence]
        self.translation_of.data = entry.translation_of.ref if entry.translation_of else ""
        self.revision.data = str(entry.revision)


BULK_ACTIONS = {"approve": _l("Approve"), "retire": _l("Retire"), "set_owner": _l("Set owner"),
                "add_tag": _l("Add tag"), "mark_reviewed": _l("Mark reviewed"),
                "make_public": _l("Publish in the FAQ"), "make_private": _l("Remove from the FAQ")}


class BulkForm(FlaskForm):
    action = SelectField(_l("With the selected entries"), choices=_choices(BULK_ACTIONS.items()))
    owner_id = SelectField(_l("New owner"), coerce=int, default=0)
    tag = StringField(_l("Tag to add"), validators=[Length(max=100)])

    def set_choices(self, users) -> None:
        self.owner_id.choices = _user_choices(users)


class ActionForm(FlaskForm):
    """A POST button with its CSRF token only (restore, mark reviewed)."""


class UploadForm(FlaskForm):
    file = FileField(_l("Library file (CSV or XLSX)"))
    default_status = SelectField(_l("Status of new entries"),
                                 choices=_choices([("approved", _l("Approved")), ("draft", _l("Draft"))]), default="approved")
