"""The six service-area pages, one template: head of service, headline tiles, the scorecard, commentary and
the drafted commentary."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.periods import long_label
from . import breakdown, components, data, drafting
from .context import current


def _area_row(area: str) -> pd.Series:
    areas = data.table("areas").set_index("area")
    if area not in areas.index:
        st.error(f"Unknown service area {area!r}.")
        st.stop()
    return areas.loc[area]


def area(area: str) -> None:
    """The shared service-area template: head of service, headline tiles, scorecard, commentary."""
    ctx = current()
    meta = _area_row(area)
    st.title(meta["title"])
    if meta["head_of_service"]:
        st.caption(
            f"Head of service: {meta['head_of_service']}, {meta['head_role']} (as printed in the March 2024 pack). "
            f"Month: {long_label(ctx.month)}."
        )
    components.as_of_note(ctx)
    sc = data.area_scorecard(ctx.month, ctx.vintage, area)
    if sc.empty:
        st.info(
            f"No {meta['short_title']} figures were published for {long_label(ctx.month)}. "
            "Pick another month in the sidebar."
        )
        return
    components.headline_tiles(sc)
    shown_sc = ctx.filter(sc)
    st.header(f"Scorecard: {len(shown_sc)} of {len(sc)} indicators")
    components.rag_legend()
    if shown_sc.empty:
        st.info("No indicator matches the filters in the sidebar.")
    else:
        components.scorecard_table(shown_sc, ctx.month, ctx.vintage, key=f"table_{area}")
        components.export_buttons(ctx, shown_sc, key=f"dl_{area}", area=area)
    breakdown.team_view(ctx, area)  # the area's computed refs for one team (issue 31)
    components.commentary(ctx.vintage, area, ctx.month)
    drafting.section(ctx, area)
