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
