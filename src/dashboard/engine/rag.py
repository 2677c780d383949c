"""RAG with a reason, vectorised over a scorecard frame. Rules: docs/rag.md.

Expected columns: value, status, unit, polarity, target_kind, target_low, target_high, target_text,
amber_tolerance, england, england_year, sn, sn_year, gm, gm_year, nw, nw_year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..formatting import COMPARATOR_NAME, STATUS_REASON, fmt_change, fmt_number, fmt_value

PERCENT_TOLERANCE_POINTS = 5.0
RELATIVE_TOLERANCE = 0.05
COMPARATORS = ("gm", "nw", "sn", "england")


def _fmt(values: pd.Series, units: pd.Series, fn) -> pd.Series:
    return pd.Series([fn(v, u) for v, u in zip(values, units)], index=values.index, dtype=object)


def binding_bound(df: pd.DataFrame) -> pd.DataFrame:
    """How the target binds given polarity: a band on a higher-is-better measure binds at its floor."""
    kind = df["target_kind"].fillna("none")
    pol = df["polarity"]
    lo = df["target_low"].astype(float)
    hi = df["target_high"].astype(float)
    band = kind == "band"
    eff = np.select(
        [band & (pol == "higher_better"), band & (pol == "lower_better"), band],
        ["minimum", "maximum", "band"], default=kind)
    return pd.DataFrame({"kind": eff, "low": lo, "high": hi}, index=df.index)


def target_gap(df: pd.DataFrame) -> pd.DataFrame:
    """Shortfall past the binding edge (<= 0 means met), which edge, and the Amber tolerance in units."""
    b = binding_bound(df)
    v = df["value"].astype(float)
    below = b["low"] - v
    above = v - b["high"]
    gap = np.select(
        [b["kind"] == "minimum", b["kind"] == "maximum", b["kind"] == "band"],
        [below, above, np.fmax(below, above)], default=np.nan)
    edge = np.select(
        [b["kind"] == "minimum", b["kind"] == "maximum", b["kind"] == "band"],
        [b["low"], b["high"], np.where(below > above, b["low"], b["high"])], default=np.nan)
    default_tol = np.where(df["unit"] == "percent", PERCENT_TOLERANCE_POINTS, RELATIVE_TOLERANCE * np.abs(edge))
    tol = df["amber_tolerance"].astype(float).fillna(pd.Series(default_tol, index=df.index))
    return pd.DataFrame({"kind": b["kind"], "gap": gap, "edge": edge, "tolerance": tol,
                         "side": np.where(below > above, "below", "above")}, index=df.index)


def comparator_position(df: pd.DataFrame) -> pd.DataFrame:
    """+1 better than, -1 worse than, 0 level with each comparator, in the indicator's polarity; NaN when not comparable."""
    v = df["value"].astype(float)
    sign = np.select([df["polarity"] == "higher_better", df["polarity"] == "lower_better"], [1.0, -1.0], default=np.nan)
    out = {}
    for c in COMPARATORS:
        out[c] = np.sign((v - df[c].astype(float)) * sign)
    return pd.DataFrame(out, index=df.index)


def assess(df: pd.DataFrame, month_label: str) -> pd.DataFrame:
    """-> columns rag ('G','A','R','-') and rag_reason."""
    idx = df.index
    has_value = (df["status"] == "value") & df["value"].notna()
    g = target_gap(df)
    has_target = g["kind"].isin(["minimum", "maximum", "band"]) & has_value
    neutral = df["polarity"] == "neutral"

    target_rag = np.select([g["gap"] <= 0, g["gap"] <= g["tolerance"]], ["G", "A"], default="R")

    pos = comparator_position(df)
    main = pos[["england", "sn"]]
    n_cmp = main.notna().sum(axis=1)
    better = (main > 0).sum(axis=1)
    worse = (main < 0).sum(axis=1)
    cmp_rag = np.select([(n_cmp > 0) & (better == n_cmp), (n_cmp > 0) & (worse == n_cmp)], ["G", "R"], default="A")
    can_compare = has_value & ~has_target & (n_cmp > 0) & df["polarity"].isin(["higher_better", "lower_better"])

    rag = np.select([~has_value | neutral, has_target, can_compare], ["-", target_rag, cmp_rag], default="-")

    value_text = _fmt(df["value"], df["unit"], fmt_value)
    # Target reasons
    gap_text = _fmt(g["gap"], df["unit"], fmt_change)
    tol_units = _fmt(g["tolerance"], df["unit"], fmt_change)
    tol_text = np.select(
        [df["unit"] == "percent", df["amber_tolerance"].isna()],
        [tol_units.str.replace("points", "point"), f"{RELATIVE_TOLERANCE:.0%} (" + tol_units + ")"],
        default=tol_units)
    shortfall_word = np.select(
        [g["kind"] == "minimum", g["kind"] == "maximum", g["side"] == "below"],
        ["short", "over", "below the band"], default="above the band")
    target_desc = df["target_text"].fillna("")
    met_text = np.where(g["kind"] == "band", "inside the band", "target met")
    target_reason = np.select(
        [target_rag == "G", target_rag == "A"],
        [value_text + " against a target of " + target_desc + ": " + met_text + " → Green",
         value_text + " against a target of " + target_desc + ": " + gap_text + " " + shortfall_word
         + ", within the " + tol_text + " tolerance → Amber"],
        default=value_text + " against a target of " + target_desc + ": " + gap_text + " " + shortfall_word
        + ", beyond the " + tol_text + " tolerance → Red")

    # Comparator reasons
    def cmp_phrase(c: str) -> pd.Series:
        num = _fmt(df[c], df["unit"], fmt_number)
        year = df[f"{c}_year"].fillna("")
        return COMPARATOR_NAME[c] + " " + num + np.where(year != "", " (" + year + ")", "").astype(object)

    eng, sn = cmp_phrase("england"), cmp_phrase("sn")
    both = main.notna().all(axis=1)
    only = np.where(main["england"].notna(), eng, sn)
    names = np.where(both, eng + " and " + sn, only)
    cmp_reason = np.select(
        [cmp_rag == "G", cmp_rag == "R"],
        ["No target: " + value_text + " is better than " + names + " → Green",
         "No target: " + value_text + " is worse than " + names + " → Red"],
        default=np.where(both, "No target: " + value_text + " is between " + names + " → Amber",
                         "No target: " + value_text + " is level with " + names + " → Amber"))

    status_word = df["status"].map(STATUS_REASON).fillna("")
    reason = np.select(
        [~has_value, neutral, has_target, can_compare],
        [f"No figure for {month_label}" + status_word, "Activity measure: not rated",
         target_reason, cmp_reason],
        default="No target or comparator to rate against")
    return pd.DataFrame({"rag": rag, "rag_reason": reason}, index=idx)


def comparator_summary(df: pd.DataFrame) -> pd.Series:
    """'Better than England (2022/23), SN (2022/23); worse than GM (2021/22)' per row."""
    pos = comparator_position(df)
    parts_better = pd.Series("", index=df.index, dtype=object)
    parts_worse = pd.Series("", index=df.index, dtype=object)
    for c in COMPARATORS:
        year = df[f"{c}_year"].fillna("")
        label = COMPARATOR_NAME[c] + np.where(year != "", " (" + year + ")", "").astype(object)
        parts_better = parts_better + np.where(pos[c] > 0, label + ", ", "")
        parts_worse = parts_worse + np.where(pos[c] < 0, label + ", ", "")
    better = parts_better.str.rstrip(", ")
    worse = parts_worse.str.rstrip(", ")
    return pd.Series(np.select(
        [(better != "") & (worse != ""), better != "", worse != ""],
        ["Better than " + better + "; worse than " + worse, "Better than " + better, "Worse than " + worse],
        default=""), index=df.index)
