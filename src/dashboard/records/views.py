"""What one viewer may see of a figure computed from the children's records: the frames the indicator page's
Breakdown and the area page's team view lay out, worked out here, below the pages, and already cut to the viewer.

`teams` is what the viewer's grants open for the figure's area (ui/breakdown.Access): None, every team (record-level
access, or the synthetic demo); a set, only those teams' workers and children, with every team aggregate suppressed
(breakdown.suppress: counts from 1 to 4 are "fewer than 5"); an empty set, suppressed aggregates only."""

from __future__ import annotations

import pandas as pd

from ..words.formatting import name_key
from . import breakdown, compute, stored
from .measures import DAY, REGISTRY, Measure, definition

MEASURES: dict[str, Measure] = {m.ref: m for m in REGISTRY}
# The names and units as the pages write them: breakdown's own, so a page and the suppression agree.
shown_name, measured_in = breakdown.shown_name, breakdown.measured_in


def computed_ref(ref: str) -> bool:
    return ref in MEASURES


def how_computed(ref: str) -> str:
    """The ref's definition in words, made from its registry row (measures.definition)."""
    return definition(MEASURES[ref])


def may_see_team(teams: frozenset | None, name: object) -> bool:
    return teams is None or name_key(name) in teams


def held(reader, authority: str) -> tuple[list, pd.DataFrame]:
    """The council's held extracts as compute reads them, and its extracts table: one council's records only."""
    return stored.from_store(reader, authority=authority), stored.held(reader, authority)


def counted(extracts: list, ref: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(figures, rows): each month's council figure and the rows it counts (compute.counted_rows)."""
    return compute.counted_rows(extracts, MEASURES[ref])


def team_figures(rows: pd.DataFrame, ref: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every month's figure by team, and the council's from the same rows (so the teams add up to it)."""
    m = MEASURES[ref]
    return breakdown.by_group(rows, m, ("team",)), breakdown.council(rows, m)


def suppressed(table: pd.DataFrame, ref: str, teams: frozenset | None) -> pd.DataFrame:
    """A team table as this viewer may see it."""
    return table if teams is None else breakdown.suppress(table, MEASURES[ref])


def _drawable(shown: pd.DataFrame) -> list[bool]:
    """Rows whose figure may be drawn: a number, not a word standing for a hidden one."""
    return [not isinstance(v, str) and pd.notna(v) for v in shown["value"]]


def team_table(table: pd.DataFrame, ref: str, teams: frozenset | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, drawn): one month's team table as the viewer may see it, and the rows a bar chart may draw."""
    raw = table.assign(team=table["team"].map(shown_name))
    shown = suppressed(raw, ref, teams)
    return shown, raw[_drawable(shown)]


def team_trend(table: pd.DataFrame, council: pd.DataFrame, ref: str, teams: frozenset | None) -> pd.DataFrame:
    """Every month's drawable team figures, then the council's (team "Council")."""
    parts = []
    for _, g in table.groupby("month"):
        g = g.assign(team=g["team"].map(shown_name))
        parts.append(g[_drawable(suppressed(g, ref, teams))])
    drawn = pd.concat(parts) if parts else table.iloc[:0]
    return pd.concat([drawn, council.assign(team="Council")])


def workers(rows: pd.DataFrame, ref: str, team: str, teams: frozenset | None) -> pd.DataFrame:
    """One team's figure by worker; no rows for a team the viewer may not see (the page offers only those it may,
    and the read checks again)."""
    m = MEASURES[ref]
    part = rows[rows["team"] == team] if may_see_team(teams, team) else rows.iloc[:0]
    table = breakdown.by_group(part.assign(worker=part["who"]) if m.per else part, m, ("team", "worker"))
    return table.assign(worker=table["worker"].map(shown_name))


def judged_on_the_day(ref: str) -> bool:
    """True where the timescale is how long since (the last visit), not how long it took."""
    m = MEASURES[ref]
    return m.within is not None and m.within.to == DAY


def spread(
    rows: pd.DataFrame, ref: str, teams: frozenset | None, table: pd.DataFrame, width: int = 5
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """(stats, bins, gaps) for a timescale in days: per team the cases, median and 90th percentile (for a viewer
    without record access, hiding what the month's team `table` hides as they see it, and a median of fewer than 5
    cases, all but a record); the cases in bands of `width` (bands of fewer than 5 left out for that viewer); and
    the cases measured."""
    gaps = rows[rows["gap"].notna()]
    if teams is not None:
        gaps = gaps.assign(team=gaps["team"].fillna(breakdown.NO_TEAM))
    m = MEASURES[ref]
    stats = breakdown.spread(rows, m)
    if teams is not None:  # never showing a team's cases that the team table beside it hides
        stats = breakdown.suppress_spread(stats, breakdown.suppress(table, m), m)
    stats["team"] = stats["team"].map(shown_name)
    bins = (gaps["gap"].astype(float) // width * width).value_counts().sort_index()
    if teams is not None:
        bins = bins[bins >= breakdown.SMALL]
    return stats, bins, gaps


def caseload_summary(rows: pd.DataFrame, ref: str, teams: frozenset | None, threshold: int) -> list[dict]:
    """Per team: workers, median and highest caseload and how many are above the threshold; a team of fewer than 5
    workers is hidden (FEWER_WORKERS), and a count from 1 to 4 above the threshold is "fewer than 5", for a viewer
    without record access. Numbers stay numbers for the page to write."""
    loads = breakdown.caseloads(rows, MEASURES[ref])
    out = []
    for team, g in loads.groupby("team"):
        few = teams is not None and len(g) < breakdown.SMALL
        over = int((g["children"] > threshold).sum())
        hidden_over = teams is not None and 0 < over < breakdown.SMALL
        out.append(
            {
                "team": shown_name(team),
                "workers": breakdown.FEWER if few else len(g),
                "median": breakdown.FEWER_WORKERS if few else float(g["children"].median()),
                "highest": breakdown.FEWER_WORKERS if few else int(g["children"].max()),
                "above": breakdown.FEWER_WORKERS if few else (breakdown.FEWER if hidden_over else over),
            }
        )
    return out


def highest_caseloads(rows: pd.DataFrame, ref: str, teams: frozenset | None, threshold: int) -> pd.DataFrame:
    """The ten highest caseloads and every worker above the threshold, in the teams the viewer may see."""
    loads = breakdown.caseloads(rows, MEASURES[ref])
    named = loads[[may_see_team(teams, t) for t in loads["team"]]]
    top = pd.concat([named.head(10), breakdown.above(named, threshold)]).drop_duplicates()
    return top.assign(worker=top["worker"].map(shown_name), team=top["team"].map(shown_name))


def has_children_list(ref: str) -> bool:
    return breakdown.to_discuss_when(MEASURES[ref]) is not None


def children(rows: pd.DataFrame, ref: str, teams: frozenset | None) -> pd.DataFrame:
    """The records to discuss in the teams the viewer may see, names as written."""
    kids = breakdown.children(rows, MEASURES[ref])
    kids = kids[[may_see_team(teams, t) for t in kids["team"]]]
    return kids.assign(team=kids["team"].map(shown_name), worker=kids["worker"].map(shown_name))
