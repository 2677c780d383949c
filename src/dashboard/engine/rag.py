"""RAG with a reason, vectorised over a scorecard frame. Rules: docs/rag.md.

Expected columns: value, status, unit, polarity, target_kind, target_low, target_high, target_text,
amber_tolerance, england, england_year, sn, sn_year, gm, gm_year, nw, nw_year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..words.formatting import STATUS_REASON, fmt_change, fmt_number, fmt_value
from ..words.vocabulary import comparator, comparator_codes, rating_comparators

PERCENT_TOLERANCE_POINTS = 5.0
RELATIVE_TOLERANCE = 0.05


def _floats(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].to_numpy(dtype=float, na_value=np.nan)


def _texts(df: pd.DataFrame, col: str) -> list[str]:
    return ["" if t is None or t is pd.NA or (isinstance(t, float) and np.isnan(t)) else str(t) for t in df[col]]


def binding_bound(df: pd.DataFrame) -> pd.DataFrame:
    """How the target binds given polarity: a band on a higher-is-better measure binds at its floor."""
    kind = df["target_kind"].fillna("none").to_numpy(dtype=object)
    pol = df["polarity"].to_numpy(dtype=object)
    band = kind == "band"
    eff = np.select(
        [band & (pol == "higher_better"), band & (pol == "lower_better"), band],
        ["minimum", "maximum", "band"],
        default=kind,
    )
    return pd.DataFrame(
        {"kind": eff, "low": _floats(df, "target_low"), "high": _floats(df, "target_high")}, index=df.index
    )


def target_gap(df: pd.DataFrame) -> pd.DataFrame:
    """Shortfall past the binding edge (<= 0 means met), which edge, and the Amber tolerance in units."""
    b = binding_bound(df)
    kind, lo, hi = b["kind"].to_numpy(), b["low"].to_numpy(), b["high"].to_numpy()
    v = _floats(df, "value")
    below = lo - v
    above = v - hi
    is_min, is_max, is_band = kind == "minimum", kind == "maximum", kind == "band"
    gap = np.select([is_min, is_max, is_band], [below, above, np.fmax(below, above)], default=np.nan)
    edge = np.select([is_min, is_max, is_band], [lo, hi, np.where(below > above, lo, hi)], default=np.nan)
    tol = _tolerance(df, edge)
    return pd.DataFrame(
        {"kind": kind, "gap": gap, "edge": edge, "tolerance": tol, "side": np.where(below > above, "below", "above")},
        index=df.index,
    )


def _polarity_sign(df: pd.DataFrame) -> np.ndarray:
    pol = df["polarity"].to_numpy(dtype=object)
    return np.select([pol == "higher_better", pol == "lower_better"], [1.0, -1.0], default=np.nan)


def comparator_position(df: pd.DataFrame) -> pd.DataFrame:
    """+1 better than, -1 worse than, 0 level with each comparator, in the indicator's polarity;
    NaN when not comparable."""
    v, sign = _floats(df, "value"), _polarity_sign(df)
    return pd.DataFrame({c: np.sign((v - _floats(df, c)) * sign) for c in comparator_codes()}, index=df.index)


def _comparator_labels(df: pd.DataFrame, c: str) -> list[str]:
    """'England (2022/23)', or the bare name when the pack printed no year."""
    name = comparator(c).name
    return [name + (f" ({y})" if y else "") for y in _texts(df, f"{c}_year")]


def _tolerance(df: pd.DataFrame, edge: np.ndarray) -> np.ndarray:
    """Amber tolerance in the indicator's units: its own, else 5 points for percentages or 5% of the edge."""
    default_tol = np.where(
        df["unit"].to_numpy() == "percent", PERCENT_TOLERANCE_POINTS, RELATIVE_TOLERANCE * np.abs(edge)
    )
    own_tol = _floats(df, "amber_tolerance")
    return np.where(np.isnan(own_tol), default_tol, own_tol)


def _tolerance_text(tol: float, unit: str, default: bool) -> str:
    tol_units = fmt_change(tol, unit)
    if unit == "percent":
        return tol_units.replace("points", "point")
    return f"{RELATIVE_TOLERANCE:.0%} ({tol_units})" if default else tol_units


def assess(df: pd.DataFrame, month_label: str) -> pd.DataFrame:
    """-> columns rag ('G','A','R','-'), rag_reason and rag_basis ('target', 'comparator', 'last_year', '').
    Bases in order (docs/rag.md): the target, then England and SN (vocabulary's
    rating comparators), then the previous-year figure the pack prints."""
    status = df["status"].to_numpy(dtype=object)
    v = _floats(df, "value")
    has_value = (status == "value") & ~np.isnan(v)
    g = target_gap(df)
    kind, gap, tol, side = (g[c].to_numpy() for c in ("kind", "gap", "tolerance", "side"))
    has_target = np.isin(kind, ["minimum", "maximum", "band"]) & has_value
    pol = df["polarity"].to_numpy(dtype=object)
    neutral = pol == "neutral"

    target_rag = np.select([gap <= 0, gap <= tol], ["G", "A"], default="R")

    pos = comparator_position(df)
    rating = rating_comparators()
    main = pos[list(rating)].to_numpy()
    n_cmp = (~np.isnan(main)).sum(axis=1)
    better = (main > 0).sum(axis=1)
    worse = (main < 0).sum(axis=1)
    cmp_rag = np.select([(n_cmp > 0) & (better == n_cmp), (n_cmp > 0) & (worse == n_cmp)], ["G", "R"], default="A")
    can_compare = has_value & ~has_target & (n_cmp > 0) & np.isin(pol, ["higher_better", "lower_better"])

    # Last basis: the previous-year figure (same month last year, else the printed out-turn), in polarity.
    prev = _floats(df, "previous_year") if "previous_year" in df else np.full(len(df), np.nan)
    worse_by = (prev - v) * _polarity_sign(df)  # > 0: worse than last year
    prev_tol = _tolerance(df, prev)
    prev_rag = np.select([worse_by <= 0, worse_by <= prev_tol], ["G", "A"], default="R")
    can_prev = (
        has_value & ~has_target & ~can_compare & ~np.isnan(prev) & np.isin(pol, ["higher_better", "lower_better"])
    )

    unrated = ~has_value | neutral
    rag = np.select([unrated, has_target, can_compare, can_prev], ["-", target_rag, cmp_rag, prev_rag], default="-")
    basis = np.select(
        [unrated, has_target, can_compare, can_prev], ["", "target", "comparator", "last_year"], default=""
    )

    # Reasons in words, one row at a time: only the branch that applies is written.
    units = df["unit"].to_numpy(dtype=object)
    default_tol = np.isnan(_floats(df, "amber_tolerance"))
    target_text = _texts(df, "target_text")
    cmp_values = {c: _floats(df, c) for c in rating}
    cmp_labels = {
        c: [
            comparator(c).name + " " + fmt_number(x, u) + (f" ({y})" if y else "")
            for x, u, y in zip(cmp_values[c], units, _texts(df, f"{c}_year"))
        ]
        for c in rating
    }
    shortfall = {"minimum": "short", "maximum": "over"}

    prev_basis = _texts(df, "previous_year_basis") if "previous_year_basis" in df else [""] * len(df)

    def target_reason(i: int) -> str:
        start = f"{fmt_value(v[i], units[i])} against a target of {target_text[i]}: "
        if target_rag[i] == "G":
            return start + ("inside the band" if kind[i] == "band" else "target met") + " → Green"
        tol_text = _tolerance_text(tol[i], units[i], default_tol[i])
        word = shortfall.get(kind[i]) or ("below the band" if side[i] == "below" else "above the band")
        judged = "within" if target_rag[i] == "A" else "beyond"
        colour = "Amber" if target_rag[i] == "A" else "Red"
        return start + f"{fmt_change(gap[i], units[i])} {word}, {judged} the {tol_text} tolerance → {colour}"

    def comparator_reason(i: int) -> str:
        present = [cmp_labels[c][i] for c in rating if not np.isnan(cmp_values[c][i])]
        both = len(present) > 1
        names = ", ".join(present[:-1]) + " and " + present[-1] if both else present[0]
        start = f"No target: {fmt_value(v[i], units[i])} is "
        if cmp_rag[i] == "G":
            return start + f"better than {names} → Green"
        if cmp_rag[i] == "R":
            return start + f"worse than {names} → Red"
        return start + ("between " if both else "level with ") + names + " → Amber"

    def last_year_reason(i: int) -> str:
        when = prev_basis[i].replace(" baseline", " out-turn")
        start = (
            f"No target or comparator: {fmt_value(v[i], units[i])} against last year's "
            f"{fmt_value(prev[i], units[i])}" + (f" ({when})" if when else "")
        )
        if worse_by[i] < 0:
            return start + f", {fmt_change(-worse_by[i], units[i])} better → Green"
        if worse_by[i] == 0:
            return start + ", the same → Green"
        judged, colour = ("within", "Amber") if prev_rag[i] == "A" else ("beyond", "Red")
        return start + (
            f", {fmt_change(worse_by[i], units[i])} worse, {judged} the "
            f"{_tolerance_text(prev_tol[i], units[i], default_tol[i])} tolerance → {colour}"
        )

    def reason(i: int) -> str:
        if not has_value[i]:
            return f"No figure for {month_label}" + STATUS_REASON.get(status[i], "")
        if neutral[i]:
            return "Activity measure: not rated"
        if has_target[i]:
            return target_reason(i)
        if can_compare[i]:
            return comparator_reason(i)
        if can_prev[i]:
            return last_year_reason(i)
        if pol[i] == "within_band":
            return "No band to judge against: a within-band measure is rated only against its target band"
        return "No target, comparator or last year's figure to rate against"

    return pd.DataFrame(
        {"rag": rag, "rag_reason": [reason(i) for i in range(len(df))], "rag_basis": basis}, index=df.index
    )


def comparator_summary(df: pd.DataFrame) -> pd.Series:
    """'Better than England (2022/23), SN (2022/23); worse than GM (2021/22)' per row."""
    pos = comparator_position(df)
    codes = comparator_codes()
    labels = {c: _comparator_labels(df, c) for c in codes}
    signs = {c: pos[c].to_numpy() for c in codes}
    out = []
    for i in range(len(df)):
        better = ", ".join(labels[c][i] for c in codes if signs[c][i] > 0)
        worse = ", ".join(labels[c][i] for c in codes if signs[c][i] < 0)
        out.append(
            f"Better than {better}; worse than {worse}"
            if better and worse
            else f"Better than {better}"
            if better
            else f"Worse than {worse}"
            if worse
            else ""
        )
    return pd.Series(out, index=df.index, dtype=object)
