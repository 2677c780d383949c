"""One way to open a page in AppTest, shared by the page tests."""

import re

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


def table_text(at: AppTest) -> str:
    """Every table on the page as CSV: the grids, and the short static tables (whose text cells are Markdown with
    its characters escaped, read here as shown)."""
    grids = [df.value.to_csv() for df in at.dataframe]
    static = [re.sub(r"\\(.)", r"\1", t.value.to_csv()) for t in at.table]
    return "\n".join(grids + static)
