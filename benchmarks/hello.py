"""The browser benchmark's references: the least a Streamlit page can be, as an app of three pages so that
following a link can be timed too. `?floor=table` adds one three-row table, `?floor=chart` one tiny chart,
`?floor=both` both: what any page with a table and a chart pays before the dashboard does anything. The
"Floor" page is that page reached by a sidebar link: the floor for a link."""

import pandas as pd
import streamlit as st


def _table() -> None:
    st.dataframe(pd.DataFrame({"a": [1, 2, 3]}))


def _chart() -> None:
    st.vega_lite_chart(
        {
            "title": "Tiny",
            "data": {"values": [{"a": 1, "b": 2}]},
            "mark": "bar",
            "encoding": {"x": {"field": "a"}, "y": {"field": "b"}},
        }
    )


def hello() -> None:
    st.title("Hello")
    floor = st.query_params.get("floor")
    if floor in ("table", "both"):
        _table()
    if floor in ("chart", "both"):
        _chart()


def floor_page() -> None:
    st.title("Floor")
    _table()
    _chart()


def again() -> None:
    st.title("Hello again")


st.navigation(
    [
        st.Page(hello, title="Hello", url_path="hello", default=True),
        st.Page(again, title="Hello again", url_path="again"),
        st.Page(floor_page, title="Floor", url_path="floor"),
    ]
).run()
