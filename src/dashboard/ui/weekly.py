"""The weekly Brilliant at the Basics page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.formatting import fmt_change, fmt_value
from . import components, data
from .context import current


def weekly() -> None:
    ctx = current()
    st.title("Brilliant at the Basics: weekly")
    components.as_of_note(ctx)
    w = data.weekly(ctx.vintage)
    if w.empty:
        st.info("No weekly figures are stored for this view.")
        return
    ind = data.table("indicators").set_index("ref")
    weeks = sorted(w["week_ending"].unique())
    st.caption(
        f"{w['ref'].nunique()} indicators, weeks ending {weeks[0]:%d %b %Y} to {weeks[-1]:%d %b %Y}, "
        "as printed in the Scrutiny Panel pack of 8 November 2023."
    )
    grid = w.pivot_table(index="ref", columns="week_ending", values="value", aggfunc="first")
    grid = grid.reindex(sorted(grid.index, key=lambda r: int(ind.loc[r, "sort_order"])))
    units = ind.loc[grid.index, "unit"]
    table = pd.DataFrame({"Ref": grid.index, "Indicator": ind.loc[grid.index, "name"].values})
    for wk in weeks:
        table[f"w/e {wk:%d %b}"] = [fmt_value(v, u) if pd.notna(v) else "No figure" for v, u in zip(grid[wk], units)]
    table["Trend"] = [[None if pd.isna(x) else float(x) for x in r] for r in grid.to_numpy()]
    first, last = grid[weeks[0]], grid[weeks[-1]]
    delta = last - first
    table["Change over the weeks"] = [
        ("▲ up " if d > 0 else "▼ down " if d < 0 else "► level ") + fmt_change(d, u) if pd.notna(d) else "–"
        for d, u in zip(delta, units)
    ]
    if ctx.text:
        needle = ctx.text.lower()
        table = table[
            table["Ref"].str.lower().str.contains(needle, regex=False)
            | table["Indicator"].str.lower().str.contains(needle, regex=False)
        ]
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=520,
        column_config={
            "Ref": st.column_config.TextColumn(pinned=True),
            "Indicator": st.column_config.TextColumn(pinned=True, width="large"),
            "Trend": st.column_config.LineChartColumn(width="small"),
        },
    )
    refs = list(table["Ref"])
    if refs:
        ref = st.selectbox(
            "Chart an indicator", refs, format_func=lambda r: f"{r} · {ind.loc[r, 'name']}", key="weekly_ref"
        )
        spec, summary = components.chart_spec(
            "weekly_chart", ref, ind.loc[ref, "name"], ind.loc[ref, "unit"], w[w["ref"] == ref]
        )
        components.show_chart(spec, summary)
        st.caption(f"Chart summary: {summary}")
