"""Computed beside loaded: each computed ref and month against the figure in the database (read only), compared at
the precision the loaded figure is printed to, so a figure printed as a whole number (26%) agrees with a computed
26.1% and only figures that print differently show a difference."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from .. import service, store
from .measures import REGISTRY

COLUMNS = [
    "ref",
    "month",
    "computed",
    "loaded",
    "difference",
    "numerator",
    "denominator",
    "excluded",
    "extract",
    "as_at",
    "decimals",
]
COMPUTED_DECIMALS = 1  # compute rounds every figure to one decimal place


def decimals(value: float) -> int:
    """The decimal places a stored figure shows: 26.0 -> 0, 86.3 -> 1, 3.25 -> 2 (at most 6)."""
    for d in range(7):
        if abs(round(value, d) - value) < 1e-9:
            return d
    return 6


def loaded_figures(reader: store.ReadOnlyStore, month: dt.date, authority: str | None = None) -> pd.DataFrame:
    """ref, loaded, decimals: the month's figure as the latest vintage holds it, blank where 'Not yet available'
    (never 0); and the decimal places the ref is printed to, the most any of its loaded months shows (a series
    printed 86.3, 87.0 is printed to one place even where a month's figure is whole)."""
    authority = authority or service.default_authority(reader)
    obs = reader.observations_as_of(None, authority, refs=[m.ref for m in REGISTRY], until=month)
    value = obs["value"].where(obs["status"] != "missing")
    places = (
        pd.Series([decimals(v) for v in value.dropna()], index=value.dropna().index, dtype=float)
        .groupby(obs.loc[value.notna(), "ref"])
        .max()
    )
    mine = obs["period"] == month
    refs = obs.loc[mine, "ref"]
    return pd.DataFrame(
        {"ref": refs.to_numpy(), "loaded": value[mine].to_numpy(), "decimals": refs.map(places).to_numpy()}
    )


def at_precision(values: pd.Series, places: pd.Series) -> pd.Series:
    """Each value rounded to its number of places, halves up (as the scorecard's spreadsheets print them)."""
    scale = np.power(10.0, places.astype(float))
    return np.floor(values.astype(float) * scale + 0.5) / scale


def reconcile(computed: pd.DataFrame, loaded: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """One row per computed ref in the month. The difference is the computed figure minus the loaded one, both at
    the precision the loaded figure is printed to (never finer than the computed figure's one place): 0 where the
    printed figures agree, blank when either figure is."""
    mine = computed[computed["month"] == month]
    if "decimals" not in loaded:
        loaded = loaded.assign(decimals=np.nan)
    out = mine.merge(loaded, on="ref", how="left")
    places = out["decimals"].fillna(COMPUTED_DECIMALS).clip(upper=COMPUTED_DECIMALS)
    out["decimals"] = places.where(out["loaded"].notna())
    shown = at_precision(out["computed"], places)
    out["difference"] = (shown - at_precision(out["loaded"], places)).round(4)
    return out[COLUMNS].reset_index(drop=True)


def printed(value: float, places: float) -> str:
    """A figure at a number of places (blank for none), for the page: 26, 86.3."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    d = COMPUTED_DECIMALS if places is None or math.isnan(places) else int(places)
    return f"{math.floor(float(value) * 10**d + 0.5) / 10**d:,.{d}f}"
