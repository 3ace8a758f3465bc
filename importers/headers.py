"""Recognise column headers (English and Chinese) and question-like content."""
from __future__ import annotations

import re

# (role, strength, pattern). First matching rule wins, so the order matters:
# evaluator-only columns before answers ("Compliant Response"), guidance before
# answers ("Response Guidance"), yes/no before ids ("No."), ids before questions
# ("Question ID").
_EN_RULES: list[tuple[str, int, str]] = [
    ("ignore", 1, r"analyst|reviewer|assessor|evaluator|auditor|internal use|office use|"
                  r"\bscor(e|ing)\b|\bweight|importance|compliant response|override|non negotiable|"
                  r"reason for question|follow up|jump to|\bmapping\b|\bcwe\b|\bnist\b|"
                  r"\blevel ?\d\b|\bl[123]\b|expected (answer|response)|\bpoints?\b"),
    ("section_id", 1, r"\b(section|chapter|domain|category|family)\b.*\b(id|no|number|code)\b"),
    ("guidance", 2, r"guidance|\bhelp\b|\bhints?\b|instructions?|how to answer|\bguide\b|"
                    r"remediation|\btips?\b"),
    ("answer", 3, r"^(yes ?/ ?no|y ?/ ?n|yes or no)\b|\byes ?/ ?no\b|\bstatus\b|\bmet ?/ ?not met\b"),
    ("id", 3, r"^(question|ques|control|item|req|requirement|ref|reference|criteria|q)? ?"
              r"(id|no|nr|num|number|#|ref|reference|identifier|code|key)$|^#$|^s ?/? ?n$|^qid$|^sl no$|"
              r"^(\w+ ){1,2}(id|identifier|number)$"),
    ("answer", 3, r"\banswers?\b|\bresponses?\b|\breply\b|\byour response\b"),
    ("question", 2, r"\bspecifications?\b"),  # HIPAA "Implementation Specification" is the requirement
    ("comment", 2, r"comments?|remarks?|additional (information|info|details|context)|"
                   r"explanation|explain|justification|\bnotes?\b|\bdetails?\b|evidence|"
                   r"implementation|elaborat|supporting|clarification"),
    ("section", 1, r"\b(type|kind|class)\b"),
    ("answer", 2, r"\bcomplian(ce|t)\b|\bselection\b|\bresult\b|\bconformance\b|"
                  r"\bapplicable\b|\bin place\b|\bimplemented\b"),
    ("question", 3, r"\bquestions?\b|\bquestion text\b|\bques( text)?\b|\bquery\b"),
    ("question", 2, r"\brequirements?\b|\bcriteria\b|\bcontrol (question|statement|text|requirement)\b|"
                    r"\bstatement\b|\bassessment item\b|\bcheck( item)?\b|\breq description\b|"
                    r"\bitem\b"),
    ("section", 2, r"\bsection\b|\bcategory\b|\bdomain\b|\bchapter\b|\barea\b|\btopic\b|"
                   r"\bfamily\b|\bgroup\b|\bsubject\b|\bsection name\b"),
    ("question", 1, r"\bdescription\b|\bcontrol\b|\bspecification\b|\btitle\b"),
]

_ZH_RULES: list[tuple[str, int, tuple[str, ...]]] = [
    ("ignore", 1, ("评分", "分值", "权重", "得分", "审核", "评审", "分析师", "评估人", "符合性判定")),
    ("guidance", 2, ("指引", "填写说明", "填写指南", "指导", "整改建议", "改进建议", "提示")),
    ("id", 3, ("序号", "编号", "条款号", "题号", "控制编号", "问题编号")),
    ("answer", 3, ("回答", "答复", "答案", "回复", "应答", "供应商回复", "是否符合", "是否满足",
                   "是否实现", "符合情况", "实现情况", "满足情况", "落实情况", "自评结果", "结果")),
    ("question", 3, ("问题描述", "问题内容", "题目描述", "要求描述", "要求内容")),  # before 描述 (a comment)
    ("comment", 2, ("备注", "说明", "补充", "解释", "证明材料", "佐证", "证据", "详细描述", "描述")),
    ("question", 3, ("问题", "检查项", "评测项", "测评项", "检查内容", "要求", "题目", "问卷项")),
    ("section", 2, ("类别", "分类", "层面", "控制域", "安全类", "章节", "领域", "模块", "类型", "维度")),
    ("question", 1, ("控制点", "控制项", "指标")),
]

ROLE_WEIGHT = {"question": 3.0, "answer": 3.0, "id": 2.0, "comment": 1.5, "section": 1.0,
               "guidance": 0.5, "ignore": 0.25, "section_id": 0.25}


def normalize(text: str) -> str:
    t = text.strip().lower().replace("_", " ")
    t = re.sub(r"[^\w#/&\u3400-\u9fff]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def _without_choices(text: str) -> str:
    """"Response (In Place / Not in Place / Not Applicable)" is the header "Response": the brackets list
    the choices or a remark, and would make the label look like a sentence."""
    bare = re.sub(r"\s*[(（][^()（）]*[)）]", " ", text).strip()
    return bare or text


def looks_like_sentence(text: str) -> bool:
    """Content, never a header cell: a requirement sentence ("Implement policies and procedures ...")."""
    t = _without_choices(text.strip())
    return len(t) > 80 or len(t.split()) > 10


def classify_header(text: object) -> tuple[str, int] | None:
    """(role, strength) for a header cell, or None if it doesn't look like one."""
    if not isinstance(text, str):
        return None
    raw = _without_choices(text.strip())
    if not raw or len(raw) > 80 or "\n\n" in raw:
        return None
    t = normalize(raw)
    if not t:
        return None
    has_cjk = bool(re.search(r"[\u3400-\u9fff]", t))
    # headers are labels; a sentence that merely contains "要求" or "answer" is content
    if len(t.split()) > 8 or (has_cjk and len(t.replace(" ", "")) > 12) or raw.endswith("。"):
        return None
    if has_cjk:
        for role, strength, words in _ZH_RULES:
            if any(w in t for w in words):
                return role, strength
    for role, strength, pattern in _EN_RULES:
        if re.search(pattern, t):
            return role, strength
    return None


# Question ids: GNRL-01, IAM-01, A&A-02.1, V1.2.3, AC-2(1), 3.2.1, L3-001, 12
ID_RE = re.compile(
    r"^(?:[A-Za-z][A-Za-z&]{0,11}[-_. ]?)?\d{1,4}(?:[-_.]\d{1,4}){0,4}(?:\(\d{1,3}\))?[a-z]?\.?$")

_QWORDS = re.compile(
    r"^(do|does|did|is|are|was|were|has|have|had|can|could|will|would|should|shall|may|"
    r"describe|please|provide|explain|list|what|how|when|where|which|who|why|if|indicate|"
    r"confirm|state|specify|identify|summari[sz]e|verify|ensure)\b", re.IGNORECASE)
_ZH_Q = re.compile(r"^(是否|请|有无|能否|如何|贵司|贵公司|应)")


# "GV.OC-01: The organizational mission ...", "A.5.1 Policies for ...": an id written before the text
# (NIST CSF, ISO Annex A lists); before a mere space it must have a dot or dash in it ("1.2", not "2024")
_ID_PREFIX = re.compile(r"^([A-Za-z]{0,6}\d{0,3}(?:[.\-_][A-Za-z0-9]{1,6}){1,4}|[A-Za-z]{1,6}\d{1,3})"
                        r"(?:\s*[:：]\s*|\s+)(?=\S)")


def id_prefix(text: str) -> str | None:
    m = _ID_PREFIX.match(text.strip())
    if not m or not any(ch.isdigit() for ch in m.group(1)) or not m.group(1)[0].isalnum():
        return None
    colon = m.group(0).rstrip().endswith((":", "："))
    return m.group(1) if colon or re.search(r"[.\-_]", m.group(1)) else None


def looks_like_id(text: str) -> bool:
    return bool(text) and len(text) <= 24 and bool(ID_RE.match(text.strip()))


def looks_like_question(text: str) -> bool:
    t = text.strip()
    return t.endswith(("?", "？")) or bool(_QWORDS.match(t)) or bool(_ZH_Q.match(t))


def looks_like_heading(text: str) -> bool:
    """Short label without sentence punctuation: a section title, not a question."""
    t = text.strip()
    if not t or len(t) > 100 or looks_like_question(t):
        return False
    if t.endswith((".", "。", ":", "：", ";", "；")) and not re.match(r"^[\dA-Za-z.]+\.$", t):
        return False
    return len(t.split()) <= 12


# Column headers that are answer choices: a run of them side by side ("Yes | No | Not Applicable",
# CSA CAIQ v3.1; "符合 | 部分符合 | 不符合 | 不适用") is one answer, given by marking one column.
_CHOICE_HEADERS = {
    "yes", "no", "y", "n", "n/a", "na", "n a", "not applicable", "partial", "partially", "partly",
    "true", "false", "compliant", "non compliant", "not compliant", "partially compliant",
    "implemented", "not implemented", "partially implemented", "in place", "not in place", "planned",
    "是", "否", "符合", "不符合", "部分符合", "基本符合", "不适用", "部分", "有", "无", "已实施", "未实施", "部分实施",
}
MAX_MARK_RUN = 5


def is_choice_header(text: str) -> bool:
    return normalize(text) in _CHOICE_HEADERS


def choice_run(cells: dict[int, str]) -> list[int] | None:
    """The columns of the one run of 2-5 adjacent, distinct choice headers in a row ({column: text}), or None."""
    runs: list[list[int]] = []
    for c in sorted(cells):
        if not is_choice_header(cells[c]):
            continue
        if runs and runs[-1][-1] == c - 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    runs = [r for r in runs if 2 <= len(r) <= MAX_MARK_RUN
            and len({normalize(cells[c]) for c in r}) == len(r)]
    return runs[0] if len(runs) == 1 else None


# Marks a sheet may use in the chosen column that read right under any choice (a "yes" under "No" would not);
# whatever a row has in a choice column counts as its answer, these only pick the mark to write.
_MARKS = {"x", "✓", "√", "✔", "☑", "☒", "✗", "✘", "●", "■", "◆", "v", "1"}


def is_mark(text: str) -> bool:
    return text.strip().lower() in _MARKS
