"""The Printed vs calculated RAG page: every rating a pack set by hand beside the one calculated from the same
figures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.formatting import fmt_value, rag_label
from ..words.periods import label
from ..words.vocabulary import BASIS_WORD
from . import data
from .context import current


def printed_vs_calculated() -> None:
    st.title("Printed vs calculated RAG")
    st.caption(
        "The packs' RAG was set by hand. Here each printed rating sits beside the one calculated from the same "
        "figures (the scorecard as that pack stood), so the performance team can correct a target or explain "
        "the difference to the panel. Calculated ratings rest on the target, then England and statistical "
        "neighbours, then last year's figure (About the data says how)."
    )
    diff = data.printed_vs_calculated()
    if diff.empty:
        st.info("No pack in the store printed RAG ratings.")
        return
    names = data.area_names()
    diff = diff.assign(area_name=diff["area"].map(names), month_label=diff["month"].map(label))
    counts = (
        diff.groupby(["month_label", "vintage_label", "area_name"], sort=False)
        .agg(
            printed=("ref", "size"),
            differ=("rag_agrees", lambda s: int((~s).sum())),
            arrows_differ=("direction_agrees", lambda s: int((~s).sum())),
        )
        .reset_index()
    )
    st.header("How often they differ")
    st.dataframe(
        counts.rename(
            columns={
                "month_label": "Month",
                "vintage_label": "Printed in",
                "area_name": "Area",
                "printed": "Ratings printed",
                "differ": "RAG differs",
                "arrows_differ": "Arrow differs",
            }
        ),
        hide_index=True,
        width="stretch",
    )
    c1, c2 = st.columns(2)
    months = list(dict.fromkeys(diff["month_label"]))
    picked = label(current().month)  # the sidebar's month where a pack printed ratings for it
    month = c1.selectbox(
        "Month", months, index=months.index(picked) if picked in months else len(months) - 1, key="pvc_month"
    )
    area = c2.selectbox("Area", ["All areas", *dict.fromkeys(diff["area_name"].dropna())], key="pvc_area")
    shown_rows = diff[(diff["month_label"] == month) & ~diff["rag_agrees"]]
    if area != "All areas":
        shown_rows = shown_rows[shown_rows["area_name"] == area]
    st.header(f"Where the printed RAG differs ({len(shown_rows)} indicators, {month})")
    if shown_rows.empty:
        st.success("Every printed rating agrees with the calculated one here.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Ref": shown_rows["ref"],
                "Indicator": shown_rows["indicator"],
                "Area": shown_rows["area_name"],
                "Printed": shown_rows["printed_rag"].map(rag_label),
                "Calculated": shown_rows["rag"].map(rag_label),
                "Basis": shown_rows["rag_basis"].map(BASIS_WORD).replace("", "not rated"),
                "Figure": shown_rows["current_text"],
                "Target": shown_rows["target_text"].replace("", "none"),
                "Previous year": [
                    fmt_value(v, u) if pd.notna(v) else ""
                    for v, u in zip(shown_rows["previous_year"], shown_rows["unit"])
                ],
                "Printed arrow": shown_rows["printed_direction"],
                "Our arrow": shown_rows["direction_arrow"],
                "Our reason": shown_rows["rag_reason"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
