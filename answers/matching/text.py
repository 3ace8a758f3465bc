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
organization organisation organizations company companies firm vendor's business's entity institution institutions institutional
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


_WORD_SPAN = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def _synonyms() -> tuple[dict[str, int], dict[str, list[str]]]:
    """(first word -> most words in a variant starting with it, variant -> concepts)."""
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
    first: dict[str, int] = {}
    for v in variants:
        words = _WORD_SPAN.findall(v)
        if words:
            first[words[0]] = max(first.get(words[0], 0), len(words))
    return first, variants


def _concepts(text: str) -> list[str]:
    """Concept tokens of every variant found in the text, nested ones included ("security and privacy
    training" gives awareness and training); a concept repeated by a phrase nested in a longer phrase
    of the same concept counts once."""
    first, variants = _synonyms()
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD_SPAN.finditer(text)]
    out: list[str] = []
    spans: list[tuple[int, int, list[str]]] = []
    for i, (start, _, w) in enumerate(words):
        k = first.get(w)
        if not k:
            continue
        if start and text[start - 1].isalnum():
            continue
        for j in range(min(len(words), i + k) - 1, i - 1, -1):  # longest first
            end = words[j][1]
            concepts = variants.get(text[start:end])
            if not concepts:
                continue
            inside = {c for s0, e0, cs in spans if s0 <= start and end <= e0 for c in cs}
            spans.append((start, end, concepts))
            out.extend(CONCEPT_PREFIX + c for c in concepts if c not in inside)
    return out


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
    out.extend(_concepts(text))
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
    return _tokens_clean(clean(text))


def _tokens_clean(t: str) -> list[str]:
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


# Words that occur in almost every security question: they say little about which control is asked
# about, yet in a small library their IDF stays high. On the query side they count half.
GENERIC_WEIGHT = 0.5
_GENERIC_WORDS = """
data information security secure system systems application applications process processes procedure procedures
document documented documentation implement implemented implementation program programs programme control controls
manage managed management practice practices standard standards requirement requirements environment environments
sensitive confidential customer customers user users employee employees staff service services
""".split()
# Examples and asides: "(e.g., hosting providers, cloud services)", "such as ...", "for example ...".
EXAMPLE_WEIGHT = 0.5
_EXAMPLE = re.compile(
    r"[(\[（][^)\]）]*[)\]）]"                                           # any parenthesised aside...
    r"|\b(?:e\.g\.|i\.e\.|eg\.|ie\.|for example|for instance|such as|including)[^.?!;:()]*",  # ...or a trailing example list
    re.IGNORECASE)


@lru_cache(maxsize=1)
def generic_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in _GENERIC_WORDS)


def weighted_tokens(text: str) -> tuple[list[str], dict[str, float]]:
    """Query tokens (as tokens()) and a weight per distinct token: 1, or less for generic words and for
    words seen only in examples/asides. A short parenthesis such as "(WAF)" or "(SSO)" keeps full weight."""
    t = clean(text)
    toks: list[str] = []
    weight: dict[str, float] = {}
    generic = generic_stems()
    pos = 0
    segments = []
    for m in _EXAMPLE.finditer(t):
        segments.append((t[pos : m.start()], 1.0))
        inner = m.group(0)
        short = len(_WORD.findall(inner)) <= 2 and not re.match(r"[(\[（]\s*(?:e\.g|i\.e)", inner)
        segments.append((inner, 1.0 if short else EXAMPLE_WEIGHT))
        pos = m.end()
    segments.append((t[pos:], 1.0))
    for seg, w in segments:
        if not seg.strip():
            continue
        part = _tokens_clean(seg)
        toks.extend(part)
        for tok in part:
            tw = w * (GENERIC_WEIGHT if tok in generic else 1.0)
            if tw > weight.get(tok, 0.0):
                weight[tok] = tw
    return toks, weight


_ASIDE = re.compile(r"\s*[(\[（][^)\]）]*[)\]）]")


def strip_asides(text: str) -> str | None:
    """The text without parenthesised asides of 4+ words (notes, example lists), or None if there are none."""
    changed = False

    def drop(m: re.Match) -> str:
        nonlocal changed
        if len(_WORD.findall(m.group(0).lower())) >= 4:
            changed = True
            return ""
        return m.group(0)

    out = _ASIDE.sub(drop, text or "")
    return out.strip() if changed and out.strip() else None


def is_chinese(text: str) -> bool:
    cjk = len(_HAS_CJK.findall(text or ""))
    return cjk > 0 and cjk >= 0.2 * len(re.sub(r"\s", "", text))


def exact_key(text: str) -> str:
    """The wording alone (cleaned, punctuation and spacing folded): equal keys mean the same question text,
    even one made only of words the tokens drop ("Solution Description")."""
    return " ".join(re.findall(r"\w+", clean(text)))


def fuzzy_string(toks: list[str]) -> str:
    """Token string for rapidfuzz re-ranking: stems and concepts, without Chinese bigrams."""
    return " ".join(t for t in toks if not t.startswith(ZH_PREFIX))
