"""The dashboard's vocabulary, one home each: the ratings (code, word, symbol, triage order, tints), the four
comparators, and which catalogue areas are service areas. The engine, the pages, the papers and the presenter
all read these; nothing else spells them out."""

from __future__ import annotations

import pandas as pd

# Ratings, in triage order: Red first.
RAG_CODES = ("R", "A", "G", "-")
RAG_WORD = {"R": "Red", "A": "Amber", "G": "Green", "-": "Not rated"}
RAG_SYMBOL = {"R": "✖", "A": "▲", "G": "✔", "-": "–"}
RAG_ORDER = {code: i for i, code in enumerate(RAG_CODES)}
RAG_WORDS = tuple(RAG_WORD[code] for code in RAG_CODES)  # ("Red", "Amber", "Green", "Not rated")
RAG_TINT = {"R": "#f7c9b0", "A": "#fbe3a6", "G": "#bfe6d6", "-": "#ececec"}  # cell fills: the word is always there
RAG_CHART_COLOUR = {"Red": "#D55E00", "Amber": "#E69F00", "Green": "#009E73", "Not rated": "#BBBBBB"}  # Okabe-Ito

# Comparators, in the packs' column order.
COMPARATORS = ("gm", "nw", "sn", "england")
COMPARATOR_NAME = {"gm": "Greater Manchester", "nw": "North West", "sn": "Statistical neighbours", "england": "England"}
COMPARATOR_SHORT = {"gm": "GM", "nw": "NW", "sn": "SN", "england": "England"}

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
