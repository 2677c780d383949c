"""Computed beside loaded: each computed ref and month against the figure in the database (read only)."""

from __future__ import annotations

import datetime as dt

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
]


def loaded_figures(reader: store.ReadOnlyStore, month: dt.date, authority: str | None = None) -> pd.DataFrame:
    """ref, loaded: the month's figure as the latest vintage holds it; blank where 'Not yet available' (never 0)."""
    authority = authority or service.default_authority(reader)
    obs = reader.observations_as_of(None, authority, refs=[m.ref for m in REGISTRY], until=month)
    obs = obs[pd.to_datetime(obs["period"]).dt.date == month]
    value = obs["value"].where(obs["status"] != "missing")
    return pd.DataFrame({"ref": obs["ref"].to_numpy(), "loaded": value.to_numpy()})


def reconcile(computed: pd.DataFrame, loaded: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """One row per computed ref in the month; the difference is computed minus loaded, blank when either is."""
    mine = computed[computed["month"] == month]
    out = mine.merge(loaded, on="ref", how="left")
    out["difference"] = (out["computed"] - out["loaded"]).round(4)
    return out[COLUMNS].reset_index(drop=True)
