import datetime as dt
import io
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import cli
from dashboard.engine import derived, rag, spc, trend
from dashboard.input.printed_targets import TargetError, parse_target


@pytest.mark.parametrize(
    "text,polarity,kind,low,high",
    [
        ("85%", "higher_better", "minimum", 85, None),
        ("85-90%", "higher_better", "band", 85, 90),
        ("20-24%", "within_band", "band", 20, 24),
        ("<7%", "lower_better", "maximum", None, 7),
        (">65%", "higher_better", "minimum", 65, None),
        ("16-18", "lower_better", "band", 16, 18),
        ("14-22%", "lower_better", "band", 14, 22),
        ("552", "lower_better", "maximum", None, 552),
        ("", "higher_better", "none", None, None),
        (None, "neutral", "none", None, None),
    ],
)
def test_every_target_form(text, polarity, kind, low, high):
    t = parse_target(text, polarity)
    assert (t.kind, t.low, t.high) == (kind, low, high)


@pytest.mark.parametrize(
    "text,polarity",
    [("about 85", "higher_better"), ("85%", "neutral"), ("24-20%", "within_band"), ("n/a", "higher_better")],
)
def test_unparseable_target_is_an_error(text, polarity):
    with pytest.raises(TargetError):
        parse_target(text, polarity)


def frame(**cols) -> pd.DataFrame:
    base = dict(
        value=[np.nan],
        status=["value"],
        unit=["percent"],
        polarity=["higher_better"],
        target_kind=["none"],
        target_low=[np.nan],
        target_high=[np.nan],
        target_text=[""],
        amber_tolerance=[np.nan],
        gm=[np.nan],
        nw=[np.nan],
        sn=[np.nan],
        england=[np.nan],
        gm_year=[""],
        nw_year=[""],
        sn_year=[""],
        england_year=[""],
    )
    base.update({k: v if isinstance(v, list) else [v] for k, v in cols.items()})
    n = max(len(v) for v in base.values())
    return pd.DataFrame({k: v * n if len(v) == 1 else v for k, v in base.items()})


def target(text, polarity="higher_better", **kw):
    t = parse_target(text, polarity)
    return dict(
        target_kind=t.kind,
        target_low=np.nan if t.low is None else t.low,
        target_high=np.nan if t.high is None else t.high,
        target_text=text,
        polarity=polarity,
        **kw,
    )


def test_rag_reason_matches_the_worked_example():
    out = rag.assess(frame(value=84.0, **target("85%")), "Jan-24").iloc[0]
    assert out["rag"] == "A"
    assert out["rag_reason"] == "84.0% against a target of 85%: 1.0 point short, within the 5.0 point tolerance → Amber"


@pytest.mark.parametrize(
    "value,text,polarity,expected",
    [
        (92, "85%", "higher_better", "G"),
        (80, "85%", "higher_better", "A"),
        (79.9, "85%", "higher_better", "R"),
        (22, "20-24%", "within_band", "G"),
        (18, "20-24%", "within_band", "A"),
        (30, "20-24%", "within_band", "R"),
        (6.5, "<7%", "lower_better", "G"),
        (10.3, "<7%", "lower_better", "A"),
        (12.5, "<7%", "lower_better", "R"),
        (95, "85-90%", "higher_better", "G"),
        (10, "14-22%", "lower_better", "G"),
        (29, "14-22%", "lower_better", "R"),
    ],
)
def test_rag_target_rules(value, text, polarity, expected):
    assert rag.assess(frame(value=value, **target(text, polarity)), "Jan-24")["rag"].iloc[0] == expected


def test_rag_relative_tolerance_for_counts():
    f = frame(value=[570.0, 590.0], unit="count", **target("552", "lower_better"))
    out = rag.assess(f, "Sep-23")
    assert list(out["rag"]) == ["A", "R"]  # 5% of 552 = 27.6
    assert "5% (27.6)" in out["rag_reason"].iloc[0]


def test_rag_without_target_uses_england_and_statistical_neighbours():
    f = frame(
        value=[40.0, 50.0, 70.0],
        unit="rate_per_10k",
        polarity="lower_better",
        england=43.0,
        sn=65.0,
        england_year="2022/23",
        sn_year="2022/23",
    )
    out = rag.assess(f, "Jan-24")
    assert list(out["rag"]) == ["G", "A", "R"]
    assert out["rag_reason"].iloc[2].startswith("No target: 70 is worse than England 43 (2022/23)")


def test_neutral_and_missing_are_not_rated_never_green():
    f = frame(
        value=[100.0, np.nan],
        status=["value", "not_yet_available"],
        unit="count",
        polarity=["neutral", "higher_better"],
        england=10.0,
        sn=10.0,
    )
    out = rag.assess(f, "Sep-23")
    assert list(out["rag"]) == ["-", "-"]
    assert out["rag_reason"].iloc[1] == "No figure for Sep-23: not yet available"


@given(st.floats(0, 100), st.floats(0, 100), st.floats(1, 99))
def test_rag_is_monotone_for_a_minimum_target(a, b, t):
    lo, hi = sorted([a, b])
    f = frame(value=[lo, hi], polarity="higher_better", target_kind="minimum", target_low=t, target_text=f"{t}%")
    order = {"R": 0, "A": 1, "G": 2}
    r = rag.assess(f, "x")["rag"].map(order)
    assert r.iloc[0] <= r.iloc[1]


@given(st.floats(0, 1000), st.floats(0, 1000))
@settings(max_examples=200)
def test_swapping_polarity_swaps_improving_and_declining(a, b):
    f = frame(value=[b, b], prev=[a, a], unit="count", polarity=["higher_better", "lower_better"])
    d = trend.direction(f, "prev", "Dec-23")["direction"]
    swap = {"Improving": "Declining", "Declining": "Improving", "No change": "No change"}
    assert d.iloc[1] == swap[d.iloc[0]]


def test_direction_threshold_and_words():
    f = frame(
        value=[86.3, 80.2, 650.0, 1551.0],
        prev=[89.4, 80.0, 639.0, 1247.0],
        unit=["percent", "percent", "rate_per_10k", "count"],
        polarity=["higher_better", "higher_better", "lower_better", "neutral"],
    )
    d = trend.direction(f, "prev", "Dec-23")
    assert list(d["direction"]) == ["Declining", "No change", "No change", "Up"]
    assert list(d["arrow"]) == ["▼", "►", "►", "▲"]
    assert d["reason"].iloc[0] == "Down from 89.4% in Dec-23 to 86.3% → Declining: higher is better"


def months(n, start=dt.date(2022, 1, 1)):
    out, m = [], start
    for _ in range(n):
        out.append(m)
        m = dt.date(m.year + (m.month // 12), m.month % 12 + 1, 1)
    return out


# set.seed(123); rnorm(20) in R: the NHSRplotthedots test data, whose published snapshot
# (tests/testthat/_snaps/ptd_spc_standard.md) gives mean 0.142, limits -3.01 and 3.29.
RNORM_123 = [
    -0.56047565,
    -0.23017749,
    1.55870831,
    0.07050839,
    0.12928774,
    1.71506499,
    0.46091621,
    -1.26506123,
    -0.68685285,
    -0.44566197,
    1.22408180,
    0.35981383,
    0.40077145,
    0.11068272,
    -0.55584113,
    1.78691314,
    0.49785048,
    -1.96661716,
    0.70135590,
    -0.47279141,
]


def test_xmr_limits_match_the_published_worked_example():
    d = pd.DataFrame({"ref": "X", "period": months(20), "value": RNORM_123})
    pts = spc.points(d, "ref")
    assert round(pts["mean"].iloc[0], 3) == 0.142
    assert round(pts["lcl"].iloc[0], 2) == -3.01
    assert round(pts["ucl"].iloc[0], 2) == 3.29
    assert (pts["signal"] == "").all()


def series(values, ref="X"):
    return pd.DataFrame({"ref": ref, "period": months(len(values)), "value": values})


META = pd.DataFrame(
    {"polarity": ["higher_better"], "target_kind": ["none"], "target_low": [np.nan], "target_high": [np.nan]},
    index=pd.Index(["X"], name="ref"),
)


def summary(values, meta=META, rules=spc.DEFAULT_RULES):
    pts = spc.points(series(values), "ref", rules)
    return spc.summarise(pts, "ref", meta, rules).iloc[0], pts


def test_point_outside_limits():
    s, _ = summary([10, 11, 10, 9, 10, 11, 10, 9, 10, 30])
    assert s["spc_variation"] == "improvement_high"
    assert "above the upper process limit" in s["spc_reason"]


def test_run_of_seven_below_average_is_concern_when_higher_is_better():
    s, _ = summary([21, 22, 21, 22, 21, 22, 20.5, 20, 20.5, 20, 20.5, 20, 20.5])
    assert s["spc_variation"] == "concern_low"
    assert "7 months in a row below the average" in s["spc_reason"]


def test_a_point_in_several_rules_takes_the_first_by_precedence():
    """Outside the limits, then trend, then two of three, then the run: one label per point, never 'both'."""
    _, pts = summary([20, 22, 21, 23, 22, 15, 14, 15, 14, 15, 14, 15])
    assert list(pts["rule"].iloc[-7:]) == [
        "near_low",
        "outside_low",
        "near_low",
        "outside_low",
        "near_low",
        "outside_low",
        "near_low",
    ]  # all seven are also a run below the mean
    assert set(pts["signal"]) <= {"", "high", "low"}


def test_trend_of_seven_and_configurable_six():
    s, _ = summary([10, 4, 16, 5, 15, 3, 4, 5, 6, 7, 8, 9])  # 3 -> 9: seven rising points ending now
    assert s["spc_variation"] == "improvement_high"
    assert "7 months in a row each higher" in s["spc_reason"]
    six = [10, 4, 16, 5, 15, 9, 4, 5, 6, 7, 8, 9]  # 4 -> 9: six rising points
    assert "each higher" not in summary(six)[0]["spc_reason"]
    s6, _ = summary(six, rules=spc.SpcRules(trend_length=6))
    assert "6 months in a row each higher" in s6["spc_reason"]


def test_two_of_three_near_the_limit():
    s, pts = summary([10, 10.4, 10, 10.4, 10, 10.4, 10, 10.4, 10, 10.4, 11.5, 11.0, 11.5])
    assert pts["ucl"].iloc[-1] > 11.5  # inside the limits, but beyond two sigma
    assert s["spc_variation"] == "improvement_high"
    assert "2 of 3 months in a row close to the upper limit" in s["spc_reason"]


def test_gaps_break_runs_and_moving_ranges():
    d = pd.DataFrame(
        {
            "ref": "X",
            "period": [dt.date(2022, 1, 1)] + months(8, dt.date(2023, 1, 1)),
            "value": [100, 5, 6, 5, 6, 5, 6, 5, 6],
        }
    )
    pts = spc.points(d, "ref")
    assert pts["mr_bar"].iloc[0] == pytest.approx(1.0)  # the Jan-22 -> Jan-23 step is not a moving range


def test_assurance_against_band_and_one_sided_targets():
    vals = [50, 51, 49, 50, 51, 49, 50, 51, 49, 50, 51, 49, 50, 51]

    def assurance(kind, lo, hi, pol="higher_better"):
        meta = pd.DataFrame(
            {"polarity": [pol], "target_kind": [kind], "target_low": [lo], "target_high": [hi]},
            index=pd.Index(["X"], name="ref"),
        )
        return summary(vals, meta)[0]["spc_assurance"]

    assert assurance("minimum", 40, np.nan) == "pass"
    assert assurance("minimum", 60, np.nan) == "fail"
    assert assurance("minimum", 50, np.nan) == "hit_and_miss"
    assert assurance("band", 40, 60, "within_band") == "pass"
    assert assurance("band", 51, 60, "within_band") == "hit_and_miss"
    assert assurance("maximum", np.nan, 45, "lower_better") == "fail"


def test_trial_limits_with_fewer_than_13_points():
    s, _ = summary([10, 11, 10, 9, 10, 11, 10, 9])
    assert bool(s["spc_trial"]) and "trial" in s["spc_reason"]
    s2, _ = summary([10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 11])
    assert not bool(s2["spc_trial"])


def test_rolling_ytd_and_rate():
    obs = pd.DataFrame({"ref": "A", "period": months(14, dt.date(2023, 1, 1)), "value": [10.0] * 14, "status": "value"})
    ind = pd.DataFrame({"ref": ["A"], "unit": ["count"], "count_type": ["flow"]})
    out = derived.derived_for_month(obs, ind, dt.date(2024, 2, 1), 50_000)
    assert out.loc["A", "rolling_12_total"] == 120
    assert out.loc["A", "ytd_total"] == 110  # Apr-23 .. Feb-24
    assert out.loc["A", "rate_per_10k"] == pytest.approx(2.0)
    gappy = obs[obs["period"] != dt.date(2023, 6, 1)]
    out2 = derived.derived_for_month(gappy, ind, dt.date(2024, 2, 1), 50_000)
    assert np.isnan(out2.loc["A", "ytd_total"]) and np.isnan(out2.loc["A", "rolling_12_total"])


def test_published_count_and_rate_pairs_agree_with_population(built_db):
    from dashboard import store

    r = store.ReadOnlyStore(built_db)
    obs = r.observations_as_of("latest", "tameside", ["CF1", "CF2"], until=dt.date(2023, 1, 31))
    v = obs[obs["period"] == dt.date(2023, 1, 1)].set_index("ref")["value"]
    assert v["CF1"] * 10_000 / 50_900 == pytest.approx(v["CF2"], abs=0.5)


@pytest.mark.parametrize("month", ["2022-01", "2024-01"])  # the oldest and newest months, through the CLI
def test_scorecard_cli_runs(month, built_db):
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["--db", str(built_db), "scorecard", "--month", month]) == 0
    df = pd.read_csv(io.StringIO(out.getvalue()))
    assert list(df.columns[:3]) == ["ref", "indicator", "area"] and len(df) > 50
    assert df["rag"].isin(["Red", "Amber", "Green", "Not rated"]).all()


def test_the_cli_csv_is_made_for_every_month_with_figures(built_db):
    """Every month from Jan-22 to Jan-24 the packs print, as the CLI writes it (one set of inputs for all months:
    the CLI path itself is run above; building the inputs per month cost most of a second each)."""
    from dashboard import service, store
    from dashboard.engine import scorecard
    from dashboard.words.formatting import scorecard_csv

    reader = store.ReadOnlyStore(built_db)
    months = [dt.date(2022, 1, 1), *(dt.date(2023, m, 1) for m in range(1, 13)), dt.date(2024, 1, 1)]
    inputs = service.inputs(reader, "latest", "tameside")
    for month in months:
        df = scorecard_csv(scorecard.build(inputs, month))
        assert list(df.columns[:3]) == ["ref", "indicator", "area"] and len(df) > 50, month
        assert df["rag"].isin(["Red", "Amber", "Green", "Not rated"]).all(), month


def test_scorecard_as_reported_in_november(built_db):
    out = io.StringIO()
    with redirect_stdout(out):
        assert (
            cli.main(
                [
                    "--db",
                    str(built_db),
                    "scorecard",
                    "--month",
                    "2023-09",
                    "--area",
                    "front_door",
                    "--vintage",
                    "pack-2023-11",
                ]
            )
            == 0
        )
    df = pd.read_csv(io.StringIO(out.getvalue())).set_index("ref")
    assert str(df.loc["FD1", "current"]) == "1265"
    assert set(df["area"]) == {"front_door"}


@pytest.mark.parametrize("vintage", ["pack-2023-11", "latest"])
def test_judge_gives_what_a_whole_scorecard_gives(reader, vintage):
    """scorecard.judge (the Revisions page's one pass) must rate every cell exactly as build() does: every
    indicator at three months, as two vintages stood, including refs rated on published national comparators."""
    import datetime as dt

    from dashboard import service
    from dashboard.engine import scorecard

    inputs = service.inputs(reader, vintage, "tameside")
    expected, cells = [], []
    for month in (dt.date(2023, 1, 1), dt.date(2023, 9, 1), dt.date(2024, 1, 1)):
        sc = scorecard.build(inputs, month)
        expected.append(sc[["ref", "rag", "direction"]].assign(period=month))
        cells.append(sc[["ref"]].assign(period=month))
    expected = pd.concat(expected).sort_values(["period", "ref"]).reset_index(drop=True)
    judged = scorecard.judge(inputs, pd.concat(cells)).sort_values(["period", "ref"]).reset_index(drop=True)
    assert len(judged) == len(expected) > 200
    pd.testing.assert_frame_equal(
        judged[["ref", "period", "rag", "direction"]], expected[["ref", "period", "rag", "direction"]]
    )
    assert {"R", "A", "G"} <= set(judged["rag"]) and (judged["direction"] == "Improving").any()


def test_every_vintage_judged_at_once_matches_each_vintage_built_alone(reader):
    """service.judge_as_of reads every vintage's cells in one pass: each must match that vintage's own scorecard."""
    from dashboard import service
    from dashboard.engine import scorecard

    rev = reader.revisions("tameside")
    rev["period"] = pd.to_datetime(rev["period"]).dt.date
    cells = pd.concat(
        [
            rev[["old_vintage", "ref", "period"]].rename(columns={"old_vintage": "vintage"}),
            rev[["new_vintage", "ref", "period"]].rename(columns={"new_vintage": "vintage"}),
        ]
    )
    judged = service.judge_as_of(reader, "tameside", cells).set_index(["vintage", "period", "ref"])
    assert len(judged) == len(cells.drop_duplicates()) == 140
    for (vintage, period), rows in cells.groupby(["vintage", "period"]):
        sc = scorecard.build(service.inputs(reader, vintage, "tameside"), period).set_index("ref")
        for ref in rows["ref"]:
            assert tuple(judged.loc[(vintage, period, ref)]) == (sc.loc[ref, "rag"], sc.loc[ref, "direction"])
