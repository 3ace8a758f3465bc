"""The Simplified Chinese catalogue: complete, placeholder-safe, compiled, and actually served.

When a check here fails after UI strings were added or changed:
    scripts/i18n extract      # refresh messages.pot and merge it into zh/LC_MESSAGES/messages.po
    (translate the new msgstr "" entries in messages.po, remove any "#, fuzzy")
    scripts/i18n compile      # rebuild messages.mo, which is committed
"""
from __future__ import annotations

import re
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "vault" / "translations"
POT = TRANSLATIONS / "messages.pot"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
ZH_MO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo"

# %(name)s, %(count)d, %(percent)s%%, %-5.2f ... and the literal %% (which Jinja's gettext formats too).
PERCENT_FORMAT = re.compile(r"%(?:\((?P<name>\w+)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conv>[diouxXeEfFgGcrsa%])")
BRACE_FORMAT = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
HTML_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def _read(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def pot():
    return _read(POT)


@pytest.fixture(scope="module")
def zh():
    return _read(ZH_PO)


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, (list, tuple)) else message.id


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _translated(catalog):
    return [m for m in catalog if m.id]


def test_header_declares_chinese_with_one_plural_form(zh):
    assert str(zh.locale) == "zh"
    assert zh.plural_forms == "nplurals=1; plural=0;"
    assert zh.num_plurals == 1
    assert not zh.fuzzy, "the catalogue header is marked fuzzy"


def test_every_msgid_in_the_template_has_a_chinese_translation(pot, zh):
    assert len(_translated(pot)) > 500, "messages.pot looks truncated; run scripts/i18n extract"
    missing, empty, fuzzy = [], [], []
    for template in _translated(pot):
        message = zh.get(template.id)
        if message is None:
            missing.append(_key(template))
            continue
        if message.fuzzy:
            fuzzy.append(_key(template))
        if not all(s.strip() for s in _strings(message)):
            empty.append(_key(template))
    assert not missing, f"in messages.pot but not in zh/messages.po (run scripts/i18n extract): {missing}"
    assert not empty, f"{len(empty)} untranslated zh messages: {empty}"
    assert not fuzzy, f"fuzzy zh messages (review them, then drop the flag): {fuzzy}"


def test_no_fuzzy_or_stale_entries_in_the_chinese_catalogue(pot, zh):
    template_keys = {_key(m) for m in _translated(pot)}
    assert not [m.id for m in zh if m.id and m.fuzzy]
    stale = sorted(_key(m) for m in _translated(zh) if _key(m) not in template_keys)
    assert not stale, f"zh/messages.po has entries no longer in messages.pot: {stale}"
    assert not list(zh.obsolete), "obsolete (#~) entries left in zh/messages.po"


def test_plural_entries_have_exactly_one_chinese_form(zh):
    plural = [m for m in _translated(zh) if m.pluralizable]
    for message in plural:
        assert len(_strings(message)) == 1, f"{_key(message)!r}: zh takes msgstr[0] only"


def _percent_specs(text: str) -> Counter:
    return Counter((m.group("name"), m.group("conv")) for m in PERCENT_FORMAT.finditer(text))


def _brace_fields(text: str) -> set[str]:
    return set(BRACE_FORMAT.findall(text))


def _tags(text: str) -> Counter:
    return Counter(t.lower() for t in HTML_TAG.findall(text))


@pytest.mark.parametrize("extract", [_percent_specs, _brace_fields, _tags],
                         ids=["percent-placeholders", "brace-placeholders", "html-tags"])
def test_placeholders_and_markup_survive_translation(zh, extract):
    problems = []
    for message in _translated(zh):
        if extract is _percent_specs and "python-format" not in message.flags:
            continue  # e.g. "between 1% and 100%": never %-formatted, so a lone % is plain text
        # The plural msgid carries the placeholders the single Chinese form has to cover.
        expected = extract(_ids(message)[-1])
        for text in _strings(message):
            if text and extract(text) != expected:
                problems.append(f"{_key(message)!r}: {extract(text)} != {expected}  ->  {text!r}")
    assert not problems, "\n".join(problems)


def test_named_placeholders_are_the_same_set(zh):
    """The brief's rule in its plainest form: same set of %(name)x names on both sides."""
    names = re.compile(r"%\((\w+)\)")
    for message in _translated(zh):
        expected = set(names.findall(" ".join(_ids(message))))
        for text in _strings(message):
            assert set(names.findall(text)) == expected, (_key(message), text)


def test_translations_can_be_formatted(zh):
    """Formatting each msgstr with dummy values must not raise (catches a stray lone %)."""
    for message in _translated(zh):
        if "python-format" not in message.flags:
            continue
        names = {n for n, _ in _percent_specs(_ids(message)[-1]) if n}
        values = {n: 1 for n in names}
        for text in _strings(message):
            text % values  # noqa: B018 -- raises on a malformed or mismatched placeholder


CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
HALF_WIDTH_IN_CHINESE = re.compile(rf"{CJK}(?:[,;!?]|[.:](?!\w)|\()|\){CJK}")


def test_chinese_sentences_use_full_width_punctuation(zh):
    bad = [s for m in _translated(zh) for s in _strings(m) if HALF_WIDTH_IN_CHINESE.search(s)]
    assert not bad, "use ，。；：！？（） after Chinese text: " + "\n".join(bad)


def test_compiled_catalogue_is_up_to_date(zh):
    assert ZH_MO.exists(), "messages.mo is missing: run scripts/i18n compile"
    with ZH_MO.open("rb") as fh:
        committed = read_mo(fh)
    buf = BytesIO()
    write_mo(buf, zh, use_fuzzy=False)
    buf.seek(0)
    fresh = read_mo(buf)

    def table(catalog):
        return {(_key(m) if m.pluralizable else m.id): tuple(_strings(m)) for m in catalog if m.id}

    assert table(committed) == table(fresh), "messages.mo is older than messages.po: run scripts/i18n compile"
    assert committed.plural_forms == zh.plural_forms


def test_template_is_up_to_date_with_the_source(pot):
    """Strings marked in code or templates but never extracted would silently stay English in zh."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as scripts/i18n: -k _l -k lazy_gettext
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message[0] if isinstance(message, (list, tuple)) else message)
    in_pot = {_key(m) for m in _translated(pot)}
    new = sorted(found - in_pot)
    assert not new, f"strings not in messages.pot yet (run scripts/i18n extract and translate them): {new}"


# -- served pages ----------------------------------------------------------------------------------------------

def test_login_page_in_chinese_for_a_chinese_browser(client):
    zh = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    html = zh.get_data(as_text=True)
    assert zh.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "登录" in html and "密码" in html and "在此设备上保持登录" in html
    assert "Sign in" not in html and "Password" not in html

    en = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in en and "Sign in" in en and "登录" not in en


def test_messages_from_python_code_are_translated_too(client):
    resp = client.post("/login", data={"email": "nobody@example.com", "password": "not the password at all"},
                       headers={"Accept-Language": "zh-CN"})
    html = resp.get_data(as_text=True)
    assert "邮箱或密码错误。" in html and "Wrong email or password." not in html


def test_lang_route_switches_to_chinese_and_back(client):
    switch = client.get("/lang/zh?next=/login")
    assert switch.status_code == 302 and switch.headers["Location"].endswith("/login")
    assert "vault_lang=zh" in switch.headers.get("Set-Cookie", "")
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "登录" in html  # the explicit choice beats the browser

    client.get("/lang/en?next=/login")
    html = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in" in html

    unknown = client.get("/lang/fr?next=/login")
    assert unknown.status_code == 302 and "vault_lang=fr" not in unknown.headers.get("Set-Cookie", "")


def test_signed_in_staff_pages_follow_the_language(client_as):
    c = client_as("security")
    html = c.get("/documents/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "<h1>文档</h1>" in html and "退出登录" in html and "Sign out" not in html

    c.get("/lang/en")
    assert "Sign out" in c.get("/documents/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_a_users_saved_language_wins(client_as):
    c = client_as("security", locale="zh")
    html = c.get("/documents/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "退出登录" in html


def test_switching_language_drops_a_lang_parameter_that_would_override_it(client):
    switch = client.get("/lang/en", query_string={"next": "/login?lang=zh&x=1"})
    assert switch.status_code == 302 and switch.headers["Location"].endswith("/login?x=1")
    assert "Sign in" in client.get(switch.headers["Location"]).get_data(as_text=True)


def test_the_language_switch_works_for_a_user_with_a_saved_language(client_as):
    c = client_as("security", locale="zh")
    c.get("/lang/en")
    html = c.get("/documents/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign out" in html
