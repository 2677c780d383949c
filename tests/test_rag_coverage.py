"""RAG that covers the scorecard the panel knows: target, then comparators, then last year; activity
measures unrated but in the exceptions when SPC says unusual; the packs' printed RAG beside ours."""

import datetime as dt

import pandas as pd
import pytest
from apptest import run_page, static_tables

from dashboard import service
from dashboard.engine.scorecard import exceptions
from dashboard.output import export, papers

JAN24, SEP23 = dt.date(2024, 1, 1), dt.date(2023, 9, 1)


@pytest.fixture(scope="module")
def jan24(reader):
    return service.build_scorecard(reader, JAN24).set_index("ref")


@pytest.fixture(scope="module")
def sep23(reader):
    return service.build_scorecard(reader, SEP23).set_index("ref")


@pytest.mark.parametrize(
    "month, ref, rag, basis, reason",
    [
        (JAN24, "CIN2", "R", "target", "650 against a target of 612: 38 over, beyond the 5% (30.6) tolerance → Red"),
        (
            JAN24,
            "CIN18",
            "R",
            "comparator",
            "No target: 380 is worse than England 221 (2022/23) and Statistical neighbours 330 (2022/23) → Red",
        ),
        (
            JAN24,
            "EH11",
            "G",
            "last_year",
            "No target or comparator: 29 against last year's 5 (Jan-23), 24 better → Green",
        ),
        (
            JAN24,
            "CF28",
            "A",
            "last_year",
            "No target or comparator: 99.0% against last year's 100.0% (Jan-23), 1.0 point "
            "worse, within the 5.0 point tolerance → Amber",
        ),
        (
            JAN24,
            "CIN3",
            "R",
            "last_year",
            "No target or comparator: 46.0% against last year's 54.0% (Jan-23), 8.0 points "
            "worse, beyond the 5.0 point tolerance → Red",
        ),
        (
            SEP23,
            "CIN24",
            "R",
            "last_year",
            "No target or comparator: 90 against last year's 79 (2022/23 out-turn), 11 worse, "
            "beyond the 5% (4.0) tolerance → Red",
        ),
    ],
)
def test_each_basis_rates_a_real_indicator_and_says_which(jan24, sep23, month, ref, rag, basis, reason):
    row = (jan24 if month == JAN24 else sep23).loc[ref]
    assert (row["rag"], row["rag_basis"], row["rag_reason"]) == (rag, basis, reason)


@pytest.mark.parametrize("month, at_least", [(JAN24, 47), (SEP23, 56)])
def test_every_indicator_with_a_direction_a_figure_and_a_basis_is_rated(reader, month, at_least):
    sc = service.build_scorecard(reader, month)
    has_figure = (sc["status"] == "value") & sc["value"].notna()
    directional = sc["polarity"].isin(["higher_better", "lower_better"])
    basis = (sc["target_kind"] != "none") | sc[["england", "sn"]].notna().any(axis=1) | sc["previous_year"].notna()
    should = has_figure & directional & basis
    assert (sc.loc[should, "rag"] != "-").all()
    assert (sc["rag"] != "-").sum() >= at_least
    assert (sc.loc[sc["polarity"] == "neutral", "rag"] == "-").all()


def test_within_band_measures_are_judged_only_against_their_band(jan24):
    row = jan24.loc["CIN4"]
    assert row["polarity"] == "within_band" and row["rag_basis"] == "target" and "20-24%" in row["rag_reason"]


def test_activity_measures_with_an_unusual_spc_signal_reach_the_exceptions(jan24):
    ex = exceptions(jan24.reset_index()).set_index("ref")
    unusual = ex[ex["rag"] == "-"]
    assert "FD8d" in unusual.index and unusual.loc["FD8d", "spc_variation"] == "neutral_high"
    assert ex["rag"].tolist().index("-") > max(i for i, r in enumerate(ex["rag"]) if r in "RA")  # after Red/Amber


def test_every_area_with_off_target_indicators_has_exceptions_at_jan24(jan24):
    off = set(jan24.loc[jan24["rag"].isin(["R", "A"]), "area"])
    ex = set(exceptions(jan24.reset_index())["area"])
    assert off and off <= ex
    assert {"front_door", "early_help"} <= ex  # no rating there, but unusual activity by SPC


def test_the_printed_rag_sits_beside_ours_in_the_scorecard_and_the_panel_table(reader):
    sc = service.build_scorecard(reader, SEP23, "pack-2023-11")
    row = sc.set_index("ref").loc["CF1"]
    assert (row["printed_rag"], row["rag"]) == ("A", "R")
    from dashboard.output import panel

    table = panel.panel_table(sc, SEP23, {}).set_index("Ref")
    assert table.loc["CF1", "As printed"] == "▲ Amber" and table.loc["CF1", "RAG"] == "✖ Red"
    assert "Arrow as printed" in table and table.loc["CF1", "Rated on"] == "target"


def test_no_printed_column_where_the_pack_printed_none(reader):
    from dashboard.output import panel

    sc = service.build_scorecard(reader, dt.date(2023, 1, 1), "pack-2023-01")
    assert "As printed" not in panel.panel_table(sc, dt.date(2023, 1, 1), {})


def test_the_differences_list_a_known_disagreement_with_both_ratings_and_counts(reader):
    diff = service.printed_vs_calculated(reader)
    cf1 = diff[(diff["ref"] == "CF1") & (diff["month"] == SEP23)].iloc[0]
    assert (cf1["printed_rag"], cf1["rag"], bool(cf1["rag_agrees"])) == ("A", "R", False)
    assert cf1["rag_reason"] == "660 against a target of 552: 108 over, beyond the 5% (27.6) tolerance → Red"
    assert set(diff["month"]) == {SEP23, JAN24}
    assert diff.groupby("month").size().to_dict() == {SEP23: 100, JAN24: 77}


def test_exports_carry_the_printed_rag_and_the_basis(reader):
    pack = papers.gather(reader, SEP23, "pack-2023-11")
    csv = export.render(pack, "csv").decode("utf-8-sig")
    header = csv.splitlines()[0]
    assert "As printed" in header and "Rated on" in header
    assert any(line.startswith("CF1,") and "▲ Amber" in line and "✖ Red" in line for line in csv.splitlines())


def test_printed_vs_calculated_page_lists_differences():
    at = run_page("printed", month="2023-09")
    assert any("Where the printed RAG differs" in h.value for h in at.header)
    frames = [df.value for df in at.dataframe]
    assert any("CF1" in set(f.get("Ref", pd.Series(dtype=str))) for f in frames)


def test_overview_counts_ratings_by_basis():
    at = run_page("overview", month="2024-01")
    table = next(t for t in static_tables(at) if "On last year" in t.columns).astype(
        {"On a target": int, "On a comparator": int, "On last year": int}
    )
    assert (
        table["On a target"].sum() == 19 and table["On a comparator"].sum() == 4 and table["On last year"].sum() == 24
    )
