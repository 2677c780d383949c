"""Direction of travel, vectorised: the value's movement (arrow) and its meaning in polarity (word)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..formatting import DIRECTION_ARROW, fmt_value

PERCENT_THRESHOLD_POINTS = 1.0   # smaller moves in a percentage are "No change"
RELATIVE_THRESHOLD = 0.02        # for counts, rates and averages: 2% of the earlier figure


def _band_distance(v: pd.Series, lo: pd.Series, hi: pd.Series) -> pd.Series:
    return np.fmax(np.fmax(lo - v, v - hi), 0.0)


def direction(df: pd.DataFrame, earlier_col: str, earlier_label: pd.Series | str) -> pd.DataFrame:
    """Compare value with df[earlier_col]. Columns needed: value, unit, polarity, target_kind, target_low, target_high.

    Returns direction (Improving / Declining / No change / Up / Down / ''), arrow and reason."""
    v = df["value"].astype(float)
    e = df[earlier_col].astype(float)
    delta = v - e
    threshold = np.where(df["unit"] == "percent", PERCENT_THRESHOLD_POINTS, RELATIVE_THRESHOLD * np.abs(e))
    moved = np.abs(delta) > threshold
    movement = np.select([~moved, delta > 0], ["level", "up"], default="down")

    band = (df["polarity"] == "within_band") & (df["target_kind"] == "band")
    lo, hi = df["target_low"].astype(float), df["target_high"].astype(float)
    closer = _band_distance(e, lo, hi) - _band_distance(v, lo, hi)  # > 0: moved towards the band
    good = np.select(
        [df["polarity"] == "higher_better", df["polarity"] == "lower_better", band],
        [delta > 0, delta < 0, closer > 0], default=False)
    bad = np.select(
        [df["polarity"] == "higher_better", df["polarity"] == "lower_better", band],
        [delta < 0, delta > 0, closer < 0], default=False)
    rated = df["polarity"].isin(["higher_better", "lower_better"]) | band
    word = np.select(
        [~moved, rated & good, rated & bad, movement == "up"],
        ["No change", "Improving", "Declining", "Up"], default="Down")
    comparable = v.notna() & e.notna()
    word = np.where(comparable, word, "")
    arrow = np.where(comparable, pd.Series(movement, index=df.index).map(DIRECTION_ARROW), "")

    now_txt = pd.Series([fmt_value(x, u) for x, u in zip(v, df["unit"])], index=df.index, dtype=object)
    then_txt = pd.Series([fmt_value(x, u) for x, u in zip(e, df["unit"])], index=df.index, dtype=object)
    label = earlier_label if isinstance(earlier_label, pd.Series) else pd.Series(earlier_label, index=df.index)
    meaning = np.select(
        [word == "Improving", word == "Declining"],
        [np.where(band, ": closer to the target band", ": " + df["polarity"].map(
            {"higher_better": "higher is better", "lower_better": "lower is better"}).fillna("")),
         np.where(band, ": further from the target band", ": " + df["polarity"].map(
             {"higher_better": "higher is better", "lower_better": "lower is better"}).fillna(""))],
        default=np.where(rated, "", " (activity measure, not judged)"))
    verb = np.select([~moved, delta > 0], ["Little change from ", "Up from "], default="Down from ")
    reason = np.where(
        comparable,
        verb + then_txt + " in " + label + " to " + now_txt + np.where(word != "", " → " + word, "") + meaning,
        "")
    return pd.DataFrame({"direction": word, "arrow": arrow, "reason": reason}, index=df.index)
