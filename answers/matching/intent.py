"""Question intent: what kind of answer a question wants, beyond its topic (issue #12 part 3).

A topic match is not an answer. "Have you had a personal data breach?" and "Do you have an incident
response plan?" share a topic; the second's "Yes" must not be sent for the first. This module reads, from
the wording alone (English and Chinese, regexes only, no model):

- ``wants``: the kind of answer asked for: yesno | number | duration | frequency | date | list | text;
- ``past_event``: whether something *happened* (breach, incident, fine, lawsuit, outage, audit finding)
  rather than whether a control exists ("Have you implemented MFA?" is not a past event);
- ``subject``: whose practice or capability is asked about: self | third_party ("Does your cloud provider
  have access to your keys?" vs "Do you require your vendors to encrypt data?", which is about *you*);
- ``negated``: "do you NOT / never / prohibit / without ...", 禁止 / 不得 / 从不 ...

and compares two questions (``intent_mismatch``) or a question and an answer (``answer_fits``).
Pure Python; every regex is compiled once; results per text are cached.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

WANTS = ("yesno", "number", "duration", "frequency", "date", "list", "text")
ANSWER_KINDS = ("yesno", "number", "duration", "frequency", "date", "text", "empty")

FLAG_AT = 0.5  # intent_mismatch >= FLAG_AT: the entry's answer should not be sent for the question


@dataclass(frozen=True)
class Intent:
    wants: str        # "yesno" | "number" | "duration" | "frequency" | "date" | "list" | "text"
    past_event: bool  # asks whether something happened rather than whether a control exists
    subject: str      # "self" | "third_party"  (whose practice/capability is asked about)
    negated: bool


# ---- normalisation ---------------------------------------------------------------------------------
_CJK = re.compile(r"[\u3400-\u9fff]")
_LEAD_ID = re.compile(r"^\s*(?:(?:[a-z]{1,6}-\d{1,3}(?:\.\d+)*|v?\d+(?:\.\d+)*|\(?[a-z0-9]\)|q\d+)[.:)\s]\s*)+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": "-", "\uff1f": "?", "\uff0c": ",", "\uff1b": ";", "\uff1a": ":",
                         "\uff08": "(", "\uff09": ")"})


def _norm(text: str, lead_ids: bool = True) -> str:
    t = " ".join((text or "").translate(_QUOTES).lower().split())
    return _LEAD_ID.sub("", t) if lead_ids and t[:1].isalnum() | (t[:1] == "(") else t


# ---- English patterns ----------------------------------------------------------------------------
_AUX = r"(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would|shall|should|must|may)"
_YESNO_START = re.compile(rf"(?:^|[.?!;:] |\bif (?:so|yes|not),? )(?:and |also |please confirm (?:whether|that|if) )?{_AUX}\b")
_LATER = re.compile(r"[.?!;:] |\bif (?:so|yes)\b,?")
_CHOICES = re.compile(r"\b(?:any|all|each|which|one or more) of the following\b")
_STATEMENT = re.compile(r"^(?:verify|ensure|confirm|check|validate)\b|\b(?:shall|must|should|is required to|are required to)\b")

_FREQ_ASK = re.compile(
    r"\bhow (?:often|frequently|regularly)\b|\b(?:at|on) what (?:interval|frequency|cadence|schedule)\b"
    r"|\bwhat is the (?:frequency|cadence|interval)\b|\bfrequency (?:of|at which|with which)\b"
    r"|\bhow many times (?:a|per|each|every) (?:day|week|month|quarter|year)\b")
_DUR_ASK = re.compile(
    r"\bhow long\b|\bwithin how many\b|\bhow many (?:hours|days|minutes|weeks|months|years|seconds)\b"
    r"|\bhow much time\b|\bhow quickly\b|\bhow soon\b"
    r"|\bwhat (?:is|are) (?:the |your )?(?:\w+ ){0,3}(?:rto|rpo|retention (?:period|time)|timeout|time-?out"
    r"|recovery time|recovery point|time to \w+|duration|lifetime|validity period|(?:session )?expiry)\b"
    r"|\b(?:rto|rpo)s?\b(?: and (?:rto|rpo)s?)?\s*\?|\bretention period\s*\?")
_DATE_ASK = re.compile(
    r"(?:^|[.?!] )when (?:was|were|did|is|will|are|do|does|has|have|can)\b|\bwhat (?:is|was) the date\b|\bwhat date\b|\bdate of (?:the |your )?(?:last|most recent|next|latest)\b"
    r"|\bin what year\b|\bwhat year\b|\bwhen (?:was|were|did|is|will|are)\b|\bas of what date\b")
_NUM_ASK = re.compile(
    r"\bhow many\b|\bhow much\b|\bwhat (?:is the |are the )?(?:percentage|percent|proportion|number|count|ratio)\b"
    r"|\bwhat (?:is|are) (?:the |your )?(?:minimum|maximum|max|min|total|average)\b"
    r"|\bwhat (?:is|are) (?:the |your )?(?:\w+ ){0,2}(?:length|size|headcount|number)\b|\bhow big\b")
_LIST_ASK = re.compile(
    r"^(?:please )?(?:list|enumerate|name|identify|select|specify)\b|\bplease (?:list|enumerate|name|specify)\b"
    r"|\b(?:select|check|mark|tick) all\b|\bwhich of the following\b|\blist (?:all|any|the|your)\b"
    r"|^which\b|[.?!] which\b|\bwhat (?:\w+ )?(?:types|kinds|sorts|categories|standards|frameworks|tools|protocols"
    r"|countries|locations|regions|certifications|services|products|vendors|providers|subprocessors|methods"
    r"|mechanisms|controls|algorithms|languages|platforms|systems|data elements|fields)\b")
_TEXT_ASK = re.compile(
    r"^(?:please )?(?:describe|explain|provide|detail|outline|summari[sz]e|discuss|share|elaborate|state)\b"
    r"|\bplease (?:describe|explain|provide|detail|outline|elaborate)\b|\b(?:describe|explain) (?:how|why|what|your|the)\b"
    r"|^how\b|[.?!] how\b|^why\b|^where\b|^what\b|^who\b|\bwho (?:is|are)\b")

_PAST_FRAME = re.compile(
    r"\b(?:have|has) (?:you|your \w+|the \w+|there|any \w+|it)(?: \w+){0,2}? (?:ever )?(?:had|experienced|suffered|sustained"
    r"|incurred|received|faced|been|encountered|reported|paid|settled|identified any|discovered|detected)\b"
    r"|\bhave there been\b|\bhas there (?:ever )?been\b|\bwere there\b|\bwas there\b|\bdid (?:you|your|the|any)\b"
    r"|\bever (?:been|had|experienced|suffered)\b|\b(?:in|within|during|over) the (?:past|last|previous|preceding) "
    r"(?:\w+ ){0,2}(?:years?|months?|days?|weeks?)\b|\bsince (?:19|20)\d\d\b|\bin (?:19|20)\d\d\b|\boccurred\b"
    r"|\bhappened\b|\bto date\b|\boperated without\b")
_EVENT = re.compile(
    r"\b(?:breach(?:es|ed)?|incidents?|compromis(?:e|es|ed)|violations?|fines?|fined|penalt(?:y|ies)|lawsuits?|litigation"
    r"|sued|sanctions?|findings?|outages?|disruptions?|downtime|enforcement|investigations?|complaints?|claims?"
    r"|attacks?|ransomware|leaks?|leaked|exposures?|losses|lost|stolen|theft|hacked|intrusions?|exceptions?"
    r"|non-?conformit(?:y|ies)|deficienc(?:y|ies)|qualified opinion|settlements?|subpoenas?|regulatory action"
    r"|notifications? to (?:a |any )?(?:regulator|authority|agency))\b")
# present perfect of putting a control in place is not an event ("Have you implemented MFA?")
_CONTROL_PERFECT = re.compile(
    r"\b(?:have|has) (?:you|your \w+|the \w+) (?:\w+ )?(?:implemented|adopted|established|deployed|documented|defined"
    r"|designated|appointed|completed|conducted|performed|undergone|obtained|achieved|put in place|taken|entered"
    r"|identified|trained|limited|selected|created|developed|updated|reviewed|tested|signed)\b")

_TP = (r"(?:third[- ]part(?:y|ies)(?: \w+)?|vendors?|suppliers?|(?:cloud |hosting |service |solution |managed |data center |"
       r"datacenter |infrastructure |saas |iaas |paas |outsourcing |email |payment |identity |network |sub-?)?providers?"
       r"|sub-?processors?|sub-?contractors?|contractors?|outsourc(?:ers?|ing partners?)|partners?|processors?"
       r"|customers?|clients?|(?:the |each )?institution|tenants?|auditors?|csps?|msps?|isps?|data centers?|datacenters?"
       r"|(?:aws|azure|gcp|google cloud|amazon web services))")
_TP_SUBJECT = re.compile(
    rf"(?:^|[.?!;] |\bif (?:so|yes),? )(?:{_AUX}|how|where|when|why)(?: (?:often|long|many|much|frequently))?"
    rf"(?: {_AUX})? (?:(?:your|the|any|all|our|its|each|every|an?|such|those|these) )?"
    rf"(?:(?!(?:with|to|by|of|for|from|on|in|at|and|or|that|which|who|you|we|it|data|information|shared|sent|"
    rf"disclosed|provided|given|required|use|used|have|has|had|access|is|are|be|been)\b)[\w'-]+ ){{0,3}}{_TP}\b"
    rf"(?! of you| of your|-|(?:'s?|s') (?!(?:employees|staff|personnel|developers|administrators|admins|engineers|team)\b)| (?:data|information|records|content|files|accounts?|environments?|systems?|keys?|pii"
    rf"|personal|instances?|support|facing|owned|provided|supplied|specific|managed|side|service|contracts?|agreements?)\b)")
_TP_AGENT = re.compile(rf"(?<!or )\b(?:performed|conducted|done|carried out|managed|operated|hosted|run|held|stored|"
                       rf"maintained|accessed|provided|completed|owned) (?:\w+ly )?by (?:an? |the |your |any )?(?:independent |external |"
                       rf"outside |accredited )?{_TP}\b")
_SELF_FIRST = re.compile(rf"^(?:{_AUX}|how|what|where|when|which|why) (?:you|we|your (?:organi[sz]ation|company|firm|team|"
                         rf"staff|employees|business|solution|product|service|application|system|platform))\b")

_NEG = re.compile(
    r"\b(?:not|never|no longer|nor|neither|prohibit(?:s|ed|ing)?|forbid(?:s|den)?|disallow(?:s|ed)?|refrain|without|ban(?:s|ned)?)\b"
    r"|n't\b|\bno (?:\w+ )?(?:one|data|access|personal|customer|user|employee|staff|third|vendor|passwords?|logs?|copies)\b")
_NEG_FALSE = re.compile(
    r"\b(?:whether or not|or not|if not|not limited to|not applicable|not only|if you do not|if it does not|"
    r"where not|not just|without limitation|not less than|not exceeding|not more than|no later than|no less than|"
    r"no more than|not to exceed|regardless|answer no|not be applicable|no-cost|if no,?|if \"no\")\b[^.?;]*")

# ---- Chinese patterns ----------------------------------------------------------------------------
_ZH_FREQ = re.compile(r"多久(?:[^，。？,?]{0,12})一次|多长时间(?:[^，。？,?]{0,12})一次|频率|频次|频度|周期是|间隔多|每(?:年|月|季度|周)(?:几|多少)次|多少次")
_ZH_DUR = re.compile(r"多久|多长时间|多长期限|期限是|期限为多|保存期|保留期|时长|多少(?:天|小时|分钟|个月|年|周|秒)|几(?:天|小时|分钟|个月|年)"
                     r"|恢复时间目标|恢复点目标|\brto\b|\brpo\b|超时时间")
_ZH_DATE = re.compile(r"何时|什么时候|哪一年|哪年|哪天|日期|什么时间|何年|时间(?:是|为)(?:什么|何时)?[？?]?$")
_ZH_NUM = re.compile(r"多少|几个|几名|几人|几家|几台|数量是|数量为|人数|比例|百分比|比率")
_ZH_LIST = re.compile(r"哪些|列出|列举|请列|有哪几|哪几")
_ZH_TEXT = re.compile(r"如何|怎样|怎么|描述|简述|介绍|阐述|请说明|说明(?:一下)?(?:贵|您|你)|什么方式|哪种方式|采取了什么")
_ZH_YESNO = re.compile(r"是否|有没有|能否|可否|是不是|会否|有无|吗[？?]?$|^(?:应|须|需|必须|验证|确认|确保|检查)|(?:应|须)(?:当)?(?:保证|确保|采用|提供|对|在|设置|建立|制定|具有|能)")
_ZH_Q_MARK = re.compile(r"是否|有没有|能否|可否|是不是|会否|有无|应|须|需要|必须|能够|可以|会")
_ZH_PAST = re.compile(r"(?:曾经?|过去|近|最近|以往)(?:[^，。？]{0,8})(?:发生|遭受|出现|受到|被|经历|有过|收到)|(?:发生|遭受|出现|受到|经历|收到|有)过|从未发生|"
                      r"过去(?:一|二|两|三|五|1|2|3|5|十二|12|三十六|36)(?:年|个月)|近(?:一|二|两|三|五|1|2|3|5)年|是否曾")
_ZH_EVENT = re.compile(r"泄露|泄漏|事件|事故|处罚|罚款|诉讼|违规|违法|中断|宕机|入侵|攻击|勒索|丢失|被盗|投诉|调查|整改通知|通报|不符合项")
_ZH_TP = r"(?:第三方|供应商|服务商|云服务商|云服务提供商|云平台|云提供商|分包商|外包商|外包方|外包服务商|合作方|合作伙伴|服务提供商|承包商|客户(?!端)|云服务客户|托管商|运营商|子处理者|数据处理者|受托方|外部人员|审计机构|测评机构)"
_ZH_TP_RE = re.compile(_ZH_TP)
_ZH_TRAILING = re.compile(r"[，,；;](?:并且|并|且|而且|同时)")
_ZH_SELF = re.compile(r"贵(?:公司|司|方|单位|组织|机构)|你们|您|我方|本公司|本单位|公司(?!的客户)|(?:^|[，。])(?:应|须)")
_ZH_NEG = re.compile(r"禁止|严禁|不得|不准|从不|从未|绝不|不会|不允许|不能|不可|不应|不要|不存在|不使用|不存储|不保存|不记录|不共享|不收集|"
                     r"不提供|不包含|不含|未经(?!授权)|不是|没有(?!.{0,3}(?:吗|[？?]))|无需|免于|停止|禁用")
_ZH_NEG_FALSE = re.compile(r"有没有|是不是|不限于|不少于|不低于|不超过|不高于|不大于|不小于|不同|不适用|不受信任|不安全|不必要|不需要|不足|不断|不易|不仅|不定期|不良")

# ---- qualifiers: a required period or quantity inside a yes/no question ---------------------------
_UNIT_DAYS = {"second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1, "business day": 1, "week": 7,
              "month": 30, "quarter": 91, "year": 365, "annum": 365}
_WORDNUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20, "thirty": 30,
            "thirty-six": 36, "forty-five": 45, "sixty": 60, "ninety": 90, "hundred": 100}
_NUMWORD = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted((re.escape(w) for w in _WORDNUM if w not in ("a", "an")), key=len, reverse=True)) + ")"
_PERIOD_WORDS = {"daily": 1, "nightly": 1, "weekly": 7, "biweekly": 14, "fortnightly": 14, "monthly": 30, "quarterly": 91,
                 "semi-annually": 182, "semiannually": 182, "biannually": 182, "twice a year": 182, "twice yearly": 182,
                 "annually": 365, "yearly": 365, "once a year": 365, "every year": 365, "each year": 365,
                 "per year": 365, "a year": 365, "once a month": 30, "every month": 30, "each month": 30,
                 "every quarter": 91, "each quarter": 91, "every week": 7, "each week": 7, "every day": 1,
                 "each day": 1, "every six months": 182, "every 6 months": 182, "every two years": 730,
                 "every 2 years": 730, "biennially": 730, "continuously": 0, "continuous": 0, "real time": 0,
                 "real-time": 0, "24 x 7": 0, "24x7": 0, "24/7": 0}
_PERIOD = re.compile(r"\b(?:" + "|".join(sorted((re.escape(w) for w in _PERIOD_WORDS), key=len, reverse=True)) + r")\b"
                     rf"|\bevery {_NUMWORD} (?:business days?|days?|weeks?|months?|years?|hours?)\b")
_ZH_PERIOD_WORDS = {"每天": 1, "每日": 1, "每周": 7, "每月": 30, "每季度": 91, "每季": 91, "每半年": 182, "半年": 182,
                    "每年": 365, "年度": 365, "每两年": 730, "实时": 0, "持续": 0, "7×24": 0, "7x24": 0}
_ZH_PERIOD = re.compile("|".join(sorted((re.escape(w) for w in _ZH_PERIOD_WORDS), key=len, reverse=True)))
_QUANT = re.compile(rf"\b{_NUMWORD}[- ]?(?:\+ )?(?:business days?|days?|hours?|minutes?|seconds?|weeks?|months?|years?|"
                    rf"characters?|chars|digits?|bits?|attempts?|failed (?:login )?attempts?|times|percent|%|employees|"
                    rf"people|users|copies|locations|sites)\b|\b\d+(?:\.\d+)?\s?(?:%|gb|tb|mb)\b|\b\d+-bit\b|\baes-?\d+\b|\btls ?1\.\d\b")
_ZH_QUANT = re.compile(r"(?:\d+|[一二两三四五六七八九十百千]+)(?:个)?(?:天|日|小时|分钟|秒|周|个月|月|年|位|个字符|字符|次|%|人|份)")


def _any(t: str, words: tuple[str, ...]) -> bool:
    """Cheap substring gate before a slow alternation regex (most questions have none of the words)."""
    for w in words:
        if w in t:
            return True
    return False


_G_WH = ("how", "what", "when", "which", "date", "year", "rto", "rpo", "retention", "frequen", "interval", "cadence")
_G_NEG = ("not", "never", "no ", "nor", "neither", "prohibit", "forbid", "disallow", "refrain", "without", "ban", "n't")
_G_TP = ("third", "3rd", "vendor", "supplier", "provider", "processor", "contractor", "outsourc", "partner", "customer",
         "client", "institution", "tenant", "auditor", "csp", "msp", "isp", "data center", "datacenter", "aws", "azure",
         "gcp", "google cloud", "amazon")
_G_PERIOD = ("daily", "nightly", "weekly", "monthly", "quarterly", "annual", "yearly", "every", "each", "per year",
             "a year", "twice", "continu", "real", "24", "fortnight")


_G_NUM_RE = re.compile(r"[0-9一二两三四五六七八九十百]|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
                       r"|fifteen|eighteen|twenty|thirty|forty|sixty|ninety|hundred)")


def _is_zh(t: str) -> bool:
    return len(_CJK.findall(t)) >= 2


@lru_cache(maxsize=65536)
def question_intent(text: str) -> Intent:
    t = _norm(text)
    if _is_zh(t):
        return _zh_intent(t)
    return Intent(_en_wants(t), _en_past(t), _en_subject(t), _en_negated(t))


def _en_wants(t: str) -> str:
    # A specific ask wins, also in a later sentence ("Do you have a DR plan? If so, what is your RTO?" wants a
    # duration); inside a yes/no sentence it is embedded ("a strategy that defines how many versions you support").
    yesno = _YESNO_START.search(t)
    first = yesno is not None and yesno.start() == 0
    ask = _LATER.split(t, maxsplit=1)[1] if first and _LATER.search(t) else ("" if first else t)
    if ask and _any(ask, _G_WH):
        if _FREQ_ASK.search(ask):
            return "frequency"
        if _DUR_ASK.search(ask):
            return "duration"
        if _DATE_ASK.search(ask):
            return "date"
        if _NUM_ASK.search(ask):
            return "number"
    if _CHOICES.search(t):
        return "list"   # "Is your application integrated with any of the following SSO mechanisms?" (a checkbox list)
    if first:
        return "yesno"  # "Do you ...? Please describe." is a yes/no question with an explanation
    if _LIST_ASK.search(t):
        return "list"
    if _TEXT_ASK.search(t):
        return "text"
    if yesno or _STATEMENT.search(t):
        return "yesno"
    return "yesno" if t.endswith("?") else "text"


def _en_past(t: str) -> bool:
    frame = _PAST_FRAME.search(t)
    if not frame or not _EVENT.search(t):
        return False
    # "Have you implemented a breach notification process?": a control put in place, not an event
    ctrl = _CONTROL_PERFECT.search(t)
    if ctrl and ctrl.start() <= frame.start() and not re.search(r"\b(?:past|last|previous|ever|since)\b", t):
        return False
    return True


def _en_subject(t: str) -> str:
    if not _any(t, _G_TP):
        return "self"
    if _SELF_FIRST.search(t):
        # "Do you or your subprocessors ...": you are the subject; a later sentence may still switch it
        head = re.split(r"[.?!;] ", t, maxsplit=1)
        if len(head) == 1 or not _TP_SUBJECT.search(head[1]):
            return "self"
    if _TP_SUBJECT.search(t) or _TP_AGENT.search(t):
        return "third_party"
    return "self"


def _en_negated(t: str) -> bool:
    if not _any(t, _G_NEG):
        return False
    t = _NEG_FALSE.sub(" ", t)
    return bool(_NEG.search(t))


def _zh_intent(t: str) -> Intent:
    if _ZH_FREQ.search(t):
        wants = "frequency"
    elif _ZH_DUR.search(t):
        wants = "duration"
    elif _ZH_DATE.search(t):
        wants = "date"
    elif _ZH_NUM.search(t):
        wants = "number"
    elif _ZH_LIST.search(t):
        wants = "list"
    elif _ZH_TEXT.search(t):
        wants = "text"
    elif _ZH_YESNO.search(t) or _en_wants(t) == "yesno":
        wants = "yesno"
    else:
        wants = "text"
    past = bool(_ZH_PAST.search(t) and _ZH_EVENT.search(t))
    m = _ZH_Q_MARK.search(t)
    head = t[:m.start()] if m else ""
    subject = "self"
    if head:
        tp = _ZH_TP_RE.search(head)
        if tp:
            # "贵公司是否要求供应商...": the company is the subject; "贵公司的云服务商是否...": the provider is
            selfm = _ZH_SELF.search(head)
            if not selfm or head[selfm.end():tp.start()].strip() in ("的", "所使用的", "使用的", "选用的", "的第三方") \
                    or selfm.start() > tp.start():
                subject = "third_party"
    if subject == "self" and re.search(r"由" + _ZH_TP + r"(?:进行|实施|执行|负责|开展|完成|管理|托管)", t):
        subject = "third_party"
    main = _ZH_TRAILING.split(t, maxsplit=1)[0]
    negated = bool(_ZH_NEG.search(_ZH_NEG_FALSE.sub("", main)))
    return Intent(wants, past, subject, negated)


# ---- qualifiers -----------------------------------------------------------------------------------
def _days(n: str, unit: str) -> float:
    v = float(n) if n[0].isdigit() else _WORDNUM.get(n, 1)
    unit = unit.rstrip("s")
    return v * _UNIT_DAYS.get(unit, 1)


@lru_cache(maxsize=65536)
def _period(text: str) -> float | None:
    """The required period of a yes/no question in days ("tested at least annually" -> 365), else None."""
    t = _norm(text)
    if _is_zh(t):
        m = _ZH_PERIOD.search(t)
        return float(_ZH_PERIOD_WORDS[m.group(0)]) if m else None
    m = _PERIOD.search(t) if _any(t, _G_PERIOD) else None
    if not m:
        return None
    w = m.group(0)
    if w in _PERIOD_WORDS:
        return float(_PERIOD_WORDS[w])
    p = re.match(rf"every ({_NUMWORD}) (business day|day|week|month|year|hour)", w)
    return _days(p.group(1), p.group(2)) if p else None


_QUANT_NORM = re.compile(r"\s+|-")


@lru_cache(maxsize=65536)
def _quantities(text: str) -> frozenset[str]:
    """Stated quantities ("at least six months" -> {"180day"}), normalised so that 6 months == six months."""
    t = _norm(text)
    out = set()
    if not _G_NUM_RE.search(t):
        return frozenset()
    if _is_zh(t):
        for m in _ZH_QUANT.finditer(t):
            out.add(_QUANT_NORM.sub("", m.group(0)))
        return frozenset(out)
    for m in _QUANT.finditer(t):
        g = m.group(0)
        p = re.match(rf"({_NUMWORD})[- ]?(business day|day|hour|minute|second|week|month|year)s?\b", g)
        if p:
            out.add(f"{_days(p.group(1), p.group(2)):g}d")
            continue
        p = re.match(rf"({_NUMWORD})[- ]?(.*)$", g)
        if p and not p.group(1)[0].isdigit():
            g = f"{_WORDNUM.get(p.group(1), p.group(1))}{p.group(2)}"
        out.add(_QUANT_NORM.sub("", g).rstrip("s"))
    return frozenset(out)


# ---- comparison -----------------------------------------------------------------------------------
_SPECIFIC = ("number", "duration", "frequency", "date")
_FREE = ("list", "text")


def _wants_weight(q: str, e: str) -> float:
    if q == e:
        return 0.0
    if q in _SPECIFIC:
        # a yes/no or descriptive entry does not give the number/duration/date asked for
        return 0.9 if e in ("yesno", *_SPECIFIC) else 0.6
    if q in _FREE:
        if e == "yesno":
            return 0.6   # "Describe / list ..." answered with a bare Yes
        if e in _SPECIFIC:
            return 0.5
        return 0.2       # list vs text
    # q == yesno
    if e in _SPECIFIC:
        return 0.6       # "Monthly" / "4 hours" is not a yes/no answer
    return 0.3           # a description usually implies yes/no; worth a look, not a block


REASON_TEXT = {
    "past_event": "asks about a past event (breach, incident, fine, outage), not about a control",
    "not_past_event": "asks about a control, the entry about a past event",
    "subject": "asks about a third party's practice or access, the entry about yours",
    "subject_self": "asks about your own practice, the entry about a third party's",
    "negation": "asks the negated question (not / never / prohibit); the entry's yes/no would flip",
    "frequency": "asks for a frequency (how often)",
    "number": "asks for a number",
    "duration": "asks for a duration (how long, RTO/RPO, retention)",
    "date": "asks for a date",
    "list": "asks for a list",
    "text": "asks for a description",
    "yesno": "asks a yes/no question, the entry another kind of answer",
    "period": "requires a period (e.g. annually, quarterly) the entry does not state",
    "quantity": "states a quantity (e.g. six months, 12 characters) the entry does not match",
}
REASON_TEXT_ZH = {
    "past_event": "问的是过去发生的事件（泄露、事故、处罚、中断），而非控制措施",
    "not_past_event": "问的是控制措施，条目问的是过去发生的事件",
    "subject": "问的是第三方的做法或访问权限，条目问的是本方",
    "subject_self": "问的是本方的做法，条目问的是第三方",
    "negation": "问题是否定形式（不 / 从不 / 禁止），条目的是/否答案会相反",
    "frequency": "要求回答频率（多久一次）",
    "number": "要求回答数量",
    "duration": "要求回答时长（多久、RTO/RPO、保存期）",
    "date": "要求回答日期",
    "list": "要求列出清单",
    "text": "要求文字描述",
    "yesno": "问的是是/否问题，条目是其他类型的答案",
    "period": "要求特定周期（如每年、每季度），条目未说明",
    "quantity": "给出具体数量（如六个月、12位），条目不一致",
}


_PREVENT = re.compile(r"\b(?:prevent(?:s|ed|ing)?|avoid(?:s|ed|ing)?|block(?:s|ed|ing)?|remov(?:e|es|ed|ing)|disabl(?:e|es|ed|ing)"
                      r"|eliminat(?:e|es|ed|ing))\b|避免|防止|删除|禁用|阻断|杜绝|修改默认")


def _preventive(text: str) -> bool:
    """The non-negated side of a pair says the same as a prohibition: "prohibit X" ~ "prevent / avoid / remove X"."""
    return bool(_PREVENT.search(_norm(text)))


def explain(reasons: list[str], lang: str = "en") -> list[str]:
    """Reviewer-facing sentences for the reasons of intent_mismatch."""
    table = REASON_TEXT_ZH if lang == "zh" else REASON_TEXT
    return [table.get(r, r) for r in reasons]


@lru_cache(maxsize=131072)
def _mismatch(question: str, entry_question: str) -> tuple[float, tuple[str, ...]]:
    q, e = question_intent(question), question_intent(entry_question)
    parts: list[tuple[str, float]] = []
    if q.past_event != e.past_event:
        parts.append(("past_event" if q.past_event else "not_past_event", 1.0))
    if q.subject != e.subject:
        parts.append(("subject" if q.subject == "third_party" else "subject_self", 0.9))
    if q.negated != e.negated and not _preventive(entry_question if q.negated else question):
        parts.append(("negation", 0.8))
    w = _wants_weight(q.wants, e.wants)
    if w:
        parts.append((q.wants, w))
    if q.wants == "yesno" and e.wants == "yesno" and not q.past_event:  # "in the last 3 years" frames an event
        qp = _period(question)
        if qp is not None:
            ep = _period(entry_question)
            if ep is None or ep > qp:
                parts.append(("period", 0.6))   # entry less often than asked (or says nothing): its Yes may be wrong
        qq = _quantities(question)
        if qq and not qq <= _quantities(entry_question):
            parts.append(("quantity", 0.5))
    score = 1.0
    for _, wt in parts:
        score *= 1.0 - wt
    return round(1.0 - score, 4), tuple(r for r, _ in parts)


def intent_mismatch(question: str, entry_question: str) -> tuple[float, list[str]]:
    """0.0 = same intent; up to 1.0 = clearly different; plus machine-readable reasons.

    Reasons: past_event / not_past_event, subject / subject_self, negation, the question's wanted kind when
    the entry's differs (number, duration, frequency, date, list, text, yesno), period (the question requires
    a frequency the entry does not state), quantity (a stated number/duration the entry lacks). See
    REASON_TEXT / explain() for reviewer text. Asymmetric: the question is the one to be answered.
    """
    score, reasons = _mismatch(question or "", entry_question or "")
    return score, list(reasons)


# ---- answers --------------------------------------------------------------------------------------
_YN_WORDS = re.compile(r"^(?:yes|no|y|n|true|false|n/?a|not applicable|partial(?:ly)?|是|否|有|无|没有|不适用|部分|"
                       r"已实施|未实施|符合|不符合|部分符合|支持|不支持)(?:[\s.,;:!。，；：(（-]|$)")
_A_DATE = re.compile(r"\b(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])(?:[-/.](?:0?[1-9]|[12]\d|3[01]))?\b"
                     r"|\b(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)\d\d\b"
                     r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? (?:\d{1,2},? )?(?:19|20)\d\d\b"
                     r"|\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]* (?:19|20)\d\d\b"
                     r"|(?:19|20)\d\d年(?:\d{1,2}月)?|\b(?:q[1-4]|h[12]) (?:19|20)\d\d\b|^(?:19|20)\d\d$")
_A_FREQ = re.compile(r"\b(?:daily|nightly|weekly|biweekly|fortnightly|monthly|quarterly|semi-?annually|biannually|annually|"
                     r"yearly|hourly|continuous(?:ly)?|real[- ]time|on every (?:commit|release|build|change)|"
                     rf"(?:once|twice|\d+ times) (?:a|per|every|each) \w+|(?:every|each|per) (?:{_NUMWORD} )?"
                     r"(?:day|week|month|quarter|year|hour|minute|release|sprint)s?)\b|24 ?x ?7|24/7|"
                     r"每(?:天|日|周|月|季度|季|半年|年|小时)|实时|持续|(?:一|两|二|三|四|\d+)(?:年|月|季度|周|天)一次")
_A_DUR = re.compile(rf"\b{_NUMWORD}(?:\s?-\s?{_NUMWORD})?[- ]?(?:business days?|days?|hours?|hrs?|h|minutes?|mins?|seconds?|secs?|"
                    r"weeks?|months?|years?|yrs?)\b|\b(?:rto|rpo)\b[^.]{0,20}\d|(?:\d+|[一二两三四五六七八九十百]+)\s?(?:个)?(?:小时|天|日|分钟|秒|周|个月|月|年)"
                    r"|\bindefinite(?:ly)?\b|永久")
_A_NUM = re.compile(rf"(?<![\w.-]){_NUMWORD}(?![\w.-])|\d|[一二两三四五六七八九十百千万]+(?:名|人|个|家|台|%)")
_A_NUM_ONLY = re.compile(r"^(?:about|approximately|approx\.?|around|over|under|more than|less than|fewer than|"
                         r"at least|up to|~|≈|约|大约|超过|不少于)?\s?[\d,.]+\s?(?:\+|%|k|m|employees|staff|people|"
                         r"users|fte|ftes|人|名|个|家|台|万)?\.?$")


def _kind_of(text: str) -> str:
    t = _norm(text, lead_ids=False)
    if not t:
        return "empty"
    if _YN_WORDS.match(t):
        return "yesno"
    if _A_NUM_ONLY.match(t):
        return "number"
    short = len(t.split()) <= 4 and len(_CJK.findall(t)) <= 8  # "Quarterly", "every 90 days", "4 小时"; not a sentence
    if short:
        if _A_FREQ.search(t):
            return "frequency"
        if _A_DATE.search(t):
            return "date"
        if _A_DUR.search(t):
            return "duration"
    return "text"


@lru_cache(maxsize=65536)
def answer_kind(answer_short: str, answer_full: str) -> str:
    """The kind of a library answer: yesno | number | duration | frequency | date | text | empty.

    The short answer decides when there is one ("Yes" with a long explanation is a yes/no answer);
    otherwise the full answer.
    """
    s, f = (answer_short or "").strip(), (answer_full or "").strip()
    if s:
        return _kind_of(s)
    return _kind_of(f) if f else "empty"


def _has(kind: str, text: str) -> bool:
    t = _norm(text, lead_ids=False)
    if kind == "number":
        return bool(_A_NUM.search(t))
    if kind == "duration":
        return bool(_A_DUR.search(t))
    if kind == "frequency":
        return bool(_A_FREQ.search(t))
    if kind == "date":
        return bool(_A_DATE.search(t))
    return False


def answer_fits(question: str, answer_short: str, answer_full: str) -> bool:
    """Whether the answer is the kind the question asks for.

    False when a yes/no-only answer would go to a number/duration/date/frequency/list/describe question, or a
    bare number/duration/date/frequency to a yes/no question. Free text that holds what is asked (the number,
    the period, the date) fits.
    """
    wants = question_intent(question or "").wants
    kind = answer_kind(answer_short, answer_full)
    if kind == "empty":
        return False
    both = f"{answer_short or ''} {answer_full or ''}"
    if wants == "yesno":
        return kind in ("yesno", "text")
    if wants in _SPECIFIC:
        if kind == wants:
            return True
        if wants == "number" and kind in ("duration", "date", "frequency"):
            return False
        return _has(wants, both)
    # list / text: something descriptive is needed, not a bare Yes / 42
    if kind == "text":
        return True
    full = (answer_full or "").strip()
    return kind == "yesno" and len(_norm(full).split()) + len(_CJK.findall(full)) >= 4
