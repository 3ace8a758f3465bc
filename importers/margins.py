"""Lines vendors print around a questionnaire table: copyright, end marks, page numbers, confidentiality
labels, version stamps and notes. They are never questions. The patterns are anchored (a requirement
such as "Confidential data is encrypted at rest." must not match) and a text ending in "?" never
matches: "Do you have a copyright policy for open-source code?" is a question."""
from __future__ import annotations

import re
from typing import Callable, Sequence, TypeVar

# What a printed page repeats: skipped wherever it stands in the table (it is no section title either).
_PAGE_MARK = re.compile(
    r"^(©|\(c\)\s*\d|copyright\b(?=.*(\d{4}|©|\(c\)|reserved)))|all rights reserved\W*$"
    r"|^版权所有|版权所有\s*[©(（]|(版权所有|保留所有权利)\W*$"
    r"|^page\s+\d+(\s*(of|/)\s*\d+)?\W*$|^第\s*\d+\s*页|^共\s*\d+\s*页", re.IGNORECASE)

# The end of the questionnaire: what follows it (single cells without an id) is a footer too.
_END_MARK = re.compile(
    r"^[\s*\-–—=#_.]*(end of (the )?(standard|questionnaire|survey|document|form|assessment|checklist)\b"
    r"|(本)?问卷(到此)?结束|以下(为)?空白|(全文)?完[)）]?$|[(（]完[)）])", re.IGNORECASE)

# Labels and stamps that close a table but could also head one (read as footers only below the last question).
_FOOTER = re.compile(
    r"^((strictly |company |highly |proprietary (and|&) )?confidential(ity)?( information)?\s*([-–—:|,.(/]|$)"
    r"|proprietary\s*([-–—:|,.(/]|$)|(for )?internal use only|do not (distribute|copy)"
    r"|(version|ver\.?|rev(ision)?\.?)\s*v?\d+(\.\d+)*\s*([-–—,;:(|/]|$|last\b|updated\b|dated\b|\d{4})"
    r"|v\d+(\.\d+)*\s*([-–—,;(|/]|$)|last (updated|modified|revised)\b|updated (on\b|:)"
    r"|(note|notes|nb|n\.b\.|please note|disclaimer|footnote)\s*[:：]|\*{1,3}\s*\S"
    r"|(注|注意|备注|说明|附注)\s*[:：]|版本(号)?\s*[:：]?\s*v?\d|(更新|修订)(日期|时间|于)"
    r"|(商业)?机密$|(绝密|机密|秘密|内部)(资料|文件)?\s*[-–—:：|,，。（(]"
    r"|仅供内部(使用|参考))", re.IGNORECASE)


def _plain(text: str) -> str:
    return text.strip()


def is_page_mark(text: str) -> bool:
    """A copyright line or a page number ("© 2024 ACME", "Page 2 of 5", "版权所有")."""
    t = _plain(text)
    return bool(t) and len(t) <= 160 and not t.endswith(("?", "？")) and bool(_PAGE_MARK.search(t))


def is_end_mark(text: str) -> bool:
    t = _plain(text)
    return bool(t) and len(t) <= 60 and bool(_END_MARK.search(t))


def looks_like_footer(text: str) -> bool:
    """Any line that closes a table: page marks, end marks, confidentiality, version stamps, notes."""
    t = _plain(text)
    if not t or t.endswith(("?", "？")):
        return False
    return is_page_mark(t) or is_end_mark(t) or bool(_FOOTER.match(t))


T = TypeVar("T")


def trailing_footer(items: Sequence[T], is_candidate: Callable[[T], bool], text: Callable[[T], str],
                    end_row: Callable[[T], bool]) -> int:
    """How many of the last items are footer lines. `is_candidate`: the row could be one (one filled
    cell, no id of its own); `end_row`: it stands below an end mark ("End of Standard"), after which
    any such row is footer. Walks up from the bottom and stops at the first real question."""
    n = 0
    for item in reversed(items):
        if not is_candidate(item) or text(item).strip().endswith(("?", "？")):
            break
        if not (looks_like_footer(text(item)) or end_row(item)):
            break
        n += 1
    return n
