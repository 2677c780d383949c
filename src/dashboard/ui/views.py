"""Page bodies. Each page file in pages/ is one call into here; the six service areas share area()."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..engine import plan as plan_engine
from ..engine import scorecard as scorecard_engine
from ..engine import spc
from ..engine.spc import VARIATION_LABEL
from ..formatting import fmt_change, fmt_value, plain, rag_label, shown
from ..periods import add_months, label, long_label
from ..vocabulary import RAG_CODES, RAG_WORDS, service_areas
from . import components, data, drafting, signin
from .context import current, url_selectbox
from .routing import routed


def _area_row(area: str) -> pd.Series:
    areas = data.table("areas").set_index("area")
    if area not in areas.index:
        st.error(f"Unknown service area {area!r}.")
        st.stop()
    return areas.loc[area]


def _as_of_note(ctx) -> None:
    if ctx.vintage != "latest":
        st.warning(f"Showing figures {ctx.vintage_label.lower()}: later revisions are hidden.", icon="🕰")


@routed
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
    _as_of_note(ctx)
    sc_all = data.scorecard(ctx.month, ctx.vintage)
    sc = sc_all[sc_all["area"] == area]
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
        rows = components.scorecard_table(shown_sc, ctx.month, ctx.vintage, key=f"table_{area}")
        ref = components.selected_ref(f"table_{area}", rows)
        if ref:
            components.open_detail(ref)
        components.export_buttons(ctx, shown_sc, key=f"dl_{area}", area=area)
    components.commentary(ctx.vintage, area, ctx.month)
    drafting.section(ctx, area)


@st.cache_data(show_spinner=False, max_entries=64)
def _overview_model(ctx, db_stamp: tuple) -> dict[str, pd.DataFrame] | None:
    """Everything the overview shows, worked out once per view (month, vintage, filters) and database."""
    sc = data.scorecard(ctx.month, ctx.vintage)
    if sc.empty:
        return None
    areas = data.table("areas")
    areas = service_areas(areas)
    short = areas.set_index("area")["short_title"]

    wide = scorecard_engine.rag_counts(sc, areas)  # the same count the papers print
    counts = wide.melt(id_vars=["area", "Area"], value_vars=list(RAG_WORDS), var_name="rating", value_name="n")
    counts["rank"] = counts["rating"].map({w: i for i, w in enumerate(RAG_WORDS)})
    counts["area_order"] = counts["area"].map({a: i for i, a in enumerate(wide["area"])})
    counts = counts.sort_values(["area_order", "rank"])
    counts["cum"] = counts.groupby("area", sort=False)["n"].cumsum()
    counts["abbr"] = counts["rating"].map({"Red": "R", "Amber": "A", "Green": "G", "Not rated": "–"}) + counts[
        "n"
    ].astype(str)
    counts["area"] = counts["Area"]
    table = wide[["Area", *RAG_WORDS]].copy()
    table.columns = ["Area", *(rag_label(code) for code in RAG_CODES)]
    # What each area's ratings rest on: a target, a comparator, or last year's figure.
    basis = sc[sc["rag_basis"] != ""].assign(area=lambda d: d["area"].map(short)).groupby(["area", "rag_basis"]).size()
    bases = pd.DataFrame({"Area": table["Area"]})
    for key, title in (("target", "On a target"), ("comparator", "On a comparator"), ("last_year", "On last year")):
        bases[title] = [int(basis.get((a, key), 0)) for a in table["Area"]]

    exceptions = ctx.filter(scorecard_engine.exceptions(sc))
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


@routed
def overview() -> None:
    ctx = current()
    st.title("Children's Services performance")
    st.caption(f"{long_label(ctx.month)} · {ctx.vintage_label}")
    _as_of_note(ctx)
    model = _overview_model(ctx, data.stamp())
    if model is None:
        st.info(f"No figures for {long_label(ctx.month)}.")
        return
    if ctx.vintage == "latest" and ctx.month == data.default_month_for("latest"):
        data.warm_papers(ctx.month, ctx.vintage)  # the month the panel will print: its charts, drawn ahead

    left, right = st.columns([3, 2])
    with left:
        spec, summary = components.chart_spec("rag_counts_chart", model["counts"])
        components.show_chart(spec, summary)
        st.caption(summary)
    with right:
        st.markdown(f"**RAG counts, {label(ctx.month)}**")
        st.dataframe(model["table"], hide_index=True, width="stretch")
        st.markdown("**What the ratings rest on**")
        st.dataframe(model["bases"], hide_index=True, width="stretch")
        st.caption("A target first, then England and statistical neighbours, then last year's figure (About the data).")

    st.header("Exceptions to discuss")
    st.caption(
        "Red and Amber indicators in triage order: Red first, then those also declining or showing an SPC "
        "concern; then activity measures (not rated) whose figure is unusually high or low by SPC. Select a row "
        "to open the indicator."
    )
    rows = model["exceptions"]
    if rows.empty:
        st.success(f"No Red or Amber indicators for {long_label(ctx.month)} with these filters.")
    else:
        st.dataframe(
            rows,
            hide_index=True,
            width="stretch",
            key="exceptions",
            on_select="rerun",
            selection_mode="single-row",
            column_config={"Why": st.column_config.TextColumn(width="large")},
        )
        ref = components.selected_ref("exceptions", rows)
        if ref:
            components.open_detail(ref)

    st.header("Papers for the panel")
    components.export_buttons(ctx, key="dl_overview")

    st.header(f"Biggest movers since {label(add_months(ctx.month, -1))}")
    if model["movers"].empty:
        st.info(f"No indicator has figures for both {label(add_months(ctx.month, -1))} and {label(ctx.month)}.")
    else:
        st.dataframe(model["movers"], hide_index=True, width="stretch")
        st.caption("Percentages ranked by change in points; counts, rates and averages by per cent change.")


@routed
def indicator() -> None:
    ctx = current()
    ind = data.table("indicators")
    ind = ind[ind["frequency"] != "week"]
    refs = list(ind["ref"])
    names = dict(zip(ind["ref"], ind["name"]))
    ref = url_selectbox("Indicator", refs, key="ref", format_func=lambda r: f"{r} · {names[r]}")
    sc = data.scorecard(ctx.month, ctx.vintage)
    match = sc[sc["ref"] == ref]
    st.title(f"{ref} · {names[ref]}")
    _as_of_note(ctx)
    if match.empty:
        st.info(
            f"{ref} has no figures in the six months up to {long_label(ctx.month)}. Pick another month or indicator."
        )
        return
    row = match.iloc[0]
    components.judgement_block(row)
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
    linked = (
        plan_engine.linked_actions(ref, plan["resolved"], plan["actions"])
        if not plan["actions"].empty
        else plan["actions"]
    )
    spec, summary = components.chart_spec(
        "indicator_chart", row.drop("spark"), series, show_spc=show_spc, revised=revised, actions=linked
    )
    components.show_chart(spec, summary)
    st.caption(f"Chart summary: {summary}")
    if not linked.empty:
        rebase, fixed = spc.settings_for(row)
        pts = spc.points(
            series.assign(ref=ref)[["ref", "period", "value"]].dropna(), "ref", rebase=rebase, baseline=fixed
        )
        st.markdown(
            "**Improvement plan actions linked to this indicator** (Appendix B, "
            f"{linked['focus_areas'].iloc[0] if linked['focus_areas'].nunique() == 1 else 'several focus areas'}): "
            "purple lines mark when they start (▶) and are due (⏹)."
        )
        st.markdown("\n".join(f"- {t}" for t in plan_engine.signals_after(linked, pts, row["polarity"])))
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


def _target_history(ref: str, ctx) -> None:
    """Which target rated which months, and who set it: a new year's target never rewrites an old month's rating."""
    hist = data.target_history(ref)
    if ctx.vintage != "latest":
        hist = hist[hist["seq"] <= data.table("vintages").set_index("vintage")["seq"][ctx.vintage]]
    if hist.empty or len(hist) < 2 and hist["applies_from"].isna().all():
        return
    st.markdown("**Targets over time**")
    st.dataframe(
        pd.DataFrame(
            {
                "Applies from": [
                    "the start" if pd.isna(f) else label(pd.Timestamp(f).date()) for f in hist["applies_from"]
                ],
                "Target": [t or "none" for t in hist["target_text"]],
                "Tolerance": ["indicator default" if pd.isna(t) else f"{t:g}" for t in hist["tolerance"]],
                "Set in": hist["label"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "A target applies from its month until the next one starts; where two were set for the same month, "
        "the later one counts."
    )


@routed
def weekly() -> None:
    ctx = current()
    st.title("Brilliant at the Basics: weekly")
    _as_of_note(ctx)
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


@routed
def about() -> None:
    st.title("About the data")
    st.markdown(
        "This dashboard shows the figures Tameside Council's Children's Services published in its "
        "**Performance and Quality Assurance Scorecards**: the January 2023 scorecard and the scorecards in the "
        "Children's Services Scrutiny Panel packs of **8 November 2023** and **6 March 2024**, plus the weekly "
        "*Brilliant at the Basics* table. Every figure records the pack, file and line it came from."
    )
    st.header("Vintages: figures as reported")
    v = data.table("vintages")
    st.dataframe(
        pd.DataFrame(
            {
                "Vintage": v["vintage"],
                "Reported in": v["label"],
                "Date": pd.to_datetime(v["published"]).dt.date,
                "Source": v["source_file"],
                "Note": v["as_of_note"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.markdown(
        "Figures are revised between packs as recording catches up (for example FD1 contacts in September 2023: "
        "1,265 in the November 2023 pack, 1,318 in the March 2024 pack). Both are kept. The default view shows the "
        "latest figure for each month; pick a pack under *Figures as reported* to see exactly what the panel was told."
    )
    st.header("How ratings are worked out")
    st.markdown(
        "- **RAG** is calculated, not set by hand. Green meets the target (or sits inside a target band); Amber misses "
        "it by no more than 5 percentage points (percentages) or 5% of the target (counts, rates, averages); Red "
        "misses by more. Without a target, an indicator is rated on where it sits against England and statistical "
        "neighbours. Activity measures are not rated. Every rating carries its reason in words.\n"
        "- **Direction of travel** compares with the previous month (or the same month last year), in the "
        "indicator's polarity; moves under 1 point (percentages) or 2% (others) count as no change.\n"
        "- **SPC** (NHS England *Making Data Count*): average ± 2.66 × mean moving range; signals are a month "
        "outside the limits, 7 in a row on one side of the average, 7 in a row rising or falling, or 2 of 3 near a "
        "limit. With fewer than 13 months the limits are marked trial.\n"
        "- **Missing** figures and cells printed *Not Yet Available* or *n/a* are shown as such and never "
        "treated as zero."
    )
    _access_note()
    areas = data.table("areas")
    areas = areas[areas["head_of_service"] != ""]
    st.header("Service areas and heads of service")
    st.dataframe(
        pd.DataFrame(
            {
                "Area": areas["title"],
                "Head of service": areas["head_of_service"],
                "Role": areas["head_role"],
                "Source": areas["head_source"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    ind = data.table("indicators")
    notes = ind[ind["definition_note"] != ""]
    st.header("Definition changes under the same ref")
    st.dataframe(
        pd.DataFrame({"Ref": notes["ref"], "Indicator": notes["name"], "Note": notes["definition_note"]}),
        hide_index=True,
        width="stretch",
    )


def _access_note() -> None:
    st.header("Who can see and change this")
    if not signin.auth_configured():
        st.warning(
            "Sign-in is not configured: this is the embedded demo. Anyone who can reach this server reads "
            "everything, and one shared admin secret unlocks every write. A council deployment switches on "
            "sign-in with its own identity provider and gives each person a role (README, Deploying for a "
            "council).",
            icon="🔓",
        )
        return
    st.markdown(
        "Sign-in is through the council's identity provider. Each person has a role: **viewers** read; "
        "**area editors** also publish their own service areas' commentary; **publishers** load figures, "
        "targets and comparators; **admins** do everything and see the audit trail. Every write is checked "
        "against the role at the moment it is made and recorded with who and when."
    )
