"""Presenter mode in AppTest: no sidebar or admin controls, a title slide, then one exception per slide."""

import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.ui.presenter import headline

APP = "../app.py"


def present(month: str) -> AppTest:
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["present"] = "1"
    at.query_params["month"] = month
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_presenter_has_no_sidebar_and_steps_through_exceptions():
    at = present("2023-09")
    assert len(at.sidebar) == 0  # no month picker, filters or admin
    assert at.title[0].value.startswith("September 2023:") and "Red" in at.title[0].value
    at.button(key="next_slide").click().run()
    first = at.title[0].value
    assert " is Red at " in first and at.get("vega_lite_chart")
    assert any(c.value.startswith("Chart summary:") for c in at.caption)
    at.button(key="next_slide").click().run()
    assert at.title[0].value != first
    at.button(key="prev_slide").click().run()
    assert at.title[0].value == first


def test_headline_reads_as_a_sentence():
    row = {
        "indicator": "Fostering - %",
        "value": 59.0,
        "unit": "percent",
        "status": "value",
        "target_text": "71%",
        "rag": "R",
        "direction": "Declining",
        "spc_variation": "concern_low",
    }
    assert headline(row) == (
        "Fostering - % is Red at 59.0% against a target of 71%, getting worse, with an SPC signal of concern."
    )
    row.update(status="not_yet_available", value=None, target_text="", direction="", spc_variation="common")
    assert headline(row) == "Fostering - % is Red (not yet available this month) (no target)."


def test_a_slide_speaks_the_published_commentary_or_else_the_draft():
    at = present("2024-01")  # no commentary was printed for January 2024
    at.button(key="next_slide").click().run()
    assert any("drafted from the figures, not yet published" in c.value for c in at.caption)
    assert any(m.value.startswith("In January 2024, ") for m in at.markdown)
    at = present("2023-01")  # the January 2023 pack printed every area's commentary
    at.button(key="next_slide").click().run()
    assert any("published commentary (opening)" in c.value for c in at.caption)


def _in_order(node, out: list) -> list:
    """The page's elements in drawing order (depth first), as (type, key or value)."""
    for child in getattr(node, "children", {}).values():
        kind = getattr(child, "type", "")
        out.append((kind, getattr(child, "key", None) if kind == "button" else None))
        _in_order(child, out)
    return out


def test_a_slide_puts_its_controls_first_and_sizes_its_chart_for_the_projector():
    import json

    from dashboard.ui.presenter import CHART_HEIGHT

    at = present("2024-01")
    at.button(key="next_slide").click().run()
    drawn = [e for e in _in_order(at.main, []) if e[0] in ("button", "title", "vega_lite_chart")]
    assert drawn[:3] == [("button", "prev_slide"), ("button", "next_slide"), ("button", "leave_present")]
    assert [kind for kind, _ in drawn[3:]] == ["title", "vega_lite_chart"]  # no slide can push them off screen
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["height"] == CHART_HEIGHT and spec["config"]["legend"]["disable"] is True
    # no legend at all: a channel's own legend (the points' kinds) is not turned off by the config alone
    channels = [c for layer in spec.get("layer", [spec]) for c in layer.get("encoding", {}).values()]
    assert channels and all(c.get("legend", None) is None for c in channels if isinstance(c, dict))
