"""The Computed vs loaded page: each month's figures computed from the Annex A extracts held beside the figures
loaded, the difference, the extract each came from and the data-quality findings touching it. Aggregates only:
no pseudonym and no record is ever shown here. A publisher can publish the computed figures as the month's."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..auth import access
from ..records import reconcile, stored, views
from ..records.annex_a import LISTS, RULES
from ..records.views import MEASURES
from ..words.formatting import count_of, fmt_value, plain
from ..words.periods import long_label
from . import admin, components, data, signin
from .context import current

RESULT = "_computed_result"


@data.per_database(max_entries=4)
def computed_figures(*, authority: str) -> tuple[pd.DataFrame, list[str], pd.DataFrame, pd.DataFrame]:
    """(figures, notes, extracts held, findings per extract, list and rule): one compute over every extract the
    council holds, cached per database file and council."""
    reader = data.reader()
    head = stored.held(reader, authority)
    if head.empty:
        return pd.DataFrame(), [], head, pd.DataFrame()
    done, _ = stored.computed_for(reader, authority=authority)
    found = reader.extract_findings(head["extract"].tolist())
    counts = found.groupby(["extract", "list", "rule"]).size().rename("findings").reset_index()
    return done.figures, done.notes, head, counts


def retention_text() -> str:
    try:
        return f"Extracts are kept for {stored.retention_months()} months, counted back from the newest."
    except stored.LoadRejected as exc:  # a bad setting is said once here and refused at the write
        return f"The retention setting cannot be used: {exc.problems[0].message}."


def synthetic_banner(synthetic: bool) -> None:
    """Every view of records says so when the children are invented."""
    if synthetic:
        st.warning(stored.BANNER, icon="ℹ")


def _publish(month, council: str) -> None:
    """Publish the month's figures computed from the council's extracts as its figures: the publisher's grant for
    that council checked now, at the write, on the server."""
    try:
        identity = signin.authorise(access.PUBLISH, None, f"the figures computed for {long_label(month)}", [council])
    except access.Refused as exc:
        st.session_state[RESULT] = ("error", f"Not published: {exc}")
        return
    vintage, refused = admin.attempt_write(
        lambda: stored.publish_computed(data.db_path(), month, user=identity.who, authority=council)
    )
    if refused:
        st.session_state[RESULT] = ("error", f"Not published: {refused}")
        return
    st.session_state[RESULT] = (
        "ok",
        f"Published the figures computed for {long_label(month)} as vintage {vintage}. The scorecard now shows "
        "them; a figure that changed is marked † (revised).",
    )


def _loaded(value: float, unit: str, places: float) -> str:
    """The loaded figure as printed (26%, 86.3%), never padded to a precision it was not printed to."""
    if unit == "percent":
        return f"{reconcile.printed(value, places)}%"
    return fmt_value(value, unit)


def _difference(computed: float, loaded: float, difference: float, unit: str, places: float) -> str:
    """In words, at the precision the loaded figure is printed to: a computed 26.1% agrees with a printed 26%."""
    if pd.isna(computed):
        return "No figure computed (no cases)"
    if pd.isna(loaded):
        return "Nothing loaded to compare"
    if abs(difference) < 1e-9:
        return "Agrees" if abs(computed - loaded) < 1e-9 else f"Agrees as printed ({_loaded(loaded, unit, places)})"
    sign = "+" if difference > 0 else "−"
    shown = reconcile.printed(abs(difference), places) if unit == "percent" else fmt_value(abs(difference), unit)
    return f"Differs: {sign}{shown}{' points' if unit == 'percent' else ''}"


def computed_vs_loaded() -> None:
    st.title("Computed vs loaded")
    month = current().month
    st.caption(
        "Each figure computed from the Annex A extracts held (How each figure is computed, below, gives every "
        "definition) beside the "
        "figure loaded for the month in the latest vintage, the difference, the extract it came from and how "
        "many records were left out for a data-quality finding. Only counts and percentages are shown here, "
        "never a record. The month is the one chosen in the sidebar."
    )
    council = data.authority()  # each council's figures are computed from its own extracts only
    figures, notes, head, counts = computed_figures(authority=council)
    if head.empty:
        st.info(
            f"No Annex A extract is held for {plain(data.authority_name())} yet. A publisher loads one on the Load "
            "figures and commentary page (Load an Annex A extract), or with the command dashboard load-annex-a."
        )
        return
    mine = figures[figures["month"] == month] if not figures.empty else figures
    keys = {(n, pd.Timestamp(d).date()) for n, d in zip(mine.get("extract", []), mine.get("as_at", []))}
    used = head[[(n, pd.Timestamp(d).date()) in keys for n, d in zip(head["name"], head["as_at"])]]
    synthetic_banner(bool(head["synthetic"].any()))
    st.markdown(
        f"**{count_of(len(head), 'extract')} held** for {plain(data.authority_name())}, as at "
        + ", ".join(f"{pd.Timestamp(d):%d %b %Y}" for d in head["as_at"])
        + f". {retention_text()}"
    )
    for note in notes:
        st.caption(plain(note))
    _show_result()
    if mine.empty:
        st.info(
            f"No figure is computed for {long_label(month)}: the extracts held cover other months. Choose another "
            "month in the sidebar."
        )
        return
    reader = data.reader()
    table = reconcile.reconcile(mine, reconcile.loaded_figures(reader, month, council), month)
    ind = data.table("indicators").set_index("ref")
    names = data.area_names()
    lists = {ref: m.list for ref, m in MEASURES.items()}
    table = table.assign(
        area=table["ref"].map(ind["area"]),
        indicator=table["ref"].map(ind["name"]).fillna(table["ref"].map({ref: m.title for ref, m in MEASURES.items()})),
        unit=table["ref"].map(ind["unit"]).fillna("count"),
        list=table["ref"].map(lists),
    )
    # the scorecard's own order within an area (the registry's order is by list, not by how the papers read)
    table = table.assign(_order=table["ref"].map(ind["sort_order"])).sort_values("_order", kind="stable")
    agree = int((table["difference"].abs() < 1e-9).sum())  # at the printed precision, as the Difference column
    st.header(f"{long_label(month)}: {len(table)} figures computed, {agree} agree with the figure loaded, as printed")
    one_extract = table[["extract", "as_at"]].drop_duplicates().shape[0] == 1
    if one_extract:  # said once, not on every row
        first = table.iloc[0]
        st.caption(
            f"Every figure here is computed from {first['extract']} as at {pd.Timestamp(first['as_at']):%d %b %Y}."
        )
    for area, part in table.groupby(table["area"].fillna("other"), sort=False):
        st.subheader(names.get(area, "Other"))
        st.dataframe(
            pd.DataFrame(
                {
                    "Ref": part["ref"],
                    "Indicator": part["indicator"],
                    "Computed": [
                        fmt_value(v, u) if pd.notna(v) else "No cases" for v, u in zip(part["computed"], part["unit"])
                    ],
                    "Loaded": [
                        _loaded(v, u, d) if pd.notna(v) else "Not loaded"
                        for v, u, d in zip(part["loaded"], part["unit"], part["decimals"])
                    ],
                    "Difference": [
                        _difference(c, lo, diff, u, d)
                        for c, lo, diff, u, d in zip(
                            part["computed"], part["loaded"], part["difference"], part["unit"], part["decimals"]
                        )
                    ],
                    **(
                        {}
                        if one_extract
                        else {
                            "From extract": [
                                f"{n} as at {pd.Timestamp(d):%d %b %Y}" for n, d in zip(part["extract"], part["as_at"])
                            ]
                        }
                    ),
                    "Records left out (findings)": part["excluded"].astype(int),
                }
            ),
            hide_index=True,
            width="stretch",
        )
    with st.expander("How each figure is computed from the records"):
        components.static_table(
            pd.DataFrame({"Ref": table["ref"], "How it is computed": table["ref"].map(views.how_computed)})
        )
    st.header("Data-quality findings in the extracts used")
    st.caption("Counts by list and rule; a record with a finding is left out of the figures that use the column.")
    used_counts = counts[counts["extract"].isin(used["extract"])]
    if used_counts.empty:
        st.success("No data-quality finding in the extracts used for this month.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "List": [f"List {LISTS[k].number}: {LISTS[k].title}" for k in used_counts["list"]],
                    "Rule": used_counts["rule"],
                    "What is wrong": used_counts["rule"].map(RULES),
                    "Records": used_counts["findings"].astype(int),
                }
            ),
            hide_index=True,
            width="stretch",
        )
    st.header("Publish the computed figures")
    st.markdown(
        f"Publishing makes the {len(table.dropna(subset=['computed']))} figures computed for {long_label(month)} the "
        "month's figures: a new vintage (what the panel was shown before stays available), named after the "
        "extract it was computed from. Figures with no cases are not published."
    )
    if not signin.may(access.PUBLISH, council=council):
        # no write control for a role that may not write; _publish still checks the grant when pressed
        st.caption("Only a publisher can publish the computed figures.")
        return
    st.button(
        f"Publish as the figures for {long_label(month)}",
        type="primary",
        key="publish_computed",
        on_click=_publish,
        args=(month, council),
    )


def _show_result() -> None:
    result = st.session_state.pop(RESULT, None)
    if result:
        (st.success if result[0] == "ok" else st.error)(result[1])
