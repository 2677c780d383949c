"""The indicator detail page: chart with target, comparators and SPC, the reasons, targets over time, and every
figure from every pack."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.formatting import fmt_value, plain, rag_label, shown
from ..words.periods import label, long_label
from . import breakdown, components, data
from .compare import how_we_compare
from .context import current, pick_indicator
from .regional import regional_note


def indicator() -> None:
    ctx = current()
    every = data.table("indicators")
    ind = every[every["frequency"] != "week"]
    refs = list(ind["ref"])
    names = dict(zip(ind["ref"], ind["name"]))
    ref = pick_indicator(refs, names, weekly=set(every["ref"]) - set(refs))
    sc = data.scorecard(ctx.month, ctx.vintage)
    match = sc[sc["ref"] == ref]
    st.title(f"{ref} · {names[ref]}")
    components.as_of_note(ctx)
    if match.empty:
        st.info(
            f"{ref} has no figures in the six months up to {long_label(ctx.month)}. Pick another month or indicator."
        )
        return
    row = match.iloc[0]
    components.judgement_block(row)
    regional_note(ref, ctx.month, ctx.vintage, row)  # "GM this month", where the region's councils share
    area = every.set_index("ref")["area"].get(ref)
    drill = breakdown.computed_ref(ref) and st.query_params.get("view") == "breakdown"
    if drill:  # opened from an exception on the overview: figure -> team -> children
        breakdown.section(ref, ctx, area, row["unit"])
    if row.get("printed_rag"):
        agrees = "agrees with" if row["printed_rag"] == row["rag"] else "differs from"
        arrow = f" and the arrow {row['printed_direction']}" if row.get("printed_direction") else ""
        st.caption(
            f"As printed: the pack set a rating of {rag_label(row['printed_rag'])}{arrow} for {label(ctx.month)} "
            f"by hand; it {agrees} the calculated rating (see Printed vs calculated RAG)."
        )

    obs = data.observations(ctx.vintage)
    series = obs[(obs["ref"] == ref) & (obs["period"] <= ctx.month)].sort_values("period")
    hist = data.history(ref)
    seqs = data.table("vintages").set_index("vintage")["seq"]
    revised = {p for r, p in data.revised(ctx.vintage) if r == ref}  # as of the vintage in view, like the tables
    show_spc = st.toggle("Show SPC average, process limits and signals", value=True, key="spc")
    plan = data.plan(ctx.vintage)
    linked = data.linked_actions(plan, ref)
    spec, summary = components.chart_spec(
        "indicator_chart", row.drop("spark"), series, show_spc=show_spc, revised=revised, actions=linked
    )
    components.show_chart(spec, summary)
    st.caption(f"Chart summary: {summary}")
    if not linked.empty:
        st.markdown(
            "**Improvement plan actions linked to this indicator** (Appendix B, "
            f"{linked['focus_areas'].iloc[0] if linked['focus_areas'].nunique() == 1 else 'several focus areas'}): "
            "purple lines mark when they start (▶) and are due (■)."
        )
        st.markdown("\n".join(f"- {t}" for t in data.signals_after_actions(linked, row, series)))
    components.chart_downloads(spec, f"{ref}-{ctx.month:%Y-%m}", key="detail_chart")

    left, right = st.columns([2, 3])
    with left:
        st.header("About this indicator")
        components.indicator_facts(row)
        d = data.derived(ctx.month, ctx.vintage)
        if ref in d.index and row["unit"] == "count":
            r = d.loc[ref]
            lines = [
                f"- **Rate per 10,000 children (0–17):** {fmt_value(r['rate_per_10k'], 'rate_per_10k') or 'no figure'}"
            ]
            if pd.notna(r.get("ytd_months_needed")) and not pd.isna(r["ytd_total"]):
                lines.append(f"- **Year to date from April:** {fmt_value(r['ytd_total'], 'count')}")
            elif r.name in set(ind.loc[ind["count_type"] == "flow", "ref"]):
                lines.append(
                    f"- **Year to date from April:** not given: {int(r['ytd_months'])} of "
                    f"{int(r['ytd_months_needed'])} months have figures"
                )
                lines.append(
                    "- **Rolling 12 months:** "
                    + (
                        fmt_value(r["rolling_12_total"], "count")
                        if pd.notna(r["rolling_12_total"])
                        else f"not given: {int(r['rolling_months'])} of 12 months have figures"
                    )
                )
            st.markdown("\n".join(lines))
            st.caption("Derived here from the monthly counts; population from the authority's metadata.")
        _target_history(ref, ctx)
        nm = data.names()
        wording = nm[nm["ref"] == ref][["label", "name_as_printed", "name_damaged"]].drop_duplicates("name_as_printed")
        if len(wording) > 1:
            st.markdown("**Wording as printed in each pack**")
            for w in wording.itertuples():
                st.markdown(
                    f"- {plain(w.label)}: “{plain(w.name_as_printed)}”"
                    + (" (damaged in the source)" if w.name_damaged else "")
                )
    with right:
        st.header("Every figure, every vintage")
        table = hist.copy()
        table = table[table["seq"] <= (seqs.max() if ctx.vintage == "latest" else seqs[ctx.vintage])]
        unit = row["unit"]
        st.dataframe(
            pd.DataFrame(
                {
                    "Month": [label(p) for p in table["period"]],
                    "Value": [shown(v, s, unit) for v, s in zip(table["value"], table["status"])],
                    "As printed in": table["label"],
                    "Source": [
                        f"{f}, line {int(n)}" if pd.notna(n) else f
                        for f, n in zip(table["source_file"], table["source_line"])
                    ],
                    "Revised": ["yes" if p in revised else "" for p in table["period"]],
                }
            ),
            hide_index=True,
            width="stretch",
            height=320,
        )
    how_we_compare(ref, ctx, row)
    if breakdown.computed_ref(ref) and not drill:
        breakdown.section(ref, ctx, area, row["unit"])


def _target_history(ref: str, ctx) -> None:
    """Which target rated which months, and who set it: a new year's target never rewrites an old month's rating."""
    hist = data.target_history(ref)
    if ctx.vintage != "latest":
        hist = hist[hist["seq"] <= data.table("vintages").set_index("vintage")["seq"][ctx.vintage]]
    if hist.empty or len(hist) < 2 and hist["applies_from"].isna().all():
        return
    st.markdown("**Targets over time**")
    components.static_table(
        pd.DataFrame(
            {
                "Applies from": ["the start" if pd.isna(f) else label(f) for f in hist["applies_from"]],
                "Target": [t or "none" for t in hist["target_text"]],
                "Tolerance": ["indicator default" if pd.isna(t) else f"{t:g}" for t in hist["tolerance"]],
                "Set in": hist["label"],
            }
        )
    )
    st.caption(
        "A target applies from its month until the next one starts; where two were set for the same month, "
        "the later one counts."
    )
