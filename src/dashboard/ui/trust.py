"""Pages about trusting the numbers: what was revised (and who loaded it), what is missing or odd, and
where the printed RAG differs from the calculated one. Writing lives in ui/admin.py."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..engine.rag import BASIS_WORD
from ..formatting import fmt_change, fmt_value, rag_label
from ..periods import label
from ..vocabulary import RAG_WORD
from . import components, data
from .context import current
from .routing import routed


def _area_names() -> dict[str, str]:
    areas = data.table("areas")
    return dict(zip(areas["area"], areas["short_title"]))


@routed
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
    names = _area_names()
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
    """vintage -> "loaded by … on …" (the journal's user and moment); the packs were published, not loaded."""
    v = data.table("vintages")
    out = {}
    for row in v.itertuples():
        if row.kind == "pack":
            out[row.vintage] = f"published pack, {pd.Timestamp(row.published):%d %b %Y}"
        else:
            out[row.vintage] = f"loaded by {row.loaded_by or 'unknown'} on {pd.Timestamp(row.loaded_at):%d %b %Y %H:%M}"
    return out


def _who_loaded_what(loaded_by: dict[str, str]) -> None:
    v = data.table("vintages")
    v = v[v["kind"] != "pack"].sort_values("seq", ascending=False)
    st.header("Who loaded what")
    if v.empty:
        st.caption("Nothing has been loaded or edited since the published packs.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Vintage": v["label"],
                "Kind": v["kind"],
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


@routed
def data_quality() -> None:
    st.title("Data quality")
    st.caption("What a performance officer checks before the figures go to the panel. Latest figures throughout.")
    checks = data.quality_checks()
    names = _area_names()

    def table(frame: pd.DataFrame, columns: dict[str, str], empty: str) -> None:
        if frame.empty:
            st.success(empty)
            return
        out = frame.assign(area=frame["area"].map(names).fillna(""))
        out = out[list(columns)].rename(columns=columns)
        st.dataframe(out, hide_index=True, width="stretch")

    gaps = checks["gaps"]
    st.header(f"Missing and not-yet-available months ({len(gaps)} indicators)")
    st.caption(
        "Months printed as 'Not Yet Available' or 'n/a', and months with no figure between an indicator's "
        "first and last figure. None of these is ever counted as zero."
    )
    table(
        gaps,
        {
            "ref": "Ref",
            "indicator": "Indicator",
            "area": "Area",
            "not_yet_available": "Not yet available",
            "not_applicable": "n/a",
            "no_figure": "No figure printed",
        },
        "Every indicator has a figure for every month.",
    )

    defs = checks["definitions"]
    st.header(f"Definition changes under the same ref ({len(defs)})")
    st.caption(
        "Where a ref kept its number but its wording or counting rule changed, a trend across the change "
        "compares different things. Damaged OCR wording is not counted as a change."
    )
    table(
        defs,
        {
            "ref": "Ref",
            "indicator": "Indicator now",
            "area": "Area",
            "note": "What changed",
            "wording": "Wording in each pack",
        },
        "No ref changed its definition.",
    )

    churn = checks["churn"]
    st.header(f"Refs that appear or disappear between packs ({len(churn)})")
    table(
        churn,
        {
            "ref": "Ref",
            "indicator": "Indicator",
            "area": "Area",
            "change": "Change",
            "from_pack": "Between",
            "to_pack": "And",
        },
        "Every pack printed the same refs.",
    )

    odd = checks["implausible"]
    st.header(f"Figures outside a plausible range ({len(odd)})")
    st.caption(
        "Impossible values (a percentage outside 0–100, a negative count) are rejected on load; these are "
        "figures far from the indicator's usual level, worth checking against the source."
    )
    table(
        odd,
        {
            "ref": "Ref",
            "indicator": "Indicator",
            "area": "Area",
            "month": "Month",
            "value": "Figure",
            "why": "Why it is listed",
        },
        "No figure is outside its plausible range.",
    )

    differ = data.printed_vs_published()
    st.header(f"Printed comparators that differ from the published figure ({len(differ)})")
    st.caption(
        "Each comparator a pack printed, beside DfE's published figure for the same year (England, North West) or "
        "the one computed here from every council's published figures (Greater Manchester: mean of its ten "
        "councils; statistical neighbours: mean of the ten). Listed where they differ by more than rounding "
        "(0.5). The dashboard compares on the published figures; the printed ones stay on the indicator page."
    )
    if differ.empty:
        st.success("Every printed comparator matches the published figure for its year.")
    else:
        comp = {"england": "England", "nw": "North West", "gm": "Greater Manchester", "sn": "Statistical neighbours"}
        st.dataframe(
            pd.DataFrame(
                {
                    "Ref": differ["ref"],
                    "Comparator": differ["comparator"].map(comp),
                    "Year": differ["year"],
                    "As printed": differ["printed"],
                    "Published or computed": differ["published"],
                    "Difference": differ["difference"],
                    "Printed in": differ["vintage"],
                }
            ),
            hide_index=True,
            width="stretch",
        )

    st.header("Vintages")
    v = data.table("vintages").sort_values("seq")
    st.dataframe(
        pd.DataFrame(
            {
                "Vintage": v["vintage"],
                "Reported in": v["label"],
                "Date": pd.to_datetime(v["published"]).dt.date,
                "Kind": v["kind"],
                "Source": v["source_file"],
                "Note": v["as_of_note"],
            }
        ),
        hide_index=True,
        width="stretch",
    )


@routed
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
    names = _area_names()
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
