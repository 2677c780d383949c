"""Figures derived from monthly counts: rolling 12-month totals, year-to-date from April, and
rates per 10,000 children. Computed on a refs x months grid so every indicator goes at once;
a total is only given when every month in it is present (a gap is never read as zero)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..words.periods import add_months


def month_grid(obs: pd.DataFrame, key: str | list[str], first: dt.date, last: dt.date) -> pd.DataFrame:
    """Long (key, period, value) -> wide grid, one column per month from first to last, NaN where absent."""
    keys = [key] if isinstance(key, str) else list(key)
    months = []
    m = first
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    d = obs.dropna(subset=["value"])
    grid = d.pivot_table(index=keys, columns="period", values="value", aggfunc="first")
    return grid.reindex(columns=months)


def rolling_12(grid: pd.DataFrame) -> pd.DataFrame:
    return grid.T.rolling(12, min_periods=12).sum().T


def year_to_date(grid: pd.DataFrame) -> pd.DataFrame:
    """Cumulative total from April; NaN once any month since April is missing."""
    fy = pd.Series([c.year if c.month >= 4 else c.year - 1 for c in grid.columns], index=grid.columns)
    parts = []
    for _, cols in fy.groupby(fy):
        block = grid[list(cols.index)]
        # cumsum skipping nothing: a missing month poisons the rest of the year
        parts.append(block.T.cumsum(skipna=False).T)
    return pd.concat(parts, axis=1)[grid.columns]


def per_10k(grid: pd.DataFrame, population: float) -> pd.DataFrame:
    return grid * 10_000.0 / float(population)


def derived_for_month(obs: pd.DataFrame, indicators: pd.DataFrame, month: dt.date, population: float) -> pd.DataFrame:
    """Per ref at the month: ytd_total and rolling_12_total (flow counts only), rate_per_10k (counts)."""
    counts = indicators[indicators["unit"] == "count"]
    flows = set(counts.loc[counts["count_type"] == "flow", "ref"])
    d = obs[obs["ref"].isin(set(counts["ref"])) & (obs["status"] == "value")]
    first = add_months(month, -11)
    fy_start = dt.date(month.year if month.month >= 4 else month.year - 1, 4, 1)
    grid = month_grid(d, "ref", min(first, fy_start), month)
    out = pd.DataFrame(index=counts["ref"])
    if grid.empty:
        return out.assign(
            ytd_total=float("nan"),
            rolling_12_total=float("nan"),
            rate_per_10k=float("nan"),
            ytd_months=0,
            rolling_months=0,
        )
    flow_grid = grid[grid.index.isin(flows)]
    out["ytd_total"] = year_to_date(flow_grid)[month] if not flow_grid.empty else float("nan")
    out["rolling_12_total"] = rolling_12(flow_grid)[month] if not flow_grid.empty else float("nan")
    out["rate_per_10k"] = per_10k(grid[[month]], population)[month]
    ytd_cols = [c for c in grid.columns if fy_start <= c <= month]
    out["ytd_months"] = grid[ytd_cols].notna().sum(axis=1).reindex(out.index).fillna(0).astype(int)
    out["ytd_months_needed"] = len(ytd_cols)
    out["rolling_months"] = (
        grid[[c for c in grid.columns if c >= first]].notna().sum(axis=1).reindex(out.index).fillna(0).astype(int)
    )
    out.loc[~out.index.isin(flows), ["ytd_total", "rolling_12_total"]] = float("nan")
    return out
