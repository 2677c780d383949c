"""The region's monthly comparator on a page ("GM this month"), beside the annual published one (README, Several
councils). Only councils that chose to share are in it; the page says how many."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.formatting import fmt_value, regional_text
from ..words.periods import long_label
from ..words.vocabulary import REGION_SHORT
from . import data


def regional_note(ref: str, month, vintage: str, row: pd.Series) -> None:
    """One line under the indicator's judgement: the region's councils sharing this month, then GM as published."""
    region, table = data.regional_comparator(month, vintage)
    if not region:
        return
    short = REGION_SHORT.get(region, region.upper())
    unit = row["unit"]
    mine = table[table["ref"] == ref]
    if mine.empty:
        now = f"{short} this month ({long_label(month)}): no council in the region shares a figure for {ref} yet."
    else:
        now = regional_text(mine.iloc[0], region, lambda v: fmt_value(v, unit), long_label(month)) + "."
    published = row.get("gm")
    year = row.get("gm_year")
    annual = (
        f" {short} as published ({year}): {fmt_value(published, unit)}."
        if published is not None and pd.notna(published) and region == "gm"
        else ""
    )
    st.markdown(f"**{now}**{annual}")
    st.caption(
        "The monthly comparator is the mean and range of the councils that share their monthly figures with the "
        "region before DfE publishes; a council that has not shared is never in it."
    )
