"""The dashboard's vocabulary, one home each: the ratings (code, word, symbol, triage order, tints), the four
comparators, and which catalogue areas are service areas. The engine, the pages, the papers and the presenter
all read these; nothing else spells them out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# Ratings, in triage order: Red first.
RAG_CODES = ("R", "A", "G", "-")
RAG_WORD = {"R": "Red", "A": "Amber", "G": "Green", "-": "Not rated"}
RAG_SYMBOL = {"R": "✖", "A": "▲", "G": "✔", "-": "–"}
RAG_ORDER = {code: i for i, code in enumerate(RAG_CODES)}
RAG_WORDS = tuple(RAG_WORD[code] for code in RAG_CODES)  # ("Red", "Amber", "Green", "Not rated")
RAG_TINT = {"R": "#f7c9b0", "A": "#fbe3a6", "G": "#bfe6d6", "-": "#ececec"}  # cell fills: the word is always there
PRINTED_RAG_WORD = {code: RAG_WORD[code] for code in ("R", "A", "G")}  # a pack's hand-set mark: never "Not rated"
RAG_MEANING = {  # the legend's words for each rating, Green first as the legend reads
    "G": "meets the target",
    "A": "misses it within tolerance",
    "R": "beyond tolerance",
    "-": "not rated (activity measures, or nothing to judge against)",
}
BASIS_WORD = {"target": "target", "comparator": "comparator", "last_year": "last year", "": ""}  # "Rated on"
OFF_TARGET = ("R", "A")  # the ratings the panel discusses: Red and Amber
RAG_ABBR = {"Red": "R", "Amber": "A", "Green": "G", "Not rated": "–"}  # a rating's word -> its letter on a bar
RAG_CHART_COLOUR = {"Red": "#D55E00", "Amber": "#E69F00", "Green": "#009E73", "Not rated": "#BBBBBB"}  # Okabe-Ito

# SPC's judgements of a month (engine.spc), in words with a symbol: never colour alone.
VARIATION_LABEL = {
    "common_cause": "● Common cause",
    "improvement_high": "⬆ Improvement (high)",
    "improvement_low": "⬇ Improvement (low)",
    "concern_high": "⬆ Concern (high)",
    "concern_low": "⬇ Concern (low)",
    "neutral_high": "⬆ Unusually high",
    "neutral_low": "⬇ Unusually low",
    "insufficient": "– Too few points",
}
ASSURANCE_LABEL = {
    "pass": "✔ Consistently passing",
    "fail": "✖ Consistently failing",
    "hit_and_miss": "◐ Hit and miss",
    "none": "– No target",
}

# A DfE published figure's status (national.py reads DfE's symbols into these) in words, beside its symbol.
PUBLISHED_STATUS_TEXT = {
    "value": "",
    "suppressed": "suppressed (c)",
    "not_available": "not available (x)",
    "not_applicable": "not applicable (z)",
    "rounds_to_zero": "rounds to zero (low)",
    "low_reliability": "low reliability (u)",
}


def off_target(rag: pd.Series) -> pd.Series:
    """True where a rating is Red or Amber."""
    return rag.isin(OFF_TARGET)


@dataclass(frozen=True)
class Comparator:
    """One comparator: what the data calls it, what people call it, and how it is used. A new comparator is one
    row in COMPARATOR_REGISTRY (plus, if DfE's files publish it, its sum in engine.national)."""

    code: str  # the column and the stored value: gm, nw, sn, england
    short: str  # in tight places: the panel's table, a chart's end label
    name: str  # in sentences and headings
    spellings: tuple[str, ...] = ()  # other names a file may give it (lower case; code, name and short always count)
    # RAG's comparator test uses it (docs/rag.md) when set: its place in a rating's reason and a draft's sentence
    # ("worse than England … and Statistical neighbours …"); None: shown and compared, never rated on.
    rates: int | None = None
    line_name: str = ""  # its line's name on the published-years chart when that is not `name`
    dash: tuple[int, ...] = (4, 4)  # its line on the published-years chart: told apart by dash as well as colour
    colour: str = "#595959"
    prose: str = ""  # its name inside a sentence when that is not `name`

    @property
    def in_prose(self) -> str:
        """Its name inside a sentence ('better than statistical neighbours')."""
        return self.prose or self.name

    @property
    def header_names(self) -> tuple[str, ...]:
        """Every lower-case name a file's header or cell may use for it."""
        return tuple(dict.fromkeys((self.code, self.short.lower(), self.name.lower(), *self.spellings)))


# In the printed scorecard's column order: that order everywhere (tables, charts, drafts, files).
COMPARATOR_REGISTRY: list[Comparator] = [
    Comparator("gm", "GM", "Greater Manchester", dash=(8, 2, 2, 2), colour="#8c510a"),
    Comparator("nw", "NW", "North West", dash=(2, 2), colour="#6a3d9a"),
    Comparator(
        "sn",
        "SN",
        "Statistical neighbours",
        spellings=("statistical neighbour", "stat neighbours", "stat neighbour"),
        rates=2,
        line_name="Statistical neighbours (mean)",
        prose="statistical neighbours",
        dash=(4, 4),
        colour="#00607a",
    ),
    Comparator("england", "England", "England", spellings=("national",), rates=1, dash=(6, 3)),
]


def comparators() -> tuple[Comparator, ...]:
    """The registry's rows, read at call time (so a test can add one)."""
    return tuple(COMPARATOR_REGISTRY)


def comparator_codes() -> tuple[str, ...]:
    return tuple(c.code for c in COMPARATOR_REGISTRY)


def comparator(code: str) -> Comparator:
    for c in COMPARATOR_REGISTRY:
        if c.code == code:
            return c
    raise KeyError(f"unknown comparator {code!r}")


def comparator_by_name() -> dict[str, str]:
    """Every lower-case name a file may give a comparator -> its code."""
    return {name: c.code for c in COMPARATOR_REGISTRY for name in c.header_names}


def comparator_choices() -> str:
    """'gm, nw, sn or england': the codes a file may use, for a message or a help text."""
    codes = comparator_codes()
    return ", ".join(codes[:-1]) + " or " + codes[-1] if len(codes) > 1 else codes[0]


def rating_comparators() -> tuple[str, ...]:
    """The comparators RAG's comparator test reads, in the order its reasons name them (England first)."""
    return tuple(c.code for c in sorted((c for c in COMPARATOR_REGISTRY if c.rates), key=lambda c: c.rates))


def sentence_order() -> tuple[str, ...]:
    """The order a sentence names comparators in: those RAG rates on first, then the rest in the registry's."""
    rating = rating_comparators()
    return rating + tuple(c for c in comparator_codes() if c not in rating)


# Import-time views of the registry for the common case (the registry's four); code that must see a comparator
# added at run time calls the functions above.
COMPARATORS = comparator_codes()
COMPARATOR_NAME = {c.code: c.name for c in COMPARATOR_REGISTRY}
COMPARATOR_SHORT = {c.code: c.short for c in COMPARATOR_REGISTRY}

# The region's monthly comparator ("GM this month") and the councils it is drawn from by DfE code.
REGION_NAME = {"gm": "Greater Manchester"}
REGION_SHORT = {"gm": "GM"}
GM_CODES = frozenset(str(code) for code in range(350, 360))  # Bolton ... Wigan

# The improvement plan's BRAG marks (Blue = completed), each with a symbol and a meaning: never colour alone.
BRAG_SYMBOL = {"Blue": "◆", "Green": "✔", "Amber": "▲", "Red": "✖", "": "–"}
BRAG_MEANING = {"Blue": "completed", "Green": "on track", "Amber": "not fully on track", "Red": "slipped", "": ""}

# The Brilliant at the Basics table sits in the catalogue as an area, but it is weekly, has no scorecard, no
# head of service and no commentary: it is not a service area.
WEEKLY_AREA = "weekly"


def service_areas(areas: pd.DataFrame) -> pd.DataFrame:
    """The catalogue's areas that are service areas (every area but the weekly table), in their order."""
    return areas[areas["area"] != WEEKLY_AREA]


def service_area_ids(areas: pd.DataFrame) -> set[str]:
    return set(service_areas(areas)["area"])


# Vintages. Each write is one vintage of a kind; only packs and figure uploads bring figures as reported, so the
# figures' vintage (what "Latest" and "As reported" name) is the newest of those, whatever was written after.
FIGURE_KINDS = ("pack", "upload", "computed")  # computed: a month's figures published from Annex A extracts
VINTAGE_KIND_WORD = {
    "pack": "published pack",
    "upload": "figures upload",
    "commentary": "commentary edit",
    "plan": "plan update",
    "targets": "targets load",
    "comparators": "comparators load",
    "national": "DfE national statistics",
    "records": "Annex A extract",
    "records-withdrawal": "Annex A extracts withdrawn (retention)",
    "computed": "figures computed from Annex A",
    "council": "council added",
    "sharing": "regional sharing",
}
SHIPPED = "shipped with the app"  # the author of sample_data/'s vintages: nobody loaded them here


def kind_word(kind: str) -> str:
    return VINTAGE_KIND_WORD.get(kind, str(kind))


def _seq_of(vintages: pd.DataFrame, vintage: str | None) -> int:
    if vintage in (None, "", "latest"):
        return int(vintages["seq"].max())
    found = vintages.loc[vintages["vintage"] == vintage, "seq"]
    if found.empty:
        raise KeyError(f"unknown vintage {vintage!r}")
    return int(found.iloc[0])


def figures_vintage(vintages: pd.DataFrame, vintage: str | None = "latest") -> pd.Series | None:
    """The newest pack or figures upload at the vintage in view (None if there is none): the figures' vintage."""
    seq = _seq_of(vintages, vintage)
    figures = vintages[vintages["kind"].isin(FIGURE_KINDS) & (vintages["seq"] <= seq)]
    return None if figures.empty else figures.sort_values("seq").iloc[-1]


def later_writes(vintages: pd.DataFrame, vintage: str | None = "latest") -> pd.DataFrame:
    """The other writes (commentary, plan, targets, comparators, national) after the figures' vintage and up to
    the vintage in view, oldest first: what applies on top of those figures."""
    seq = _seq_of(vintages, vintage)
    figures = figures_vintage(vintages, vintage)
    after = -1 if figures is None else int(figures["seq"])
    return vintages[(vintages["seq"] > after) & (vintages["seq"] <= seq)].sort_values("seq")


def vintage_label(vintages: pd.DataFrame, vintage: str | None) -> str:
    """The one name of a vintage in view, for pages, papers and the CLI: always the figures' vintage, and for a
    later write also that write ('As of Commentary edit, … (figures: Scrutiny Panel pack, 6 March 2024)')."""
    figures = figures_vintage(vintages, vintage)
    shown = "no figures loaded" if figures is None else str(figures["label"])
    if vintage in (None, "", "latest"):
        return f"Latest (figures: {shown})"
    row = vintages[vintages["vintage"] == vintage].iloc[0]
    if row["kind"] in FIGURE_KINDS:
        return f"As reported: {row['label']}"
    return f"As of {row['label']} (figures: {shown})"


def vintage_options(vintages: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """The vintage picker's choices grouped by kind: Latest, then the figures as reported (newest first), then
    the other writes (newest first), each other write naming its kind."""
    v = vintages.sort_values("seq", ascending=False)
    is_figures = v["kind"].isin(FIGURE_KINDS)
    labels = {"latest": vintage_label(vintages, "latest")}
    for row in v[is_figures].itertuples():
        labels[row.vintage] = f"As reported: {row.label}"
    for row in v[~is_figures].itertuples():
        labels[row.vintage] = f"Other write ({kind_word(row.kind)}): {row.label}"
    return list(labels), labels


def loaded_phrase(row) -> str:
    """Who wrote a vintage and when, from the vintages table (the journal's user and moment):
    'loaded by jo@example.test on 02 Dec 2026 01:29', or for sample_data/'s vintages
    'shipped with the app (published 06 Mar 2024)'. Never 'unknown', never a placeholder time."""
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    who = str(get("loaded_by") or "").strip()
    when = get("loaded_at")
    published = get("published")
    if not who or who == SHIPPED or when is None or pd.isna(when):
        return f"{SHIPPED} (published {pd.Timestamp(published):%d %b %Y})"
    at = f"{pd.Timestamp(when):%d %b %Y %H:%M}"
    if who.startswith("adopted from the database"):
        return f"{who}, written {at}"
    return f"loaded by {who} on {at}"
