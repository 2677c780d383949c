"""AppTest for every page at the three pack months: no exception, expected refs, month changes values."""

import pytest
from apptest import run_page, scorecard, table_text

MONTHS = {"2023-01": "Jan-23", "2023-09": "Sep-23", "2024-01": "Jan-24"}
AREAS = {
    "front_door": ("FD1", "FD7"),
    "early_help": ("EH2", "EH11"),
    "cin_cp": ("CIN1", "CIN8"),
    "cared_for": ("CF25", "CF30"),
    "safeguarding": ("SG5", "SG11"),
    "workforce": ("WF1", "WF4"),
}


run = run_page


@pytest.mark.parametrize("month", sorted(MONTHS))
@pytest.mark.parametrize("area", sorted(AREAS))
def test_area_page(area, month):
    at = run(area, month)
    text = table_text(at)
    for ref in AREAS[area]:
        assert ref in text, (area, month, ref)
    assert f"Current ({MONTHS[month]})" in text


def test_area_values_change_with_month():
    sep = table_text(run("front_door", "2023-09"))
    jan = table_text(run("front_door", "2024-01"))
    assert "1,318" in sep and "1,551" in jan and sep != jan


@pytest.mark.parametrize("month", sorted(MONTHS))
def test_overview(month):
    at = run("overview", month)
    assert any("RAG counts" in m.value for m in at.markdown)
    charts = at.get("vega_lite_chart")
    assert charts and "RAG ratings by service area" in charts[0].proto.spec
    assert "Exceptions to discuss" in [h.value for h in at.header]


@pytest.mark.parametrize("month", sorted(MONTHS))
def test_indicator_detail(month):
    at = run("indicator", month, ref="CIN8")
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert "CIN8 Child and Family" in spec and 'strokeDash": [8, 4]' in spec  # the target line
    assert any(c.value.startswith("Chart summary: CIN8") for c in at.caption)
    assert "Every figure, every vintage" in [h.value for h in at.header]


def test_indicator_detail_lists_both_vintages_of_a_revised_cell():
    at = run("indicator", "2024-01", ref="FD1")
    text = table_text(at)
    assert "1,265" in text and "1,318" in text


@pytest.mark.parametrize("month", sorted(MONTHS))
def test_weekly_and_about(month):
    at = run("weekly", month)
    assert "CW1" in table_text(at) and at.get("vega_lite_chart")
    at = run("about", month)
    assert "pack-2023-11" in table_text(at)


def test_filters_narrow_the_table():
    at = run("cin_cp", "2024-01")
    refs = set(scorecard(at)["Ref"])
    assert {"CIN1", "CIN20"} <= refs
    at.toggle(key="off").set_value(True).run()
    refs = set(scorecard(at)["Ref"])
    assert "CIN20" in refs and "CIN1" not in refs
    at.text_input(key="q").input("visits").run()
    assert set(scorecard(at)["Ref"]) == {"CIN20"}


def test_commentary_is_markdown_not_html(fresh_db, monkeypatch):
    """Emphasis renders; typed HTML reaches the page as text, never as markup."""
    import datetime

    from dashboard import store
    from dashboard.writes import commentary

    commentary.publish(
        fresh_db,
        "front_door",
        datetime.date(2024, 1, 1),
        "Contacts **fell**. <b onclick=alert(1)>Bold?</b> <script>x()</script>",
    )
    store.ReadOnlyStore.close_all()
    monkeypatch.setenv("DASHBOARD_DB", str(fresh_db))
    at = run("front_door", "2024-01")
    shown = next(m for m in at.markdown if "Contacts **fell**" in m.value)
    assert not shown.proto.allow_html
    # every typed character escaped (the sanitiser writes the parsed Markdown back), so the tags show as typed
    assert "&lt;b onclick=alert\\(1\\)>Bold?&lt;/b> &lt;script>x\\(\\)&lt;/script>" in shown.value
    assert "<b" not in shown.value and "<script" not in shown.value


def test_every_month_is_worked_out_in_the_background_once_a_page_is_open(monkeypatch):
    """ui.data.warm_views: after the first page, a background thread fills every month's scorecard, so moving
    to another month builds nothing while the panel waits."""
    import threading

    from streamlit.testing.v1 import AppTest

    from dashboard.engine import scorecard as scorecard_engine
    from dashboard.ui import data
    from dashboard.ui.page_registry import PAGE_PATHS

    monkeypatch.setenv("DASHBOARD_WARM_VIEWS", "1")
    data._views_warmed.clear()
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file("../app.py", default_timeout=90)
    at.query_params["month"] = "2024-01"
    at.run()
    warmers = [t for t in threading.enumerate() if t.name == "warm-views"]
    assert warmers, "the first page starts the warm-up"
    for t in warmers:
        t.join(timeout=120)
    built = []
    original = scorecard_engine.build
    monkeypatch.setattr(scorecard_engine, "build", lambda *a, **k: built.append(a[1]) or original(*a, **k))
    at.query_params["month"] = "2023-07"
    at.switch_page(PAGE_PATHS["front_door"])
    at.run()
    assert not at.exception and "Current (Jul-23)" in table_text(at)
    assert built == [], f"scorecards built while the page waited: {built}"
