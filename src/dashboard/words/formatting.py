"""Numbers as a council performance team writes them, and the words and symbols that carry direction and
status (never colour alone). The ratings' and comparators' words live in dashboard.words.vocabulary."""

from __future__ import annotations

import math
import re
import unicodedata

import pandas as pd

from .vocabulary import (
    BRAG_MEANING,
    BRAG_SYMBOL,
    PRINTED_RAG_WORD,
    RAG_MEANING,
    RAG_SYMBOL,
    RAG_WORD,
    REGION_SHORT,
    comparator_codes,
    comparators,
)

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


def rag_legend_text() -> str:
    """'✔ Green meets the target · ▲ Amber … · – not rated (…)': each rating's symbol, word and meaning."""
    rated = [f"{rag_label(code)} {RAG_MEANING[code]}" for code in RAG_MEANING if code != "-"]
    return " · ".join([*rated, f"{RAG_SYMBOL['-']} {RAG_MEANING['-']}"])


DIRECTION_MEANING = {"up": "up", "down": "down", "level": "little change"}


def paper_legend() -> str:
    """The papers' 'How to read it', from the same words as the pages: the ratings, the arrows and the
    comparators in the registry's order."""
    arrows = [f"{DIRECTION_ARROW[d]} {w}" for d, w in DIRECTION_MEANING.items()]
    names = [c.name if c.name == c.short else f"{c.prose or c.name} ({c.short})" for c in comparators()]
    return (
        f"How to read it: RAG is worked out from the target ({rag_legend_text()}). "
        f"Direction is {', '.join(arrows[:-1])} or {arrows[-1]}, with Improving or Declining in the indicator's "
        f"polarity. Comparators: better or worse than {', '.join(names[:-1])} and {names[-1]} in the year headed "
        "(another year is named), above or below for an activity measure. † marks a figure revised since first "
        "published. 'Not yet available' is never a zero."
    )


def brag_label(word: str) -> str:
    """Symbol plus word, never colour alone: '◆ Blue (completed)'; blank reads 'Not printed'."""
    if not word:
        return "– Not printed"
    return f"{BRAG_SYMBOL[word]} {word} ({BRAG_MEANING[word]})"


_NOT_IN_A_NAME = re.compile(r"[^\w'’&-]+|_")


def name_key(text: object) -> str:
    """A worker's or team's name as kept and compared (the extract's and a roles file's alike): any script, accents
    kept (Siân and Sián are two people), case folded, spacing and other punctuation dropped."""
    folded = unicodedata.normalize("NFC", str(text)).casefold()
    return " ".join(_NOT_IN_A_NAME.sub(" ", folded).split()).strip("-'’ ")


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """'1 extract', '3 extracts', '0 problems': never '(s)' on a page or in a message."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(rank: object, of: object, band: str, polarity: str) -> str:
    """'98th of 152 (band C)'; neutral measures: '12th highest of 152'."""
    if rank is None or pd.isna(rank):
        return ""
    rank, of = int(rank), int(of)
    if polarity in ("higher_better", "lower_better"):
        return f"{ordinal(rank)} of {of} (band {band})"
    return f"{ordinal(rank)} highest of {of}"


def regional_text(row, region: str, fmt=str, when: str = "") -> str:
    """'GM this month (January 2024): mean 61.2, range 55.0 to 70.1, from 3 councils sharing' (fmt formats a
    figure; row holds the region's mean, low, high and councils for one ref)."""
    short = REGION_SHORT.get(region, region.upper())
    head = f"{short} this month" + (f" ({when})" if when else "")
    n = int(row["councils"])
    councils = f"{n} council{'s' if n != 1 else ''} sharing"
    if n == 1:
        return f"{head}: {fmt(row['mean'])}, from {councils}"
    return f"{head}: mean {fmt(row['mean'])}, range {fmt(row['low'])} to {fmt(row['high'])}, from {councils}"


def shown(value: object, status: str, unit: str) -> str:
    """A cell for a table: the number, or what stands in its place (never a zero for a blank)."""
    if status == "value" and not is_missing(value):
        return fmt_value(value, unit)
    return STATUS_TEXT.get(status or "missing", "No figure")


def fmt_plain(v: object) -> str:
    """A number for a CSV: as few digits as it needs, blank when there is none."""
    if is_missing(v):
        return ""
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(round(f, 4))


def scorecard_csv_columns() -> list[str]:
    return [
        *("ref", "indicator", "area", "current", "previous_year", "target"),
        *comparator_codes(),
        *("rag", "rag_reason", "direction", "direction_reason", "spc_variation", "spc_assurance", "spc_reason"),
        *("rag_basis", "rag_as_printed", "direction_as_printed"),
    ]


def scorecard_csv(sc):
    """The CLI's scorecard from the engine's frame: plain values, missing stated in words."""
    import pandas as pd

    out = pd.DataFrame(
        {
            "ref": sc["ref"],
            "indicator": sc["indicator"],
            "area": sc["area"],
            "current": [
                fmt_plain(v) if s == "value" else STATUS_TEXT.get(s, "No figure")
                for v, s in zip(sc["value"], sc["status"])
            ],
            "previous_year": sc["previous_year"].map(fmt_plain),
            "target": sc["target_text"],
            **{c: sc[c].map(fmt_plain) for c in comparator_codes()},
            "rag": sc["rag"].map(RAG_WORD),
            "rag_reason": sc["rag_reason"],
            "direction": sc["direction"],
            "direction_reason": sc["direction_reason"],
            "spc_variation": sc["spc_variation"],
            "spc_assurance": sc["spc_assurance"],
            "spc_reason": sc["spc_reason"],
            "rag_basis": sc["rag_basis"].str.replace("_", " "),
            "rag_as_printed": sc["printed_rag"].map(PRINTED_RAG_WORD).fillna(""),
            "direction_as_printed": sc["printed_direction"],
        }
    )
    return out[scorecard_csv_columns()]


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Text a user typed (a vintage label, a file name) shown inside Markdown as exactly those characters:
    every Markdown character is escaped, so a label can never become a link, an image or formatting."""
    return _unlinked(_MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " "))


def _unlinked(text: str) -> str:
    """Break web addresses with an invisible word joiner after their first letter: the renderer links any
    'http://' or 'www.' it sees (escaping does not stop it), and a joiner in the word stops it."""
    return _BARE_ADDRESS.sub(lambda m: m.group(1)[0] + "\u2060" + m.group(1)[1:], text)


_BARE_ADDRESS = re.compile(r"(?i)\b((?:https?|ftp)(?:\\?:)//|www(?:\\?\.))")
_EMAIL_AT = re.compile(r"(?<=[\w.+-])@(?=[\w-])")


# ---------------------------------------------------------------- commentary: parsed, then written back safe
#
# The commentary is parsed into blocks (headings, list items, paragraphs, reference definitions) and inline
# nodes (emphasis, links and images found by matching brackets, as a Markdown parser does, references
# resolved), and written back as Markdown in which every character the writer typed is escaped. Only what
# this writer emits can be markup (emphasis, list marks, heading marks), so whatever the parser does not
# recognise (an autolink, raw HTML, a construct not listed) reaches the page as the characters typed: safe by
# construction, not by recognising every dangerous pattern.

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_DEFINITION = re.compile(r"^ {0,3}\[((?:[^\[\]\\]|\\.){1,999})\]:[ \t]*(<[^>\n]*>|\S+)(.*)$")
_ESCAPE_IN_TEXT = re.compile(r"([\\`*_\[\]()~$|])")
_BACKSLASHED = re.compile(r"\\([!-/:-@\[-`{-~])")
_LINE_START = re.compile(r"^([#>+=\-]|\d+(?=[.)]))")


def _label(text: str) -> str:
    return " ".join(text.split()).casefold()


def _closing(text: str, i: int, open_: str, close: str) -> int:
    """Index of the bracket closing the one at i (nesting counted, backslash escapes skipped), or -1."""
    depth, j = 0, i
    while j < len(text):
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def _inline(text: str, refs: dict[str, str], in_link: bool = False, emph: bool = True) -> list[tuple]:
    """Nodes: ('text', s), ('em'|'strong', nodes), ('link', nodes, address), ('image', alt, address)."""
    nodes: list[tuple] = []
    words = _emphasis if emph else (lambda t: [("text", t)] if t else [])
    buf, i = [], 0
    while i < len(text):
        image = text.startswith("![", i)
        if text[i] == "[" or image:
            start = i + 1 if image else i
            end = _closing(text, start, "[", "]")
            if end > 0:
                inner, after, address, resume = text[start + 1 : end], text[end + 1 :], None, end + 1
                if after.startswith("("):
                    close = _closing(text, end + 1, "(", ")")
                    if close > 0:
                        address, resume = text[end + 2 : close].strip() or "(none)", close + 1
                elif after.startswith("["):
                    close = _closing(text, end + 1, "[", "]")
                    if close > 0:
                        ref = _label(text[end + 2 : close]) or _label(inner)
                        if ref in refs:
                            address, resume = refs[ref], close + 1
                elif _label(inner) in refs:
                    address = refs[_label(inner)]
                if address is not None and not (in_link and not image):
                    nodes += words("".join(buf))
                    buf = []
                    if image:
                        nodes.append(("image", _plain_text(inner, refs), address))
                    else:
                        nodes.append(("link", _inline(inner, refs, in_link=True, emph=emph), address))
                    i = resume
                    continue
        buf.append(text[i])
        i += 1
    return nodes + words("".join(buf))


_EMPHASIS = re.compile(
    r"\*\*(?=\S)(.+?)(?<=\S)\*\*|(?<![\w\\])__(?=\S)(.+?)(?<=\S)__(?!\w)"
    r"|(?<![*\\])\*(?=[^\s*])(.+?)(?<=[^\s\\*])\*(?!\*)|(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)"
)


def _emphasis(text: str) -> list[tuple]:
    nodes, last = [], 0
    for m in _EMPHASIS.finditer(text):
        if m.start() > last:
            nodes.append(("text", text[last : m.start()]))
        strong = m.group(1) or m.group(2)
        nodes.append(("strong" if strong else "em", _emphasis(strong or m.group(3) or m.group(4))))
        last = m.end()
    if last < len(text):
        nodes.append(("text", text[last:]))
    return nodes


def _plain_text(text: str, refs: dict[str, str]) -> str:
    """An image's description or a link's text as words, markup dropped."""
    out = []
    for node in _inline(text, refs, in_link=True):
        if node[0] == "text":
            out.append(node[1])
        elif node[0] in ("em", "strong", "link"):
            out.append(_plain_nodes(node[1]))
        else:
            out.append(node[1])
    return "".join(out)


def _plain_nodes(nodes: list[tuple]) -> str:
    return "".join(n[1] if n[0] == "text" else (_plain_nodes(n[1]) if n[0] != "image" else n[1]) for n in nodes)


def _escaped(text: str) -> str:
    """What the writer typed, as exactly those characters: nothing in it can start markup, a link, HTML or
    an entity, and a web or mail address is broken with an invisible joiner so the renderer does not link it."""
    text = _BACKSLASHED.sub(r"\1", text)  # a character the writer escaped is that character
    safe = _ESCAPE_IN_TEXT.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;"))
    return _EMAIL_AT.sub("@\u2060", _unlinked(safe))


def _markdown(nodes: list[tuple]) -> str:
    out = []
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(_escaped(node[1]))
        elif kind == "em":
            out.append("*" + _markdown(node[1]) + "*")
        elif kind == "strong":
            out.append("**" + _markdown(node[1]) + "**")
        elif kind == "link":
            out.append(_markdown(node[1]) + " (link: " + _escaped(node[2]) + ")")
        else:
            out.append("[image not shown: " + _escaped(node[1] or "no description") + "]")
    return "".join(out)


def _start_safe(line: str) -> str:
    """A line that begins with #, >, -, +, = or '1.' is a heading, quote, list or underline: escape its mark."""
    return _LINE_START.sub(lambda m: (m.group(1) + "\\") if m.group(1)[0].isdigit() else "\\" + m.group(1), line)


def _blocks(text: str) -> tuple[list[tuple], dict[str, str]]:
    """('heading', level, text) | ('item', depth, mark, text) | ('line', text) | ('blank',), and the reference
    definitions (which show nothing themselves)."""
    blocks, refs = [], {}
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        d = _DEFINITION.match(line)
        if d:
            refs.setdefault(_label(d.group(1)), d.group(2).strip("<>"))
            continue
        h = _HEADING.match(line)
        item = _ITEM.match(line)
        if not line.strip():
            blocks.append(("blank",))
        elif h:
            blocks.append(("heading", len(h.group(1)), h.group(2) or ""))
        elif item:
            depth = min(len(item.group(1).expandtabs(4)) // 2, 3)
            mark = "-" if item.group(2) in "-*+" else item.group(2)[:-1] + "."
            blocks.append(("item", depth, mark, item.group(3)))
        else:
            blocks.append(("line", line.strip()))
    return blocks, refs


def safe_commentary(text: str) -> str:
    """User-written commentary as Markdown that keeps emphasis, lists and headings but shows no image and links
    to no other site: an image becomes its description, a link its text with the address as plain text (inline
    or by reference, whatever its brackets hold), and everything else (HTML, autolinks, bare addresses) is shown
    as typed. Built from the parsed text, not by rewriting its patterns (see above)."""
    blocks, refs = _blocks(text)
    out = []
    for b in blocks:
        if b[0] == "blank":
            out.append("")
        elif b[0] == "heading":
            out.append("#" * b[1] + " " + _markdown(_inline(b[2], refs)))
        elif b[0] == "item":
            out.append("    " * b[1] + b[2] + " " + _start_safe(_markdown(_inline(b[3], refs))))
        else:
            out.append(_start_safe(_markdown(_inline(b[1], refs))))
    return "\n".join(out).strip("\n")


def links_and_images_as_text(text: str) -> str:
    """A Markdown image becomes its description and a link its text with the address as plain text, everything
    else left as typed: for the PDF's commentary (fpdf2 draws no links or images, and escapes its own markers).
    Links are found by the same parse as the app's (brackets matched, references resolved); reference
    definitions are dropped."""
    _, refs = _blocks(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_flatten(_inline(line, refs, emph=False)) for line in lines if not _DEFINITION.match(line))


def _flatten(nodes: list[tuple]) -> str:
    out = []
    for node in nodes:
        if node[0] == "text":
            out.append(node[1])
        elif node[0] in ("em", "strong"):
            mark = "*" if node[0] == "em" else "**"
            out.append(mark + _flatten(node[1]) + mark)
        elif node[0] == "link":
            out.append(_flatten(node[1]) + " (link: " + node[2] + ")")
        else:
            out.append("[image not shown: " + (node[1] or "no description") + "]")
    return "".join(out)
