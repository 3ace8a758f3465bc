"""Language choice: an explicit choice in this browser (?lang= or the switch's cookie), then the signed-in
user's saved preference, then the browser's Accept-Language."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, has_request_context, request
from flask_babel import gettext
from flask_login import current_user

LANG_COOKIE = "vault_lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands: messages in the default language
        return languages[0]
    explicit = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if explicit in languages:
        return explicit
    user_pref = getattr(current_user, "locale", None) if current_user and current_user.is_authenticated else None
    if user_pref in languages:
        return user_pref
    return request.accept_languages.best_match(languages) or languages[0]


def without_lang_param(target: str) -> str:
    """A local path with its ?lang= removed: after the language switch it would override the new choice."""
    parts = urlsplit(target)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return urlunsplit(("", "", parts.path, query, parts.fragment))


def localized_reason(item) -> str:
    """The reason of an importer error or row problem in the current language: its N_-marked template
    through gettext, then its parameters. Anything without a template (already translated) as it is."""
    template = getattr(item, "template", None)
    if not isinstance(template, str):
        return str(item)
    params = getattr(item, "params", None) or {}
    try:
        text = gettext(template)
        return text % params if params else text
    except (KeyError, ValueError, TypeError):  # a translation with broken placeholders: the English text
        return item.reason


def localized(item) -> str:
    """Like str(ImportErrorWithContext) but in the current language: the file, sheet and row, then the reason."""
    if not isinstance(getattr(item, "template", None), str):
        return str(item)
    where = []
    if getattr(item, "file", None):
        where.append(gettext('"%(file)s"', file=item.file))
    if getattr(item, "sheet", None):
        where.append(gettext('sheet "%(sheet)s"', sheet=item.sheet))
    if getattr(item, "row", None):
        where.append(gettext("row %(row)s", row=item.row))
    reason = localized_reason(item)
    if not where:
        return reason
    place = where[0]
    for more in where[1:]:
        place = gettext("%(place)s, %(more)s", place=place, more=more)
    return gettext("%(where)s: %(reason)s", where=place, reason=reason)
