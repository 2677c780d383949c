"""One way to open a page in AppTest, shared by the page tests."""

import re

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.ui.page_registry import PAGE_PATHS

APP = "../app.py"  # relative to the test file that calls AppTest.from_file (all live in tests/)


def run_page(page: str, month: str | None = None, **state) -> AppTest:
    """Open a page of the app as its address would (caches cleared), optionally at a month and with session state:
    the router runs once, on that page, not first on the overview."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=90)
    if month:
        at.query_params["month"] = month
    for k, v in state.items():
        at.session_state[k] = v
    if page != "overview":
        at.switch_page(PAGE_PATHS[page])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# Inline Markdown a table cell may hold, read back as what is shown or heard: a link's text, a coloured
# background's text, an image's alternative text (the scorecard's ref links, RAG labels and sparklines).
_LINK = re.compile(r"(?<!\\)!?\[((?:\\.|[^\]\\])*)\]\([^)\s]*\)")
_BACKGROUND = re.compile(r":[a-z]+-background\[((?:\\.|[^\]\\])*)\]")


def _shown(cell: str) -> str:
    cell = _BACKGROUND.sub(r"\1", _LINK.sub(r"\1", cell.strip()))
    return re.sub(r"\\(.)", r"\1", cell).replace("\u00a0", " ")


def static_tables(at: AppTest) -> list[pd.DataFrame]:
    """The tables drawn as Markdown (components.static_table, the area scorecard), read back as shown: cells
    unescaped, links and coloured labels as their text, images as their alternative text."""
    out = []
    for block in at.markdown:
        lines = block.value.splitlines()
        if len(lines) < 2 or not re.fullmatch(r"\|(?:-{3}:?\|)+", lines[1]):
            continue
        rows = [[_shown(c) for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
        out.append(pd.DataFrame(rows[2:], columns=rows[0]))
    return out


def scorecard(at: AppTest) -> pd.DataFrame:
    """An area page's scorecard as shown (the one table with a Ref and a Current column)."""
    tables = [t for t in static_tables(at) if "Ref" in t.columns and any(c.startswith("Current") for c in t)]
    assert len(tables) == 1, f"one scorecard on the page, found {len(tables)}"
    return tables[0]


def table_text(at: AppTest) -> str:
    """Every table on the page as CSV: the grids and the short Markdown tables."""
    return "\n".join([df.value.to_csv() for df in at.dataframe] + [t.to_csv() for t in static_tables(at)])
