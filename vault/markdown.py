"""Markdown to safe HTML: markdown-it (raw HTML off) and then nh3, which keeps only a small allow-list.
Platform: the status page's incident reports and the security advisories render through it.

nh3 drops javascript:/data: links, event handlers and every tag not listed; links get rel="noopener
noreferrer nofollow". The result is safe to mark as Markup.
"""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render(text: str | None) -> Markup:
    html = _md.render(text or "")
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                            link_rel="noopener noreferrer nofollow"))
