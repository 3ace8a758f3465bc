"""A small SVG status badge (shields.io look) for the vendor's own app or README. Pure."""
from __future__ import annotations

import unicodedata
from xml.sax.saxutils import escape

COLOURS = {"operational": "#1b7f3b", "under_maintenance": "#1f5fbf", "degraded_performance": "#a86400",
           "partial_outage": "#c25400", "major_outage": "#b3261e"}


def _width(text: str) -> int:
    # Wide (CJK) characters take about twice the room of Latin ones at 11px Verdana.
    return 10 + sum(12 if unicodedata.east_asian_width(ch) in "WF" else 7 for ch in text)


def svg(label: str, message: str, state: str) -> str:
    lw, mw = _width(label), _width(message)
    colour = COLOURS.get(state, "#5b6475")
    label_x, msg_x = lw / 2, lw + mw / 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + mw}" height="20" role="img" '
        f'aria-label="{escape(label)}: {escape(message)}">'
        f'<title>{escape(label)}: {escape(message)}</title>'
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{colour}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,PingFang SC,sans-serif" font-size="11">'
        f'<text x="{label_x}" y="14">{escape(label)}</text><text x="{msg_x}" y="14">{escape(message)}</text></g></svg>'
    )
