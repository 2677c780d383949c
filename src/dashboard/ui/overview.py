"""The overview page: RAG counts by area, what the ratings rest on, the exceptions to discuss, the biggest
movers, and the panel's papers."""

from __future__ import annotations

import textwrap

import pandas as pd
import streamlit as st

from ..words.formatting import fmt_change, fmt_value, rag_label, shown
from ..words.periods import add_months, iso, label, long_label
from ..words.vocabulary import RAG_ABBR, RAG_CODES, RAG_WORDS, VARIATION_LABEL, service_areas
from . import breakdown, components, data
from .context import current
from .page_registry import PAGE_PATHS

# Column widths in pixels, with the selection column: 920 px, inside the 932 px a 1280 px window has beside the
# sidebar (wider windows stretch them), and 730 px under 1000 px (768 px in an 800 px window).
EXCEPTION_WIDTHS = {
    "Ref": 60,
    "Indicator": 170,
    "Area": 100,  # "Safeguarding" on one line
    "Current": 84,
    "RAG": 94,
    "Direction": 100,
    "SPC": 100,
    "Why": 180,
}
NARROW_EXCEPTION_WIDTHS = {"Ref": 60, "Indicator": 150, "Current": 84, "RAG": 104, "Direction": 100, "Why": 200}


WHY_CHARS = 27  # what a line of the Why column holds at its narrowest (180 px in a 1280 px window)


def _row_height(why: pd.Series) -> int:
    """Rows tall enough for the longest reason to read in full (the grid clips, it does not grow): four lines at
    least, 18 px a line."""
    lines = max((len(textwrap.wrap(str(t), WHY_CHARS)) for t in why), default=4)
    return max(86, 14 + 18 * lines)


@st.cache_data(show_spinner=False, max_entries=64)
def _overview_model(ctx, db_stamp: tuple) -> dict[str, pd.DataFrame] | None:
    """Everything the overview shows, worked out once per view (month, vintage, filters) and database."""
    sc = data.scorecard(ctx.month, ctx.vintage)
    if sc.empty:
        return None
    areas = data.table("areas")
    areas = service_areas(areas)
    short = areas.set_index("area")["short_title"]

    wide = data.rag_counts(sc, areas)  # the same count the papers print
    counts = wide.melt(id_vars=["area", "Area"], value_vars=list(RAG_WORDS), var_name="rating", value_name="n")
    counts["rank"] = counts["rating"].map({w: i for i, w in enumerate(RAG_WORDS)})
    counts["area_order"] = counts["area"].map({a: i for i, a in enumerate(wide["area"])})
    counts = counts.sort_values(["area_order", "rank"])
    counts["cum"] = counts.groupby("area", sort=False)["n"].cumsum()
    counts["abbr"] = counts["rating"].map(RAG_ABBR) + counts["n"].astype(str)
    counts["area"] = counts["Area"]
    table = wide[["Area", *RAG_WORDS]].copy()
    table.columns = ["Area", *(rag_label(code) for code in RAG_CODES)]
    # What each area's ratings rest on: a target, a comparator, or last year's figure.
    basis = sc[sc["rag_basis"] != ""].assign(area=lambda d: d["area"].map(short)).groupby(["area", "rag_basis"]).size()
    bases = pd.DataFrame({"Area": table["Area"]})
    for key, title in (("target", "On a target"), ("comparator", "On a comparator"), ("last_year", "On last year")):
        bases[title] = [int(basis.get((a, key), 0)) for a in table["Area"]]

    exceptions = ctx.filter(data.exceptions(sc))
    exception_rows = pd.DataFrame(
        {
            "Ref": exceptions["ref"],
            "Indicator": exceptions["indicator"],
            "Area": exceptions["area"].map(short),
            "Current": [
                shown(v, s, u) for v, s, u in zip(exceptions["value"], exceptions["status"], exceptions["unit"])
            ],
            "RAG": exceptions["rag"].map(rag_label),
            "Direction": [
                components.direction_label(a, w) for a, w in zip(exceptions["direction_arrow"], exceptions["direction"])
            ],
            "SPC": exceptions["spc_variation"].map(VARIATION_LABEL),
            "Why": [
                reason if r != "-" else f"{reason}; unusual this month by SPC"
                for r, reason in zip(exceptions["rag"], exceptions["rag_reason"])
            ],
        }
    )

    movers = sc[sc["prev_month_value"].notna() & sc["value"].notna()].copy()
    change = movers["value"] - movers["prev_month_value"]
    # Percentages move in points; counts and rates relative to where they were.
    movers["size"] = change.abs().where(
        movers["unit"] == "percent", (change / movers["prev_month_value"].abs().replace(0, pd.NA)).abs() * 100
    )
    movers = movers.dropna(subset=["size"]).sort_values("size", ascending=False).head(10)
    mover_rows = pd.DataFrame(
        {
            "Ref": movers["ref"],
            "Indicator": movers["indicator"],
            "From": [fmt_value(v, u) for v, u in zip(movers["prev_month_value"], movers["unit"])],
            "To": [fmt_value(v, u) for v, u in zip(movers["value"], movers["unit"])],
            "Change": [
                ("+" if d > 0 else "−") + fmt_change(d, u) + ("" if u == "percent" else f" ({s:.0f}%)")
                for d, u, s in zip(movers["value"] - movers["prev_month_value"], movers["unit"], movers["size"])
            ],
            "Direction": [
                components.direction_label(a, w) for a, w in zip(movers["direction_arrow"], movers["direction"])
            ],
        }
    )
    return {"counts": counts, "table": table, "bases": bases, "exceptions": exception_rows, "movers": mover_rows}


def overview() -> None:
    ctx = current()
    st.title("Children's Services performance")
    st.caption(f"{long_label(ctx.month)} · {ctx.vintage_label}")
    components.as_of_note(ctx)
    model = _overview_model(ctx, data.view_stamp())
    if model is None:
        st.info(f"No figures for {long_label(ctx.month)}.")
        return

    left, right = st.container(key="overview_top").columns([3, 2])  # stacked below 1400 px (components.PAGE_CSS)
    with left:
        spec, summary = components.chart_spec("rag_counts_chart", model["counts"])
        components.show_chart(spec, summary)
        st.caption(summary)
    with right:
        st.markdown(f"**RAG counts, {label(ctx.month)}**")
        components.static_table(model["table"])
        st.markdown("**What the ratings rest on**")
        components.static_table(model["bases"])
        st.caption("A target first, then England and statistical neighbours, then last year's figure (About the data).")

    st.header("Exceptions to discuss")
    st.caption(
        "Red and Amber indicators in triage order: Red first, then those also declining or showing an SPC "
        "concern; then activity measures (not rated) whose figure is unusually high or low by SPC. Select a row "
        "to open the indicator; one computed from the children's records opens at its breakdown by team."
    )
    rows = model["exceptions"]
    if rows.empty:
        st.success(f"No Red or Amber indicators for {long_label(ctx.month)} with these filters.")
    else:
        # Drawn for wide and narrow windows, one shown (components.PAGE_CSS); under 1000 px without Area and SPC.
        for narrow, widths in ((False, EXCEPTION_WIDTHS), (True, NARROW_EXCEPTION_WIDTHS)):
            with st.container(key=f"{'narrow' if narrow else 'wide'}_grid_exceptions"):
                st.dataframe(
                    rows,
                    hide_index=True,
                    width="stretch",
                    height="content",
                    key="exceptions" + (components.NARROW if narrow else ""),
                    on_select="rerun",
                    selection_mode="single-row",
                    row_height=_row_height(rows["Why"]),
                    column_order=list(widths),
                    column_config={col: st.column_config.TextColumn(width=w) for col, w in widths.items()},
                )
        ref = components.selected_ref("exceptions", rows) or components.selected_ref(
            "exceptions" + components.NARROW, rows
        )
        if ref and breakdown.computed_ref(ref):  # computed from the records: straight to its breakdown by team
            view = {"vintage": ctx.vintage, "month": iso(ctx.month), "ref": ref, "view": "breakdown"}
            st.switch_page(PAGE_PATHS["indicator"], query_params=view)
        elif ref:
            components.open_detail(ref)

    st.header("Papers for the panel")
    components.export_buttons(ctx, key="dl_overview")

    st.header(f"Biggest movers since {label(add_months(ctx.month, -1))}")
    if model["movers"].empty:
        st.info(f"No indicator has figures for both {label(add_months(ctx.month, -1))} and {label(ctx.month)}.")
    else:
        components.static_table(model["movers"])
        st.caption("Percentages ranked by change in points; counts, rates and averages by per cent change.")
