"""Charts for papers: PNG and SVG of a chart, and what one indicator's paper chart shows."""

from __future__ import annotations

import pandas as pd

from . import chartpool
from .charts import indicator_chart
from .papers import Pack


def chart_png(chart, scale: float = 2.0) -> bytes:
    return chartpool.png(chart, scale=scale)


def chart_svg(chart) -> str:
    return chartpool.svg(chart)


def chart_job(pack: Pack, ref: str) -> chartpool.Job:
    """What one indicator's paper chart shows: its scorecard row, its series to the month, its revised months."""
    row = pack.scorecard[pack.scorecard["ref"] == ref].iloc[0]
    series = pack.observations[(pack.observations["ref"] == ref) & (pack.observations["period"] <= pack.month)]
    revised = frozenset(p for r, p in pack.revised if r == ref)
    return (
        row.drop(labels=["spark"], errors="ignore").to_dict(),
        series.sort_values("period").reset_index(drop=True),
        revised,
    )


def indicator_chart_for(pack: Pack, ref: str):
    row, series, revised = chart_job(pack, ref)
    return indicator_chart(pd.Series(row), series, show_spc=True, revised=set(revised))
