"""The area scorecard as one Markdown table (components.scorecard_table): what it says, how it sorts, where its
links go, and that no text in it can become markup."""

import datetime as dt
import re

import pandas as pd
from apptest import run_page, scorecard

from dashboard.output import panel
from dashboard.ui import components
from dashboard.words.formatting import rag_label
from dashboard.words.vocabulary import RAG_ORDER

RAG_RANK = {rag_label(code): RAG_ORDER[code] for code in RAG_ORDER}


def _scorecard_source(at) -> str:
    blocks = [m.value for m in at.markdown if m.value.startswith("| Ref |")]
    assert len(blocks) == 1, "one scorecard table on an area page"
    return blocks[0]


def test_one_table_with_links_ratings_and_sparklines_in_words():
    at = run_page("cin_cp", "2024-01")
    assert not at.dataframe, "no grid on an area page: the scorecard is drawn once"
    table = scorecard(at)
    assert list(table.columns)[:4] == ["Ref", "Indicator", "Current (Jan-24)", "Target"]
    assert "12 months" in table.columns and any(c.startswith("Comparators") for c in table.columns)
    source = _scorecard_source(at)
    # Each ref opens its indicator at the month and vintage in view.
    assert "[CIN1](indicator?vintage=latest&month=2024-01&ref=CIN1)" in source
    assert set(table["RAG"]) <= set(RAG_RANK)
    assert re.search(r":(red|orange|green|gray)-background\[", source)
    # The sparkline is an image whose alternative text says the trend in words.
    spark = [s for s in table["12 months"] if s]
    assert spark and all(re.match(r"\d+ figures: (rose|fell|ended where it began), ", s) for s in spark), spark
    assert "data:image/svg+xml;base64," in source


def test_sorting_is_kept_in_the_address_and_orders_the_rows():
    at = run_page("cin_cp", "2024-01")
    pack = list(scorecard(at)["Ref"])
    at.selectbox(key="sort").set_value("rating").run()
    assert at.query_params["sort"] == "rating"
    rated = scorecard(at)
    ranks = [RAG_RANK[r] for r in rated["RAG"]]
    assert ranks == sorted(ranks) and ranks[0] == RAG_ORDER["R"]
    assert sorted(rated["Ref"]) == sorted(pack) and list(rated["Ref"]) != pack
    at.selectbox(key="sort").set_value("ref").run()
    refs = list(scorecard(at)["Ref"])
    assert refs.index("CIN2") < refs.index("CIN10")  # in number order, not as text


def test_no_text_in_the_table_becomes_markup():
    month = dt.date(2024, 1, 1)
    hostile = "A | B <script>alert(1)</script> [x](javascript:alert(1)) ![i](http://e.test/i.png) **bold**"
    rows = pd.DataFrame(
        {
            "Ref": ["X1)](javascript:alert(1))"],
            "Indicator": [hostile],
            panel.current_header(month): ["1,265 †"],
            "RAG": ["✖ Red"],
            "Direction": ["▲ Improving"],
            panel.SPARKLINE: [components._sparkline([1, 3, 2], "count")],
        }
    )
    text = components.scorecard_markdown(rows, list(rows.columns), month, "latest")
    header, rule, line = text.splitlines()
    unescaped_pipes = len(re.findall(r"(?<!\\)\|", line))
    assert unescaped_pipes == len(rows.columns) + 1, line  # the row keeps its cells
    assert "<script>" not in line and "\\<script\\>" in line
    assert "[x](" not in line and "![i](" not in line and "**bold**" not in line
    # The ref's own text is escaped inside its link, and its address is encoded.
    assert "ref=X1%29%5D%28javascript%3Aalert%281%29%29" in line
    assert ":red-background[✖ Red]" in line and "▲\u00a0Improving" in line
