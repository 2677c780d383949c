"""The browser benchmark's references: the least a Streamlit page can be, as a two-page app so that
following a link can be timed too. `?floor=table` adds one three-row table, `?floor=chart` one tiny chart:
what any page with a table or a chart pays before the dashboard does anything."""
import pandas as pd
import streamlit as st


def hello() -> None:
    st.title("Hello")
    floor = st.query_params.get("floor")
    if floor == "table":
        st.dataframe(pd.DataFrame({"a": [1, 2, 3]}))
    elif floor == "chart":
        st.vega_lite_chart({"title": "Tiny", "data": {"values": [{"a": 1, "b": 2}]}, "mark": "bar",
                            "encoding": {"x": {"field": "a"}, "y": {"field": "b"}}})


def again() -> None:
    st.title("Hello again")


st.navigation([st.Page(hello, title="Hello", url_path="hello", default=True),
               st.Page(again, title="Hello again", url_path="again")]).run()
