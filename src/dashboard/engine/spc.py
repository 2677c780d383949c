"""XmR statistical process control, NHS England "Making Data Count" style. Rules: docs/spc.md.

Vectorised over many series at once: the input is long (key, period, value), grouped by key.
Moving ranges, runs and trends only join consecutive months, so a gap in the data never
counts as a step between neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

E2 = 2.66          # 3 / d2 for subgroups of 2
D2 = 1.128         # sigma = mean moving range / d2
ON_MEAN = 1e-9     # relative: a point this close to the mean is on it, however the mean was summed


@dataclass(frozen=True)
class SpcRules:
    shift_length: int = 7      # points in a row on one side of the mean
    trend_length: int = 7      # points in a row each higher (or lower) than the last; 6 is also common
    min_points: int = 6        # fewer: no limits at all
    trial_below: int = 13      # fewer: limits are marked as trial


DEFAULT_RULES = SpcRules()


def _prev(a: np.ndarray, fill, k: int = 1) -> np.ndarray:
    """a shifted down by k (the row k before), `fill` where there is none."""
    return np.concatenate([np.full(k, fill, dtype=a.dtype), a[:-k]]) if len(a) > k else np.full(len(a), fill, dtype=a.dtype)


def _next(a: np.ndarray, fill, k: int = 1) -> np.ndarray:
    """a shifted up by k (the row k after), `fill` where there is none."""
    return np.concatenate([a[k:], np.full(k, fill, dtype=a.dtype)]) if len(a) > k else np.full(len(a), fill, dtype=a.dtype)


def _runs(*keys: np.ndarray) -> np.ndarray:
    """Length of the run each row belongs to: consecutive rows whose keys are all unchanged."""
    start = np.zeros(len(keys[0]), dtype=bool)
    for key in keys:
        start |= key != _prev(key, np.nan if key.dtype.kind == "f" else -1)
    run_id = np.cumsum(start)
    return np.bincount(run_id)[run_id]


def points(df: pd.DataFrame, key: str | list[str], rules: SpcRules = DEFAULT_RULES) -> pd.DataFrame:
    """Per-point limits and signals. df: key columns, period (date), value (float, NaN dropped)."""
    keys = [key] if isinstance(key, str) else list(key)
    d = df.dropna(subset=["value"]).sort_values(keys + ["period"]).reset_index(drop=True)
    if d.empty:
        return d.assign(mean=[], ucl=[], lcl=[], n=[], signal=[], rule=[], side=[])
    gid = d.groupby(keys, sort=False).ngroup().to_numpy()
    per = pd.to_datetime(d["period"])
    month_index = (per.dt.year * 12 + per.dt.month).to_numpy()
    same_group = gid == _prev(gid, -1)
    consecutive = same_group & (month_index - _prev(month_index, 0) == 1)

    v = d["value"].to_numpy(dtype=float)
    mr = np.where(consecutive, np.abs(v - _prev(v, np.nan)), np.nan)
    counts = np.bincount(gid)
    n = counts[gid]
    mean = (np.bincount(gid, weights=v) / counts)[gid]
    has_mr = ~np.isnan(mr)
    mr_count = np.bincount(gid, weights=has_mr)
    with np.errstate(invalid="ignore", divide="ignore"):
        mr_bar = (np.bincount(gid, weights=np.where(has_mr, mr, 0.0)) / mr_count)[gid]
    mr_bar = np.where(mr_count[gid] > 0, mr_bar, np.nan)
    ucl, lcl = mean + E2 * mr_bar, mean - E2 * mr_bar
    sigma = mr_bar / D2
    enough = (n >= rules.min_points) & ~np.isnan(mr_bar)

    # Rule 1: outside the limits.
    above = enough & (v > ucl)
    below = enough & (v < lcl)

    # Rule 2: a run of shift_length on one side of the mean (a point on the mean breaks it).
    gap = v - mean
    side = np.where(np.abs(gap) > ON_MEAN * np.maximum(np.abs(mean), 1.0), np.sign(gap), 0.0)  # not summation noise
    chain = np.cumsum(~consecutive)  # breaks at gaps in the months (and between series)
    shift_run = _runs(side, chain)
    shift = enough & (side != 0) & (shift_run >= rules.shift_length)

    # Rule 3: a trend of trend_length points each above (below) the one before.
    step = np.where(consecutive, np.sign(v - _prev(v, np.nan)), 0.0)
    step_run = _runs(step, chain)
    in_trend_step = (step != 0) & (step_run >= rules.trend_length - 1)
    same_trend_key = (step == _prev(step, np.nan)) & (chain == _prev(chain, -1))
    starts = in_trend_step & ~(_prev(in_trend_step, False) & same_trend_key)
    # the point before the first step of a trend belongs to it too
    lead_in = _next(starts, False) & (gid == _next(gid, -1))
    trend_dir = np.where(in_trend_step, step, np.where(lead_in, _next(step, 0.0), 0.0))
    trend = enough & (in_trend_step | lead_in)

    # Rule 4: two of three consecutive points beyond 2 sigma on the same side.
    hi2 = (enough & (v > mean + 2 * sigma)).astype(int)
    lo2 = (enough & (v < mean - 2 * sigma)).astype(int)
    same1 = same_group & (chain == _prev(chain, -1))
    same2 = same1 & _prev(same1, False)
    next1 = _next(same1, False)
    next2 = next1 & _next(same1, False, 2)

    def two_of_three(flag: np.ndarray) -> np.ndarray:
        win = same2 & ((flag + _prev(flag, 0) + _prev(flag, 0, 2)) >= 2)
        hit = win | (_next(win, False) & next1) | (_next(win, False, 2) & next2)
        return hit & flag.astype(bool)

    near_hi, near_lo = two_of_three(hi2), two_of_three(lo2)

    high = above | (shift & (side > 0)) | (trend & (trend_dir > 0)) | near_hi
    low = below | (shift & (side < 0)) | (trend & (trend_dir < 0)) | near_lo
    d["n"] = n
    d["mean"] = mean
    d["mr_bar"] = mr_bar
    d["ucl"] = ucl
    d["lcl"] = lcl
    d["signal"] = np.select([high & ~low, low & ~high, high & low], ["high", "low", "both"], default="")
    d["rule"] = np.select(
        [above, below, shift & (side > 0), shift & (side < 0), trend & (trend_dir > 0), trend & (trend_dir < 0),
         near_hi, near_lo],
        ["outside_high", "outside_low", "shift_high", "shift_low", "trend_up", "trend_down", "near_high", "near_low"],
        default="")
    d["shift_run"] = np.where(shift, shift_run, 0)
    d["trend_run"] = np.where(in_trend_step, step_run + 1, 0)
    d["enough"] = enough
    return d


def _rule_text(rule: str, shift_run: int, trend_run: int) -> str:
    return {
        "outside_high": "the latest month is above the upper process limit",
        "outside_low": "the latest month is below the lower process limit",
        "shift_high": f"{shift_run} months in a row above the average",
        "shift_low": f"{shift_run} months in a row below the average",
        "trend_up": f"{trend_run} months in a row each higher than the last",
        "trend_down": f"{trend_run} months in a row each lower than the last",
        "near_high": "2 of the last 3 months close to the upper limit",
        "near_low": "2 of the last 3 months close to the lower limit",
    }.get(rule, "")


_VARIATION_TEXT = {
    "common_cause": "Common cause variation: no signal in the latest month",
    "improvement_high": "Special cause, improvement: ", "improvement_low": "Special cause, improvement: ",
    "concern_high": "Special cause, concern: ", "concern_low": "Special cause, concern: ",
    "neutral_high": "Special cause, neither better nor worse: ", "neutral_low": "Special cause, neither better nor worse: ",
    "neutral_both": "Special cause: ", "insufficient": "",
}
_ASSURANCE_TEXT = {
    "pass": " The process limits sit inside the target: it will be met consistently unless something changes.",
    "fail": " The process limits sit outside the target: it will not be met unless something changes.",
    "hit_and_miss": " The target lies between the process limits: it will be met some months and missed in others.",
    "none": ""}


def summarise(pts: pd.DataFrame, key: str | list[str], meta: pd.DataFrame, rules: SpcRules = DEFAULT_RULES) -> pd.DataFrame:
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
        [~enough, sig == "", (sig == "high") & good_high, (sig == "low") & good_low, (sig == "high") & good_low,
         (sig == "low") & good_high, sig == "high", sig == "low"],
        ["insufficient", "common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
         "neutral_high", "neutral_low"], default="neutral_both")

    # Assurance: where do the process limits sit against the target?
    kind = m["target_kind"].fillna("none").to_numpy(dtype=object)
    lo = m["target_low"].to_numpy(dtype=float, na_value=np.nan)
    hi = m["target_high"].to_numpy(dtype=float, na_value=np.nan)
    eff = np.select([(kind == "band") & good_high, (kind == "band") & good_low], ["minimum", "maximum"], default=kind)
    ucl, lcl = last["ucl"].to_numpy(dtype=float), last["lcl"].to_numpy(dtype=float)
    is_min, is_max, is_band = eff == "minimum", eff == "maximum", eff == "band"
    passing = np.select([is_min, is_max, is_band], [lcl >= lo, ucl <= hi, (lcl >= lo) & (ucl <= hi)], default=False)
    failing = np.select([is_min, is_max, is_band], [ucl < lo, lcl > hi, (ucl < lo) | (lcl > hi)], default=False)
    assurance = np.select([~enough | (eff == "none"), passing, failing], ["none", "pass", "fail"], default="hit_and_miss")

    n = last["n"].to_numpy(dtype=int)
    trial = n < rules.trial_below
    too_few = f"Too few consecutive months for control limits (needs {rules.min_points})."
    trial_text = f" Limits are trial: fewer than {rules.trial_below} months."
    reason = [
        too_few if not ok else
        _VARIATION_TEXT[var] + ("." if var == "common_cause" else _rule_text(rule, int(sr), int(tr)) + ".")
        + _ASSURANCE_TEXT[ass] + (trial_text if tri else "")
        for ok, var, rule, sr, tr, ass, tri in zip(enough, variation, last["rule"], last["shift_run"],
                                                     last["trend_run"], assurance, trial)]
    mean = last["mean"].to_numpy(dtype=float)
    return pd.DataFrame({
        "spc_variation": variation, "spc_assurance": assurance, "spc_reason": reason,
        "spc_mean": np.where(enough, mean, np.nan), "spc_ucl": np.where(enough, ucl, np.nan),
        "spc_lcl": np.where(enough, lcl, np.nan), "spc_points": n, "spc_trial": trial,
    }, index=last.index)


VARIATION_LABEL = {
    "common_cause": "● Common cause", "improvement_high": "⬆ Improvement (high)", "improvement_low": "⬇ Improvement (low)",
    "concern_high": "⬆ Concern (high)", "concern_low": "⬇ Concern (low)", "neutral_high": "⬆ Unusually high",
    "neutral_low": "⬇ Unusually low", "neutral_both": "◆ Special cause", "insufficient": "– Too few points",
}
ASSURANCE_LABEL = {"pass": "✔ Consistently passing", "fail": "✖ Consistently failing",
                   "hit_and_miss": "◐ Hit and miss", "none": "– No target"}
