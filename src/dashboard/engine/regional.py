"""The regional comparator before DfE publishes: "GM this month", the mean and range of the region's councils that
have chosen to share their monthly figures, with how many. Pure functions over frames from the store.

A council's figures reach a comparator only if its newest sharing choice is "shared" for that region; a council
that never shared, or stopped, is in no count, mean or range. Withheld figures (a status, not a value) are left
out, never counted as zero.
"""

from __future__ import annotations

import pandas as pd

from ..words.vocabulary import GM_CODES

COLUMNS = ["ref", "mean", "low", "high", "councils"]


def region_of(la_code: str, declared: str = "") -> str:
    """A council's region: the one it was added with, else Greater Manchester's by DfE code, else none ("")."""
    if declared:
        return declared
    return "gm" if str(la_code or "") in GM_CODES else ""


def sharing_councils(sharing: pd.DataFrame, region: str) -> list[str]:
    """The councils whose newest choice (one row each: authority, region, shared) shares with `region`."""
    if not region or sharing.empty:
        return []
    mine = sharing[(sharing["region"] == region) & sharing["shared"].astype(bool)]
    return sorted(mine["authority"])


def comparator(figures: pd.DataFrame, sharing: pd.DataFrame, region: str) -> pd.DataFrame:
    """Per ref: mean, lowest and highest value and the number of sharing councils with a figure.
    `figures`: authority, ref, value, status for one month (any councils: only sharing ones are used)."""
    shared = sharing_councils(sharing, region)
    use = figures[figures["authority"].isin(shared) & (figures["status"] == "value") & figures["value"].notna()]
    if use.empty:
        return pd.DataFrame(columns=COLUMNS)
    grouped = use.groupby("ref")["value"]
    out = pd.DataFrame(
        {"mean": grouped.mean(), "low": grouped.min(), "high": grouped.max(), "councils": grouped.size()}
    ).reset_index()
    out["councils"] = out["councils"].astype(int)
    return out[COLUMNS].sort_values("ref").reset_index(drop=True)
