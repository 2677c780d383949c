"""One way to open a page in AppTest, shared by the page tests."""

import re

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.ui.components import PAGE_PATHS

APP = "../app.py"  # relative to the test file that calls AppTest.from_file (all live in tests/)


def run_page(page: str, month: str | None = None, **state) -> AppTest:
    """Open the app (caches cleared), optionally at a month and with session state, then switch to a page."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=90)
    if month:
        at.query_params["month"] = month
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page != "overview":
        at.switch_page(
            PAGE_PATHS[{"improvement_plan": "plan", "load": "load", "data_quality": "data_quality"}.get(page, page)]
        )
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def static_tables(at: AppTest) -> list[pd.DataFrame]:
    """The short tables drawn as Markdown (components.static_table), read back as shown: cells unescaped."""
    out = []
    for block in at.markdown:
        lines = block.value.splitlines()
        if len(lines) < 2 or not re.fullmatch(r"\|(?:-{3}:?\|)+", lines[1]):
            continue
        rows = [[re.sub(r"\\(.)", r"\1", c.strip()) for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
        out.append(pd.DataFrame(rows[2:], columns=rows[0]))
    return out


def table_text(at: AppTest) -> str:
    """Every table on the page as CSV: the grids and the short Markdown tables."""
    return "\n".join([df.value.to_csv() for df in at.dataframe] + [t.to_csv() for t in static_tables(at)])
