"""Cached reads for the app. Cache keys carry the database file's stamp, so a newly published
database is picked up on the next interaction without a restart. (The stamp argument must not start
with an underscore: Streamlit leaves such arguments out of the cache key.)"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from .. import chartpool, export, service
from ..engine import plan as plan_engine
from ..engine import quality
from ..engine import scorecard as scorecard_engine
from ..periods import default_month
from ..store import DEFAULT_DB, ReadOnlyStore


def db_path() -> Path:
    return Path(os.environ.get("DASHBOARD_DB") or DEFAULT_DB)


def reader() -> ReadOnlyStore:
    return ReadOnlyStore(db_path())


def stamp() -> tuple[int, int]:
    return reader().stamp


@st.cache_data(show_spinner=False, max_entries=64)
def _table(name: str, db_stamp: tuple) -> pd.DataFrame:
    return reader().table(name)


def table(name: str) -> pd.DataFrame:
    return _table(name, stamp())


@st.cache_data(show_spinner=False, max_entries=64)
def _months(vintage: str, authority: str, db_stamp: tuple) -> list[dt.date]:
    return reader().months(vintage, authority)


def months(vintage: str) -> list[dt.date]:
    return _months(vintage, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=64)
def _default_month(vintage: str, authority: str, db_stamp: tuple) -> dt.date | None:
    cov = reader().month_coverage(vintage, authority)
    return default_month([(pd.Timestamp(p).date(), int(n)) for p, n in zip(cov["period"], cov["figures"])])


def default_month_for(vintage: str) -> dt.date | None:
    """The month a page opens at when the URL names none: the newest with a complete scorecard."""
    return _default_month(vintage, authority(), stamp())


def authority() -> str:
    return str(table("authorities")["authority"].iloc[0])


@st.cache_resource(show_spinner=False, max_entries=8)
def _inputs(vintage: str, authority: str, db_stamp: tuple) -> scorecard_engine.Inputs:
    """The engine's inputs for a vintage, read once: a month change then costs the engine alone. Shared, not
    copied, across sessions; the engine only reads them."""
    return service.inputs(reader(), vintage, authority)


@st.cache_data(show_spinner=False, max_entries=128)
def _scorecard(month: dt.date, vintage: str, authority: str, db_stamp: tuple) -> pd.DataFrame:
    return scorecard_engine.build(_inputs(vintage, authority, db_stamp), month)


def scorecard(month: dt.date, vintage: str) -> pd.DataFrame:
    return _scorecard(month, vintage, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=64)
def _observations(vintage: str, authority: str, db_stamp: tuple) -> pd.DataFrame:
    df = reader().observations_as_of(vintage, authority)
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df


def observations(vintage: str) -> pd.DataFrame:
    return _observations(vintage, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=64)
def _history(ref: str, authority: str, db_stamp: tuple) -> pd.DataFrame:
    df = reader().observation_history(authority, ref)
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df


def history(ref: str) -> pd.DataFrame:
    return _history(ref, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=16)
def _revised(vintage: str, authority: str, db_stamp: tuple) -> set:
    rev = reader().revised_as_of(vintage, authority)
    return {(r, pd.Timestamp(p).date()) for r, p in zip(rev["ref"], rev["period"])}


def revised(vintage: str) -> set:
    """(ref, month) of every figure revised by the vintage in view (store.revised_as_of)."""
    return _revised(vintage, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=32)
def _target_history(ref: str, authority: str, db_stamp: tuple) -> pd.DataFrame:
    return reader().target_history(authority, ref)


def target_history(ref: str) -> pd.DataFrame:
    """Every target set for the indicator: printed in a pack or loaded, with the months it applies from."""
    return _target_history(ref, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=32)
def _weekly(vintage: str, authority: str, db_stamp: tuple) -> pd.DataFrame:
    df = reader().weekly_as_of(vintage, authority)
    df["week_ending"] = pd.to_datetime(df["week_ending"]).dt.date
    return df


def weekly(vintage: str) -> pd.DataFrame:
    return _weekly(vintage, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=128)
def _commentary(vintage: str, authority: str, area: str, month: dt.date, db_stamp: tuple) -> pd.DataFrame:
    return reader().commentary_as_of(vintage, authority, area, month)


def commentary(vintage: str, area: str, month: dt.date) -> pd.DataFrame:
    return _commentary(vintage, authority(), area, month, stamp())


@st.cache_data(show_spinner=False, max_entries=64)
def _draft(month: dt.date, vintage: str, area: str, authority: str, db_stamp: tuple):
    return service.draft(
        reader(),
        month,
        area,
        vintage,
        authority,
        sc=_scorecard(month, vintage, authority, db_stamp),
        observations=_observations(vintage, authority, db_stamp),
    )


def draft(month: dt.date, vintage: str, area: str):
    """The area's month drafted from the figures (engine.draft.Draft)."""
    return _draft(month, vintage, area, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=64)
def _stale(text: str, area: str, vintage: str, authority: str, db_stamp: tuple):
    return service.stale_commentary(reader(), text, area, vintage, authority)


def stale(text: str, area: str, vintage: str) -> list[tuple[str, str]]:
    """Sentences of the published commentary quoting a figure revised since it was published."""
    return _stale(text, area, vintage, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=32)
def _derived(month: dt.date, vintage: str, authority: str, db_stamp: tuple) -> pd.DataFrame:
    return service.derived_figures(reader(), month, vintage, authority)


def derived(month: dt.date, vintage: str) -> pd.DataFrame:
    return _derived(month, vintage, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=32)
def _names(db_stamp: tuple) -> pd.DataFrame:
    return reader().names()


def names() -> pd.DataFrame:
    return _names(stamp())


@st.cache_data(show_spinner=False, max_entries=32)
def _meta_as_of(kind: str, vintage: str, authority: str, db_stamp: tuple) -> pd.DataFrame:
    r = reader()
    return {"targets": r.targets_as_of, "comparators": r.comparators_as_of, "baselines": r.baselines_as_of}[kind](
        vintage, authority
    )


def comparators(vintage: str) -> pd.DataFrame:
    return _meta_as_of("comparators", vintage, authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=8)
def _printed(authority: str, db_stamp: tuple) -> pd.DataFrame:
    df = reader().printed_ratings(authority)
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df


def printed_ratings() -> pd.DataFrame:
    """The RAG and arrows the packs printed by hand, to set beside the calculated ones."""
    return _printed(authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=4)
def _revisions(authority: str, db_stamp: tuple) -> pd.DataFrame:
    return service.revisions_with_impact(reader(), authority)


def revisions() -> pd.DataFrame:
    """Every revised cell with its effect on RAG and direction."""
    return _revisions(authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=4)
def _quality(authority: str, db_stamp: tuple) -> dict[str, pd.DataFrame]:
    r = reader()
    obs = r.observations_as_of("latest", authority)
    ind = r.table("indicators")
    ind = ind[ind["frequency"] != "week"]
    return {
        "gaps": quality.gaps(obs, ind),
        "definitions": quality.definition_changes(ind, r.names()),
        "churn": quality.ref_churn(r.printed_refs(authority), r.table("vintages"), ind),
        "implausible": quality.implausible(obs, ind),
    }


def quality_checks() -> dict[str, pd.DataFrame]:
    return _quality(authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=8)
def _printed_vs_calculated(authority: str, db_stamp: tuple) -> pd.DataFrame:
    return service.printed_vs_calculated(reader(), authority)


def printed_vs_calculated() -> pd.DataFrame:
    return _printed_vs_calculated(authority(), stamp())


@st.cache_data(show_spinner=False, max_entries=16)
def _pack(month: dt.date, vintage: str, db_stamp: tuple) -> export.Pack:
    return export.gather(reader(), month, vintage)


def pack(month: dt.date, vintage: str) -> export.Pack:
    """Everything the month's papers need (scorecard, commentary, series for charts)."""
    return _pack(month, vintage, stamp())


_warmed: set[tuple] = set()


def warm_papers(month: dt.date, vintage: str) -> None:
    """Start drawing the month's paper charts in the background, once per month, vintage and database file,
    so the panel pack a head of service prepares reuses them. DASHBOARD_WARM_PAPERS=0 switches it off."""
    if os.environ.get("DASHBOARD_WARM_PAPERS", "1") == "0":
        return
    wanted = (month, vintage, stamp())
    if wanted in _warmed:
        return
    _warmed.add(wanted)
    full = pack(month, vintage)
    refs = export.scorecard_exceptions(full.scorecard)["ref"]
    chartpool.warm({ref: export.chart_job(full, ref) for ref in refs})


@st.cache_data(show_spinner=False, max_entries=8)
def _plan(vintage: str, authority: str, db_stamp: tuple) -> dict[str, pd.DataFrame]:
    r = reader()
    actions = r.plan_as_of("plan_actions", vintage, authority)
    measures = r.plan_as_of("plan_measures", vintage, authority)
    for col in ("start_month", "end_month"):
        actions[col] = pd.to_datetime(actions[col]).dt.date
    if not actions.empty:  # plan order (1.2 before 1.10), whichever file each row last came from
        key = actions["action_ref"].str.split(".", expand=True).astype(int)
        actions = actions.assign(_p=key[0], _n=key[1]).sort_values(["_p", "_n"]).drop(columns=["_p", "_n"])
    printed = set(r.printed_refs(authority)["ref"])
    resolved = (
        plan_engine.resolve_measures(measures, r.table("indicators"), printed)
        if not measures.empty
        else pd.DataFrame(columns=["focus_area", "ref", "resolved", "reason", "action_refs"])
    )
    return {"priorities": r.table("plan_priorities"), "actions": actions, "measures": measures, "resolved": resolved}


def plan(vintage: str) -> dict[str, pd.DataFrame]:
    """The improvement plan as of the vintage, with Appendix B resolved against the catalogue."""
    return _plan(vintage, authority(), stamp())
