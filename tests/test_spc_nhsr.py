"""SPC exactly as NHS "Making Data Count" computes it, checked against the NHS-R package NHSRplotthedots:
its own test cases with explicit expected values (tests/testthat/test-ptd_spc_standard.R and its snapshot,
test-ptd_calculate_point_type.R, ptd_calculate_assurance_type.R), ported here, plus property tests of the
rule definitions and our rebasing at definition changes."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import service, store
from dashboard.engine import spc

# set.seed(123); rnorm(20) in R, as in test-ptd_spc_standard.R
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


def months(n: int, start: dt.date = dt.date(2020, 1, 1)) -> list[dt.date]:
    return [dt.date(start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1, 1) for k in range(n)]


def pts(values, rules=spc.DEFAULT_RULES, **kw) -> pd.DataFrame:
    return spc.points(pd.DataFrame({"ref": "X", "period": months(len(values)), "value": values}), "ref", rules, **kw)


# ---------------------------------------------------------------- ptd_spc_standard (snapshot values)


def test_limits_equal_the_packages_snapshot_r1():
    p = pts(RNORM_123)
    assert p["mean"].iloc[0] == pytest.approx(0.1416238, abs=5e-8)
    assert p["lcl"].iloc[0] == pytest.approx(-3.01138, abs=5e-6)
    assert p["ucl"].iloc[0] == pytest.approx(3.294627, abs=5e-7)
    side = np.sign(p["value"] - p["mean"]).astype(int).tolist()
    assert side[:15] == [-1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1]  # relative_to_mean in the snapshot


def test_screened_outliers_equal_the_packages_snapshot_r2_and_r3():
    spiked = list(RNORM_123)
    spiked[14] = 10  # data$y[15] <- 10
    screened = pts(spiked)
    assert screened["mean"].iloc[0] == pytest.approx(0.6694159, abs=5e-8)
    assert screened["lcl"].iloc[0] == pytest.approx(-2.383666, abs=5e-7)
    assert screened["ucl"].iloc[0] == pytest.approx(3.722497, abs=5e-7)
    unscreened = pts(spiked, spc.SpcRules(screen_outliers=False))
    assert unscreened["lcl"].iloc[0] == pytest.approx(-4.596625, abs=5e-7)
    assert unscreened["ucl"].iloc[0] == pytest.approx(5.935457, abs=5e-7)
    assert unscreened["ucl"].iloc[0] - unscreened["lcl"].iloc[0] > screened["ucl"].iloc[0] - screened["lcl"].iloc[0]


def test_rebase_gives_each_segment_its_own_mean_and_limits():
    """rebase = c(rep(0, 10), 1, rep(0, 9)) -> rebase_group c(rep(0, 10), rep(1, 10))."""
    p = pts(RNORM_123, rebase={"X": [pd.Timestamp(months(20)[10])]})
    assert p["segment"].tolist() == [0] * 10 + [1] * 10
    assert p["mean"].iloc[0] == pytest.approx(np.mean(RNORM_123[:10]))
    assert p["mean"].iloc[-1] == pytest.approx(np.mean(RNORM_123[10:]))
    assert p["mean"].iloc[0] != p["mean"].iloc[-1] and bool(p["rebased"].iloc[-1]) and not p["rebased"].iloc[0]


def test_fix_after_n_points_changes_the_limits():
    free, fixed = pts(RNORM_123), pts(RNORM_123, baseline={"X": 12})
    assert fixed["mean"].iloc[0] == pytest.approx(np.mean(RNORM_123[:12]))
    assert fixed["lcl"].iloc[0] != free["lcl"].iloc[0] and fixed["ucl"].iloc[0] != free["ucl"].iloc[0]
    assert fixed["baseline_points"].iloc[-1] == 12


def test_two_of_three_close_points_on_opposite_sides_are_common_cause():
    data = [1.0, -1.0] * 8
    data[14], data[15] = 5.5, -5.5
    p = pts(data)
    assert p["rule"].iloc[-2:].tolist() == ["", ""]


# ---------------------------------------------------------------- ptd_calculate_point_type helpers

CHAIN = np.zeros


@pytest.mark.parametrize(
    "side, expected",
    [
        ([1] * 6, [0] * 6),
        ([1] * 6 + [-1], [0] * 7),
        ([1] * 8 + [-1], [1] * 8 + [0]),
        ([-1] * 8 + [1], [1] * 8 + [0]),
    ],
)
def test_seven_point_one_side_mean(side, expected):
    part, _ = spc.one_side_runs(np.array(side, dtype=float), CHAIN(len(side)))
    assert part.astype(int).tolist() == expected


@pytest.mark.parametrize(
    "y, part, direction",
    [
        (list(range(1, 7)), [0] * 6, 0),
        ([1, 2, 3, 3, 4, 5, 6], [0] * 7, 0),
        (list(range(1, 8)), [1] * 7, 1),
        ([2, *range(1, 8), 3], [0] + [1] * 7 + [0], 1),
        (list(range(7, 0, -1)), [1] * 7, -1),
        ([2, *range(7, 0, -1), 3], [0] + [1] * 7 + [0], -1),
    ],
)
def test_seven_point_trend(y, part, direction):
    v = np.array(y, dtype=float)
    consecutive = np.array([False] + [True] * (len(y) - 1))
    found, dirs, _, _ = spc.trend_parts(v, consecutive, CHAIN(len(y)))
    assert found.astype(int).tolist() == part
    if direction:
        assert set(dirs[found]) == {direction}


@pytest.mark.parametrize(
    "close, side, expected",
    [
        ([1, 0, 1], [1, 1, 1], [1, 0, 1]),
        ([0, 1, 1], [1, 1, 1], [0, 1, 1]),
        ([1, 1, 0], [1, 1, 1], [1, 1, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [1] * 7, [0, 0, 1, 0, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [1] * 7, [0, 0, 1, 1, 0, 0, 0]),
        ([1, 0, 0, 1], [1] * 4, [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [1] * 5, [0, 0, 0, 1, 1]),
        ([1, 0, 1], [1, -1, 1], [0, 0, 0]),
        ([0, 1, 1], [1, -1, 1], [0, 0, 0]),
        ([1, 1, 0], [1, -1, 1], [0, 0, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1], [0] * 7),
        ([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1], [0] * 7),
    ],
)
def test_two_in_three(close, side, expected):
    near = spc.two_in_three(np.array(close, dtype=bool), np.array(side, dtype=float), CHAIN(len(close)))
    assert near.astype(int).tolist() == expected


def test_special_cause_type_precedence():
    """The package's mocked case: trend parts (1, -1, 0…), run parts (0, 0, 1, -1, 0…), two-in-three part at 5,
    outside at 6 and 7, relative to mean (1, 1, 1, 1, -1, -1, -1, -1), y = 1:8."""

    def flags(*xs):
        return np.array(xs, dtype=bool)

    rtm = np.array([1, 1, 1, 1, -1, -1, -1, -1], dtype=float)
    outside = flags(0, 0, 0, 0, 0, 1, 1, 0)
    labels = spc.label_points(
        outside & (rtm > 0),
        outside & (rtm < 0),
        flags(1, 1, 0, 0, 0, 0, 0, 0),
        np.ones(8),
        flags(0, 0, 0, 0, 1, 0, 0, 0),
        flags(0, 0, 1, 1, 0, 0, 0, 0),
        rtm,
    )
    assert labels.tolist() == [
        "trend_up",
        "trend_up",
        "shift_high",
        "shift_high",
        "near_low",
        "outside_low",
        "outside_low",
        "",
    ]


# ---------------------------------------------------------------- point type and assurance


def _summary(values, polarity, kind="none", low=np.nan, high=np.nan):
    meta = pd.DataFrame(
        {"polarity": [polarity], "target_kind": [kind], "target_low": [low], "target_high": [high]},
        index=pd.Index(["X"], name="ref"),
    )
    return spc.summarise(pts(values), "ref", meta).iloc[0]


@pytest.mark.parametrize(
    "polarity, expected",
    [("higher_better", "improvement_high"), ("lower_better", "concern_high"), ("neutral", "neutral_high")],
)
def test_point_type_follows_the_improvement_direction(polarity, expected):
    assert _summary([10, 11, 10, 9, 10, 11, 10, 9, 10, 30], polarity)["spc_variation"] == expected


STEADY = [50, 51, 49, 50, 51, 49, 50, 51, 49, 50, 51, 49, 50, 51]


@pytest.mark.parametrize(
    "polarity, kind, low, high, expected",
    [
        ("higher_better", "minimum", 60, np.nan, "fail"),  # target > upl, increasing
        ("higher_better", "minimum", 40, np.nan, "pass"),  # target < lpl, increasing
        ("lower_better", "maximum", np.nan, 60, "pass"),  # target > upl, decreasing
        ("lower_better", "maximum", np.nan, 40, "fail"),  # target < lpl, decreasing
        ("higher_better", "minimum", 50, np.nan, "hit_and_miss"),
        ("neutral", "minimum", 40, np.nan, "none"),  # no assurance where the direction is neutral
    ],
)
def test_assurance_type(polarity, kind, low, high, expected):
    assert _summary(STEADY, polarity, kind, low, high)["spc_assurance"] == expected


def test_a_limit_exactly_on_the_target_is_hit_and_miss():
    p = pts(STEADY)
    lcl = float(p["lcl"].iloc[-1])
    assert _summary(STEADY, "higher_better", "minimum", lcl, np.nan)["spc_assurance"] == "hit_and_miss"


# ---------------------------------------------------------------- properties of the rule definitions

series_values = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).map(lambda x: round(x, 1)), min_size=6, max_size=40
)


@settings(max_examples=150, deadline=None)
@given(series_values)
def test_rule_properties(values):
    p = pts(values)
    rule, v = p["rule"], p["value"]
    assert set(p["signal"]) <= {"", "high", "low"}
    assert ((rule != "") == (p["signal"] != "")).all()
    outside = p["enough"] & ((v > p["ucl"]) | (v < p["lcl"]))
    assert rule[outside].str.startswith("outside").all()  # rule 1 comes first
    near = p["part_near"]
    assert not (near & outside).any()  # two in three counts only points inside the limits
    assert ((v[near] - p["mean"][near]).abs() > spc.NEAR * p["mr_bar"][near] - 1e-9).all()
    shift = rule.str.startswith("shift")
    assert (p.loc[shift, "shift_run"] >= 7).all()
    trend = rule.str.startswith("trend")
    assert p.loc[trend, "part_trend"].all()


@settings(max_examples=100, deadline=None)
@given(series_values)
def test_screening_never_widens_the_limits(values):
    screened, plain = pts(values), pts(values, spc.SpcRules(screen_outliers=False))
    width = (screened["ucl"] - screened["lcl"]).iloc[0]
    plain_width = (plain["ucl"] - plain["lcl"]).iloc[0]
    if np.isnan(width):  # as in NHSRplotthedots: a flat series screens out every (zero) moving range
        assert plain_width == 0 and len(set(values)) == 1, values
    else:
        assert width <= plain_width + 1e-9


@settings(max_examples=100, deadline=None)
@given(series_values, st.integers(min_value=1, max_value=30))
def test_no_rule_crosses_a_rebase(values, at):
    at = min(at, len(values) - 1)
    p = pts(values, rebase={"X": [pd.Timestamp(months(len(values))[at])]})
    before, after = pts(values[:at]), pts(values[at:])
    assert p["rule"].tolist() == before["rule"].tolist() + after["rule"].tolist()


# ---------------------------------------------------------------- our data: rebasing at definition changes


def test_fd1_limits_are_recalculated_from_the_definition_change(built_db):
    reader = store.ReadOnlyStore(built_db)
    sc = service.build_scorecard(reader, dt.date(2024, 1, 1), areas=["front_door"]).set_index("ref")
    obs = reader.observations_as_of("latest", "tameside", refs=["FD1"])
    store.ReadOnlyStore.close_all()
    since = obs[(pd.to_datetime(obs["period"]) >= "2023-04-01") & (pd.to_datetime(obs["period"]) <= "2024-01-01")]
    row = sc.loc["FD1"]
    assert row["spc_mean"] == pytest.approx(since["value"].mean())
    assert "Limits recalculated from Apr-23, when the count began to include LCS contacts" in row["spc_reason"]
