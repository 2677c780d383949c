"""The Data quality page: what a performance officer checks before the figures go to the panel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.vocabulary import comparator
from . import components, data


def data_quality() -> None:
    st.title("Data quality")
    st.caption("What a performance officer checks before the figures go to the panel. Latest figures throughout.")
    checks = data.quality_checks()
    names = data.area_names()

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
        st.dataframe(
            pd.DataFrame(
                {
                    "Ref": differ["ref"],
                    "Comparator": differ["comparator"].map(lambda c: comparator(c).name),
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
    components.vintages_table(with_kind=True)
