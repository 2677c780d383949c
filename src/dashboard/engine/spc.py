"""XmR statistical process control, NHS England "Making Data Count" style. Rules: docs/spc.md.

Vectorised over many series at once: the input is long (key, period, value), grouped by key.
Moving ranges, runs and trends only join consecutive months, so a gap in the data never
counts as a step between neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..words.periods import label

E2 = 2.66  # 3 / d2 for subgroups of 2
NEAR = 2 * E2 / 3  # the 2-sigma line as NHSRplotthedots draws it: two thirds of the way to the limit
SCREEN = 3.267  # a moving range this many times the average is left out before the limits are set
ON_MEAN = 1e-9  # relative: a point this close to the mean is on it, however the mean was summed


@dataclass(frozen=True)
class SpcRules:
    shift_length: int = 7  # points in a row on one side of the mean
    trend_length: int = 7  # points in a row each higher (or lower) than the last
    min_points: int = 6  # fewer: no limits at all
    trial_below: int = 13  # fewer: limits are marked as trial
    screen_outliers: bool = True  # NHSRplotthedots' default
    min_baseline: int = 12  # a fixed baseline needs at least this many points


DEFAULT_RULES = SpcRules()

# One label per point, by the package's precedence: outside the limits, then a trend, then two of three
# close to a limit, then a run on one side of the mean.
RULES_IN_ORDER = (
    "outside_high",
    "outside_low",
    "trend_up",
    "trend_down",
    "near_high",
    "near_low",
    "shift_high",
    "shift_low",
)
HIGH_RULES = {"outside_high", "trend_up", "near_high", "shift_high"}


def _prev(a: np.ndarray, fill, k: int = 1) -> np.ndarray:
    """a shifted down by k (the row k before), `fill` where there is none."""
    return (
        np.concatenate([np.full(k, fill, dtype=a.dtype), a[:-k]])
        if len(a) > k
        else np.full(len(a), fill, dtype=a.dtype)
    )


def _next(a: np.ndarray, fill, k: int = 1) -> np.ndarray:
    """a shifted up by k (the row k after), `fill` where there is none."""
    return (
        np.concatenate([a[k:], np.full(k, fill, dtype=a.dtype)]) if len(a) > k else np.full(len(a), fill, dtype=a.dtype)
    )


def _runs(*keys: np.ndarray) -> np.ndarray:
    """Length of the run each row belongs to: consecutive rows whose keys are all unchanged."""
    start = np.zeros(len(keys[0]), dtype=bool)
    for key in keys:
        start |= key != _prev(key, np.nan if key.dtype.kind == "f" else -1)
    run_id = np.cumsum(start)
    return np.bincount(run_id)[run_id]


def _group_mean(gid: np.ndarray, values: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Per-row mean of `values` over the rows of its group where `use`; NaN where a group has none."""
    count = np.bincount(gid, weights=use.astype(float))
    total = np.bincount(gid, weights=np.where(use, values, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return np.where(count > 0, mean, np.nan)[gid]


# The four rules on flat arrays. `chain` numbers runs of consecutive months: no rule crosses from one chain
# to the next (a gap in the months, another series or another segment). Named after, and tested with the
# cases of, the NHSRplotthedots helpers they match.


def one_side_runs(side: np.ndarray, chain: np.ndarray, length: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """ptd_seven_point_one_side_mean + ptd_part_of_seven_trend: every point of a run of `length` or more on
    one side of the mean (side is -1, 0 on the mean, +1). -> (part of such a run, run length)."""
    run = _runs(side, chain)
    return (side != 0) & (run >= length), run


def trend_parts(v: np.ndarray, consecutive: np.ndarray, chain: np.ndarray, length: int = 7):
    """ptd_seven_point_trend + ptd_part_of_seven_trend: every point of `length` or more points each higher
    (lower) than the last, and its direction (+1/-1); a point shared by two trends takes the step after it.
    -> (part, direction, steps in the run, the point ends a rising/falling step of the run)."""
    step = np.where(consecutive, np.sign(v - _prev(v, np.nan)), 0.0)
    step_run = _runs(step, chain)
    in_trend_step = (step != 0) & (step_run >= length - 1)
    same_trend_key = (step == _prev(step, np.nan)) & (chain == _prev(chain, -1))
    starts = in_trend_step & ~(_prev(in_trend_step, False) & same_trend_key)
    lead_in = _next(starts, False) & (chain == _next(chain, -1))  # the point before a trend's first step
    part = in_trend_step | lead_in
    next_part = _next(part, False) & (chain == _next(chain, -1))
    direction = np.where(part & next_part, _next(step, 0.0), step)
    return part, direction, step_run, in_trend_step


def two_in_three(close: np.ndarray, side: np.ndarray, chain: np.ndarray) -> np.ndarray:
    """ptd_two_in_three + ptd_part_of_two_in_three: a point close to a limit (between the 2-sigma line and
    the limit) in a window of three consecutive points of which at least two are close and all three lie on
    the same side of the mean."""
    c = close.astype(int)
    three = (chain == _prev(chain, -1)) & (chain == _prev(chain, -1, 2))
    window = (
        three & (c + _prev(c, 0) + _prev(c, 0, 2) >= 2) & (np.abs(side + _prev(side, 0.0) + _prev(side, 0.0, 2)) == 3)
    )
    return close.astype(bool) & (window | _next(window, False) | _next(window, False, 2))


def label_points(above, below, trend, trend_dir, near, shift, side) -> np.ndarray:
    """ptd_special_cause_type: one rule per point, by precedence (outside, trend, two in three, run)."""
    return np.select(
        [
            above,
            below,
            trend & (trend_dir > 0),
            trend & (trend_dir < 0),
            near & (side > 0),
            near & (side < 0),
            shift & (side > 0),
            shift & (side < 0),
        ],
        list(RULES_IN_ORDER),
        default="",
    )


def settings_for(row: pd.Series) -> tuple[dict, dict]:
    """settings() for one scorecard row (the chart of one indicator)."""
    return settings(pd.DataFrame([row.to_dict()]))


def settings(indicators: pd.DataFrame) -> tuple[dict, dict]:
    """The catalogue's SPC choices per ref: rebase months (limits recalculated from each) and a fixed
    baseline (limits from the first N points of each segment)."""
    rebase, baseline = {}, {}
    if "spc_rebase" in indicators:
        for ref, text in zip(indicators["ref"], indicators["spc_rebase"].fillna("")):
            months = [
                pd.Timestamp(m.strip() + "-01" if len(m.strip()) == 7 else m.strip())
                for m in str(text).split(";")
                if m.strip()
            ]
            if months:
                rebase[ref] = sorted(months)
    if "spc_baseline_points" in indicators:
        for ref, n in zip(indicators["ref"], indicators["spc_baseline_points"]):
            if pd.notna(n) and str(n).strip() != "":
                baseline[ref] = int(n)
    return rebase, baseline


def points(
    df: pd.DataFrame,
    key: str | list[str],
    rules: SpcRules = DEFAULT_RULES,
    rebase: dict | None = None,
    baseline: dict | None = None,
) -> pd.DataFrame:
    """Per-point limits and signals, as NHSRplotthedots computes them (docs/spc.md says where we differ).
    df: key columns, period (date), value (float, NaN dropped). rebase: key -> months from which the mean and
    limits are recalculated; baseline: key -> number of points that fix the limits in each segment."""
    keys = [key] if isinstance(key, str) else list(key)
    d = df.dropna(subset=["value"]).sort_values(keys + ["period"]).reset_index(drop=True)
    if d.empty:
        return d.assign(
            mean=[],
            ucl=[],
            lcl=[],
            n=[],
            signal=[],
            rule=[],
            side=[],
            segment_start=[],
            segment=[],
            rebased=[],
            enough=[],
            shift_run=[],
            trend_run=[],
            baseline_points=[],
        )
    series_id = d.groupby(keys, sort=False).ngroup().to_numpy()
    per = pd.to_datetime(d["period"])
    month_index = (per.dt.year * 12 + per.dt.month).to_numpy()

    # Segments: a rebase month starts new limits; every rule stays inside one segment.
    segment = np.zeros(len(d), dtype=np.int64)
    key_values = d[keys[0]].to_numpy() if len(keys) == 1 else None
    if rebase and key_values is not None:
        for ref, months in rebase.items():
            rows = key_values == ref
            if rows.any():
                segment[rows] = np.searchsorted(
                    np.array(months, dtype="datetime64[ns]"), per[rows].to_numpy(), side="right"
                )
    gid = pd.factorize(pd.MultiIndex.from_arrays([series_id, segment]))[0]
    same_group = gid == _prev(gid, -1)
    consecutive = same_group & (month_index - _prev(month_index, 0) == 1)

    # Limits: mean and average moving range of the segment (or its first N points), moving ranges of
    # SCREEN x the average or more left out before the average is taken again.
    v = d["value"].to_numpy(dtype=float)
    position = pd.Series(gid).groupby(gid).cumcount().to_numpy()
    fixed = np.full(len(d), np.inf)
    if baseline and key_values is not None:
        fixed = np.array([baseline.get(k, np.inf) for k in key_values], dtype=float)
    in_base = position < fixed
    mean = _group_mean(gid, v, in_base)
    mr = np.where(consecutive & in_base & _prev(in_base, False), np.abs(v - _prev(v, np.nan)), np.nan)
    has_mr = ~np.isnan(mr)
    mr_bar = _group_mean(gid, np.nan_to_num(mr), has_mr)
    if rules.screen_outliers:
        has_mr &= mr < SCREEN * mr_bar
        mr_bar = _group_mean(gid, np.nan_to_num(mr), has_mr)
    ucl, lcl = mean + E2 * mr_bar, mean - E2 * mr_bar
    n = np.bincount(gid)[gid]
    enough = (n >= rules.min_points) & ~np.isnan(mr_bar)

    # Rule 1: outside the limits.
    above = enough & (v > ucl)
    below = enough & (v < lcl)
    outside = above | below

    gap = v - mean
    side = np.where(np.abs(gap) > ON_MEAN * np.maximum(np.abs(mean), 1.0), np.sign(gap), 0.0)  # not summation noise
    chain = np.cumsum(~consecutive)  # breaks at gaps in the months, and between series and segments

    shift, shift_run = one_side_runs(side, chain, rules.shift_length)
    trend, trend_dir, step_run, in_trend_step = trend_parts(v, consecutive, chain, rules.trend_length)
    # Rule 4 counts only points between the 2-sigma line and the limit: one outside is rule 1's.
    close = ~outside & ((v > mean + NEAR * mr_bar) | (v < mean - NEAR * mr_bar))
    near = two_in_three(close, side, chain)
    rule = label_points(enough & above, enough & below, enough & trend, trend_dir, enough & near, enough & shift, side)
    d["n"] = n
    d["mean"] = mean
    d["mr_bar"] = mr_bar
    d["ucl"] = ucl
    d["lcl"] = lcl
    d["rule"] = rule
    d["part_shift"], d["part_trend"], d["part_near"] = enough & shift, enough & trend, enough & near
    d["signal"] = np.where(rule == "", "", np.where(np.isin(rule, list(HIGH_RULES)), "high", "low"))
    d["shift_run"] = np.where(enough & shift, shift_run, 0)
    d["trend_run"] = np.where(in_trend_step, step_run + 1, 0)
    d["enough"] = enough
    d["segment"] = segment
    d["segment_start"] = per.groupby(gid).transform("min").to_numpy()
    # Rebased here: the series has points before this segment's limits began (within what was passed in).
    d["rebased"] = segment > pd.Series(segment).groupby(series_id).transform("min").to_numpy()
    d["baseline_points"] = np.where(np.isinf(fixed), 0, np.minimum(fixed, n)).astype(int)
    return d


def _rule_text(rule: str, shift_run: int, trend_run: int) -> str:
    return {
        "outside_high": "the latest month is above the upper process limit",
        "outside_low": "the latest month is below the lower process limit",
        "shift_high": f"{shift_run} months in a row above the average",
        "shift_low": f"{shift_run} months in a row below the average",
        "trend_up": f"{trend_run} months in a row each higher than the last",
        "trend_down": f"{trend_run} months in a row each lower than the last",
        "near_high": "2 of 3 months in a row close to the upper limit",
        "near_low": "2 of 3 months in a row close to the lower limit",
    }.get(rule, "")


_VARIATION_TEXT = {
    "common_cause": "Common cause variation: no signal in the latest month",
    "improvement_high": "Special cause, improvement: ",
    "improvement_low": "Special cause, improvement: ",
    "concern_high": "Special cause, concern: ",
    "concern_low": "Special cause, concern: ",
    "neutral_high": "Special cause, neither better nor worse: ",
    "neutral_low": "Special cause, neither better nor worse: ",
    "insufficient": "",
}
_ASSURANCE_TEXT = {
    "pass": " The process limits sit inside the target: it will be met consistently unless something changes.",
    "fail": " The process limits sit outside the target: it will not be met unless something changes.",
    "hit_and_miss": " The target lies between the process limits: it will be met some months and missed in others.",
    "none": "",
}


def summarise(
    pts: pd.DataFrame, key: str | list[str], meta: pd.DataFrame, rules: SpcRules = DEFAULT_RULES
) -> pd.DataFrame:
    """One row per series from its latest point: variation icon, assurance against the target, reason.

    meta (indexed like the key) needs polarity, target_kind, target_low, target_high."""
    keys = [key] if isinstance(key, str) else list(key)
    cols = ["spc_variation", "spc_assurance", "spc_reason", "spc_mean", "spc_ucl", "spc_lcl", "spc_points", "spc_trial"]
    if pts.empty:
        return pd.DataFrame(columns=keys + cols).set_index(keys)
    last = pts.drop_duplicates(keys, keep="last").set_index(keys)  # points are sorted by key and period
    m = meta.reindex(last.index)
    pol = m["polarity"].to_numpy(dtype=object)
    enough = last["enough"].to_numpy(dtype=bool)
    sig = last["signal"].to_numpy(dtype=object)
    good_high = pol == "higher_better"
    good_low = pol == "lower_better"
    variation = np.select(
        [
            ~enough,
            sig == "",
            (sig == "high") & good_high,
            (sig == "low") & good_low,
            (sig == "high") & good_low,
            (sig == "low") & good_high,
            sig == "high",
            sig == "low",
        ],
        [
            "insufficient",
            "common_cause",
            "improvement_high",
            "improvement_low",
            "concern_high",
            "concern_low",
            "neutral_high",
            "neutral_low",
        ],
        default="common_cause",
    )

    # Assurance: where do the process limits sit against the target?
    kind = m["target_kind"].fillna("none").to_numpy(dtype=object)
    lo = m["target_low"].to_numpy(dtype=float, na_value=np.nan)
    hi = m["target_high"].to_numpy(dtype=float, na_value=np.nan)
    eff = np.select([(kind == "band") & good_high, (kind == "band") & good_low], ["minimum", "maximum"], default=kind)
    ucl, lcl = last["ucl"].to_numpy(dtype=float), last["lcl"].to_numpy(dtype=float)
    is_min, is_max, is_band = eff == "minimum", eff == "maximum", eff == "band"
    # Strict, as the package compares: a limit exactly on the target is hit and miss. The band is our extension.
    passing = np.select([is_min, is_max, is_band], [lcl > lo, ucl < hi, (lcl > lo) & (ucl < hi)], default=False)
    failing = np.select([is_min, is_max, is_band], [ucl < lo, lcl > hi, (ucl < lo) | (lcl > hi)], default=False)
    # No assurance for an activity measure: with no better direction, a target says nothing (as the package).
    no_assurance = ~enough | (eff == "none") | (pol == "neutral")
    assurance = np.select([no_assurance, passing, failing], ["none", "pass", "fail"], default="hit_and_miss")

    n = last["n"].to_numpy(dtype=int)
    trial = n < rules.trial_below
    notes = m["spc_rebase_note"].fillna("").to_numpy(dtype=object) if "spc_rebase_note" in m else [""] * len(m)
    rebased = last["rebased"].to_numpy(dtype=bool) if "rebased" in last else np.zeros(len(last), dtype=bool)
    starts = pd.to_datetime(last["segment_start"]) if "segment_start" in last else pd.Series(pd.NaT, index=last.index)
    fixed = last["baseline_points"].to_numpy(dtype=int) if "baseline_points" in last else np.zeros(len(last), dtype=int)
    basis = [
        (f" Limits recalculated from {label(s.date())}" + (f", {note}" if note else "") + "." if rb else "")
        + (f" Limits fixed on the first {k} months of the series." if k else "")
        for rb, s, note, k in zip(rebased, starts, notes, fixed)
    ]
    too_few = f"Too few consecutive months for control limits (needs {rules.min_points})."
    trial_text = f" Limits are trial: fewer than {rules.trial_below} months."
    reason = [
        too_few
        if not ok
        else _VARIATION_TEXT[var]
        + ("." if var == "common_cause" else _rule_text(rule, int(sr), int(tr)) + ".")
        + _ASSURANCE_TEXT[ass]
        + (trial_text if tri else "")
        + b
        for ok, var, rule, sr, tr, ass, tri, b in zip(
            enough, variation, last["rule"], last["shift_run"], last["trend_run"], assurance, trial, basis
        )
    ]
    mean = last["mean"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "spc_variation": variation,
            "spc_assurance": assurance,
            "spc_reason": reason,
            "spc_mean": np.where(enough, mean, np.nan),
            "spc_ucl": np.where(enough, ucl, np.nan),
            "spc_lcl": np.where(enough, lcl, np.nan),
            "spc_points": n,
            "spc_trial": trial,
        },
        index=last.index,
    )
