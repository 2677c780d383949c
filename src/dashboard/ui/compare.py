"""How we compare: an indicator against England, North West, Greater Manchester and its statistical neighbours
over every year DfE has published, and every council for the latest year (indicator page)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.formatting import fmt_value, plain, rank_text
from ..words.periods import long_label
from ..words.vocabulary import GM_CODES, PUBLISHED_STATUS_TEXT, comparator, comparator_codes
from . import components, data


def how_we_compare(ref: str, ctx, row: pd.Series) -> None:
    """row: the indicator's scorecard row for the month in view."""
    unit = row["unit"]
    mapping = data.table("national_map").set_index("ref")
    st.header("How we compare")
    if ref not in mapping.index:
        return
    measure = mapping.loc[ref, "measure"]
    if not measure:  # no published measure; the packs may still have printed comparators for it
        printed = row[list(comparator_codes())].notna().any()
        reason = plain(mapping.loc[ref, "reason"])
        st.caption(
            f"No chart of every council's published figures: {reason}. The comparators the packs printed are under "
            "About this indicator."
            if printed
            else f"Not compared with other councils: {reason}."
        )
        return
    meta = data.table("national_measures").set_index("measure").loc[measure]
    summary = data.national_summary(ctx.vintage)
    mine = summary[summary["measure"] == measure].sort_values("year_end")
    if mine.empty:
        st.caption(f"No published figures for {plain(meta['name'])} are loaded in this vintage.")
        return
    ours_name = data.authority_name()
    st.caption(
        f"Compared on DfE's published measure **{plain(meta['name'])}** ({plain(meta['release'])}, file "
        f"{plain(meta['file'])}; Open Government Licence v3.0). Greater Manchester and statistical neighbours "
        "are computed here from every council's published figure; each row names how."
        + (f" {plain(meta['note'])}." if meta["note"] else "")
    )
    spec, summary_text = components.chart_spec("national_trend_chart", meta["name"], unit, ours_name, mine)
    components.show_chart(spec, summary_text)
    st.caption(f"Chart summary: {summary_text}")
    note = _measure_note(ref, ctx)
    if note:
        st.warning(
            f"{note} in {long_label(ctx.month)}: every rank in this table is of DfE's published figure, not of the "
            "scorecard's monthly one.",
            icon=":material/compare_arrows:",
        )
    components.static_table(_years_table(mine, unit, meta["polarity"], ours_name))

    latest = mine.iloc[-1]
    councils, _, year = data.benchmark(ref, latest["year"], ctx.vintage)
    code = data.la_code()
    neighbours = data.neighbours_for(latest["year_end"])
    spec, dots_text = components.chart_spec(
        "councils_dot_plot",
        meta["name"],
        unit,
        year,
        councils,
        code,
        neighbours,
        set(GM_CODES),
    )
    components.show_chart(spec, dots_text)
    st.caption(f"Chart summary: {dots_text}")
    withheld = councils[councils["status"] != "value"]
    if not withheld.empty:
        st.caption(
            f"{len(withheld)} councils have no figure for {year}: "
            + "; ".join(
                f"{n} {PUBLISHED_STATUS_TEXT[s]}" for s, n in withheld["status"].value_counts().sort_index().items()
            )
            + ". Withheld figures are never counted as zero; they are left out of ranks and averages."
        )
    printed = data.printed_vs_published(ref)
    if not printed.empty:
        differ = int((printed["Difference"].abs() > 0.5).sum())
        st.markdown(
            "**Comparators as the packs printed them**, beside the published figure for the same year"
            + (f" ({differ} differ by more than rounding; the Data quality page lists them)" if differ else "")
        )
        components.static_table(printed)


def _years_table(mine: pd.DataFrame, unit: str, polarity: str, ours_name: str) -> pd.DataFrame:
    latest_first = mine.sort_values("year_end", ascending=False)
    rows = {
        "Year": latest_first["year"],
        ours_name: [
            fmt_value(v, unit) if s == "value" else PUBLISHED_STATUS_TEXT.get(s, s)
            for v, s in zip(latest_first["ours"], latest_first["ours_status"])
        ],
    }
    for c in (c for c in comparator_codes() if c in latest_first):
        rows[comparator(c).name] = [fmt_value(v, unit) if pd.notna(v) else "" for v in latest_first[c]]
    rows["SN median"] = [fmt_value(v, unit) if pd.notna(v) else "" for v in latest_first["sn_median"]]
    rows["Rank among councils"] = [
        rank_text(r, o, b, polarity) for r, o, b in zip(latest_first["rank"], latest_first["of"], latest_first["band"])
    ]
    rows["How GM and SN are worked out"] = [
        f"GM: {g}; SN: {s}" for g, s in zip(latest_first["gm_basis"], latest_first["sn_basis"])
    ]
    return pd.DataFrame(rows)


def _measure_note(ref: str, ctx) -> str:
    """The scorecard's own words (engine.national.measure_note) where DfE's annual figure for the month's
    comparison year is counted differently from the month's figure."""
    sc = data.scorecard(ctx.month, ctx.vintage)
    row = sc[sc["ref"] == ref]
    if row.empty or "rank_note" not in row:
        return ""
    return plain(str(row["rank_note"].iloc[0] or ""))
