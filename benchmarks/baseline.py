"""The reference the engine is measured against: the scorecard's judgements written the way an analyst
would in plain pandas, one indicator at a time (groupby + apply, scalar if/else, .loc lookups).

It follows the written rules (docs/rag.md, docs/spc.md) independently of dashboard.engine, takes the
same Inputs and returns, per ref, the figures and judgements the engine also returns; the bench and the
tests check the two agree. It produces no worded reasons, sparklines or formatting, so it does less work
than the engine.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from dashboard.engine.scorecard import Inputs
from dashboard.engine.targets import in_force
from dashboard.input.printed_targets import parse_target

COMPARED = [
    "value",
    "status",
    "previous_year",
    "target_kind",
    "rag",
    "direction",
    "spc_variation",
    "spc_assurance",
    "spc_mean",
    "spc_ucl",
    "spc_lcl",
]


def _shift(month: dt.date, n: int) -> dt.date:
    k = month.year * 12 + month.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _rag(v, status, unit, polarity, target, tolerance, england, sn, previous_year=np.nan) -> str:
    if status != "value" or _nan(v) or polarity == "neutral":
        return "-"
    kind, low, high = target.kind, target.low, target.high
    if kind == "band" and polarity == "higher_better":
        kind = "minimum"
    elif kind == "band" and polarity == "lower_better":
        kind = "maximum"
    if kind in ("minimum", "maximum", "band"):
        if kind == "minimum":
            gap, edge = low - v, low
        elif kind == "maximum":
            gap, edge = v - high, high
        else:
            gap = max(low - v, v - high)
            edge = low if low - v > v - high else high
        if _nan(tolerance):
            tolerance = 5.0 if unit == "percent" else 0.05 * abs(edge)
        if gap <= 0:
            return "G"
        return "A" if gap <= tolerance else "R"
    if polarity not in ("higher_better", "lower_better"):
        return "-"
    sign = 1 if polarity == "higher_better" else -1
    positions = [np.sign((v - c) * sign) for c in (england, sn) if not _nan(c)]
    if not positions:
        if _nan(previous_year):
            return "-"
        worse_by = (previous_year - v) * sign  # last year's figure, with a target's tolerances (docs/rag.md)
        if _nan(tolerance):
            tolerance = 5.0 if unit == "percent" else 0.05 * abs(previous_year)
        return "G" if worse_by <= 0 else "A" if worse_by <= tolerance else "R"
    if all(p > 0 for p in positions):
        return "G"
    if all(p < 0 for p in positions):
        return "R"
    return "A"


def _direction(v, earlier, unit, polarity, target) -> str:
    if _nan(v) or _nan(earlier):
        return ""
    delta = v - earlier
    threshold = 1.0 if unit == "percent" else 0.02 * abs(earlier)
    if abs(delta) <= threshold:
        return "No change"
    if polarity == "higher_better":
        return "Improving" if delta > 0 else "Declining"
    if polarity == "lower_better":
        return "Improving" if delta < 0 else "Declining"
    if polarity == "within_band" and target.kind == "band":

        def distance(x):
            return max(target.low - x, x - target.high, 0.0)

        closer = distance(earlier) - distance(v)
        if closer > 0:
            return "Improving"
        if closer < 0:
            return "Declining"
    return "Up" if delta > 0 else "Down"


def _spc(series: pd.DataFrame, polarity: str, target, rebase_from=None, baseline_points=None) -> dict:
    """XmR on one indicator's months as docs/spc.md writes it (NHSRplotthedots' rules); the judgement is
    about the latest point."""
    s = series.dropna(subset=["value"]).sort_values("period")
    if rebase_from is not None:
        s = s[[p >= rebase_from for p in s["period"]]]  # only the latest segment's points set its limits
    out = {
        "spc_variation": "insufficient",
        "spc_assurance": "none",
        "spc_mean": np.nan,
        "spc_ucl": np.nan,
        "spc_lcl": np.nan,
    }
    if s.empty:
        return out
    values = s["value"].astype(float).tolist()
    months = [p.year * 12 + p.month for p in s["period"]]
    joined = [False] + [months[i] - months[i - 1] == 1 for i in range(1, len(months))]
    n = len(values)
    base = n if not baseline_points else min(baseline_points, n)
    mean = sum(values[:base]) / base
    ranges = [abs(values[i] - values[i - 1]) for i in range(1, base) if joined[i]]
    if n < 6 or not ranges:
        return out
    mr_bar = sum(ranges) / len(ranges)
    kept = [r for r in ranges if r < 3.267 * mr_bar]  # screen out moving ranges of 3.267 x the average
    if kept:
        mr_bar = sum(kept) / len(kept)
    else:
        return out
    ucl, lcl = mean + 2.66 * mr_bar, mean - 2.66 * mr_bar
    near_hi, near_lo = mean + 2 * 2.66 / 3 * mr_bar, mean - 2 * 2.66 / 3 * mr_bar
    last = values[-1]

    def side_of(x):
        return 0 if abs(x - mean) <= 1e-9 * max(abs(mean), 1.0) else np.sign(x - mean)

    def trailing(same) -> int:
        """How many points, ending at the latest, satisfy same(i) without crossing a gap."""
        count = 1
        i = n - 1
        while i > 0 and joined[i] and same(i - 1):
            count += 1
            i -= 1
        return count

    signal = ""
    side = side_of(last)
    if last > ucl or last < lcl:  # 1: outside the limits
        signal = "high" if last > ucl else "low"
    if not signal and joined[-1]:  # 2: a trend of seven points
        step = np.sign(last - values[-2])
        steps, i = 1, n - 2
        while step != 0 and i > 0 and joined[i] and np.sign(values[i] - values[i - 1]) == step:
            steps += 1
            i -= 1
        if step != 0 and steps >= 6:
            signal = "high" if step > 0 else "low"
    if not signal and n >= 3 and joined[-1] and joined[-2]:  # 3: two of three close to a limit, same side
        last3 = values[-3:]

        def close(x):
            return lcl <= x <= ucl and (x > near_hi or x < near_lo)

        sides = [side_of(x) for x in last3]
        if close(last) and sum(close(x) for x in last3) >= 2 and abs(sum(sides)) == 3:
            signal = "high" if side > 0 else "low"
    if not signal and side != 0 and trailing(lambda i: side_of(values[i]) == side) >= 7:  # 4: a run of seven
        signal = "high" if side > 0 else "low"

    return {
        "spc_variation": _variation(signal, polarity),
        "spc_assurance": _assurance(polarity, target, ucl, lcl),
        "spc_mean": mean,
        "spc_ucl": ucl,
        "spc_lcl": lcl,
    }


def _variation(signal: str, polarity: str) -> str:
    if not signal:
        return "common_cause"
    if signal == "high":
        return {"higher_better": "improvement_high", "lower_better": "concern_high"}.get(polarity, "neutral_high")
    return {"higher_better": "concern_low", "lower_better": "improvement_low"}.get(polarity, "neutral_low")


def _assurance(polarity: str, target, ucl: float, lcl: float) -> str:
    kind = target.kind
    if kind == "band" and polarity == "higher_better":
        kind = "minimum"
    elif kind == "band" and polarity == "lower_better":
        kind = "maximum"
    if polarity == "neutral":
        return "none"
    if kind == "minimum":
        return "pass" if lcl > target.low else "fail" if ucl < target.low else "hit_and_miss"
    if kind == "maximum":
        return "pass" if ucl < target.high else "fail" if lcl > target.high else "hit_and_miss"
    if kind == "band":
        inside = lcl > target.low and ucl < target.high
        outside = ucl < target.low or lcl > target.high
        return "pass" if inside else "fail" if outside else "hit_and_miss"
    return "none"


def _rebase_for(meta, month: dt.date):
    """The latest rebase month on or before `month` from the catalogue's spc_rebase ('2023-04;2024-01')."""
    text = str(meta.get("spc_rebase", "") or "")
    starts = [dt.date(int(m[:4]), int(m[5:7]), 1) for m in text.split(";") if m.strip()]
    starts = [m for m in starts if m <= month]
    return max(starts) if starts else None


def scorecard(inputs: Inputs, month: dt.date) -> pd.DataFrame:
    """One row per indicator with a figure (of any status) in the six months to `month`."""
    indicators = inputs.indicators[inputs.indicators["frequency"] != "week"].set_index("ref")
    obs = inputs.observations.copy()
    obs["period"] = pd.to_datetime(obs["period"]).dt.date
    obs = obs[obs["ref"].isin(indicators.index) & (obs["period"] <= month)]
    targets = (
        in_force(inputs.targets, month).set_index("ref")["target_text"]
        if not inputs.targets.empty
        else pd.Series(dtype=object)
    )
    baselines = (
        inputs.baselines[inputs.baselines["status"] == "value"].set_index("ref")["value"]
        if not inputs.baselines.empty
        else pd.Series(dtype=float)
    )
    comparators = inputs.comparators
    window_start = _shift(month, -5)

    in_window = obs[obs["period"] >= window_start]
    obs = obs[obs["ref"].isin(set(in_window["ref"]))]
    if obs.empty:
        return pd.DataFrame(columns=COMPARED)

    def one(group: pd.DataFrame) -> pd.Series:
        ref = group.name
        meta = indicators.loc[ref]
        target = parse_target(targets.get(ref), meta["polarity"])

        def at(m):
            rows = group[group["period"] == m]
            return (rows["value"].iloc[0], rows["status"].iloc[0]) if len(rows) else (np.nan, "missing")

        v, status = at(month)
        prev_month, _ = at(_shift(month, -1))
        last_year, _ = at(_shift(month, -12))
        previous_year = last_year if not _nan(last_year) else baselines.get(ref, np.nan)

        def comparator(name):
            rows = (
                comparators[(comparators["ref"] == ref) & (comparators["comparator"] == name)]
                if not comparators.empty
                else comparators
            )
            return float(rows["value"].iloc[0]) if len(rows) else np.nan

        rag = _rag(
            v,
            status,
            meta["unit"],
            meta["polarity"],
            target,
            meta["amber_tolerance"],
            comparator("england"),
            comparator("sn"),
            previous_year,
        )
        direction = _direction(v, prev_month, meta["unit"], meta["polarity"], target)
        if direction == "":
            direction = _direction(v, last_year, meta["unit"], meta["polarity"], target)
        recent = group[(group["period"] > _shift(month, -24)) & (group["status"] == "value")]
        return pd.Series(
            {
                "value": v,
                "status": status,
                "previous_year": previous_year,
                "target_kind": target.kind,
                "rag": rag,
                "direction": direction,
                **_spc(
                    recent[["period", "value"]],
                    meta["polarity"],
                    target,
                    _rebase_for(meta, month),
                    None if pd.isna(meta.get("spc_baseline_points")) else int(meta["spc_baseline_points"]),
                ),
            }
        )

    out = obs.groupby("ref")[["period", "value", "status"]].apply(one)
    out.index.name = "ref"
    return out[COMPARED]


def differences(engine: pd.DataFrame, baseline: pd.DataFrame) -> list[str]:
    """Where the engine's scorecard and the baseline disagree (empty when they agree)."""
    eng = engine.set_index("ref") if "ref" in engine.columns else engine
    problems = []
    if set(eng.index) != set(baseline.index):
        problems.append(
            f"refs differ: engine only {sorted(set(eng.index) - set(baseline.index))[:5]}, "
            f"baseline only {sorted(set(baseline.index) - set(eng.index))[:5]}"
        )
    common = sorted(set(eng.index) & set(baseline.index))
    for col in COMPARED:
        a, b = eng.loc[common, col], baseline.loc[common, col]
        if col in ("value", "previous_year", "spc_mean", "spc_ucl", "spc_lcl"):
            a, b = a.astype(float).to_numpy(), b.astype(float).to_numpy()
            bad = ~(np.isclose(a, b, rtol=1e-9, atol=1e-9) | (np.isnan(a) & np.isnan(b)))
        else:
            bad = a.astype(str).to_numpy() != b.astype(str).to_numpy()
        for ref in np.array(common)[bad][:5]:
            problems.append(f"{ref} {col}: engine {eng.at[ref, col]!r}, baseline {baseline.at[ref, col]!r}")
    return problems
