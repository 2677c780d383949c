"""Which target is in force in a month. The printed text is read by dashboard.input.printed_targets."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def in_force(targets: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """One target row per ref: the one whose period covers the month. A target applies from its
    applies_from month (blank: from the start) until the next one for the same ref begins, so a 2024/25
    target rates April 2024 on while January 2024 keeps the 2023/24 one."""
    if targets.empty or "applies_from" not in targets:
        return targets.drop_duplicates("ref") if not targets.empty else targets
    start = pd.to_datetime(targets["applies_from"])
    live = targets.assign(_start=start)[start.isna() | (start <= pd.Timestamp(month))]
    return (
        live.sort_values(["ref", "_start"], kind="stable", na_position="first")
        .drop_duplicates("ref", keep="last")
        .drop(columns="_start")
    )
