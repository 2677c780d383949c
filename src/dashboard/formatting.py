"""Numbers as a council performance team writes them, and the words and symbols that carry direction and
status (never colour alone). The ratings' and comparators' words live in dashboard.vocabulary."""

from __future__ import annotations

import math
import re

from .vocabulary import RAG_SYMBOL, RAG_WORD

DIRECTION_ARROW = {"up": "▲", "down": "▼", "level": "►", "": ""}
STATUS_TEXT = {"not_yet_available": "Not yet available", "not_applicable": "n/a", "missing": "No figure"}
STATUS_REASON = {"not_yet_available": ": not yet available", "not_applicable": ": not applicable", "missing": ""}
UNIT_WORD = {
    "count": "number",
    "percent": "percentage",
    "rate_per_10k": "rate per 10,000 children",
    "days": "days",
    "caseload_average": "average caseload",
}
POLARITY_WORD = {
    "higher_better": "Higher is better",
    "lower_better": "Lower is better",
    "neutral": "Activity measure (neither higher nor lower is better)",
    "within_band": "Within the target band is best",
}
FREQUENCY_WORD = {
    "month": "Monthly figure",
    "quarter": "Quarterly figure",
    "year_to_date": "Year to date (from April)",
    "rolling_12_months": "Rolling 12 months",
    "week": "Weekly figure",
}


def is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt_value(v: object, unit: str) -> str:
    if is_missing(v):
        return ""
    v = float(v)
    if unit == "percent":
        return f"{v:.1f}%"
    text = f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    return text + " days" if unit == "days" else text


def fmt_number(v: object, unit: str) -> str:
    """Targets and comparators as printed: 85%, 612, 2.1%."""
    if is_missing(v):
        return ""
    text = f"{float(v):g}"
    return text + "%" if unit == "percent" else text


def fmt_change(delta: float, unit: str) -> str:
    """A gap or change in words: '1.0 point', '38'."""
    if is_missing(delta):
        return ""
    delta = abs(float(delta))
    if unit == "percent":
        return f"{delta:.1f} point" + ("" if round(delta, 1) == 1.0 else "s")
    return f"{delta:,.0f}" if delta == int(delta) else f"{delta:,.1f}"


def rag_label(code: str) -> str:
    return f"{RAG_SYMBOL.get(code, '–')} {RAG_WORD.get(code, 'Not rated')}"


def shown(value: object, status: str, unit: str) -> str:
    """A cell for a table: the number, or what stands in its place (never a zero for a blank)."""
    if status == "value" and not is_missing(value):
        return fmt_value(value, unit)
    return STATUS_TEXT.get(status or "missing", "No figure")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Text a user typed (a vintage label, a file name) shown inside Markdown as exactly those characters:
    every Markdown character is escaped, so a label can never become a link, an image or formatting."""
    return _unlinked(_MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " "))


def _unlinked(text: str) -> str:
    """Break web addresses with an invisible word joiner after their first letter: the renderer links any
    'http://' or 'www.' it sees (escaping does not stop it), and a joiner in the word stops it."""
    return _BARE_ADDRESS.sub(lambda m: m.group(1)[0] + "\u2060" + m.group(1)[1:], text)


_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_BARE_ADDRESS = re.compile(r"(?i)\b((?:https?|ftp)(?:\\?:)//|www(?:\\?\.))")


def safe_commentary(text: str) -> str:
    """User-written commentary as Markdown that keeps emphasis, lists and headings but shows no image and links
    to no other site: an image becomes its description, a link its text with the address as plain text, and a
    bare address is broken up so the renderer does not link it. HTML is shown as typed ('<' and '&' become
    entities, which Markdown renders as the characters themselves)."""
    safe = text.replace("&", "&amp;").replace("<", "&lt;")
    return _unlinked(links_and_images_as_text(safe))


def links_and_images_as_text(text: str) -> str:
    """A Markdown image becomes its description and a link its text with the address as plain text: user text
    shows nothing from, and points nowhere on, another site (the app's commentary and the PDF's)."""
    text = _IMAGE.sub(lambda m: f"[image not shown: {m.group(1) or 'no description'}]", text)
    return _LINK.sub(lambda m: f"{m.group(1)} (link: {m.group(2)})", text)
