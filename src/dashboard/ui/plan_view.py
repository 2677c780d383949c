"""Improvement plan page: priorities -> focus areas -> actions, overdue against the picked month, and each
focus area's linked indicators with their live RAG, direction and SPC."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..words.formatting import brag_label, rag_label, shown
from ..words.periods import label, long_label
from ..words.vocabulary import VARIATION_LABEL
from . import components, data
from .context import current

STATUS_MARK = {
    "Overdue": "⚠ Overdue",
    "Completed": "◆ Completed",
    "In progress": "► In progress",
    "Not started": "○ Not started",
    "No dates printed": "– No dates printed",
}


def _actions_table(actions: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Ref": actions["action_ref"],
            "Action": actions["action"],
            "Lead": actions["lead"],
            "Start": [label(d) if pd.notna(d) else "" for d in actions["start_month"]],
            "End": [label(d) if pd.notna(d) else "" for d in actions["end_month"]],
            "Status": actions["status"].map(STATUS_MARK),
            "Action BRAG": actions["action_brag"].map(brag_label),
            "Impact BRAG": actions["impact_brag"].map(brag_label),
            "Commentary": actions["commentary"],
        }
    )


def _indicator_status(refs: list[str], sc: pd.DataFrame) -> pd.DataFrame:
    by_ref = sc.set_index("ref")
    rows = []
    for ref in refs:
        if ref in by_ref.index:
            r = by_ref.loc[ref]
            rows.append(
                {
                    "Ref": ref,
                    "Indicator": r["indicator"],
                    "Current": shown(r["value"], r["status"], r["unit"]),
                    "RAG": rag_label(r["rag"]),
                    "Direction": components.direction_label(r["direction_arrow"], r["direction"]),
                    "SPC": VARIATION_LABEL.get(r["spc_variation"], ""),
                }
            )
        else:
            rows.append(
                {
                    "Ref": ref,
                    "Indicator": "",
                    "Current": "No figure this month",
                    "RAG": rag_label("-"),
                    "Direction": "–",
                    "SPC": "",
                }
            )
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False, max_entries=32)
def _plan_model(month, vintage: str, db_stamp: tuple) -> dict | None:
    """Every table and line of the page for one month and vintage, worked out once (not on each rerun)."""
    plan = data.plan(vintage)
    actions, measures, resolved = plan["actions"], plan["measures"], plan["resolved"]
    if actions.empty:
        return None
    actions = actions.assign(status=data.action_status(actions, month))
    sc = data.scorecard(month, vintage)
    fa = data.focus_areas(measures)
    priorities = []
    for p in plan["priorities"].itertuples():
        mine = actions[actions["priority"] == p.priority]
        fas = [
            f"{r.focus_area} {r.focus_area_name}"
            for r in fa.itertuples()
            if any(a.split(".")[0] == p.priority for a in r.actions)
        ]
        late = int((mine["status"] == "Overdue").sum())
        priorities.append(
            {
                "key": p.priority,
                "title": f"{p.priority}: {p.name}",
                "text": f"{p.aim} Lead: {p.lead}.  \n**Focus areas:** {'; '.join(fas) or 'none linked in Appendix B'}"
                + (f"  \n**⚠ {late} of {len(mine)} actions overdue at {label(month)}.**" if late else ""),
                "table": _actions_table(mine),
            }
        )
    focus = []
    for r in fa.itertuples():
        mine = actions[actions["action_ref"].isin(r.actions)]
        links = resolved[resolved["focus_area"] == r.focus_area]
        refs = list(dict.fromkeys(links.loc[links["resolved"], "ref"]))
        ind = _indicator_status(refs, sc) if refs else pd.DataFrame()
        reds = int((sc.loc[sc["ref"].isin(refs), "rag"] == "R").sum())
        overdue = int((mine["status"] == "Overdue").sum())
        others = links[~links["resolved"]].drop_duplicates(["measure", "reason"])
        focus.append(
            {
                "title": (
                    f"{r.focus_area} · {r.focus_area_name} — {len(mine)} actions"
                    + (f", {overdue} overdue" if overdue else "")
                    + (f"; {len(refs)} indicators, {reds} Red" if refs else "; no scorecard indicator yet")
                ),
                "actions": "**Actions:** "
                + "; ".join(f"{a.action_ref} ({STATUS_MARK[a.status]})" for a in mine.itertuples()),
                "indicators": ind,
                "others": (
                    "**Measures without a live indicator:**\n"
                    + "\n".join(f"- {m.measure}: {m.reason}" for m in others.itertuples())
                )
                if not others.empty
                else "",
            }
        )
    bad = resolved[(resolved["ref"] != "") & ~resolved["resolved"]]
    appendix = pd.DataFrame(
        {
            "Focus area": resolved["focus_area"],
            "Measure": resolved["measure"],
            "Data source": resolved["data_source"],
            "Ref": resolved["ref"],
            "Indicator": resolved["indicator"],
            "Resolves": [
                "✔ yes" if ok else ("✖ no" if ref else "–") for ok, ref in zip(resolved["resolved"], resolved["ref"])
            ],
            "Why not": resolved["reason"],
        }
    )
    return {
        "source": actions["label"].iloc[0],
        "actions": len(actions),
        "overdue": int((actions["status"] == "Overdue").sum()),
        "focus_areas": measures["focus_area"].nunique(),
        "to_develop": int((measures["status"] == "to be developed").sum()),
        "brag_printed": bool((actions["action_brag"] != "").any()),
        "priorities": priorities,
        "focus": focus,
        "appendix": appendix,
        "appendix_note": f"Every scorecard ref Appendix B names: {int(resolved['resolved'].sum())} resolve to an "
        f"indicator, {len(bad)} do not (reason given).",
    }


def improvement_plan() -> None:
    ctx = current()
    st.title("Improvement plan")
    model = _plan_model(ctx.month, ctx.vintage, data.view_stamp())
    if model is None:
        st.info(
            "No improvement plan had been published by this vintage. The plan first appears in the "
            "Scrutiny Panel pack of 8 November 2023: pick a later vintage in the sidebar."
        )
        return
    st.caption(
        f"Children's Social Care Improvement Plan as printed in the {model['source']}. Status is judged against "
        f"{long_label(ctx.month)} (change the month in the sidebar)."
    )
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Actions", model["actions"])
    m2.metric(f"Overdue at {label(ctx.month)}", model["overdue"])
    m3.metric("Focus areas", model["focus_areas"])
    m4.metric("Measures still to be developed", model["to_develop"])
    if not model["brag_printed"]:
        st.caption(
            "BRAG: the packs' Action and Impact BRAG cells carry no rating in the published text, so every "
            "action shows “Not printed”. Overdue means the printed end month is before the month you picked "
            "and no Blue (completed) rating has been recorded. BRAG can be loaded with the command dashboard load-plan."
        )

    # Only the open tab is drawn (the plan's 25 tables made every visit cost ~200 ms); a click reruns.
    by_priority, by_focus, appendix = st.tabs(
        ["By priority", "By focus area", "Appendix B: measures"], key="plan_view", on_change="rerun"
    )
    if by_priority.open:
        with by_priority:
            for p in model["priorities"]:
                st.header(p["title"])
                st.markdown(p["text"])
                # a table that wraps: a grid cut each action at ~40 characters and pushed BRAG off the right edge
                components.static_table(p["table"])
    if by_focus.open:
        with by_focus:
            st.caption("Each focus area's indicators from Appendix B, with their rating for the picked month.")
            for f in model["focus"]:
                with st.expander(f["title"]):
                    st.markdown(f["actions"])
                    if not f["indicators"].empty:
                        st.dataframe(f["indicators"], hide_index=True, width="stretch")
                    if f["others"]:
                        st.markdown(f["others"])
    if appendix.open:
        with appendix:
            st.caption(model["appendix_note"])
            st.dataframe(model["appendix"], hide_index=True, width="stretch", key="appendix_b")
