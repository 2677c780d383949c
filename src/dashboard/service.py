"""Store -> engine: gathers one authority's frames as of a vintage and asks the engine for a scorecard.
Shared by the CLI and the app so both show the same numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .engine import derived, quality, regional, scorecard, spc
from .engine import draft as draft_engine
from .engine import national as national_engine
from .engine import plan as plan_engine
from .store import ReadOnlyStore
from .words.periods import add_months

Inputs = scorecard.Inputs  # what the engine needs for one authority and vintage (the app caches it)


def default_authority(reader: ReadOnlyStore) -> str:
    return str(reader.table("authorities")["authority"].iloc[0])


def inputs(
    reader: ReadOnlyStore, vintage: str | None, authority: str, refs: list[str] | None = None
) -> scorecard.Inputs:
    """The engine's frames as of the vintage; with refs, only those indicators (each is judged on its own)."""
    revised = reader.revised_as_of(vintage, authority)
    indicators = reader.table("indicators")
    if refs is not None:
        indicators = indicators[indicators["ref"].isin(set(refs))]
    return scorecard.Inputs(
        indicators=indicators,
        observations=reader.observations_as_of(vintage, authority, refs=refs),
        targets=reader.targets_as_of(vintage, authority),
        comparators=reader.comparators_as_of(vintage, authority),
        baselines=reader.baselines_as_of(vintage, authority),
        revised=revised,
        printed=reader.printed_ratings_as_of(vintage, authority),
        national=national_by_ref(reader, vintage, authority),
    )


def neighbours_of(reader: ReadOnlyStore, la_code: str) -> dict[str, list[str]]:
    """Grouping ("2021", "2025") -> our ten statistical neighbours' codes, closest first."""
    sn = reader.table("stat_neighbours")
    sn = sn[sn["la_code"] == la_code].sort_values("rank")
    return {str(g): list(rows["neighbour_code"]) for g, rows in sn.groupby("grouping")}


def la_code_of(reader: ReadOnlyStore, authority: str) -> str:
    auth = reader.table("authorities").set_index("authority")
    code = auth.loc[authority, "la_code"] if authority in auth.index else ""
    return "" if pd.isna(code) else str(code)


def national_summary(reader: ReadOnlyStore, vintage: str | None, authority: str) -> pd.DataFrame:
    """Per published measure and year: ours, England, region, GM, SN and our rank (engine.national.summary)."""
    code = la_code_of(reader, authority)
    values = reader.national_latest(vintage)
    return national_engine.summary(values, reader.table("national_measures"), code, neighbours_of(reader, code))


def national_by_ref(reader: ReadOnlyStore, vintage: str | None, authority: str) -> pd.DataFrame:
    measures = reader.table("national_measures")
    return national_engine.for_refs(
        national_summary(reader, vintage, authority), reader.table("national_map"), measures
    )


def printed_vs_published(
    reader: ReadOnlyStore, authority: str, vintage: str | None = None, only_differences: bool = True
) -> pd.DataFrame:
    """Comparators the packs printed beside DfE's published figure for the same year; by default only those
    that differ by more than rounding (the Data quality page lists them)."""
    return national_engine.printed_vs_published(
        reader.comparators_printed(authority),
        national_by_ref(reader, vintage, authority),
        only_differences=only_differences,
    )


def benchmark(
    reader: ReadOnlyStore, ref: str, year: str | None = None, vintage: str | None = None
) -> tuple[pd.DataFrame, str, str]:
    """Every council's published figure, rank and band for the ref's measure in a year (default: the latest).
    -> (table, measure, year). KeyError names a ref with no published measure, or a year not published."""
    mapping = reader.table("national_map").set_index("ref")
    if ref not in mapping.index:
        raise KeyError(f"unknown ref {ref!r}")
    measure = mapping.loc[ref, "measure"]
    if not measure or pd.isna(measure):
        raise KeyError(f"{ref} has no published national measure: {mapping.loc[ref, 'reason']}")
    values = reader.national_latest(vintage)
    values = values[values["measure"] == measure]
    years = list(dict.fromkeys(values.sort_values("year_end")["year"]))
    year = year or (years[-1] if years else "")
    if year not in years:
        raise KeyError(f"{ref} ({measure}) has no published year {year!r}; published: {', '.join(years)}")
    polarity = reader.table("national_measures").set_index("measure").loc[measure, "polarity"]
    return national_engine.benchmark(values, measure, year, polarity), measure, year


def neighbours_for(neighbours: dict[str, list[str]], year_end: dt.date) -> list[str]:
    """The statistical neighbours in DfE's grouping for a year ending `year_end` (from `neighbours_of`)."""
    return neighbours.get(national_engine.grouping_for(year_end), [])


def build_scorecard(
    reader: ReadOnlyStore,
    month: dt.date,
    vintage: str | None = None,
    authority: str | None = None,
    areas: list[str] | None = None,
) -> pd.DataFrame:
    authority = authority or default_authority(reader)
    return scorecard.build(inputs(reader, vintage, authority), month, areas)


def scorecard_from(inputs_: Inputs, month: dt.date) -> pd.DataFrame:
    """The month's scorecard from inputs already read (the app reads them once per vintage)."""
    return scorecard.build(inputs_, month)


def sharing_councils(reader: ReadOnlyStore, region: str) -> list[str]:
    """The councils sharing monthly figures with the region (their newest choice)."""
    return regional.sharing_councils(reader.regional_sharing_as_of("latest"), region)


def quality_checks(reader: ReadOnlyStore, authority: str) -> dict[str, pd.DataFrame]:
    """The Data quality page's checks of the latest figures: gaps, definition changes, ref churn, implausible."""
    obs = reader.observations_as_of("latest", authority)
    ind = reader.table("indicators")
    ind = ind[ind["frequency"] != "week"]
    return {
        "gaps": quality.gaps(obs, ind),
        "definitions": quality.definition_changes(ind, reader.names()),
        "churn": quality.ref_churn(reader.printed_refs(authority), reader.table("vintages"), ind),
        "implausible": quality.implausible(obs, ind),
    }


def plan(reader: ReadOnlyStore, vintage: str, authority: str) -> dict[str, pd.DataFrame]:
    """The improvement plan as of the vintage, with Appendix B resolved against the catalogue."""
    actions = reader.plan_as_of("plan_actions", vintage, authority)
    measures = reader.plan_as_of("plan_measures", vintage, authority)
    if not actions.empty:  # plan order (1.2 before 1.10), whichever file each row last came from
        key = actions["action_ref"].str.split(".", expand=True).astype(int)
        actions = actions.assign(_p=key[0], _n=key[1]).sort_values(["_p", "_n"]).drop(columns=["_p", "_n"])
    printed = set(reader.printed_refs(authority)["ref"])
    resolved = (
        plan_engine.resolve_measures(measures, reader.table("indicators"), printed)
        if not measures.empty
        else pd.DataFrame(columns=["focus_area", "ref", "resolved", "reason", "action_refs"])
    )
    return {
        "priorities": reader.table("plan_priorities"),
        "actions": actions,
        "measures": measures,
        "resolved": resolved,
    }


def rag_counts(sc: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Per service area, how many indicators are rated each way: the count the papers print too."""
    return scorecard.rag_counts(sc, areas)


def exceptions(sc: pd.DataFrame) -> pd.DataFrame:
    """What the panel discusses, in triage order: Red and Amber, then unusual activity measures."""
    return scorecard.exceptions(sc)


def linked_actions(plan_: dict[str, pd.DataFrame], ref: str) -> pd.DataFrame:
    """The plan's actions linked to an indicator through Appendix B (`plan_` as `plan` returns it)."""
    actions = plan_["actions"]
    return plan_engine.linked_actions(ref, plan_["resolved"], actions) if not actions.empty else actions


def signals_after_actions(linked: pd.DataFrame, row: pd.Series, series: pd.DataFrame) -> list[str]:
    """One line per linked action: whether a special-cause signal followed it on the indicator's SPC chart, with
    the chart's own rebase and fixed baseline. `series`: the indicator's period and value up to the month."""
    rebase, fixed = spc.settings_for(row)
    points = spc.points(
        series.assign(ref=row["ref"])[["ref", "period", "value"]].dropna(), "ref", rebase=rebase, baseline=fixed
    )
    return plan_engine.signals_after(linked, points, row["polarity"])


def action_status(actions: pd.DataFrame, month: dt.date) -> pd.Series:
    """Each action's status at the month: Completed, Overdue, Not started, In progress or No dates printed."""
    return plan_engine.action_status(actions, month)


def focus_areas(measures: pd.DataFrame) -> pd.DataFrame:
    """One row per focus area: name and the action refs Appendix B links to it."""
    return plan_engine.focus_areas(measures)


def derived_figures(
    reader: ReadOnlyStore, month: dt.date, vintage: str | None = None, authority: str | None = None
) -> pd.DataFrame:
    authority = authority or default_authority(reader)
    auth = reader.table("authorities").set_index("authority")
    obs = reader.observations_as_of(vintage, authority, until=month)
    return derived.derived_for_month(
        obs, reader.table("indicators"), month, float(auth.loc[authority, "population_0_17"])
    )


def revisions_with_impact(reader: ReadOnlyStore, authority: str | None = None) -> pd.DataFrame:
    """Every revised cell, with the RAG and direction of its month before and after the revision."""
    authority = authority or default_authority(reader)
    rev = reader.revisions(authority)
    if rev.empty:
        return quality.revision_impact(rev, {})
    # Each vintage judges its revised cells in one pass (scorecard.judge), reading only the revised refs (a
    # rating depends on its own indicator alone): 234 scorecard builds at national scale became 40 passes.
    cells = pd.concat(
        [
            rev[["old_vintage", "ref", "period"]].rename(columns={"old_vintage": "vintage"}),
            rev[["new_vintage", "ref", "period"]].rename(columns={"new_vintage": "vintage"}),
        ]
    )
    judged = judge_as_of(reader, authority, cells)
    judgements = {
        (period, vintage): rows.set_index("ref")[["rag", "direction"]]
        for (period, vintage), rows in judged.groupby(["period", "vintage"], sort=False)
    }
    return quality.revision_impact(rev, judgements)


def judge_as_of(reader: ReadOnlyStore, authority: str, cells: pd.DataFrame) -> pd.DataFrame:
    """cells: vintage, ref, period -> the same with rag and direction, each cell judged as its vintage stood.
    One read per table and one engine pass for every vintage at once: each vintage's copy of a ref is keyed
    "vintage<US>ref", so scorecard.judge sees one set of inputs."""
    if cells.empty:
        return cells.assign(rag=pd.Series(dtype=str), direction=pd.Series(dtype=str))
    sep = "\x1f"
    cells = cells.drop_duplicates(["vintage", "ref", "period"]).reset_index(drop=True)
    pairs = cells[["vintage", "ref"]].drop_duplicates().rename(columns={"vintage": "as_of"})
    # Each cell's figure, the month before and the same month a year before: the months a rating reads.
    wanted = pd.concat(
        [
            pd.DataFrame(
                {"as_of": cells["vintage"], "ref": cells["ref"], "period": [add_months(p, k) for p in cells["period"]]}
            )
            for k in (0, -1, -12)
        ]
    ).drop_duplicates()

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(ref=frame["as_of"] + sep + frame["ref"]).drop(columns="as_of")

    indicators = reader.table("indicators").merge(pairs, on="ref")
    vintages = reader.table("vintages")
    national_seqs = sorted(vintages.loc[vintages["kind"] == "national", "seq"])
    seq_of = vintages.set_index("vintage")["seq"]
    published: dict[object, pd.DataFrame] = {}  # the national figures change only with a national load
    national = []
    for vintage, refs in pairs.groupby("as_of")["ref"]:
        held = max((s for s in national_seqs if s <= seq_of[vintage]), default=None)
        if held not in published:
            published[held] = national_by_ref(reader, vintage, authority)
        mine = published[held]
        national.append(mine[mine["ref"].isin(set(refs))].assign(as_of=vintage))
    judging = scorecard.Inputs(
        indicators=keyed(indicators),
        observations=keyed(reader.cells_as_of_many(authority, wanted)),
        targets=keyed(reader.meta_as_of_many("targets", authority, pairs)),
        comparators=keyed(reader.meta_as_of_many("comparators", authority, pairs)),
        baselines=keyed(reader.meta_as_of_many("baselines", authority, pairs)),
        national=keyed(pd.concat(national, ignore_index=True)),
    )
    judged = scorecard.judge(judging, cells.assign(ref=cells["vintage"] + sep + cells["ref"])[["ref", "period"]])
    split = judged["ref"].str.split(sep, n=1, expand=True)
    return judged.assign(vintage=split[0], ref=split[1])[["vintage", "ref", "period", "rag", "direction"]]


def printed_vs_calculated(reader: ReadOnlyStore, authority: str | None = None) -> pd.DataFrame:
    """For every pack that printed RAG ratings, each printed rating beside the one calculated from that
    pack's figures."""
    authority = authority or default_authority(reader)
    printed = reader.printed_ratings(authority)
    printed = printed[printed["rag"] != ""]
    labels = reader.table("vintages").set_index("vintage")["label"]
    scorecards = {}
    for (vintage, period), _ in printed.groupby(["vintage", "period"]):
        scorecards[(period, labels[vintage])] = scorecard.build(inputs(reader, vintage, authority), period)
    return quality.printed_vs_calculated(scorecards)


def revisions_since_last_pack(reader: ReadOnlyStore, vintage: str | None, authority: str) -> pd.DataFrame:
    """Figures revised since the pack before the newest one in view (what the panel has not yet been told)."""
    rev = reader.revisions(authority)
    if rev.empty:
        return rev
    v = reader.table("vintages").set_index("vintage")
    view = reader.vintage_seq(vintage)
    packs = sorted(int(x) for x in v.loc[(v["kind"] == "pack") & (v["seq"] <= view), "seq"])
    since = packs[-2] if len(packs) >= 2 else 0
    new_seq = rev["new_vintage"].map(v["seq"])
    return rev[(new_seq > since) & (new_seq <= view)].reset_index(drop=True)


def draft(
    reader: ReadOnlyStore,
    month: dt.date,
    area: str,
    vintage: str | None = None,
    authority: str | None = None,
    sc: pd.DataFrame | None = None,
    observations: pd.DataFrame | None = None,
) -> draft_engine.Draft:
    """The area's month as a draft commentary, from the engine's results only. The app passes the month's
    scorecard and the vintage's observations it already holds; the CLI lets them be read here."""
    authority = authority or default_authority(reader)
    areas = reader.table("areas").set_index("area")
    if sc is None:
        sc = scorecard.build(inputs(reader, vintage, authority), month, [area])
    sc = sc[sc["area"] == area] if not sc.empty else sc
    refs = list(sc["ref"]) if not sc.empty else []
    if observations is None:
        observations = reader.observations_as_of(vintage, authority, refs=refs, until=month) if refs else pd.DataFrame()
    history = observations
    if not history.empty:  # the area's figures first: the vintage's whole history is ten times the rows
        history = history[history["ref"].isin(refs) & (history["status"] == "value")]
        history = history[history["period"] <= month]
    revised = revisions_since_last_pack(reader, vintage, authority)
    if not revised.empty:
        revised = revised[revised["period"] <= month]  # a draft for a month never quotes later months
    return draft_engine.draft(sc, month, areas.loc[area, "short_title"], history, revised)


def stale_commentary(
    reader: ReadOnlyStore, text: str, area: str, vintage: str | None = None, authority: str | None = None
) -> list[tuple[str, str]]:
    """Sentences of published commentary that quote a figure which has since been revised (or was already out of
    date when written): the figure as it stands in the view is what counts."""
    authority = authority or default_authority(reader)
    rev = reader.revisions(authority)
    if rev.empty:
        return []
    v = reader.table("vintages").set_index("vintage")["seq"]
    new_seq = rev["new_vintage"].map(v)
    rev = rev[new_seq <= reader.vintage_seq(vintage)].assign(_seq=new_seq).sort_values("_seq", kind="stable")
    ind = reader.table("indicators")
    ind = ind[ind["area"] == area]
    return draft_engine.stale_sentences(
        text, draft_engine.revised_cells(rev), list(ind["ref"]), dict(zip(ind["ref"], ind["unit"]))
    )
