"""The controls every page shares: month, vintage and filters, kept in the URL (?month=2024-01)
through widget query-param binding, so a link opens the same view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ..auth import access
from ..words.formatting import plain
from ..words.periods import iso, long_label, parse_period
from ..words.vocabulary import RAG_WORD, RAG_WORDS, off_target
from . import data, routing, signin

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
            out = out[off_target(out["rag"])]
        return out


def url_selectbox(
    label: str,
    options: list[str],
    key: str,
    format_func=str,
    default: str | None = None,
    *,
    writes: dict[str, str] | None = None,
    **kwargs,
) -> str:
    """A selectbox whose value lives in the URL as the plain option (?month=2024-01), shown through format_func.
    (Streamlit's own binding writes the formatted text into the URL.)

    The URL decides whenever it changed (a link, Back, a reconnect); a value that is not an option shows the
    default and stays in the URL untouched, so the page can say what was asked for. The URL is written only when
    the reader picks another value: each write is one browser-history entry. With `writes`, the new value is
    collected there for the caller to write once with its other parameters."""
    raw = st.query_params.get(key)
    seen = st.session_state.get(f"_{key}_url")  # (the URL's value, the value shown for it) at the last run
    held = st.session_state.get(key)
    assigned = False
    if not (isinstance(seen, tuple) and seen[0] == raw and held in options):
        # A session's first look at an address without the value keeps a value it already holds (a reconnect).
        if not (raw is None and seen is None and held in options):
            st.session_state[key] = raw if raw in options else default if default in options else options[0]
            assigned = True
        seen = (raw, st.session_state[key])
    # A page change can reach the server without the browser's widget values (a link followed in a page); the
    # browser then redraws the box at its default and the next run (Back) reads that back as the reader's pick.
    # So the default is the value held here, never the first option. (A value assigned above is sent to the
    # browser anyway, and Streamlit wants no default beside it.)
    index = 0 if assigned else options.index(st.session_state[key])
    value = st.selectbox(label, options, index=index, format_func=format_func, key=key, **kwargs)
    if value != seen[1]:
        if writes is None:
            st.query_params[key] = value
        else:
            writes[key] = value
        seen = (value, value)
    st.session_state[f"_{key}_url"] = seen
    return value


def unknown(key: str, options: list[str]) -> str | None:
    """The URL's value for `key` when it names none of the options (None when absent or fine)."""
    raw = st.query_params.get(key)
    return raw if raw is not None and raw not in options else None


def quoted(text: str, limit: int = 40) -> str:
    """What someone typed into an address, for a notice: short, quoted, and only ever plain text."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return plain(f"‘{text}’")


def month_notice(raw: str, vintage: str, shown: dt.date) -> str:
    """Why the month in the address is not the month shown."""
    instead = f"showing {long_label(shown)}."
    try:
        asked = parse_period(raw)
    except ValueError:
        return f"{quoted(raw)} is not a month; {instead}"
    everything = data.months("latest")
    if vintage != "latest" and asked in everything:
        labels = data.vintages().set_index("vintage")["label"]
        pack = plain(labels.get(vintage, vintage))
        return f"The figures as reported in {pack} have no {long_label(asked)}; {instead}"
    first, last = min(everything), max(everything)
    return (
        f"{long_label(asked)} is not in the scorecard (it runs from {long_label(first)} to {long_label(last)}, "
        f"and only months with figures are listed); {instead}"
    )


def visible_councils() -> list[str]:
    """The councils with figures that the person asking may read, worked out afresh on every run (a grant taken
    away hides its council on the next click)."""
    return access.readable_councils(signin.current(), data.councils())


def choose_council(picker: bool) -> str:
    """The council in view, kept in the URL (?council=tameside) and in the session for every read (data.authority).
    A picker only where the reader may see more than one council with figures; an address naming a council they
    may not see (or none that exists: the notice is the same, so it tells nothing) shows their first."""
    visible = visible_councils()
    if not visible:
        st.error("Your access names no council whose figures this dashboard holds. Ask your performance team.")
        st.stop()
    names = data.council_names()
    bad = unknown("council", visible)
    if picker and len(visible) > 1:
        council = url_selectbox(
            "Council",
            visible,
            key="council",
            format_func=lambda c: names.get(c, c),
            help="The council whose figures every page shows. Only councils you have access to are listed.",
        )
    else:
        raw = st.query_params.get("council")
        held = st.session_state.get(data.COUNCIL_KEY)
        council = raw if raw in visible else held if held in visible else visible[0]
    st.session_state[data.COUNCIL_KEY] = council
    if bad is not None and st.query_params.get("council") == bad:
        st.session_state["_council_notice"] = (
            f"There is no council called {quoted(bad)} that you have access to; showing {plain(names[council])}."
        )
    return council


def _council_notice() -> None:
    notice = st.session_state.pop("_council_notice", None)
    if notice:
        st.warning(notice, icon="⚠")


def sidebar(pages: dict[str, list] | None = None) -> Context:
    """The shared sidebar: the view (vintage and month), then the links to every page (when given: the router's
    pages by section), then the scorecard filters. The view comes first so its pickers are in sight on every
    page, above the long list of links."""
    writes: dict[str, str] = {}
    with st.sidebar:
        st.markdown("## View")
        choose_council(picker=True)  # first: every read below is the chosen council's
        options, labels = data.vintage_choices()
        # The browser keeps showing the label a selectbox was drawn with when only the label changes (a new figures
        # load renames Latest); setting its value again makes it redraw with the new one.
        picked = st.session_state.get("vintage")
        shown = st.session_state.get("_vintage_shown")
        if picked in options and isinstance(shown, tuple) and shown[0] == picked and shown[1] != labels[picked]:
            st.session_state["vintage"] = picked
        bad_vintage = unknown("vintage", options)
        vintage = url_selectbox(
            "Figures as reported",
            options,
            key="vintage",
            format_func=lambda v: labels.get(v, v),
            writes=writes,
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
        bad_month = unknown("month", months)
        month = url_selectbox(
            "Month",
            months,
            key="month",
            format_func=lambda m: long_label(parse_period(m)),
            default=iso(default) if default else None,
            writes=writes,
            help="Only months with figures are listed. The default is the newest month with a "
            "complete scorecard (at least half as many figures as the fullest month).",
        )
        if writes:  # one write for both: one browser-history entry
            st.query_params.update(writes)
        nav = st.container()  # filled below, once the view the links carry is known
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
    # Outside the sidebar: the notices head the page, in words, with what the reader asked for as plain text.
    _council_notice()
    if bad_vintage is not None and "vintage" not in writes:
        st.warning(f"There is no version of the figures called {quoted(bad_vintage)}; showing the latest.", icon="⚠")
    if bad_month is not None and "month" not in writes:
        st.warning(month_notice(bad_month, vintage, parse_period(month)), icon="⚠")
    if pages:
        with nav:
            routing.nav_links(pages, link_params(vintage, month))
    return Context(
        month=parse_period(month),
        vintage=vintage,
        vintage_label=plain(data.vintage_name(vintage)),
        rag=tuple(rag),
        text=text.strip(),
        off_target=off_target,
    )


def link_params(vintage: str, month: str) -> dict[str, str]:
    """The view a link to another page carries: the month and vintage shown, where the address names them (an
    address without them keeps the defaults). Never the indicator: `ref` belongs to the indicator page."""
    shown = {"vintage": vintage, "month": month, **data.council_param()}
    return {k: v for k, v in shown.items() if k in st.query_params}


def _present() -> None:
    st.query_params["present"] = "1"
    st.query_params["slide"] = "0"
    st.session_state["slide"] = 0


def from_url() -> Context:
    """The view from the URL alone, for presenter mode (no sidebar widgets). A value that names nothing falls back
    to the latest figures and the default month, and says so, as the sidebar does."""
    choose_council(picker=False)
    options, labels = data.vintage_choices()
    bad_vintage = unknown("vintage", options)
    vintage = st.query_params.get("vintage", "latest")
    vintage = vintage if vintage in options else "latest"
    months = data.months(vintage)
    if not months:
        st.error("No figures are stored for this view.")
        st.stop()
    wanted = st.query_params.get("month")
    month = next((m for m in months if iso(m) == wanted), data.default_month_for(vintage) or months[0])
    _council_notice()
    if bad_vintage is not None:
        st.warning(f"There is no version of the figures called {quoted(bad_vintage)}; showing the latest.", icon="⚠")
    if wanted is not None and iso(month) != wanted:
        st.warning(month_notice(wanted, vintage, month), icon="⚠")
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


def pick_indicator(refs: list[str], names: dict[str, str], weekly: set[str]) -> str:
    """The indicator page's picker, kept in the URL (?ref=CIN8); a ref that names no indicator says so."""
    bad = unknown("ref", refs)
    ref = url_selectbox("Indicator", refs, key="ref", format_func=lambda r: f"{r} · {names[r]}")
    if bad is not None and st.query_params.get("ref") == bad:
        if bad in weekly:
            st.warning(f"{quoted(bad)} is a weekly indicator, shown on the Weekly page; showing {ref}.", icon="⚠")
        else:
            st.warning(f"There is no indicator {quoted(bad)}; showing {ref}.", icon="⚠")
    return ref
