"""Text normalisation: numbering, boilerplate, synonyms, light stemming, Chinese segmentation.

Every text (incoming question or library entry, English or Chinese) becomes a list of tokens in one
shared vocabulary: English stems, concept tokens ("mfa", "sso", ...) and, for Chinese, the English
words of the glossary plus character bigrams ("zh:xx") so that zh<->zh matching still works for words
the glossary lacks.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK}]+")
_HAS_CJK = re.compile(f"[{CJK}]")
_WORD = re.compile(r"[a-z0-9]+(?:[./][0-9]+)*")

# Leading numbering / item ids: "3.2.1", "1)", "(a)", "Q12:", "IAM-02.1", "V1.2.3", "A.9.4.2", "GNRL-01".
_LEAD_ID = re.compile(
    r"^\s*(?:"
    r"(?:q(?:uestion)?\s*)?\d+(?:\.\d+)*[.)::]?"          # 3.2.1 / 12) / Q12:
    r"|\(?[a-z]\)"                                          # (a) / a)
    r"|[a-z]{2,6}[-_]\d+(?:[.-]\d+)*[a-z]?[.)::]?"          # IAM-02.1 / GNRL-01
    r"|[a-z]\.?\d+(?:\.\d+)+[.)::]?"                          # V1.2.3 / A.9.4.2
    r"|[ivxlc]+[.)]"                                        # iv.
    r")\s+",
    re.IGNORECASE,
)
# Inline references to other items ("see DATA-15", "(IAM-02.1)") and markdown links carry no meaning.
_INLINE_ID = re.compile(r"\b[A-Z]{2,6}-\d{2}(?:\.\d+)*\b")
_MD_LINK = re.compile(r"\(\[[^\]]*\]\([^)]*\)\)|\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
# Scope qualifiers such as "(SaaS only)", "(if applicable)", "(Y/N)".
_QUALIFIER = re.compile(
    r"[(\[（](?:[^)\]）]{0,40}\bonly|if applicable|optional|y/n|yes/no|required|mandatory|"
    r"saas|paas|iaas|on[- ]prem(?:ise)?s?|cloud|hosted)[^)\]）]{0,20}[)\]）]",
    re.IGNORECASE,
)

# A leading conditional clause ("For customers not using SSO, ...", "If you answered yes to X, ...")
# scopes the question; its words are not what the question asks about.
_LEAD_CONDITION = re.compile(r"^(?:if|for|when|where|in case|in the event)\b[^,?.;]{3,80},\s*(?=\S)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.?!:])\s+(?=[A-Z])")

# Generic questionnaire words: they say "this is a question", not what it is about.
STOPWORDS = frozenset("""
a an the and or nor but if then else of to in on at by for from with within without into onto over under
is are was were be been being am do does did done doing have has had having can could will would shall should
may might must not no yes n/a na
i me my we us our ours you your yours he she it its they them their theirs this that these those there here
what which who whom whose when where why how whether any all each every both either neither some such
as than so also very just only other others another same own per via e.g eg i.e ie etc
please describe description explain explanation provide provided providing detail details list outline
organization organisation organizations company companies firm vendor's business's entity institution institutions
solution product service offering platform tool
currently current presently exist existing place placed put
ensure ensures ensured make makes made use used uses using utilize utilise utilizes leverage leverages
include includes including included contain contains
verify verifies verified verification check confirm
following below above note applicable apply applies
appropriate adequate adequately sufficient sufficiently relevant
able ability capable capability capabilities support supports supported
one two three regard regarding related relate relating respect respective
answer question questions response respond
select option options choose best describes apply based well regularly generally
""".split())

# Concept tokens that stand for whole phrases should outweigh a single ordinary word.
CONCEPT_PREFIX = "c:"
ZH_PREFIX = "zh:"


def _data(name: str) -> str:
    return resources.files("answers.matching").joinpath("data").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _synonyms() -> tuple[re.Pattern, dict[str, list[str]]]:
    variants: dict[str, list[str]] = {}
    for line in _data("synonyms.txt").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        concept, _, rest = line.partition(":")
        for v in rest.split("|"):
            v = v.strip().lower()
            if v:
                variants.setdefault(v, [])
                if concept.strip() not in variants[v]:
                    variants[v].append(concept.strip())
    alts = sorted(variants, key=len, reverse=True)
    pattern = re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![a-z0-9])")
    return pattern, variants


@lru_cache(maxsize=1)
def glossary() -> dict[str, str]:
    """zh term -> English words (may be empty for function words)."""
    out: dict[str, str] = {}
    for line in _data("glossary_zh_en.txt").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        zh, _, en = line.partition("=")
        zh = unicodedata.normalize("NFKC", zh.strip()).lower()
        en = en.strip()
        out[zh] = (out[zh] + " " + en).strip() if zh in out and en not in out[zh] else en
    return out


@lru_cache(maxsize=1)
def _glossary_maxlen() -> int:
    return max(len(k) for k in glossary())


_STEP = (
    ("izations", ""), ("ization", ""), ("isation", ""), ("ational", "ate"), ("fulness", ""), ("iveness", ""),
    ("ousness", ""), ("ations", ""), ("ation", ""), ("ators", ""), ("ator", ""), ("ments", ""), ("ment", ""),
    ("ities", ""), ("ity", ""), ("ness", ""), ("ings", ""), ("ing", ""), ("ions", ""), ("ion", ""),
    ("iance", "i"), ("iant", "i"), ("ance", ""), ("ence", ""), ("ies", "y"), ("ied", "y"), ("ers", ""), ("er", ""), ("ed", ""), ("es", ""), ("able", ""), ("ible", ""),
    ("ive", ""), ("ize", ""), ("ise", ""), ("ate", ""), ("ally", ""), ("ply", "pli"), ("ly", ""), ("al", ""), ("s", ""),
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light suffix stripper: conflates encrypt/encrypted/encryption, log/logs/logging, policy/policies."""
    if len(word) <= 3 or not word.isalpha():
        return word
    w = word
    for _ in range(2):
        for suf, rep in _STEP:
            if w.endswith(suf) and len(w) - len(suf) + len(rep) >= 3:
                if suf == "s" and (w.endswith("ss") or w.endswith("us") or w.endswith("is")):
                    continue
                w = w[: len(w) - len(suf)] + rep
                break
        else:
            break
    if len(w) > 6 and w.endswith("at"):
        w = w[:-2]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    return w


def clean(text: str) -> str:
    """Unicode-fold, drop numbering, item ids, links and scope qualifiers; keep the wording."""
    t = unicodedata.normalize("NFKC", text or "")
    t = _MD_LINK.sub(lambda m: m.group(1) or " ", t)
    t = _URL.sub(" ", t)
    t = _INLINE_ID.sub(" ", t)
    t = _QUALIFIER.sub(" ", t)
    t = t.lower().replace("’", "'").replace("*", " ")
    prev = None
    while prev != t:  # "1. a) ..." has several layers
        prev = t
        t = _LEAD_ID.sub("", t, count=1)
    t = _LEAD_CONDITION.sub("", t, count=1)
    return re.sub(r"\s+", " ", t).strip()


def question_sentences(text: str) -> str | None:
    """The sentences that end in "?" when a long text also carries explanatory preamble, else None."""
    parts = _SENTENCE.split((text or "").strip())
    if len(parts) < 2:
        return None
    asked = [p for p in parts if p.rstrip().endswith("?")]
    if not asked or len(asked) == len(parts):
        return None
    return " ".join(asked)


def _english_tokens(text: str, out: list[str]) -> None:
    pattern, variants = _synonyms()
    for m in pattern.finditer(text):
        for concept in variants[m.group(0)]:
            out.append(CONCEPT_PREFIX + concept)
    for w in _WORD.findall(text.replace("-", " ").replace("'s", "")):
        if w in STOPWORDS or (len(w) == 1 and not w.isdigit()):
            continue
        s = stem(w)
        if s not in STOPWORDS:
            out.append(s)


def _segment_chinese(run: str, out: list[str]) -> None:
    """Forward maximum matching against the glossary; everything also yields character bigrams."""
    gl = glossary()
    maxlen = _glossary_maxlen()
    i = 0
    english: list[str] = []
    while i < len(run):
        for n in range(min(maxlen, len(run) - i), 0, -1):
            piece = run[i : i + n]
            if piece in gl:
                english.append(gl[piece])
                i += n
                break
        else:
            i += 1
    if english:
        _english_tokens(" ".join(english).lower(), out)
    if len(run) == 1:
        out.append(ZH_PREFIX + run)
    for j in range(len(run) - 1):
        out.append(ZH_PREFIX + run[j : j + 2])


def tokens(text: str) -> list[str]:
    """Tokens of one text, in order, with repeats (tf counts them)."""
    t = clean(text)
    out: list[str] = []
    if _HAS_CJK.search(t):
        # Glossary keys may mix scripts ("sql注入"), so try them on the raw text first.
        pos = 0
        for m in _CJK_RUN.finditer(t):
            _english_tokens(t[pos : m.start()], out)
            _segment_chinese(m.group(0), out)
            pos = m.end()
        _english_tokens(t[pos:], out)
    else:
        _english_tokens(t, out)
    return out


def is_chinese(text: str) -> bool:
    cjk = len(_HAS_CJK.findall(text or ""))
    return cjk > 0 and cjk >= 0.2 * len(re.sub(r"\s", "", text))


def fuzzy_string(toks: list[str]) -> str:
    """Token string for rapidfuzz re-ranking: stems and concepts, without Chinese bigrams."""
    return " ".join(t for t in toks if not t.startswith(ZH_PREFIX))
