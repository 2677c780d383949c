"""Why a computed figure is what it is: the month's figure by team and by worker, the trend per team, the spread of
a timescale, and the children to discuss. Pure (no streamlit): every number comes from compute.counted_rows, the
rows the council figure itself counts, so a breakdown always adds up to the council figure.

Who may see what (README, "Drill-down"): without record-level access only team aggregates are shown, and any count
from 1 to 4 is shown as "fewer than 5" (`suppress`); worker names and the children's pseudonyms need it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .measures import Measure

SMALL = 5  # counts from 1 to SMALL - 1 are never shown without record-level access
FEWER = "fewer than 5"  # a count from 1 to 4
# A figure worked out from a small count (a percentage, a median): "fewer than 5" there would read as its value.
FEWER_CASES = "hidden: fewer than 5 cases"
FEWER_WORKERS = "hidden: fewer than 5 workers"  # a team's caseload, and the children it is worked out from
WITHHELD = "withheld"  # a cell hidden so a small one cannot be worked out from the council total
NO_TEAM = "No team recorded"
NO_WORKER = "No worker recorded"
# A "match" measure whose rows without the code are the ones to discuss (the others have no list: being in a foster
# placement, or assessed as not in need, is not a failing).
DISCUSS_UNMATCHED = {"CF30"}


def figure(kind: str, numerator: float, denominator: float) -> float:
    """compute's rounding: one decimal place, halves up; no cases is blank (NaN), never 0%."""
    if kind == "count":
        return float(denominator)
    if kind == "max":
        return float(numerator) if denominator else math.nan
    if not denominator:
        return math.nan
    scale = 1000 if kind == "percent" else 10  # a percentage, or a mean caseload, to one decimal place
    return math.floor(scale * numerator / denominator + 0.5) / 10


def _units(rows: pd.DataFrame, m: Measure) -> pd.DataFrame:
    """One line per thing the figure counts: a row, or a child once per month (with the team and worker of its
    latest row, and meeting the numerator if any of its rows does, as compute counts it)."""
    rows = rows.assign(
        team=rows["team"].fillna(NO_TEAM).astype(str), worker=rows["worker"].fillna(NO_WORKER).astype(str)
    )
    if m.count == "rows":
        return rows
    rows = rows.sort_values(["month", "unit", "row"])
    first = rows.groupby(["month", "unit"], sort=False).tail(1).set_index(["month", "unit"])
    ok = rows.assign(ok=rows["ok"].fillna(False).astype(bool)).groupby(["month", "unit"])["ok"].any()
    first["ok"] = ok
    return first.reset_index()


def by_group(rows: pd.DataFrame, m: Measure, by: tuple[str, ...] = ("team",)) -> pd.DataFrame:
    """month, the groups (team, worker), numerator, denominator, value: the figure for each group, by compute's
    definition. A caseload's group is the worker's team (the team of the worker's latest row)."""
    cols = ["month", *by, "numerator", "denominator", "value"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    kind = m.kind
    if m.per:
        r = rows.assign(team=rows["team"].fillna(NO_TEAM).astype(str), worker=rows["who"].astype(str))
        r = r.sort_values(["month", "who", "row"])
        team = r.groupby(["month", "who"]).tail(1).set_index(["month", "who"])["team"]
        loads = r.groupby(["month", "who"])["unit"].nunique().rename("n").to_frame()
        loads["team"] = team
        loads = loads.reset_index().rename(columns={"who": "worker"})
        agg = "sum" if m.stat == "mean" else "max"
        out = loads.groupby(["month", *by]).agg(numerator=("n", agg), denominator=("n", "size")).reset_index()
    else:
        u = _units(rows, m)
        u = u.assign(ok=u["ok"].fillna(False).astype(bool))
        out = u.groupby(["month", *by]).agg(numerator=("ok", "sum"), denominator=("ok", "size")).reset_index()
        if kind == "count":
            out["numerator"] = out["denominator"]
    out["value"] = [figure(kind, n, d) for n, d in zip(out["numerator"], out["denominator"])]
    if kind == "count":
        out["denominator"] = np.nan
    return out[cols].sort_values(["month", *by]).reset_index(drop=True)


def council(rows: pd.DataFrame, m: Measure) -> pd.DataFrame:
    """The council figure from the same rows (month, numerator, denominator, value): the check that the groups add
    up to what compute gives."""
    whole = by_group(rows.assign(team="all"), m, ("team",))
    return whole.drop(columns="team")


def _small(v) -> bool:
    return pd.notna(v) and 0 < v < SMALL


def suppress(table: pd.DataFrame, m: Measure) -> pd.DataFrame:
    """The team table as a viewer without record-level access sees it (text cells): a count from 1 to 4 is "fewer
    than 5" (the number within timescale too when fewer than 5 were outside it), a percentage worked out from one
    says so (FEWER_CASES), and a team's caseload with fewer than 5 workers is hidden with its children's count.
    Where only one team's count in a column is hidden, the next smallest is withheld too, so the hidden one cannot
    be worked out from the council figure."""
    kind, n, d = m.kind, table["numerator"].tolist(), table["denominator"].tolist()
    rows = range(len(table))
    if kind == "count":
        hide = {"numerator": [_small(v) for v in n], "denominator": [False for _ in rows]}
    elif kind == "percent":
        hide = {
            "numerator": [_small(a) or _small(b) or _small(b - a) for a, b in zip(n, d)],
            "denominator": [_small(b) for b in d],
        }
    else:  # a caseload: fewer than 5 workers in a team would all but name them
        hide = {"numerator": [_small(b) for b in d], "denominator": [_small(b) for b in d]}
    why = {c: [FEWER if h else "" for h in hide[c]] for c in hide}
    if kind not in ("count", "percent"):  # the children are not few: the workers they would name are
        why["numerator"] = [FEWER_WORKERS if h else "" for h in hide["numerator"]]
    if kind == "percent":  # the number meeting it is hidden for a small number missing it: say which is small
        why["numerator"] = [FEWER if _small(a) or _small(b) else (WITHHELD if h else "") for a, b, h in
                            zip(n, d, hide["numerator"])]  # fmt: skip
    # a figure hidden only because a count beside it is withheld is itself withheld, not "fewer than 5"
    primary = [hide["numerator"][i] or hide["denominator"][i] for i in rows]
    for col, values in (("numerator", n), ("denominator", d)):
        _withhold_next(hide[col], why[col], values)
    out = table.copy().astype({"numerator": object, "denominator": object, "value": object})
    small_figure = {"count": FEWER, "percent": FEWER_CASES}.get(kind, FEWER_WORKERS)
    for col in ("numerator", "denominator"):
        out[col] = [why[col][i] if hide[col][i] else out[col].iat[i] for i in rows]
    out["value"] = [
        (small_figure if primary[i] else WITHHELD) if hide["numerator"][i] or hide["denominator"][i] else v
        for i, v in zip(rows, out["value"])
    ]
    if kind == "percent":  # missing the measure: due less done, hidden whenever the number meeting it is
        out["outside"] = [
            (FEWER if _small(b - a) or _small(b) else WITHHELD) if hide["numerator"][i] else b - a
            for i, a, b in zip(rows, n, d)
        ]
    return out


def _withhold_next(hidden: list[bool], why: list[str], values: list) -> None:
    """Where only one team's cell of a column is hidden, withhold the next smallest too, so the hidden one cannot be
    worked out from the council total (in place)."""
    if sum(hidden) != 1 or len(values) < 2:
        return
    others = sorted((v, i) for i, v in enumerate(values) if not hidden[i] and pd.notna(v) and v > 0)
    if others:
        j = others[0][1]
        hidden[j], why[j] = True, WITHHELD


def suppress_spread(stats: pd.DataFrame, shown: pd.DataFrame, m: Measure) -> pd.DataFrame:
    """The spread of a timescale (`spread`) as a viewer without record-level access sees it, hiding at least what
    the team table they see (`shown`, from `suppress`, same team names) hides: a team's cases are "fewer than 5"
    from 1 to 4 (its median and 90th percentile, all but a record, hidden too), withheld where the table hides
    that team's cases, and where only one team's are then hidden the next smallest is withheld too. The all-teams
    row is the council figure's own count, and stays."""
    counted = "numerator" if m.kind == "count" else "denominator"
    table_hides = {t for t, v in zip(shown["team"], shown[counted]) if isinstance(v, str)}
    out = stats.astype({"cases": object, "median": object, "p90": object})
    team_rows = out.index[out["team"] != "All teams"]
    cases = out.loc[team_rows, "cases"].tolist()
    small = [_small(c) for c in cases]
    hidden = [s or t in table_hides for s, t in zip(small, out.loc[team_rows, "team"])]
    why = [FEWER if s else (WITHHELD if h else "") for s, h in zip(small, hidden)]
    _withhold_next(hidden, why, cases)
    out.loc[team_rows, "cases"] = [w if h else c for w, h, c in zip(why, hidden, cases)]
    out.loc[team_rows[small], ["median", "p90"]] = FEWER_CASES
    return out


def to_discuss_when(m: Measure) -> bool | None:
    """Which value of `ok` marks a record to discuss (outside timescale, overdue, open too long), or None when the
    ref has no such list (a count, a caseload, a share such as fostering)."""
    if m.per:
        return None
    if m.within is not None:
        return bool(m.within.over)  # over 18 months is itself the numerator; otherwise missing the timescale is
    if m.at_least:
        return True  # three or more placements, a re-referral
    if m.match and m.ref in DISCUSS_UNMATCHED:
        return False
    return None


def children(rows: pd.DataFrame, m: Measure) -> pd.DataFrame:
    """The records to discuss for each month: pseudonym, team, worker, the measure's dates, and the days taken or
    overdue. Empty (with the columns) where the ref has no such list."""
    when = to_discuss_when(m)
    dates = [c for c in rows.columns if c not in _ROW_COLS]
    cols = ["month", "pseudonym", "team", "worker", *dates, "measured", "over_by", "extract"]
    if when is None or rows.empty:
        return pd.DataFrame(columns=cols)
    u = _units(rows, m)
    u = u[u["ok"].fillna(False).astype(bool) == when]
    out = pd.DataFrame(
        {
            "month": u["month"],
            "pseudonym": u["child"].fillna(""),
            "team": u["team"],
            "worker": u["worker"],
            **{c: u[c] for c in dates},
            "measured": u["gap"],
            "over_by": [_over(m, g) for g in u["gap"]],
            "extract": u["extract"],
        }
    )
    return out[cols].sort_values(["month", "team", "worker", "pseudonym"]).reset_index(drop=True)


_ROW_COLS = {"month", "day", "extract", "as_at", "unit", "ok", "gap", "row", "child", "team", "worker", "who"}


def _over(m: Measure, gap) -> float:
    """Days (or working days) beyond the limit; blank where the timescale is in months or nothing was recorded."""
    if m.within is None or m.within.unit == "months" or gap is None or pd.isna(gap):
        return math.nan
    return float(gap) - m.within.limit


def measured_in(m: Measure) -> str:
    """What the `measured` column counts, in words."""
    if m.within is None or m.within.unit == "months":
        return ""
    return "working days" if m.within.unit == "working_days" else "days"


def spread(rows: pd.DataFrame, m: Measure) -> pd.DataFrame:
    """Per team, for a timescale in days: cases, median and 90th percentile of the days measured (and the limit)."""
    cols = ["team", "cases", "median", "p90"]
    if m.within is None or m.within.unit == "months" or rows.empty:
        return pd.DataFrame(columns=cols)
    u = _units(rows, m)
    u = u[u["gap"].notna()]
    parts = [("All teams", u)] + [(t, g) for t, g in u.groupby("team")]
    return pd.DataFrame(
        [
            {
                "team": t,
                "cases": len(g),
                "median": float(np.percentile(g["gap"].astype(float), 50)) if len(g) else math.nan,
                "p90": float(np.percentile(g["gap"].astype(float), 90)) if len(g) else math.nan,
            }
            for t, g in parts
        ],
        columns=cols,
    )


def shown_name(name: object) -> str:
    """The reader keeps names in lower case (case aside); shown with capitals as a name would be written."""
    text = str(name)
    return text if text in (NO_TEAM, NO_WORKER, "All teams") or not text.islower() else text.title()


def caseloads(rows: pd.DataFrame, m: Measure) -> pd.DataFrame:
    """For a caseload ref (WF8-WF13): each worker's children at the extract date (team, worker, children), highest
    first. A worker's team is the team of their latest row, as by_group has it."""
    cols = ["month", "team", "worker", "children"]
    if not m.per or rows.empty:
        return pd.DataFrame(columns=cols)
    loads = by_group(rows.assign(worker=rows["who"]), m, ("team", "worker"))
    out = loads.assign(children=loads["numerator"].astype(int))[cols]
    return out.sort_values(["month", "children", "team", "worker"], ascending=[True, False, True, True]).reset_index(
        drop=True
    )


def above(loads: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The workers holding more children than the threshold the admin sets."""
    return loads[loads["children"] > threshold]
