"""About the data: sources, vintages, how ratings are worked out, who can see and change this."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from . import components, data, signin


def about() -> None:
    st.title("About the data")
    st.markdown(
        "This dashboard shows the figures Tameside Council's Children's Services published in its "
        "**Performance and Quality Assurance Scorecards**: the January 2023 scorecard and the scorecards in the "
        "Children's Services Scrutiny Panel packs of **8 November 2023** and **6 March 2024**, plus the weekly "
        "*Brilliant at the Basics* table. Every figure records the pack, file and line it came from."
    )
    st.header("Vintages: figures as reported")
    components.vintages_table()
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
    st.header("National comparators")
    measures = data.table("national_measures")
    mapped = data.table("national_map")
    st.markdown(
        f"Where DfE publishes the same measure for every council, the comparators are worked out from the published "
        f"figures rather than typed from a pack: {int((mapped['measure'] != '').sum())} indicators compare on "
        f"{len(measures)} published measures (children in need, child protection, children looked after, care "
        "leavers, the social work workforce). **England** and **North West** are as published; **Greater "
        "Manchester** is the mean of its ten councils; **statistical neighbours** the mean of the ten (median beside "
        "it), naming the grouping (DfE's 2021 groupings, or May 2025's from 2024/25). Each month is compared with "
        "the latest year that had ended by then. **Rank** is among all councils with a figure, 1 best, ties sharing "
        "the lower rank; **band A** is the best quarter (DfE's LAIT convention). Suppressed (c), not available (x) "
        "and similar cells are kept as such, never counted as zero. The indicator page says why an indicator has no "
        "national measure, and `dashboard load-national` loads a new release.\n\n"
        "Source: DfE national statistics as held in dfe-analytical-services/CSC_outcomes_and_enablers "
        "(data-raw/), under the [Open Government Licence v3.0]"
        "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/). Contains public sector "
        "information licensed under the Open Government Licence v3.0."
    )
    _access_note()
    areas = data.table("areas")
    areas = areas[areas["head_of_service"] != ""]
    st.header("Service areas and heads of service")
    components.static_table(
        pd.DataFrame(
            {
                "Area": areas["title"],
                "Head of service": areas["head_of_service"],
                "Role": areas["head_role"],
                "Source": areas["head_source"],
            }
        )
    )
    ind = data.table("indicators")
    notes = ind[ind["definition_note"] != ""]
    st.header("Definition changes under the same ref")
    components.static_table(
        pd.DataFrame({"Ref": notes["ref"], "Indicator": notes["name"], "Note": notes["definition_note"]})
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
