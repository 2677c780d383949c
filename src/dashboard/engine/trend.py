"""Direction of travel, vectorised: the value's movement (arrow) and its meaning in polarity (word)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..words.formatting import DIRECTION_ARROW, fmt_value

PERCENT_THRESHOLD_POINTS = 1.0  # smaller moves in a percentage are "No change"
RELATIVE_THRESHOLD = 0.02  # for counts, rates and averages: 2% of the earlier figure


_POLARITY_MEANING = {"higher_better": "higher is better", "lower_better": "lower is better"}


def _band_distance(v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.fmax(np.fmax(lo - v, v - hi), 0.0)


def direction(df: pd.DataFrame, earlier_col: str, earlier_label: pd.Series | str) -> pd.DataFrame:
    """Compare value with df[earlier_col]. Columns needed: value, unit, polarity, target_kind, target_low, target_high.

    Returns direction (Improving / Declining / No change / Up / Down / ''), arrow and reason."""
    v = df["value"].to_numpy(dtype=float, na_value=np.nan)
    e = df[earlier_col].to_numpy(dtype=float, na_value=np.nan)
    units = df["unit"].to_numpy(dtype=object)
    pol = df["polarity"].to_numpy(dtype=object)
    delta = v - e
    threshold = np.where(units == "percent", PERCENT_THRESHOLD_POINTS, RELATIVE_THRESHOLD * np.abs(e))
    moved = np.abs(delta) > threshold
    movement = np.select([~moved, delta > 0], ["level", "up"], default="down")

    band = (pol == "within_band") & (df["target_kind"].to_numpy(dtype=object) == "band")
    lo = df["target_low"].to_numpy(dtype=float, na_value=np.nan)
    hi = df["target_high"].to_numpy(dtype=float, na_value=np.nan)
    closer = _band_distance(e, lo, hi) - _band_distance(v, lo, hi)  # > 0: moved towards the band
    higher, lower = pol == "higher_better", pol == "lower_better"
    good = np.select([higher, lower, band], [delta > 0, delta < 0, closer > 0], default=False)
    bad = np.select([higher, lower, band], [delta < 0, delta > 0, closer < 0], default=False)
    rated = higher | lower | band
    word = np.select(
        [~moved, rated & good, rated & bad, movement == "up"],
        ["No change", "Improving", "Declining", "Up"],
        default="Down",
    )
    comparable = ~np.isnan(v) & ~np.isnan(e)
    word = np.where(comparable, word, "")
    arrow = [DIRECTION_ARROW[m] if ok else "" for m, ok in zip(movement, comparable)]

    labels = list(earlier_label) if isinstance(earlier_label, pd.Series) else [earlier_label] * len(df)

    def reason(i: int) -> str:
        if not comparable[i]:
            return ""
        verb = "Little change from " if not moved[i] else "Up from " if delta[i] > 0 else "Down from "
        text = f"{verb}{fmt_value(e[i], units[i])} in {labels[i]} to {fmt_value(v[i], units[i])}"
        if word[i]:
            text += " → " + word[i]
        if word[i] == "Improving":
            return text + (": closer to the target band" if band[i] else ": " + _POLARITY_MEANING.get(pol[i], ""))
        if word[i] == "Declining":
            return text + (": further from the target band" if band[i] else ": " + _POLARITY_MEANING.get(pol[i], ""))
        return text + ("" if rated[i] else " (activity measure, not judged)")

    return pd.DataFrame(
        {"direction": word, "arrow": arrow, "reason": [reason(i) for i in range(len(df))]}, index=df.index
    )
