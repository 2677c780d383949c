"""The Revisions page: every figure that changed between vintages, what it moved, and who loaded what."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.formatting import fmt_change, fmt_value, rag_label
from ..words.periods import label
from ..words.vocabulary import RAG_WORD, kind_word, loaded_phrase
from . import components, data


def revisions() -> None:
    st.title("Revisions between vintages")
    st.caption(
        "Every figure that changed between one vintage and the next that printed it: what the panel was "
        "told, what it says now, and whether the change moved the month's RAG rating or direction of travel."
    )
    with st.spinner("Working out each revision's effect on the month's RAG and direction…", show_time=True):
        rev = data.revisions()  # cached after the first view of each database file
    loaded_by = _loaded_by()
    if rev.empty:
        st.info("No figure has been revised: every vintage agrees with the one before it.")
        _who_loaded_what(loaded_by)
        return
    ind = data.table("indicators").set_index("ref")
    names = data.area_names()
    rev = rev.assign(area=rev["ref"].map(ind["area"]), unit=rev["ref"].map(ind["unit"]))
    c1, c2, c3 = st.columns(3)
    area_opts = [a for a in names if a in set(rev["area"])]
    picked_areas = c1.multiselect(
        "Service area", area_opts, format_func=names.get, placeholder="All areas", key="rev_area"
    )
    month_opts = sorted(set(rev["period"]), reverse=True)
    picked_months = c2.multiselect("Month", month_opts, format_func=label, placeholder="All months", key="rev_month")
    only_moved = c3.toggle("Only revisions that changed RAG or direction", key="rev_moved")
    shown_rev = rev
    if picked_areas:
        shown_rev = shown_rev[shown_rev["area"].isin(picked_areas)]
    if picked_months:
        shown_rev = shown_rev[shown_rev["period"].isin(picked_months)]
    if only_moved:
        shown_rev = shown_rev[shown_rev["rag_changed"] | shown_rev["direction_changed"]]

    moved_rag, moved_dir = int(rev["rag_changed"].sum()), int(rev["direction_changed"].sum())
    m1, m2, m3 = st.columns(3)
    m1.metric("Revised figures", len(rev))
    m2.metric("Changed the RAG rating", moved_rag)
    m3.metric("Changed the direction of travel", moved_dir)
    st.header(f"{len(shown_rev)} revised figures")
    if shown_rev.empty:
        st.info("No revision matches these filters.")
        _who_loaded_what(loaded_by)
        return
    pct = shown_rev["old_value"].abs().replace(0, pd.NA)
    table = pd.DataFrame(
        {
            "Ref": shown_rev["ref"],
            "Indicator": shown_rev["ref"].map(ind["name"]),
            "Area": shown_rev["area"].map(names),
            "Month": shown_rev["period"].map(label),
            "As first reported": [fmt_value(v, u) for v, u in zip(shown_rev["old_value"], shown_rev["unit"])],
            "In": shown_rev["old_label"],
            "Revised to": [fmt_value(v, u) for v, u in zip(shown_rev["new_value"], shown_rev["unit"])],
            "Revised in": shown_rev["new_label"],
            "Loaded": shown_rev["new_vintage"].map(loaded_by),
            "Change": [
                ("+" if d > 0 else "−")
                + fmt_change(d, u)
                + ("" if u == "percent" or pd.isna(p) else f" ({abs(d) / p:.0%})")
                for d, u, p in zip(shown_rev["change"], shown_rev["unit"], pct)
            ],
            "RAG": [
                f"{rag_label(o)} → {rag_label(n)}" if c else f"unchanged ({RAG_WORD.get(n, 'Not rated')})"
                for o, n, c in zip(shown_rev["old_rag"], shown_rev["new_rag"], shown_rev["rag_changed"])
            ],
            "Direction": [
                f"{o or 'none'} → {n or 'none'}" if c else f"unchanged ({n or 'none'})"
                for o, n, c in zip(
                    shown_rev["old_direction"], shown_rev["new_direction"], shown_rev["direction_changed"]
                )
            ],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="revisions_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={"Indicator": st.column_config.TextColumn(width="large")},
    )
    st.caption(
        "Select a row to open the indicator; revised months are marked † in the scorecards and ringed on "
        "the indicator chart. RAG and direction are worked out for the revised month as each vintage stood."
    )
    ref = components.selected_ref("revisions_table", table)
    if ref:
        components.open_detail(ref)
    _who_loaded_what(loaded_by)


def _loaded_by() -> dict[str, str]:
    """vintage -> who wrote it and when (vocabulary.loaded_phrase: the journal's user and moment, or shipped with
    the app for sample_data/'s packs and DfE release)."""
    v = data.vintages()
    return {row["vintage"]: loaded_phrase(row) for row in v.to_dict("records")}


def _who_loaded_what(loaded_by: dict[str, str]) -> None:
    v = data.vintages()
    v = v.sort_values("seq", ascending=False)  # every vintage, the shipped packs too: each has its author
    st.header("Who loaded what")
    st.dataframe(
        pd.DataFrame(
            {
                "Vintage": v["label"],
                "Kind": v["kind"].map(kind_word),
                "Loaded": v["vintage"].map(loaded_by),
                "Source": v["source_file"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "Each write is kept in the write journal with its user and moment; the full audit trail, with "
        "refused writes and failed sign-ins, is the admin's *Audit trail* page or the command *dashboard audit*."
    )
