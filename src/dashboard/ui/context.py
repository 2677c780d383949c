"""The controls every page shares: month, vintage and filters, kept in the URL (?month=2024-01)
through widget query-param binding, so a link opens the same view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ..formatting import plain
from ..periods import iso, long_label, parse_period
from ..vocabulary import RAG_WORD, RAG_WORDS
from . import data

RAG_CHOICES = list(RAG_WORDS)


@dataclass(frozen=True)
class Context:
    month: dt.date
    vintage: str
    vintage_label: str  # Markdown-escaped: a label is user text (admin form, --label, a file name)
    rag: tuple[str, ...]
    text: str
    off_target: bool

    def filter(self, sc: pd.DataFrame) -> pd.DataFrame:
        """Apply the sidebar filters to a scorecard frame."""
        out = sc
        if self.rag and set(self.rag) != set(RAG_CHOICES):
            words = out["rag"].map(RAG_WORD)
            out = out[words.isin(self.rag)]
        if self.text:
            needle = self.text.lower()
            out = out[
                out["ref"].str.lower().str.contains(needle, regex=False)
                | out["indicator"].str.lower().str.contains(needle, regex=False)
            ]
        if self.off_target:
            out = out[out["rag"].isin(["R", "A"])]
        return out


def url_selectbox(
    label: str, options: list[str], key: str, format_func=str, default: str | None = None, **kwargs
) -> str:
    """A selectbox whose value lives in the URL as the plain option (?month=2024-01), shown through format_func.
    (Streamlit's own binding writes the formatted text into the URL.) Unknown URL values are ignored."""
    wanted = st.query_params.get(key)
    # The URL wins when it changed, or when the session holds no value for the widget (a client that sent no
    # widget states, such as a reconnect): never fall back to the default while the URL names a month.
    changed = wanted != st.session_state.get(f"_{key}_url") or st.session_state.get(key) not in options
    if wanted is not None and wanted in options and changed:
        st.session_state[key] = wanted
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
        if default in options:
            st.session_state[key] = default
    value = st.selectbox(label, options, format_func=format_func, key=key, **kwargs)
    # An unchanged URL is not rewritten: each write costs the browser a history update.
    if st.query_params.get(key) != value:
        st.query_params[key] = value
    st.session_state[f"_{key}_url"] = value
    return value


def sidebar() -> Context:
    options, labels = data.vintage_choices()
    # The browser keeps showing the label a selectbox was drawn with when only the label changes (a new figures
    # load renames Latest); setting its value again makes it redraw with the new one.
    picked = st.session_state.get("vintage")
    shown = st.session_state.get("_vintage_shown")
    if picked in options and isinstance(shown, tuple) and shown[0] == picked and shown[1] != labels[picked]:
        st.session_state["vintage"] = picked
    with st.sidebar:
        st.markdown("## View")
        vintage = url_selectbox(
            "Figures as reported",
            options,
            key="vintage",
            format_func=lambda v: labels.get(v, v),
            help="Pick a pack or figures upload to see every page exactly as it was reported then; the other "
            "writes (commentary, plan, targets, comparators, DfE statistics) are listed after them. Latest shows "
            "revised figures and every later write.",
        )
        st.session_state["_vintage_shown"] = (vintage, labels.get(vintage))
        later = data.later_writes_note(vintage)
        if later:
            st.caption(later)
        months = [iso(m) for m in data.months(vintage)]
        if not months:
            st.error("No figures are stored for this view.")
            st.stop()
        default = data.default_month_for(vintage)
        month = url_selectbox(
            "Month",
            months,
            key="month",
            format_func=lambda m: long_label(parse_period(m)),
            default=iso(default) if default else None,
            help="Only months with figures are listed. The default is the newest month with a "
            "complete scorecard (at least half as many figures as the fullest month).",
        )
        st.markdown("## Filter the scorecard")
        rag = st.multiselect(
            "RAG rating", RAG_CHOICES, default=[], key="rag", bind="query-params", placeholder="All ratings"
        )
        text = st.text_input("Search ref or indicator", key="q", placeholder="e.g. CIN8 or visits")
        off_target = st.toggle("Off target only (Red or Amber)", key="off")
        st.markdown("## Present")
        st.button(
            "Present to the panel",
            icon=":material/slideshow:",
            on_click=_present,
            key="start_present",
            help="Full-screen step-through of this month's Red and Amber indicators, one per screen.",
        )
    return Context(
        month=parse_period(month),
        vintage=vintage,
        vintage_label=plain(data.vintage_name(vintage)),
        rag=tuple(rag),
        text=text.strip(),
        off_target=off_target,
    )


def _present() -> None:
    st.query_params["present"] = "1"
    st.query_params["slide"] = "0"
    st.session_state["slide"] = 0


def from_url() -> Context:
    """The view from the URL alone, for presenter mode (no sidebar widgets). Unknown values fall back to latest."""
    options, _ = data.vintage_choices()
    vintage = st.query_params.get("vintage", "latest")
    vintage = vintage if vintage in options else "latest"
    months = data.months(vintage)
    if not months:
        st.error("No figures are stored for this view.")
        st.stop()
    wanted = st.query_params.get("month")
    month = next((m for m in months if iso(m) == wanted), data.default_month_for(vintage) or months[0])
    return Context(
        month=month,
        vintage=vintage,
        vintage_label=plain(data.vintage_name(vintage)),
        rag=(),
        text="",
        off_target=False,
    )


def current() -> Context:
    """The context the router built for this run."""
    ctx = st.session_state.get("_context")
    if not isinstance(ctx, Context):  # session state is untyped: only a Context built by sidebar() will do
        ctx = sidebar()
        st.session_state["_context"] = ctx
    return ctx
