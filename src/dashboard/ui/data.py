"""Cached reads for the app, one decorator for all of them: `per_database` keys each read by its arguments,
the authority in view and the database file's stamp, so a newly published database is picked up on the next
interaction without a restart, and no page is served from a replaced file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
import logging
import os
import threading
import time
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from .. import service
from ..auth import access
from ..output import papers
from ..store import DEFAULT_DB, ReadOnlyStore
from ..store import StoreUnavailable as StoreUnavailable  # the pages' error boundary catches it
from ..words.periods import default_month
from ..words.vocabulary import (
    COMPARATOR_NAME,
    kind_word,
    later_writes,
    service_area_ids,
    vintage_label,
    vintage_options,
)
from ..writes import councils as councils_module
from ..writes import state

_log = logging.getLogger(__name__)


def db_path() -> Path:
    return Path(os.environ.get("DASHBOARD_DB") or DEFAULT_DB)


def reader() -> ReadOnlyStore:
    state.follow(db_path())  # with a shared state, once per process: a thread keeps this host's file level
    return _reader_at(str(db_path()))


@functools.lru_cache(maxsize=8)
def _reader_at(path: str) -> ReadOnlyStore:
    """One reader object per path (it holds no connection itself; the store keeps those): every cached read asks
    for the stamp, and resolving the path anew each time cost a millisecond a page."""
    return ReadOnlyStore(path)


def stamp() -> tuple[int, int]:
    return reader().stamp


def view_stamp() -> tuple:
    """The database's stamp and the council in view: the key for a page's own caches of what it shows."""
    return (*stamp(), authority())


class _Replaced(Exception):
    """The database file was replaced while a cached read ran (its result is not kept)."""


def per_database(max_entries: int, resource: bool = False):
    """Cache a read by its arguments, the database file's stamp and (if it takes `authority`) the authority in
    view, which callers never pass. Each caller gets its own copy (`_own`); resource=True shares the one object
    instead (for inputs the engine only reads)."""

    def wrap(read):
        takes_authority = "authority" in inspect.signature(read).parameters

        def stored(db_stamp: tuple, args: tuple, kwargs: tuple):  # no leading underscores: all are the key
            value = read(*args, **dict(kwargs))
            if stamp() != db_stamp:  # replaced mid-read: never keep the new file's answer under the old stamp
                raise _Replaced
            return value

        # Streamlit tells cached functions apart by module and qualified name: give each its reader's.
        stored.__module__, stored.__qualname__ = read.__module__, f"{read.__qualname__}.stored"
        cached = st.cache_resource(show_spinner=False, max_entries=max_entries)(stored)

        @functools.wraps(read)
        def call(*args, **kwargs):
            if takes_authority and "authority" not in kwargs:
                kwargs["authority"] = authority()
            key = (args, tuple(sorted(kwargs.items())))
            for _ in range(3):
                try:
                    value = cached(stamp(), *key)
                    break
                except _Replaced:
                    continue  # the file was replaced while this read ran: read it again under the new stamp
            else:
                value = read(*args, **kwargs)  # replaced three times over: answer uncached
            return value if resource else _own(value)

        return call

    return wrap


def _own(value):
    """The caller's own copy of a cached value. Frames are copied shallowly: under pandas' copy-on-write a change
    to the copy never reaches the cache, and the copy costs microseconds where st.cache_data's unpickled copy of
    a month's scorecard cost 40 ms on every page (measured)."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: _own(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        )
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_own(v) for v in value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_own(v) for v in value)
    if isinstance(value, dict):
        return {k: _own(v) for k, v in value.items()}
    return value


@per_database(max_entries=64)
def table(name: str) -> pd.DataFrame:
    return reader().table(name)


def area_names() -> dict[str, str]:
    """area id -> short title, for tables that name an area."""
    areas = table("areas")
    return dict(zip(areas["area"], areas["short_title"]))


COUNCIL_KEY = "_council"  # the council in view, set by the sidebar (context.choose_council) on every run


@per_database(max_entries=8)
def councils() -> list[str]:
    """The councils with monthly figures, the deployment's own first."""
    return reader().councils_with_figures()


def authority() -> str:
    """The council in view: the one this run's sidebar chose among those the reader may see (context), else the
    first of those. Never a council the reader has no grant for."""
    chosen = st.session_state.get(COUNCIL_KEY)
    if isinstance(chosen, str) and chosen in councils():
        return chosen
    from . import signin  # signin reads tables through this module

    visible = access.readable_councils(signin.current(), councils())
    if not visible:
        raise access.Refused(signin.current(), access.READ, detail="no council's figures are granted")
    return visible[0]


def home_council() -> str:
    """The deployment's own council (sample_data/'s): a write that names no council is for it."""
    return str(table("authorities")["authority"].iloc[0])


def region() -> str:
    """The region of the council in view ("" when none): whose shared monthly figures it may compare with."""
    return _regions().get(authority(), "")


@per_database(max_entries=4)
def _regions() -> dict[str, str]:
    return councils_module.regions(reader())


@per_database(max_entries=8)
def sharing_councils(*, authority: str) -> list[str]:
    """The councils sharing monthly figures with the region of the council in view now (their newest choice)."""
    return service.sharing_councils(reader(), _regions().get(authority, ""))


@per_database(max_entries=64)
def regional_comparator(month: dt.date, vintage: str, *, authority: str) -> tuple[str, pd.DataFrame]:
    """(region, per ref: mean, low, high, councils) of the councils sharing with the region of the council in view;
    a council that has not shared is never in it."""
    return councils_module.regional_comparator(reader(), authority, vintage, month)


def council_param() -> dict[str, str]:
    """What a link carries of the council in view: `council` when the address names one (as month and vintage)."""
    return {"council": authority()} if "council" in st.query_params else {}


@per_database(max_entries=8)
def council_names() -> dict[str, str]:
    """council id -> its name as pages show it."""
    auth = table("authorities")
    return {a: str(n).removesuffix(" Metropolitan Borough Council") for a, n in zip(auth["authority"], auth["name"])}


@per_database(max_entries=8)
def vintages(*, authority: str) -> pd.DataFrame:
    """The vintages of the council in view: those that wrote its rows, and the national statistics all share.
    Another council's loads, labels and loaders are never listed."""
    v = table("vintages")
    mine = reader().vintages_of(authority)  # its Annex A loads and withdrawals too: extracts name their council
    return v[v["vintage"].isin(mine) | v["kind"].isin(("national",))].reset_index(drop=True)


@per_database(max_entries=8)
def vintage_choices(*, authority: str) -> tuple[list[str], dict[str, str]]:
    """The sidebar's 'Figures as reported' options grouped by kind (vocabulary.vintage_options), with their
    labels; keyed by the database's stamp, so the labels follow a replaced file."""
    return vintage_options(vintages(authority=authority))


@per_database(max_entries=32)
def vintage_name(vintage: str, *, authority: str) -> str:
    """The vintage in view as pages and papers name it: always the figures' vintage (vocabulary.vintage_label)."""
    return vintage_label(vintages(authority=authority), vintage)


@per_database(max_entries=8)
def later_writes_note(vintage: str, *, authority: str) -> str:
    """What applies on top of the figures' vintage in view: '2 later writes apply: commentary edit, targets load'."""
    later = later_writes(vintages(authority=authority), vintage)
    if later.empty:
        return ""
    kinds = ", ".join(dict.fromkeys(kind_word(k) for k in later["kind"]))
    n = len(later)
    return f"{n} later write{'s' if n != 1 else ''} on top of these figures: {kinds}."


@per_database(max_entries=64)
def months(vintage: str, *, authority: str) -> list[dt.date]:
    return reader().months(vintage, authority)


@per_database(max_entries=64)
def default_month_for(vintage: str, *, authority: str) -> dt.date | None:
    """The month a page opens at when the URL names none: the newest with a complete scorecard."""
    cov = reader().month_coverage(vintage, authority)
    return default_month([(p, int(n)) for p, n in zip(cov["period"], cov["figures"])])


@per_database(max_entries=8, resource=True)
def inputs(vintage: str, *, authority: str) -> service.Inputs:
    """The engine's inputs for a vintage, read once: a month change then costs the engine alone."""
    return service.inputs(reader(), vintage, authority)


@per_database(max_entries=128)
def scorecard(month: dt.date, vintage: str, *, authority: str) -> pd.DataFrame:
    return service.scorecard_from(inputs(vintage, authority=authority), month)


@per_database(max_entries=256)
def area_scorecard(month: dt.date, vintage: str, area: str, *, authority: str) -> pd.DataFrame:
    """One service area's rows of the month's scorecard, cut once rather than on every rerun."""
    sc = scorecard(month, vintage, authority=authority)
    return sc[sc["area"] == area]


@per_database(max_entries=64)
def observations(vintage: str, *, authority: str) -> pd.DataFrame:
    return reader().observations_as_of(vintage, authority)


@per_database(max_entries=64)
def history(ref: str, *, authority: str) -> pd.DataFrame:
    return reader().observation_history(authority, ref)


@per_database(max_entries=16)
def revised(vintage: str, *, authority: str) -> set:
    """(ref, month) of every figure revised by the vintage in view (store.revised_as_of)."""
    rev = reader().revised_as_of(vintage, authority)
    return set(zip(rev["ref"], rev["period"]))


@per_database(max_entries=32)
def target_history(ref: str, *, authority: str) -> pd.DataFrame:
    """Every target set for the indicator: printed in a pack or loaded, with the months it applies from."""
    return reader().target_history(authority, ref)


@per_database(max_entries=32)
def weekly(vintage: str, *, authority: str) -> pd.DataFrame:
    return reader().weekly_as_of(vintage, authority)


@per_database(max_entries=128)
def commentary(vintage: str, area: str, month: dt.date, *, authority: str) -> pd.DataFrame:
    return reader().commentary_as_of(vintage, authority, area, month)


@per_database(max_entries=128)
def draft(month: dt.date, vintage: str, area: str, *, authority: str):
    """The area's month drafted from the figures (engine.draft.Draft), from the month's cached scorecard."""
    return service.draft(
        reader(),
        month,
        area,
        vintage,
        authority,
        sc=scorecard(month, vintage, authority=authority),
        observations=observations(vintage, authority=authority),
    )


@per_database(max_entries=64)
def stale(text: str, area: str, vintage: str, *, authority: str) -> list[tuple[str, str]]:
    """Sentences of the published commentary quoting a figure revised since it was published."""
    return service.stale_commentary(reader(), text, area, vintage, authority)


@per_database(max_entries=32)
def derived(month: dt.date, vintage: str, *, authority: str) -> pd.DataFrame:
    return service.derived_figures(reader(), month, vintage, authority)


@per_database(max_entries=32)
def names() -> pd.DataFrame:
    return reader().names()


@per_database(max_entries=32)
def comparators(vintage: str, *, authority: str) -> pd.DataFrame:
    return reader().comparators_as_of(vintage, authority)


@per_database(max_entries=8)
def printed_ratings(*, authority: str) -> pd.DataFrame:
    """The RAG and arrows the packs printed by hand, to set beside the calculated ones."""
    return reader().printed_ratings(authority)


@per_database(max_entries=4)
def revisions(*, authority: str) -> pd.DataFrame:
    """Every revised cell with its effect on RAG and direction."""
    return service.revisions_with_impact(reader(), authority)


@per_database(max_entries=4)
def quality_checks(*, authority: str) -> dict[str, pd.DataFrame]:
    return service.quality_checks(reader(), authority)


@per_database(max_entries=8)
def national_summary(vintage: str, *, authority: str) -> pd.DataFrame:
    return service.national_summary(reader(), vintage, authority)


@per_database(max_entries=32)
def benchmark(ref: str, year: str, vintage: str) -> tuple[pd.DataFrame, str, str]:
    return service.benchmark(reader(), ref, year, vintage)


def authority_name() -> str:
    return council_names()[authority()]


def la_code() -> str:
    return service.la_code_of(reader(), authority())


@per_database(max_entries=8)
def neighbours(*, authority: str) -> dict[str, list[str]]:
    return service.neighbours_of(reader(), service.la_code_of(reader(), authority))


def neighbours_for(year_end: dt.date) -> list[str]:
    """The council's statistical neighbours in DfE's grouping for a year ending `year_end`."""
    return service.neighbours_for(neighbours(), year_end)


@per_database(max_entries=8)
def printed_vs_published(ref: str | None = None, *, authority: str) -> pd.DataFrame:
    """The packs' printed comparators that differ from the published figure (Data quality page); for one ref,
    every printed comparator beside the published one, as the indicator page shows it."""
    if ref is None:
        return service.printed_vs_published(reader(), authority)
    both = service.printed_vs_published(reader(), authority, only_differences=False)
    both = both[both["ref"] == ref]
    return pd.DataFrame(
        {
            "Comparator": both["comparator"].map(lambda c: COMPARATOR_NAME[c]),
            "Year": both["year"],
            "As printed": both["printed"],
            "Published or computed": both["published"],
            "Difference": both["difference"],
            "Printed in": both["vintage"],
        }
    )


@per_database(max_entries=8)
def printed_vs_calculated(*, authority: str) -> pd.DataFrame:
    return service.printed_vs_calculated(reader(), authority)


@per_database(max_entries=16)
def pack(month: dt.date, vintage: str, *, authority: str) -> papers.Pack:
    """Everything the month's papers need (scorecard, commentary, series for charts)."""
    return papers.gather(reader(), month, vintage, authority=authority)


_views_warmed: set[tuple] = set()
# Drafts ahead for the month the pages open at only: each is ~75 ms at first view of an older month, while all
# twelve months ahead cost ~12 CPU-s at every server start and every write, two thirds of the whole warm-up.
WARM_DRAFT_MONTHS = 1
_views_lock = threading.Lock()


def warm_views(vintage: str = "latest") -> None:
    """Once per database file, work out every month's scorecard and the whole-dashboard checks in a background
    thread, lowest first in line, so a panel member moving between months meets cached pages rather than the
    first view's 150-300 ms. DASHBOARD_WARM_VIEWS=0 switches it off (the tests do)."""
    if os.environ.get("DASHBOARD_WARM_VIEWS", "1") == "0":
        return
    wanted = (vintage, stamp())
    with _views_lock:
        if wanted in _views_warmed:
            return
        _views_warmed.add(wanted)
    who = authority()

    def work() -> None:
        try:
            recent = months(vintage, authority=who)
            for month in recent:
                scorecard(month, vintage, authority=who)
                time.sleep(0.01)  # a running session's script gets the interpreter between months
            national_summary(vintage, authority=who)
            quality_checks(authority=who)
            revisions(authority=who)
            plan(vintage, authority=who)
            areas = sorted(service_area_ids(table("areas")))
            for month in recent[:WARM_DRAFT_MONTHS]:  # each area page drafts its month's commentary
                for area in areas:
                    draft(month, vintage, area, authority=who)
                    time.sleep(0.01)
        except Exception:  # a cache warm-up must never break a page: the page works it out itself
            _log.exception("warming the views failed")

    thread = threading.Thread(target=work, name="warm-views", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())  # the caches it fills are the app's own
    thread.start()


@per_database(max_entries=8)
def plan(vintage: str, *, authority: str) -> dict[str, pd.DataFrame]:
    """The improvement plan as of the vintage, with Appendix B resolved against the catalogue."""
    return service.plan(reader(), vintage, authority)


# The service's views of frames a page already holds: uncached (cheap, and each page caches what it builds).
rag_counts = service.rag_counts
exceptions = service.exceptions
linked_actions = service.linked_actions
signals_after_actions = service.signals_after_actions
action_status = service.action_status
focus_areas = service.focus_areas
