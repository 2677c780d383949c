"""Presenter mode (?present=1): the month's exceptions one indicator per screen for the scrutiny panel's
projector. No sidebar, no admin controls, larger type, sized for 1280x720; arrow keys step through."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from ..output import charts
from ..words.formatting import STATUS_TEXT, fmt_value, rag_label
from ..words.periods import label, long_label
from ..words.vocabulary import OFF_TARGET, RAG_WORD, off_target
from . import components, data
from .context import from_url

# Sized for a 1280x720 projector: the controls come first (always on screen), the headline is clamped to three
# lines, and the slide's two columns are boxes of fixed height: each paragraph is clamped to three lines (an
# ellipsis shows where), and the box clips rather than scrolls (a scrolling box would need keyboard focus).
CHART_HEIGHT = 360  # the whole chart (title, plot, axes): Streamlit fits the chart inside this
BODY_HEIGHT = 480  # each column's box: 720 less the caption, controls and a three-line headline

# Static CSS only (no data in it): bigger type for the room, no chrome, tighter page for 720 rows.
PRESENTER_CSS = """<style>
header[data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] {display: none;}
.block-container {padding-top: 0.8rem; padding-bottom: 0.5rem; max-width: 1240px;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {font-size: 1.2rem; line-height: 1.4;}
[data-testid="stCaptionContainer"] p {font-size: 1.05rem;}
h1 {font-size: 1.5rem !important; line-height: 1.25 !important; padding: 0.1rem 0 0 0 !important;
    display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden;}
.stButton button p {font-size: 1.2rem;}
[data-testid="stColumn"] [data-testid="stVerticalBlock"][height] {overflow: hidden !important;}
[data-testid="stColumn"] [data-testid="stMarkdownContainer"] p,
[data-testid="stColumn"] [data-testid="stCaptionContainer"] p {
    display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden;}
</style>"""

DIRECTION_PHRASE = {
    "Improving": "improving",
    "Declining": "getting worse",
    "No change": "little changed",
    "Up": "up on last month",
    "Down": "down on last month",
}


def headline(row: pd.Series) -> str:
    """One plain-English sentence for the slide title."""
    value = (
        f"at {fmt_value(row['value'], row['unit'])}"
        if row["status"] == "value"
        else f"({STATUS_TEXT.get(row['status'], 'No figure').lower()} this month)"
    )
    basis = row.get("rag_basis", "")
    if row.get("target_text"):
        against = f"against a target of {row['target_text']}"
    elif basis == "comparator":
        against = "against England and statistical neighbours"
    elif basis == "last_year" and pd.notna(row.get("previous_year")):
        against = f"against last year's {fmt_value(row['previous_year'], row['unit'])}"
    else:
        against = "(no target)"
    trend = DIRECTION_PHRASE.get(row.get("direction", ""), "")
    variation = str(row.get("spc_variation", ""))
    spc_note = ""
    if variation.startswith("concern"):
        spc_note = ", with an SPC signal of concern"
    elif variation.startswith("improvement"):
        spc_note = ", with an SPC signal of improvement"
    elif variation in ("neutral_high", "neutral_low"):
        spc_note = f", unusually {'high' if variation == 'neutral_high' else 'low'} by SPC"
    return (
        f"{row['indicator']} is {RAG_WORD.get(row['rag'], 'not rated')} {value} {against}"
        + (f", {trend}" if trend else "")
        + spc_note
        + "."
    )


def spoken_summary(ctx, area: str) -> tuple[str, str, bool]:
    """The slide's spoken summary: the first two sentences of the area's published commentary, or of the draft
    where none is published. -> (area title, text, published?)."""
    area_title = data.table("areas").set_index("area").loc[area, "short_title"]
    c = data.commentary(ctx.vintage, area, ctx.month)
    if not c.empty:
        sentences = re.split(r"(?<=[.!?])\s+", c.iloc[0]["text"].strip())
        return area_title, " ".join(sentences[:2]), True
    return area_title, data.draft(ctx.month, ctx.vintage, area).summary(2), False


def _slide_index(n: int) -> int:
    if "slide" not in st.session_state:
        try:
            st.session_state["slide"] = int(st.query_params.get("slide", 0))
        except ValueError:
            st.session_state["slide"] = 0
    st.session_state["slide"] = min(max(int(st.session_state["slide"]), 0), n)
    st.query_params["slide"] = str(st.session_state["slide"])
    return st.session_state["slide"]


def _go(delta: int, n: int) -> None:
    st.session_state["slide"] = min(max(st.session_state.get("slide", 0) + delta, 0), n)


def _leave() -> None:
    for key in ("present", "slide"):
        st.query_params.pop(key, None)
    st.session_state.pop("slide", None)


def _controls(i: int, n: int) -> None:
    c1, c2, c3, c4 = st.columns([1.3, 1.3, 3, 1.4])
    c1.button("◀ Previous", on_click=_go, args=(-1, n), disabled=i == 0, shortcut="Left", key="prev_slide")
    c2.button("Next ▶", on_click=_go, args=(1, n), disabled=i == n, shortcut="Right", key="next_slide", type="primary")
    c3.caption((f"Slide {i + 1} of {n + 1} · " if n else "") + "keys: → next, ← previous.")
    c4.button("Leave presenter mode", on_click=_leave, key="leave_present")


def run() -> None:
    st.html(PRESENTER_CSS)
    ctx = from_url()
    sc = data.scorecard(ctx.month, ctx.vintage)
    exceptions = data.exceptions(sc)
    n = len(exceptions)
    i = _slide_index(n)
    authority = data.table("authorities")["name"].iloc[0]
    st.caption(f"{authority} · Children's Services performance · {long_label(ctx.month)} · {ctx.vintage_label}")
    _controls(i, n)  # first, so no slide's length can push them off the screen
    if i == 0:
        _title_slide(ctx, sc, exceptions)
    else:
        _exception_slide(ctx, exceptions.iloc[i - 1], i, n)


def _title_slide(ctx, sc: pd.DataFrame, exceptions: pd.DataFrame) -> None:
    reds = int((sc["rag"] == "R").sum()) if not sc.empty else 0
    ambers = int((sc["rag"] == "A").sum()) if not sc.empty else 0
    st.title(f"{long_label(ctx.month)}: {reds} indicators are Red and {ambers} Amber")
    if exceptions.empty:
        st.markdown("Every rated indicator meets its target this month. There are no exceptions to step through.")
        return
    areas = data.table("areas").set_index("area")
    lines = []
    for area, g in exceptions.groupby("area", sort=False):
        worst = g.iloc[0]
        off, unusual = int(off_target(g["rag"]).sum()), int((g["rag"] == "-").sum())
        each = ", ".join(f"{(g['rag'] == code).sum()} {rag_label(code)}" for code in OFF_TARGET)
        parts = [f"{off} off target ({each})"] if off else []
        parts += [f"{unusual} unusual activity"] if unusual else []
        lines.append(
            f"- **{areas.loc[area, 'short_title']}**: {', '.join(parts)}; first up {worst['ref']} {worst['indicator']}"
        )
    st.markdown("\n".join(lines))
    st.markdown(
        f"The next {len(exceptions)} slides take each one in turn, Red first, then those also declining or "
        "showing an SPC concern, then activity measures that are unusually high or low. Press → to begin."
    )


def _exception_slide(ctx, row: pd.Series, i: int, n: int) -> None:
    st.title(headline(row))
    obs = data.observations(ctx.vintage)
    series = obs[(obs["ref"] == row["ref"]) & (obs["period"] <= ctx.month)].sort_values("period")
    left, right = st.columns([3, 2])
    with left, st.container(height=BODY_HEIGHT, border=False):
        spec, summary = components.chart_spec(
            "indicator_chart", row.drop("spark"), series, show_spc=True, height=CHART_HEIGHT
        )
        # No legend on the projector (the SPC line on the right says what the points mean): room for the plot.
        config = spec.get("config", {})
        spec = charts.without_legends(
            {**spec, "config": {**config, "legend": {**config.get("legend", {}), "disable": True}}}
        )
        components.show_chart(spec, summary)
        st.caption(f"Chart summary: {summary}")
    with right, st.container(height=BODY_HEIGHT, border=False):
        st.markdown(f"**{rag_label(row['rag'])}** · {row['rag_reason']}")
        st.markdown(
            f"**Direction: {components.direction_label(row['direction_arrow'], row['direction'])}** · "
            f"{row['direction_reason']}"
        )
        st.markdown(f"**SPC:** {row['spc_reason']}")
        area_title, summary, published = spoken_summary(ctx, row["area"])
        st.caption(
            f"{area_title}, {label(ctx.month)}: "
            + ("published commentary (opening)" if published else "drafted from the figures, not yet published")
        )
        components.markdown_text(summary)
