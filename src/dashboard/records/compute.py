"""The month's figures from the records: every registry row evaluated in DuckDB SQL over one or more pseudonymised
extracts. Month rules (docs/annex-a.md): event measures for every whole month inside the extract's six-month window,
snapshot measures for every month end it covers, as-at measures for the as-at date's month; a month covered by
several extracts takes the newest (by as-at date, then load order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace

import duckdb
import numpy as np
import pandas as pd

from . import workdays
from .annex_a import LISTS, Extract
from .measures import DAY, REGISTRY, Measure

WINDOW_MONTHS = 6
COLUMNS = ["ref", "month", "computed", "numerator", "denominator", "excluded", "extract", "as_at"]


@dataclass
class Computed:
    figures: pd.DataFrame  # COLUMNS, one row per ref and month
    notes: list[str] = field(default_factory=list)  # refs not computed, and why


def _add_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _month_end(first: dt.date) -> dt.date:
    return _add_months(first, 1) - dt.timedelta(days=1)


def window(as_at: dt.date) -> tuple[dt.date, dt.date]:
    """The extract's six months: the day after the same date six months before, up to the as-at date."""
    return _add_months(as_at, -WINDOW_MONTHS) + dt.timedelta(days=1), as_at


def months_for(basis: str, as_at: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(month, the day it is judged on) for a basis: whole months in the window, month ends in it, or the as-at."""
    start, end = window(as_at)
    if basis == "as_at":
        return [(as_at.replace(day=1), as_at)]
    out, month = [], start.replace(day=1)
    while month <= end:
        last = _month_end(month)
        if (basis == "event" and month >= start and last <= end) or (basis == "snapshot" and start <= last <= end):
            out.append((month, last))
        month = _add_months(month, 1)
    return out


def _sql(m: Measure, findings: bool = True, rows: str = "") -> str:
    """One measure's SQL over every extract at once: its list (l_<list>), d (each extract's months and the day each
    is judged on), wd (working-day index) and f (findings: a row with a finding on a column the measure uses is left
    out). x is the extract. With `rows` (columns of t), the rows it counts instead, each with ok and gap."""
    if m.basis == "event":
        conds = [f"t.{m.date} BETWEEN d.month AND d.last"]
    else:  # open on the day (a list with no dates, such as care leavers, holds only those open at the as-at date)
        conds = [f"t.{m.date} <= d.day"] if m.date else ["TRUE"]
        conds += [f"(t.{m.end} IS NULL OR t.{m.end} > d.day)"] if m.end else []
    if m.age:  # whole years from the birth month (the day of birth is not kept)
        lo, hi = m.age
        born = "t.birth_month + INTERVAL"
        conds.append(f"{born} ({int(lo)}) YEAR <= d.day AND d.day < {born} ({int(hi) + 1}) YEAR")
    conds += [f"t.{col} = '{code}'" for col, code in m.where]
    if m.min_months:
        conds.append(f"t.{m.date} <= d.day - INTERVAL ({m.min_months}) MONTH")
    unit = "t._" if m.count == "rows" else "t.child"
    joins, ok = "", "NULL"
    gap = "NULL"  # the days or working days a timescale measures, for the breakdown's rows
    if m.within:
        w = m.within
        start = f"t.{w.start}"
        to = "d.day" if w.to == DAY else f"t.{w.to}"
        if w.unit == "months":
            ok = (
                f"({to} > {start} + INTERVAL ({w.limit}) MONTH)"
                if w.over
                else f"({start} <= {to} AND {to} <= {start} + INTERVAL ({w.limit}) MONTH)"
            )
        else:
            if w.unit == "days":
                gap = f"date_diff('day', {start}, {to})"
            else:
                joins = f"LEFT JOIN wd ws ON ws.day = {start} LEFT JOIN wd we ON we.day = {to}"
                gap = "we.n - ws.n"
            ok = f"({gap} > {w.limit})" if w.over else f"({start} <= {to} AND {gap} <= {w.limit})"
    elif m.at_least:
        conds += [f"t.{col} IS NOT NULL" for col, _ in m.at_least]  # a percentage of the counts known
        ok = "(" + " AND ".join(f"t.{col} >= {int(n)}" for col, n in m.at_least) + ")"
    elif m.match:
        conds += [f"t.{col} IS NOT NULL" for col, _ in m.match]  # a percentage of the answers known
        ok = "(" + " AND ".join(f"t.{col} = '{code}'" for col, code in m.match) + ")"
    uses = ", ".join(f"'{c}'" for c in m.uses)
    touching = f"f.list = '{m.list}' AND (f.col IN ({uses}) OR f.rule IN ('duplicate', 'missing_id'))"
    # a list with no findings needs no look-up per row (the national bench's 15M rows have none)
    # rows with a finding touching the measure, left out by an anti-join (a correlated NOT EXISTS was 2-3x slower)
    flagged = (
        f"LEFT JOIN (SELECT DISTINCT f.x, f.row FROM f WHERE {touching}) fx ON fx.x = t.x AND fx.row = t.row"
        if findings
        else ""
    )
    clean = "fx.row IS NULL" if findings else "TRUE"
    # a row is in a month once (rows are unique), so only children need DISTINCT
    count, count_ok = (
        ("count(DISTINCT h.unit)", "count(DISTINCT CASE WHEN h.ok THEN h.unit END)")
        if m.count == "children"
        else ("count(h.unit)", "count(CASE WHEN h.ok THEN h.unit END)")
    )
    if m.per:
        conds.append(f"t.{m.per} IS NOT NULL")
    if rows:  # the breakdown (records/breakdown.py): these very rows, so a team's figures add up to the council's
        return f"""
        SELECT d.x, d.month, d.day, {unit} AS unit, {ok} AS ok, {gap} AS gap, {rows}
        FROM d JOIN l_{m.list} t ON t.x = d.x AND d.basis = '{m.basis}' AND {" AND ".join(conds)} {joins} {flagged}
        WHERE {clean}"""
    if m.per:  # a caseload: each worker's distinct children, then their mean (children / workers) or the highest
        numerator = "coalesce(sum(w.n), 0)" if m.stat == "mean" else "max(w.n)"
        return f"""
        SELECT '{m.ref}' AS ref, d.x, d.month, count(w.who) AS denominator, {numerator} AS numerator,
               (SELECT count(DISTINCT f.row) FROM f WHERE f.x = d.x AND {touching}) AS excluded
        FROM (SELECT * FROM d WHERE basis = '{m.basis}' AND x IN (SELECT x FROM l_{m.list})) d
        LEFT JOIN (
            SELECT d.x, d.month, t.{m.per} AS who, count(DISTINCT {unit}) AS n
            FROM d JOIN l_{m.list} t ON t.x = d.x AND d.basis = '{m.basis}' AND {" AND ".join(conds)} {flagged}
            WHERE {clean}
            GROUP BY d.x, d.month, t.{m.per}
        ) w ON w.x = d.x AND w.month = d.month
        GROUP BY d.x, d.month"""
    return f"""
        SELECT '{m.ref}' AS ref, d.x, d.month, {count} AS denominator, {count_ok} AS numerator,
               (SELECT count(DISTINCT f.row) FROM f WHERE f.x = d.x AND {touching}) AS excluded
        FROM (SELECT * FROM d WHERE basis = '{m.basis}' AND x IN (SELECT x FROM l_{m.list})) d
        LEFT JOIN (
            SELECT d.x, d.month, {unit} AS unit, {ok} AS ok
            FROM d JOIN l_{m.list} t ON t.x = d.x AND d.basis = '{m.basis}' AND {" AND ".join(conds)} {joins} {flagged}
            WHERE {clean}
        ) h ON h.x = d.x AND h.month = d.month
        GROUP BY d.x, d.month"""


def _load(con: duckdb.DuckDBPyConnection, extracts: Sequence[Extract]) -> None:
    """Every extract's lists stacked in one table per list (x: the extract), its findings in f, its months in d."""
    for key in LISTS:
        # an empty list is not a month of zeros: its refs are not computed from that extract (compute says so)
        frames = [e.lists[key].assign(x=i) for i, e in enumerate(extracts) if key in e.lists and len(e.lists[key])]
        if not frames:
            continue
        t = pd.concat(frames, ignore_index=True)
        t.insert(0, "_", range(len(t)))  # a unit per row, for row counts
        con.register(f"_{key}", t)
        # text columns stay text even where no extract filled them in (a blank column must not become a number)
        cols = [
            f"CAST({c} AS DATE) AS {c}"
            if pd.api.types.is_datetime64_any_dtype(t[c])
            else (f"CAST({c} AS VARCHAR) AS {c}" if t[c].dtype == object else c)
            for c in t.columns
        ]
        con.execute(f"CREATE TABLE l_{key} AS SELECT {', '.join(cols)} FROM _{key}")
        con.unregister(f"_{key}")
    f = pd.concat(
        [
            e.findings.rename(columns={"column": "col"})[["list", "row", "col", "rule"]].assign(x=i)
            for i, e in enumerate(extracts)
        ],
        ignore_index=True,
    )
    con.register("_f", f)
    con.execute(
        "CREATE TABLE f AS SELECT list::VARCHAR AS list, row::BIGINT AS row, col::VARCHAR AS col,"
        " rule::VARCHAR AS rule, x::INTEGER AS x FROM _f"
    )
    days = [
        (i, basis, month, day, _month_end(month))
        for i, e in enumerate(extracts)
        for basis in ("event", "snapshot", "as_at")
        for month, day in months_for(basis, e.as_at)
    ]
    con.register("_d", pd.DataFrame(days, columns=["x", "basis", "month", "day", "last"]))
    con.execute(
        "CREATE TABLE d AS SELECT x::INTEGER AS x, basis::VARCHAR AS basis, CAST(month AS DATE) AS month,"
        " CAST(day AS DATE) AS day, CAST(last AS DATE) AS last FROM _d"
    )


def _calendar(con, extracts: Sequence[Extract], wanted: Sequence[Measure], bank_holidays) -> None:
    """wd: for every day the working-day measures touch, the working days since the first (n(end) - n(start) counts
    the working days after a start up to and including an end)."""
    days = []
    for m in wanted:
        if m.within and m.within.unit == "working_days":
            for e in extracts:
                for c in (m.within.start, m.within.to):
                    if c != DAY and m.list in e.lists:
                        dates = pd.to_datetime(e.lists[m.list][c]).dropna()
                        days += [dates.min().date(), dates.max().date()] if len(dates) else []
    days += [d for e in extracts for d in window(e.as_at)]  # the days a snapshot is judged on lie in the windows
    cal = pd.DataFrame(workdays.calendar(min(days), max(days), bank_holidays), columns=["day", "n"])
    con.register("_wd", cal)
    con.execute("CREATE TABLE wd AS SELECT CAST(day AS DATE) AS day, n::INTEGER AS n FROM _wd")


def compute(
    extracts: Sequence[Extract],
    registry: Sequence[Measure] = REGISTRY,
    bank_holidays: Iterable[dt.date] | None = None,
    newest: bool = True,
) -> Computed:
    """Every registry row over every extract in one DuckDB query; where several extracts cover a ref's month, the
    newest by as-at date, then load order (the order given). newest=False keeps every extract's figures (extracts of
    different councils, as the national bench has)."""
    notes: list[str] = []
    if not extracts:
        return Computed(pd.DataFrame(columns=COLUMNS), notes)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")  # a progress bar on stdout would corrupt the CLI's CSV
        _load(con, extracts)
        for e in extracts:
            for key, frame in e.lists.items():
                refs = [m.ref for m in registry if m.list == key]
                if not len(frame) and refs:
                    notes.append(
                        f"{e.name}: List {LISTS[key].number} has no records, "
                        f"so {', '.join(refs)} are not computed from it"
                    )
        # a column no row fills in is taken as not in the extract (as an empty list is), never as a month of zeros
        unfilled: set[tuple[str, int]] = set()
        for i, e in enumerate(extracts):
            for m in registry:
                frame = e.lists.get(m.list)
                if frame is None or not len(frame):
                    continue
                empty = [c for c in m.needs if c not in frame.columns or frame[c].isna().all()]
                if empty:
                    unfilled.add((m.ref, i))
                    notes.append(
                        f"{e.name}: List {LISTS[m.list].number} has no {', '.join(empty)} filled in, "
                        f"so {m.ref} is not computed from it"
                    )
        wanted = [m for m in registry if any(len(e.lists.get(m.list, ())) for e in extracts)]
        if any(m.within and m.within.unit == "working_days" for m in wanted):
            try:
                _calendar(con, extracts, wanted, bank_holidays)
            except workdays.CalendarUnavailable as exc:
                skipped = [m.ref for m in wanted if m.within and m.within.unit == "working_days"]
                notes.append(f"{', '.join(skipped)} not computed: {exc}")
                wanted = [m for m in wanted if m.ref not in skipped]
        if not wanted:
            return Computed(pd.DataFrame(columns=COLUMNS), notes)
        flagged = set(con.execute("SELECT DISTINCT list FROM f").fetchnumpy()["list"].tolist())
        got = con.execute(" UNION ALL ".join(_sql(m, m.list in flagged) for m in wanted)).df()
    finally:
        con.close()
    meta = pd.DataFrame(
        {"x": range(len(extracts)), "extract": [e.name for e in extracts], "as_at": [e.as_at for e in extracts]}
    )
    if unfilled:
        drop = pd.Series([(r, x) in unfilled for r, x in zip(got["ref"], got["x"])], index=got.index, dtype=bool)
        got = got[~drop]
    got = got.merge(meta, on="x").sort_values(["as_at", "x"])
    if newest:
        got = got.drop_duplicates(["ref", "month"], keep="last")
    kind = got["ref"].map({m.ref: m.kind for m in wanted})
    den = got["denominator"].astype(float)
    num = got["numerator"].astype(float)  # blank for the highest caseload where no child is allocated
    positive = den.where(den > 0)
    # one decimal place, halves rounded up as the scorecard's spreadsheets print them; no cases is blank, never 0%
    share = np.floor(1000 * num / positive + 0.5) / 10
    mean = np.floor(10 * num / positive + 0.5) / 10
    computed = share.where(kind == "percent", den).where(kind != "mean", mean).where(kind != "max", num)
    out = pd.DataFrame(
        {
            "ref": got["ref"],
            "month": pd.to_datetime(got["month"]).dt.date,
            "computed": computed,
            "numerator": num.where(kind != "count", den),
            "denominator": den.where(kind != "count"),
            "excluded": got["excluded"].astype(int),
            "extract": got["extract"],
            "as_at": got["as_at"],
        }
    )
    order = {m.ref: i for i, m in enumerate(registry)}
    out = out.assign(_r=out["ref"].map(order)).sort_values(["_r", "month"], kind="stable")
    return Computed(out[COLUMNS].reset_index(drop=True), notes)


# ---------------------------------------------------------------- the rows behind a figure (the drill-down)

ROW_COLUMNS = ["month", "day", "extract", "as_at", "unit", "ok", "gap", "row", "child", "team", "worker", "who"]


def counted_rows(
    extracts: Sequence[Extract], m: Measure, bank_holidays: Iterable[dt.date] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(figures, rows): compute's figures for one measure, and for each month the rows (or children) that figure
    counts, from the extract it comes from, by the same SQL (_sql). Each row says whether it meets the numerator
    (ok), the days or working days its timescale measures (gap), its team and worker, and the measure's dates."""
    only = [dc_replace(e, lists={m.list: e.lists[m.list]} if m.list in e.lists else {}) for e in extracts]
    figures = compute(only, [m], bank_holidays).figures
    dates = [c for c in m.uses if c != "dob" and _kind(m.list, c) == "date"]
    keys = {c.key for c in LISTS[m.list].columns}
    extra = [f"t.{c} AS {c}" if c in keys else f"NULL AS {c}" for c in ("team", "worker")]
    extra += ["t.row AS row", "t.child AS child", f"t.{m.per} AS who" if m.per else "NULL AS who"]
    extra += [f"t.{c} AS {c}" for c in dates]
    empty = pd.DataFrame(columns=ROW_COLUMNS + dates)
    if figures.empty:
        return figures, empty
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        _load(con, only)
        if m.within and m.within.unit == "working_days":
            _calendar(con, only, [m], bank_holidays)
        flagged = bool(con.execute("SELECT count(*) FROM f WHERE list = ?", [m.list]).fetchone()[0])
        got = con.execute(_sql(m, flagged, ", ".join(extra))).df()
    finally:
        con.close()
    # the extract each month's figure comes from (compute's newest rule): the last loaded of that name and date
    meta = pd.DataFrame({"x": range(len(only)), "extract": [e.name for e in only], "as_at": [e.as_at for e in only]})
    chosen = figures[["month", "extract", "as_at"]].merge(meta, on=["extract", "as_at"])
    chosen = chosen.sort_values("x").drop_duplicates("month", keep="last")[["month", "x", "extract", "as_at"]]
    got["month"] = pd.to_datetime(got["month"]).dt.date
    got["day"] = pd.to_datetime(got["day"]).dt.date
    rows = got.merge(chosen, on=["x", "month"])
    for c in dates:
        rows[c] = pd.to_datetime(rows[c]).dt.date
    rows["ok"] = rows["ok"].astype("boolean")
    return figures, rows[ROW_COLUMNS + dates].sort_values(["month", "row"]).reset_index(drop=True)


def _kind(key: str, col: str) -> str:
    return next((c.kind for c in LISTS[key].columns if c.key == col), "")
