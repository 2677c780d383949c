"""Store -> engine: gathers one authority's frames as of a vintage and asks the engine for a scorecard.
Shared by the CLI and the app so both show the same numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .engine import derived, quality, scorecard
from .store import ReadOnlyStore


def default_authority(reader: ReadOnlyStore) -> str:
    return str(reader.table("authorities")["authority"].iloc[0])


def inputs(reader: ReadOnlyStore, vintage: str | None, authority: str) -> scorecard.Inputs:
    seq = reader.vintage_seq(vintage)
    revisions = reader.revisions(authority)
    vint = reader.table("vintages").set_index("vintage")["seq"]
    revised = revisions[revisions["new_vintage"].map(vint) <= seq][["ref", "period"]] if not revisions.empty else revisions
    return scorecard.Inputs(
        indicators=reader.table("indicators"),
        observations=reader.observations_as_of(vintage, authority),
        targets=reader.targets_as_of(vintage, authority),
        comparators=reader.comparators_as_of(vintage, authority),
        baselines=reader.baselines_as_of(vintage, authority),
        revised=revised,
        printed=reader.printed_ratings_as_of(vintage, authority),
    )


def build_scorecard(reader: ReadOnlyStore, month: dt.date, vintage: str | None = None, authority: str | None = None,
                    areas: list[str] | None = None) -> pd.DataFrame:
    authority = authority or default_authority(reader)
    return scorecard.build(inputs(reader, vintage, authority), month, areas)


def derived_figures(reader: ReadOnlyStore, month: dt.date, vintage: str | None = None,
                    authority: str | None = None) -> pd.DataFrame:
    authority = authority or default_authority(reader)
    auth = reader.table("authorities").set_index("authority")
    obs = reader.observations_as_of(vintage, authority, until=month)
    obs["period"] = pd.to_datetime(obs["period"]).dt.date
    return derived.derived_for_month(obs, reader.table("indicators"), month, float(auth.loc[authority, "population_0_17"]))


def revisions_with_impact(reader: ReadOnlyStore, authority: str | None = None) -> pd.DataFrame:
    """Every revised cell, with the RAG and direction of its month before and after the revision."""
    authority = authority or default_authority(reader)
    rev = reader.revisions(authority)
    if rev.empty:
        return quality.revision_impact(rev.assign(period=pd.Series(dtype="datetime64[ns]")), {})
    rev["period"] = pd.to_datetime(rev["period"]).dt.date
    pairs = set(zip(rev["period"], rev["old_vintage"])) | set(zip(rev["period"], rev["new_vintage"]))
    frames: dict[str, scorecard.Inputs] = {}
    judgements = {}
    for period, vintage in pairs:
        if vintage not in frames:
            frames[vintage] = inputs(reader, vintage, authority)
        sc = scorecard.build(frames[vintage], period)
        judgements[(period, vintage)] = sc.set_index("ref")[["rag", "direction"]]
    return quality.revision_impact(rev, judgements)


def printed_vs_calculated(reader: ReadOnlyStore, authority: str | None = None) -> pd.DataFrame:
    """For every pack that printed RAG ratings, each printed rating beside the one calculated from that pack's figures."""
    authority = authority or default_authority(reader)
    printed = reader.printed_ratings(authority)
    printed = printed[printed["rag"] != ""]
    labels = reader.table("vintages").set_index("vintage")["label"]
    scorecards = {}
    for (vintage, period), _ in printed.groupby(["vintage", "period"]):
        month = pd.Timestamp(period).date()
        scorecards[(month, labels[vintage])] = scorecard.build(inputs(reader, vintage, authority), month)
    return quality.printed_vs_calculated(scorecards)
