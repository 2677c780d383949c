"""Building blocks the pages share. No raw HTML: text from the data goes through markdown
rendering with HTML disabled, so a commentary cannot inject markup."""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import replace
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from ..output import charts, export, export_charts, panel
from ..words.formatting import (
    FREQUENCY_WORD,
    POLARITY_WORD,
    STATUS_TEXT,
    fmt_value,
    plain,
    rag_label,
    rag_legend_text,
    safe_commentary,
)
from ..words.periods import iso, label
from ..words.vocabulary import (
    ASSURANCE_LABEL,
    COMPARATOR_NAME,
    COMPARATORS,
    RAG_CODES,
    RAG_ORDER,
    RAG_WORDS,
    VARIATION_LABEL,
)
from . import data
from .context import current, url_selectbox
from .page_registry import PAGE_PATHS

# Okabe-Ito derived tints under the theme's text colour (#1a1a1a): every pair is above 9:1 contrast
# (WCAG 2.2 AA needs 4.5:1).


direction_label = panel.direction_label

# Static CSS (no data in it). Wide windows: less side padding, so the scorecard fits beside the sidebar. Tiles and
# buttons wrap their words instead of ending in "…"; below 1000 px four tiles become two a row; below 1400 px the
# overview's chart and tables stack (the RAG counts table needs 510 px). The scorecard is one HTML table (from
# Markdown) that reflows to the window: compact cells, ratings kept on one line, and its header row held below
# Streamlit's 60 px top bar (made opaque, so rows pass under it unseen) while the page scrolls. The overview's
# exceptions grid is still drawn twice, for windows wider and narrower than 1000 px, and only the one that fits is
# shown (a canvas grid cannot reflow its columns).
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] {padding-left: 1.5rem; padding-right: 1.5rem;}
[data-testid="stMetric"] .stMarkdownEllipsis, [data-testid="stMetric"] .stMarkdownEllipsis p,
.stButton .stMarkdownEllipsis, .stButton .stMarkdownEllipsis p,
[data-testid="stDownloadButton"] .stMarkdownEllipsis, [data-testid="stDownloadButton"] .stMarkdownEllipsis p
{white-space: normal; overflow: visible; text-overflow: clip;}
@media (max-width: 999.98px) {
  [data-testid="stMainBlockContainer"] {padding-left: 1rem; padding-right: 1rem;}
  .st-key-tiles [data-testid="stHorizontalBlock"] {flex-wrap: wrap;}
  .st-key-tiles [data-testid="stColumn"] {min-width: calc(50% - 1rem);}
  [class*="st-key-wide_grid_"] {display: none;}
}
@media (max-width: 1399.98px) {
  .st-key-overview_top [data-testid="stHorizontalBlock"] {flex-wrap: wrap;}
  .st-key-overview_top [data-testid="stColumn"] {min-width: 100%;}
}
@media (min-width: 1000px) {[class*="st-key-narrow_grid_"] {display: none;}}
[data-testid="stHeader"] {background: #ffffff;}
[class*="st-key-scorecard_table_"] table {width: 100%; font-size: 0.875rem; line-height: 1.35;}
[class*="st-key-scorecard_table_"] th, [class*="st-key-scorecard_table_"] td {padding: 0.3rem 0.45rem;}
[class*="st-key-scorecard_table_"] thead th {position: sticky; top: 3.75rem; z-index: 2; background: #ffffff;
  box-shadow: inset 0 -2px 0 #8a8a8a, 0 -4px 0 #ffffff; vertical-align: bottom;}
[class*="st-key-scorecard_table_"] .stMarkdownColoredBackground {white-space: nowrap;}
[class*="st-key-scorecard_table_"] td img {display: block; max-width: none;}
/* keyboard focus never looks like the current page's pale fill (WCAG 2.4.7, 2.4.13): a dark ring */
[data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stMain"] a:focus-visible,
[data-testid="stSidebar"] a:focus-visible, [data-testid="stExpander"] summary:focus-visible
{outline: 3px solid #1d3f73; outline-offset: 2px;}
</style>"""

# Below 1000 px the 300 px sidebar leaves the page too little room: start it collapsed (once per page load)
# unless the reader opened or closed it themselves. Streamlit stores a collapse as the reader's choice, so the
# script marks its own and undoes it in a window that is wide again.
SIDEBAR_JS = """<script>
(() => {
  if (window.__dashboardSidebar) return;
  window.__dashboardSidebar = true;
  const MARK = "dashboard-sidebar-collapsed-for-width";
  const stored = () => Object.keys(localStorage).filter((k) => k.startsWith("stSidebarCollapsed-"));
  const narrow = window.innerWidth < 1000;
  const ours = localStorage.getItem(MARK) === "1";
  if (narrow && stored().length && !ours) return;
  const act = (tries) => {
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    const expand = document.querySelector('[data-testid="stExpandSidebarButton"]');
    if (narrow && button && button.getAttribute("aria-expanded") === "true") {
      button.click();
      localStorage.setItem(MARK, "1");
    } else if (!narrow && ours && expand) {
      expand.click();
      stored().forEach((k) => localStorage.removeItem(k));
      localStorage.removeItem(MARK);
    } else if (tries > 0 && (narrow || ours)) {
      setTimeout(() => act(tries - 1), 100);
    }
  };
  act(50);
})();
</script>"""


# A ref in the scorecard opens its indicator in this tab and this session, as a sidebar link does: the Markdown
# renderer gives every link target="_blank" (a new tab, a new session). A plain click or Enter becomes a history
# entry that Streamlit's own Back/Forward handler follows; a modified or middle click still opens a new tab.
LINKS_JS = """<script>
(() => {
  if (window.__dashboardLinks) return;
  window.__dashboardLinks = true;
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey
        || event.altKey) return;
    const link = event.target.closest && event.target.closest('[class*="st-key-scorecard_table_"] a[href]');
    if (!link) return;
    const url = new URL(link.getAttribute("href"), window.location.href);
    if (url.origin !== window.location.origin) return;
    event.preventDefault();
    window.history.pushState({}, "", url);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }, true);
})();
</script>"""


def page_style() -> None:
    """The layout's CSS, the narrow-window sidebar and in-session scorecard links, once per run (static: no data
    in any of them)."""
    st.html(PAGE_CSS + SIDEBAR_JS + LINKS_JS, unsafe_allow_javascript=True)


def static_table(frame: pd.DataFrame) -> None:
    """A short table to read, not sort or select, as one Markdown table: an HTML table with headers, which the
    browser draws in a fraction of a grid's time and a screen reader reads row by row. (st.table draws every
    cell as its own Markdown block: slower than the grid past a few dozen cells, measured in make bench.) Every
    text cell is escaped; numbers are right-aligned; a missing value shows as a dash, never "None" or "nan"."""
    numeric = [
        pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]) for col in frame
    ]
    lines = [
        "| " + " | ".join(plain(col) for col in frame.columns) + " |",
        "|" + "|".join("---:" if num else "---" for num in numeric) + "|",
    ]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    st.markdown("\n".join(lines))


def vintages_table(with_kind: bool = False) -> None:
    """Every vintage in the order loaded: what it was reported in, when, from which file, and its note."""
    v = data.vintages().sort_values("seq")
    columns = {"Vintage": v["vintage"], "Reported in": v["label"], "Date": v["published"]}
    if with_kind:
        columns["Kind"] = v["kind"]
    static_table(pd.DataFrame({**columns, "Source": v["source_file"], "Note": v["as_of_note"]}))


def _cell(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, float):
        return f"{round(value, 2):,}".removesuffix(".0")  # as the figure reads (70, 90.9, 0.1), not 70.0000
    return plain(value)


@st.cache_data(show_spinner=False, max_entries=256)
def _panel_rows(
    _sc: pd.DataFrame, refs: tuple[str, ...], month: dt.date, vintage: str, db_stamp: tuple
) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """The table's text cells, its headers and the keys it sorts on. A scorecard is fixed by (month, vintage,
    database), so those and the refs shown are the key; the frame itself is left out of it (not hashed on every
    rerun)."""
    years = panel.comparator_years(_sc)
    rows = panel.panel_table(_sc, month, years).reset_index(drop=True)
    # The sparkline draws only numbers: a month not printed is left out (the line bridges it); its figure, or
    # what stands in its place, stays in the row's month cells.
    rows.insert(
        rows.columns.get_loc("Direction") + 1,
        panel.SPARKLINE,
        [_sparkline(s, u) for s, u in zip(_sc["spark"], _sc["unit"])],
    )
    prev, _ = panel.previous_year_header(_sc)
    heads = {
        "prev": prev,
        "comparators": panel.comparators_header(years),
        "figures": list(panel.comparator_headers(years).values()),
    }
    keys = pd.DataFrame(
        {
            "pack": range(len(_sc)),
            "rating": [RAG_ORDER.get(c, len(RAG_ORDER)) for c in _sc["rag"]],
            "direction": [DIRECTION_ORDER.get(d, len(DIRECTION_ORDER)) for d in _sc["direction"]],
            "ref": [_natural(r) for r in _sc["ref"]],
            "name": _sc["indicator"].str.lower().tolist(),
        }
    )
    return rows, heads, keys


def _natural(ref: str) -> tuple:
    """CIN2 before CIN10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", ref))


SPARK_W, SPARK_H, SPARK_PAD = 80, 24, 2
SPARK_COLOUR = "#1d3f73"  # the theme's primary (navy, 12.6:1 on white)


def _sparkline(values, unit: str) -> str:
    """The last 12 months as a small line drawn from the numbers alone (no text of anyone's in it), with the
    trend in words as its alternative text for a screen reader. Empty under two figures."""
    points = [float(v) for v in values if v is not None and v == v]
    if len(points) < 2:
        return ""
    lo, hi = min(points), max(points)
    step = (SPARK_W - 2 * SPARK_PAD) / (len(points) - 1)
    span = (hi - lo) or 1.0
    xy = " ".join(
        f"{SPARK_PAD + i * step:.1f},{SPARK_H - SPARK_PAD - (p - lo) / span * (SPARK_H - 2 * SPARK_PAD):.1f}"
        for i, p in enumerate(points)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SPARK_W}" height="{SPARK_H}" '
        f'viewBox="0 0 {SPARK_W} {SPARK_H}"><polyline fill="none" stroke="{SPARK_COLOUR}" stroke-width="1.6" '
        f'stroke-linejoin="round" stroke-linecap="round" points="{xy}"/></svg>'
    )
    first, last = fmt_value(points[0], unit), fmt_value(points[-1], unit)
    moved = "rose" if points[-1] > points[0] else "fell" if points[-1] < points[0] else "ended where it began"
    words = f"{len(points)} figures: {moved}, {first} to {last}; low {fmt_value(lo, unit)}, high {fmt_value(hi, unit)}"
    return f"![{plain(words)}](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()})"


# RAG as Streamlit's own coloured Markdown background behind the symbol and word (no HTML): colour is never the
# only signal.
RAG_BADGE = {rag_label(code): colour for code, colour in zip(RAG_CODES, ("red", "orange", "green", "gray"))}
DIRECTION_ORDER = {"Declining": 0, "No change": 1, "Improving": 2, "Up": 3, "Down": 3}

# Column sets the reader switches between, kept in the URL (?columns=months). "At a glance" holds what the panel
# reads in one view, comparators in one cell (README, "The scorecard at a glance").
COLUMN_SETS = {
    "glance": "At a glance",
    "months": "Months",
    "comparators": "Comparators",
    "reasons": "Ratings and reasons",
}
# How the rows are ordered, kept in the URL (?sort=rating): clicking a grid's header sorted it before.
SORTS = {
    "pack": "As in the pack",
    "rating": "Rating: Red first",
    "direction": "Direction: declining first",
    "ref": "Ref",
    "name": "Indicator name, A to Z",
}
# The sparkline's header as the screen shows it (the papers print the month figures instead).
SHORT_HEAD = {panel.SPARKLINE: "12 months"}


def _column_order(name: str, rows: pd.DataFrame, month: dt.date, heads: dict) -> list[str]:
    """The set's columns in the papers' order (panel.panel_table)."""
    current, comparators = panel.current_header(month), heads["comparators"]
    months = [label(m) for m in panel.window(month)[:-1]]
    chosen = {
        "glance": [current, "Target", "RAG", "Direction", panel.SPARKLINE, comparators],
        "months": [*months, current, panel.SPARKLINE, heads["prev"]],
        "comparators": [current, *heads["figures"], "Rank among councils"],
        "reasons": ["RAG", "As printed", "Direction", "Arrow as printed", "SPC", "Rated on", "Why this rating"],
    }[name]
    return ["Ref", "Indicator", *(c for c in chosen if c in rows)]


def column_set_picker() -> str:
    """The column set in view, kept in the URL as its short name (?columns=months; none for the glance set). The
    URL wins when it changed (a link, Back); an unknown value gives the glance set."""
    wanted = st.query_params.get("columns", "glance")
    if wanted in COLUMN_SETS and (
        wanted != st.session_state.get("_columns_url") or st.session_state.get("columns") not in COLUMN_SETS
    ):
        st.session_state["columns"] = wanted
    if st.session_state.get("columns") not in COLUMN_SETS:
        st.session_state["columns"] = "glance"
    choice = st.segmented_control(
        "Columns",
        list(COLUMN_SETS),
        format_func=COLUMN_SETS.get,
        required=True,
        key="columns",
        help="At a glance: what the panel reads. Months: the six months and last year. Comparators: GM, NW, SN "
        "and England each with its year, and our rank among councils. Ratings and reasons: how each rating was "
        "reached.",
    )
    choice = choice if choice in COLUMN_SETS else "glance"
    if choice == "glance":
        if "columns" in st.query_params:
            del st.query_params["columns"]
    elif st.query_params.get("columns") != choice:  # an unchanged URL is not rewritten (a history entry each)
        st.query_params["columns"] = choice
    st.session_state["_columns_url"] = choice
    return choice


NARROW = "_narrow"  # the key suffix of a grid drawn for windows under 1000 px (the overview's exceptions)


def scorecard_cells(rows: pd.DataFrame, columns: list[str], month: dt.date, vintage: str) -> list[list[str]]:
    """The scorecard's header and rows as Markdown cells: every text escaped, each ref a link to its indicator at
    the month and vintage in view, RAG on its coloured background, the sparkline a small image with its trend in
    words."""
    out = [[plain(SHORT_HEAD.get(c, c)) for c in columns]]
    view = {"vintage": vintage, "month": iso(month), **data.council_param()}
    for row in rows[columns].itertuples(index=False):
        cells = []
        for col, value in zip(columns, row):
            text = "" if value is None or value != value else str(value)
            if col == "Ref":
                cells.append(f"[{plain(text)}]({INDICATOR_PATH}?{urlencode({**view, 'ref': text})})")
            elif col == "RAG" and text in RAG_BADGE:
                cells.append(f":{RAG_BADGE[text]}-background[{plain(text)}]")
            elif col == "Direction":
                cells.append(plain(text).replace(" ", "\u00a0"))  # "▲ Improving" on one line
            elif col == panel.SPARKLINE:
                cells.append(text)  # built from numbers in _sparkline, its words already escaped
            else:
                cells.append(plain(text))
        out.append(cells)
    return out


def scorecard_markdown(rows: pd.DataFrame, columns: list[str], month: dt.date, vintage: str) -> str:
    """The scorecard as one Markdown table (an HTML table with header cells): figures right-aligned."""
    figures = {label(m) for m in panel.window(month)} | {panel.current_header(month), "Target"}
    right = [c in figures or c.startswith(("Previous year", "GM", "NW", "SN", "England")) for c in columns]
    head, *body = scorecard_cells(rows, columns, month, vintage)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(cells) + " |" for cells in body)])


# The indicator page's address relative to an area page's (both sit at the app's root, whatever its base path).
INDICATOR_PATH = "indicator"


def scorecard_table(sc: pd.DataFrame, month: dt.date, vintage: str, key: str) -> None:
    """The scorecard as the panel knows it, in the column set and order the reader picked: one Markdown table
    that reads with the page, its header held at the top of the window while its rows scroll (PAGE_CSS), and
    that reflows to the window's width (README, "The scorecard at a glance")."""
    rows, heads, keys = _panel_rows(sc, tuple(sc["ref"]), month, vintage, data.view_stamp())
    with st.container(horizontal=True, vertical_alignment="bottom", key=f"scorecard_controls_{key}"):
        chosen = column_set_picker()
        order = url_selectbox(
            "Sort by",
            list(SORTS),
            key="sort",
            format_func=SORTS.get,
            default="pack",
            width=260,
            help="The order of the rows. Ref and indicator open the indicator's page.",
        )
    if order != "pack":
        rows = rows.iloc[keys.sort_values([order, "pack"], kind="stable").index]
    with st.container(key=f"scorecard_{key}"):
        st.markdown(scorecard_markdown(rows, _column_order(chosen, rows, month, heads), month, vintage))
    st.caption(
        "† revised since first published. Blank month cells were not printed; 'Not yet available' and "
        "'n/a' are shown as printed, never as zero. Comparators: our figure against Greater Manchester (GM), "
        "North West (NW), statistical neighbours (SN) and England, better or worse in the indicator's polarity "
        "(above or below for an activity measure); each figure is in the Comparators set. Rank: among all "
        "councils in DfE's published figures, 1 is best. Select a ref to open its indicator."
    )


def selected_ref(key: str, rows: pd.DataFrame) -> str | None:
    state = st.session_state.get(key)
    if not state:
        return None
    sel = state.get("selection", {}).get("rows", []) if isinstance(state, dict) else state.selection.rows
    if sel:
        idx = sel[0]
        if 0 <= idx < len(rows):
            return str(rows.iloc[idx]["Ref"])
    return None


def open_detail(ref: str) -> None:
    """Open the indicator at the month and vintage in view. `ref` goes only into the indicator's address: the page
    left keeps its own, so Back returns to it as it was."""
    ctx = current()
    view = {"vintage": ctx.vintage, "month": iso(ctx.month), **data.council_param(), "ref": ref}
    st.switch_page(PAGE_PATHS["indicator"], query_params=view)


def headline_tiles(sc: pd.DataFrame, limit: int = 4) -> None:
    # Only the columns a tile shows: walking every column of the scorecard cost 20 ms a page (profiled).
    tile = ["ref", "indicator", "value", "unit", "status", "direction", "direction_arrow", "direction_reason", "rag"]
    narrow = sc[[*tile, "rag_reason", "headline"]]
    heads = narrow[narrow["headline"].astype(bool)].head(limit)
    if heads.empty:
        heads = narrow.head(limit)
    cols = st.container(key="tiles").columns(len(heads)) if len(heads) else []  # two a row when narrow (PAGE_CSS)
    for col, row in zip(cols, heads.itertuples()):
        with col, st.container(border=True):
            value = (
                fmt_value(row.value, row.unit) if row.status == "value" else STATUS_TEXT.get(row.status, "No figure")
            )
            delta = f"{row.direction_arrow} {row.direction}" if row.direction else None
            st.metric(
                f"{row.ref} · {row.indicator}",
                value,
                delta=delta,
                delta_color="off",
                delta_arrow="off",
                help=f"{row.indicator}. {row.direction_reason}",
            )
            st.markdown(f"**{rag_label(row.rag)}** — {row.rag_reason}", unsafe_allow_html=False)


def markdown_text(text: str) -> None:
    """User-written markdown: emphasis and lists, but HTML shown as typed, no images and no links to other
    sites (formatting.safe_commentary)."""
    st.markdown(safe_commentary(text), unsafe_allow_html=False)


def commentary(vintage: str, area: str, month: dt.date) -> None:
    c = data.commentary(vintage, area, month)
    st.header(f"Commentary, {label(month)}")
    if c.empty:
        st.info(f"No commentary was printed for this area for {label(month)}.")
        return
    row = c.iloc[0]
    markdown_text(row["text"])
    src = (
        f"{row['source_file']}, from line {int(row['source_line'])}"
        if pd.notna(row["source_line"])
        else row["source_file"]
    )
    st.caption(f"As written in: {plain(row['label'])} ({plain(src)}).")
    for sentence, why in data.stale(row["text"], area, vintage):
        st.warning(f"No longer matches the figures: {why}. The sentence: “{plain(sentence)}”", icon="⚠")


@st.cache_data(show_spinner=False, max_entries=256)
def chart_spec(builder: str, *args, **kwargs) -> tuple[dict, str]:
    """(Vega-Lite spec, one-sentence summary) of charts.<builder>(*args). Building and validating an Altair
    chart costs far more than drawing it, so a rerun with the same figures reuses the spec."""
    if builder not in CHART_BUILDERS:
        raise ValueError(f"unknown chart {builder!r}")
    chart, summary = getattr(charts, builder)(*args, **kwargs)
    return chart.to_dict(), summary  # validated once, on the cache miss


CHART_BUILDERS = ("indicator_chart", "rag_counts_chart", "weekly_chart", "national_trend_chart", "councils_dot_plot")


def show_chart(spec: dict, summary: str) -> None:
    """Every chart has a title in its spec and its one-sentence summary as alt text."""
    st.vega_lite_chart(spec, width="stretch", alt=summary)


def chart_downloads(chart, name: str, key: str) -> None:
    """PNG and SVG of a chart, drawn only when asked for."""
    row = st.container(horizontal=True)  # each button as wide as its words, wrapping in a narrow window
    row.download_button(
        "Chart as PNG",
        data=lambda: export_charts.chart_png(chart),
        file_name=f"{name}.png",
        mime="image/png",
        key=f"{key}_png",
        icon=":material/image:",
        on_click="ignore",
    )
    row.download_button(
        "Chart as SVG",
        data=lambda: export_charts.chart_svg(chart),
        file_name=f"{name}.svg",
        mime="image/svg+xml",
        key=f"{key}_svg",
        icon=":material/draw:",
        on_click="ignore",
    )


def export_buttons(ctx, sc: pd.DataFrame | None = None, *, key: str, area: str | None = None) -> None:
    """Excel, CSV and PDF of exactly the rows on screen (month, vintage and filters; sc None: the whole month's
    scorecard through the filters). The papers (and the commentary and series they need) are gathered only when
    a button is pressed, never on a page rerun."""
    bits = []
    if ctx.rag and set(ctx.rag) != set(RAG_WORDS):
        bits.append("RAG " + ", ".join(ctx.rag))
    if ctx.text:
        bits.append(f"search '{ctx.text}'")
    if ctx.off_target:
        bits.append("off target only")
    note = ("Filtered: " + "; ".join(bits) + ".") if bits else ""

    council = data.authority()  # the council on screen now: the papers are made later, when a button is pressed

    def paper(fmt: str, progress=None) -> bytes:
        full = data.pack(ctx.month, ctx.vintage, authority=council)
        areas = full.areas[full.areas["area"] == area] if area else full.areas
        rows = sc if sc is not None else ctx.filter(data.scorecard(ctx.month, ctx.vintage, authority=council))
        pack = replace(full, scorecard=rows, areas=areas, filters_note=note)
        return export.render(pack, fmt, progress=progress)

    # One button per format in export.FORMATS; a slow one (the PDF: seconds, for its charts) is built in the page
    # with a status naming each step, then offered.
    wanted = (ctx.month, ctx.vintage, note, area, data.view_stamp(), None if sc is None else tuple(sc["ref"]))
    row = st.container(horizontal=True)  # each button as wide as its words, wrapping in a narrow window
    for fmt, f in export.FORMATS.items():
        offer = {
            "file_name": export.file_name(ctx.month, fmt, area),
            "mime": f.mime,
            "key": f"{key}_{fmt}",
            "icon": ":material/download:",
            "on_click": "ignore",
        }
        ready = st.session_state.get(f"{key}_{fmt}_ready") if f.slow else None
        with row:
            if not f.slow:
                st.download_button(f"Download {f.label}", data=lambda fmt=fmt: paper(fmt), **offer)
            elif ready and ready[0] == wanted:
                st.download_button(f"Download {f.label}", data=ready[1], type="primary", **offer)
            elif st.button(f"Prepare {f.label}", key=f"{key}_{fmt}_prepare", icon=":material/picture_as_pdf:"):
                with st.status(f"Preparing the {f.label}…", expanded=False) as status:
                    made = paper(fmt, progress=lambda text, f=f: status.update(label=f"{f.label}: {text}…"))
                    status.update(label=f"{f.label} ready ({len(made) // 1024:,} KB)", state="complete")
                st.session_state[f"{key}_{fmt}_ready"] = (wanted, made)
                st.rerun()
    st.caption(
        "Downloads hold the rows shown here"
        + (f" ({_lower_first(note)})" if bits else "")
        + f", {label(ctx.month)}, {_lower_first(ctx.vintage_label)}."
    )


def _lower_first(text: str) -> str:
    """Mid-sentence: only the first letter lowered, so a pack's name and a search keep their capitals."""
    return text[:1].lower() + text[1:]


def rag_legend() -> None:
    st.caption(
        f"RAG: {rag_legend_text()}. Without a target, ratings rest on "
        'England and statistical neighbours, then on last year\'s figure ("Rated on"); "As printed" is '
        "the pack's own hand-set rating. "
        "Direction: ▲ up · ▼ down · ► little change, with Improving / Declining in the indicator's polarity. "
        "SPC: ● common cause · ⬆/⬇ special cause (improvement, concern or neither)."
    )


def _comparators_listed(row: pd.Series) -> str:
    """The comparators in view when none is judged against (no figure this month, or an activity measure)."""
    shown_ = [
        f"{COMPARATOR_NAME[c]} {fmt_value(row[c], row['unit'])}"
        + (f" ({row[f'{c}_year']})" if row[f"{c}_year"] else "")
        for c in COMPARATORS
        if pd.notna(row.get(c))
    ]
    where = {"published": " (DfE published figures)", "printed": " (as printed)"}.get(row.get("comparator_source"), "")
    return ", ".join(shown_) + where if shown_ else "none printed or published"


def indicator_facts(row: pd.Series) -> None:
    st.markdown(
        f"- **Polarity:** {POLARITY_WORD.get(row['polarity'], row['polarity'])}\n"
        f"- **Frequency:** {FREQUENCY_WORD.get(row['frequency'], row['frequency'])}\n"
        f"- **Unit:** {row['unit'].replace('_', ' ')}\n"
        f"- **Target:** {row['target_text'] or 'none printed'}\n"
        f"- **Comparators:** {row.get('comparator_summary') or _comparators_listed(row)}"
        + (f"\n- **Definition note:** {row['definition_note']}" if row.get("definition_note") else ""),
        unsafe_allow_html=False,
    )


def judgement_block(row: pd.Series) -> None:
    c1, c2, c3 = st.columns(3)
    with c1, st.container(border=True):
        st.markdown(f"**RAG: {rag_label(row['rag'])}**")
        st.write(row["rag_reason"])
    with c2, st.container(border=True):
        st.markdown(f"**Direction: {direction_label(row['direction_arrow'], row['direction'])}**")
        st.write(row["direction_reason"])
        if row.get("dir_year_reason"):
            st.caption("Against the same month last year: " + row["dir_year_reason"])
    with c3, st.container(border=True):
        st.markdown(
            f"**SPC: {VARIATION_LABEL.get(row['spc_variation'], '')} · "
            f"{ASSURANCE_LABEL.get(row['spc_assurance'], '')}**"
        )
        st.write(row["spc_reason"])


# Each page file is named as its URL path: when a fresh server's first request is a deep link, Streamlit serves
# it in pages-folder mode before the router runs, and a file named otherwise shows "Page not found" over it.


def as_of_note(ctx) -> None:
    """Viewing an earlier vintage: say so above the page, since later revisions are hidden."""
    if ctx.vintage != "latest":
        st.warning(f"Showing figures {ctx.vintage_label.lower()}: later revisions are hidden.", icon="🕰")
