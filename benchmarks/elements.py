"""What the browser pays to draw each kind of Streamlit element: the bench follows a sidebar link from a
title-only page to a page of the title plus three of one kind, and reads the renderer's main-thread work.
The contents are made-up (benchmark only): a 20-row frame, a five-row frame, a sentence, a tiny chart."""

import pandas as pd
import streamlit as st

COPIES = 3
ROWS = pd.DataFrame(
    {
        "Ref": [f"X{i}" for i in range(20)],
        "Name": [f"Benchmark row {i}" for i in range(20)],
        "Value": [i * 1.5 for i in range(20)],
    }
)
SPEC = {"data": {"values": [{"a": 1, "b": 2}]}, "mark": "bar", "encoding": {"x": {"field": "a"}, "y": {"field": "b"}}}


def _grid_20_rows(i):
    st.dataframe(ROWS, hide_index=True)


def _static_table_5_rows(i):
    st.table(ROWS.head(5), hide_index=True)


def _markdown_table_5_rows(i):
    head = "| Ref | Name | Value |\n|---|---|---:|\n"
    st.markdown(head + "\n".join(f"| {r.Ref} | {r.Name} | {r.Value} |" for r in ROWS.head(5).itertuples()))


def _markdown(i):
    st.markdown(f"A sentence of **Markdown**, number {i}, as a caption or note would be.")


def _heading(i):
    st.header(f"Heading {i}")


def _metric(i):
    st.metric(f"Metric {i}", f"{i}.5%", f"{i} pts", border=True)


def _selectbox(i):
    st.selectbox(f"Choice {i}", ["one", "two"], key=f"choice{i}")


def _chart(i):
    st.vega_lite_chart(SPEC)


def _collapsed_expander_with_grid(i):
    with st.expander(f"Details {i}"):
        st.dataframe(ROWS, hide_index=True)


KINDS = {
    "grid (20 rows)": _grid_20_rows,
    "st.table (5 rows)": _static_table_5_rows,
    "Markdown table (5 rows)": _markdown_table_5_rows,
    "markdown": _markdown,
    "heading": _heading,
    "metric": _metric,
    "selectbox": _selectbox,
    "chart": _chart,
    "collapsed expander holding a grid": _collapsed_expander_with_grid,
}
SLUGS = {kind: "k" + str(n) for n, kind in enumerate(KINDS)}


def _page(kind):
    def draw():
        st.title(f"Elements: {kind}")
        for i in range(COPIES):
            KINDS[kind](i)

    return draw


if __name__ == "__main__":
    pages = [st.Page(lambda: st.title("Elements: away"), title="Away", url_path="away", default=True)]
    pages.append(st.Page(lambda: st.title("Elements: title only"), title="Title only", url_path="base"))
    pages += [st.Page(_page(kind), title=kind, url_path=SLUGS[kind]) for kind in KINDS]
    st.navigation(pages).run()
