"""The month's figures from the records: every registry row evaluated in DuckDB SQL over one or more pseudonymised
extracts. Month rules (docs/annex-a.md): event measures for every whole month inside the extract's six-month window,
snapshot measures for every month end it covers, as-at measures for the as-at date's month; a month covered by
several extracts takes the newest (by as-at date, then load order).

Two renderings of one registry: `compute` counts every measure of a list, for every month, in one scan (_family_sql,
over the lists stacked as Arrow); `_sql` is one measure's SQL row by row (_load's tables), for the rows behind a
figure. tests/test_records_speed.py checks that the two agree, findings and duplicates included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


# Rows with a finding on a column a measure uses are left out of it; these rules touch every measure of the list.
EVERY_COLUMN_RULES = ("duplicate", "missing_id")


@dataclass
class _Family:
    """Measures of one list that one scan evaluates: the same rows joined to the same days (event measures on one
    date column, placed in a month by it; measures open on the day on one start and end; caseloads per worker)."""

    list: str
    kind: str  # "event" (rows placed in a month by a date) or "open" (rows open on the day)
    date: str | None
    end: str | None
    per: str | None  # a caseload's allocated column
    measures: list[Measure] = field(default_factory=list)


def _family_key(m: Measure) -> tuple:
    kind = "event" if m.basis == "event" else "open"
    return (m.list, kind, m.date, None if kind == "event" else m.end, m.per)


def _wd(col: str) -> str:
    return "wd_day" if col == DAY else f"wd_{col}"


def _terms(m: Measure, bit: int | None) -> tuple[str, str | None, set[str]]:
    """(the row counts in the denominator on d's day, the row meets the numerator (None: a count), the columns whose
    working-day index is joined): the registry row as SQL over t (its list), d (the day it is judged on),
    wd_<column> (working-day index) and b (the row's findings, one bit per measure)."""
    conds = [f"d.basis = '{m.basis}'"]
    if m.basis != "event":  # an event row is placed in its month by the join
        conds += [f"t.{m.date} <= d.day"] if m.date else []
        conds += [f"(t.{m.end} IS NULL OR t.{m.end} > d.day)"] if m.end else []
    if m.age:  # whole years from the birth month (the day of birth is not kept)
        lo, hi = m.age
        born = "t.birth_month + INTERVAL"
        conds.append(f"{born} ({int(lo)}) YEAR <= d.day AND d.day < {born} ({int(hi) + 1}) YEAR")
    conds += [f"t.{col} = '{code}'" for col, code in m.where]
    if m.min_months:
        conds.append(f"t.{m.date} <= d.day - INTERVAL ({m.min_months}) MONTH")
    ok, wd = None, set()
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
                wd |= {w.start, w.to}
                gap = f"{_wd(w.to)}.n - {_wd(w.start)}.n"
            ok = f"({gap} > {w.limit})" if w.over else f"({start} <= {to} AND {gap} <= {w.limit})"
    elif m.at_least:
        conds += [f"t.{col} IS NOT NULL" for col, _ in m.at_least]  # a percentage of the counts known
        ok = "(" + " AND ".join(f"t.{col} >= {int(n)}" for col, n in m.at_least) + ")"
    elif m.match:
        conds += [f"t.{col} IS NOT NULL" for col, _ in m.match]  # a percentage of the answers known
        ok = "(" + " AND ".join(f"t.{col} = '{code}'" for col, code in m.match) + ")"
    if m.per:
        conds.append(f"t.{m.per} IS NOT NULL")
    if bit is not None:
        conds.append(f"(coalesce(b.bad, 0) & {bit}) = 0")
    return "(" + " AND ".join(conds) + ")", ok, wd


def _family_sql(fam: _Family, n: int, bits: dict[str, int] | None) -> str:
    """One scan of the family's list joined to its days (d rows with fam = n), every measure's denominator and
    numerator counted at once, then one row per measure and (extract, month) it is wanted for (d.want, a bit per
    measure). A month with no rows is a zero, from d. Children are counted once each by grouping on the child first
    (count(DISTINCT child) without a distinct per measure)."""
    terms = [_terms(m, bits[m.ref] if bits else None) for m in fam.measures]
    if fam.kind == "event":
        on = f"d.x = t.x AND d.month = CAST(date_trunc('month', t.{fam.date}) AS DATE)"
    else:
        on = "d.x = t.x"
        on += f" AND t.{fam.date} <= d.day" if fam.date else ""
        on += f" AND (t.{fam.end} IS NULL OR t.{fam.end} > d.day)" if fam.end else ""
    joins = "".join(
        f" LEFT JOIN wd {_wd(c)} ON {_wd(c)}.day = {'d.day' if c == DAY else f't.{c}'}"
        for c in sorted(set().union(*(w for _, _, w in terms)))
    )
    joins += f" LEFT JOIN bad_{fam.list} b ON b.x = t.x AND b.row = t.row" if bits else ""
    flags = ", ".join(
        f"{den} AS den_{k}" + (f", {den} AND {ok} AS num_{k}" if ok else "") for k, (den, ok, _) in enumerate(terms)
    )
    who = f", t.{fam.per} AS who" if fam.per else ""
    days = f"(SELECT * FROM d WHERE fam = {n})"
    dup = ", t.dup" if any(m.count == "children" for m in fam.measures) else ""
    rows = f"SELECT d.slot, t.child{dup}{who}, {flags} FROM l_{fam.list} t JOIN {days} d ON {on}{joins}"
    outs = [("den", k) for k in range(len(terms))] + [("num", k) for k, (_, ok, _) in enumerate(terms) if ok]
    if fam.per:  # a caseload: each worker's children (each once), then the workers' mean or highest
        per_worker = _counted(
            "slot, who",
            [(f"n_{k}", f"den_{k}", m) for k, m in enumerate(fam.measures)],
            [f"has_{k}" for k in range(len(terms))],
            [f"bool_or(den_{k})" for k in range(len(terms))],
        )
        final = ", ".join(
            f"count(*) FILTER (WHERE has_{k}) AS den_{k}, "
            + (f"sum(n_{k}) FILTER (WHERE has_{k})" if m.stat == "mean" else f"max(n_{k}) FILTER (WHERE has_{k})")
            + f" AS num_{k}"
            for k, m in enumerate(fam.measures)
        )
        outs = [(c, k) for k in range(len(terms)) for c in ("den", "num")]
        agg = f"SELECT slot, {final} FROM ({per_worker}) GROUP BY slot"
    else:
        agg = _counted("slot", [(f"{c}_{k}", f"{c}_{k}", fam.measures[k]) for c, k in outs])
    has_num = {k for c, k in outs if c == "num"}
    pick_den = " ".join(f"WHEN {k} THEN a.den_{k}" for k in range(len(terms)))
    pick_num = " ".join(f"WHEN {k} THEN a.num_{k}" for k in sorted(has_num))
    refs = ", ".join(f"({k}, '{m.ref}', {m.stat == 'max'})" for k, m in enumerate(fam.measures))
    numerator = f"CASE k.i {pick_num} END" if has_num else "NULL"
    return f"""
        SELECT k.ref, d.x, d.month, coalesce(CASE k.i {pick_den} END, 0) AS denominator,
               CASE WHEN k.blank THEN {numerator} ELSE coalesce({numerator}, 0) END AS numerator
        FROM {days} d
        JOIN (VALUES {refs}) k(i, ref, blank) ON (d.want >> k.i) & 1 = 1
        LEFT JOIN (WITH j AS ({rows}) {agg}) a ON a.slot = d.slot"""


def _counted(keys: str, outs: list[tuple[str, str, Measure]], flags: list[str] = (), any_of: list[str] = ()) -> str:
    """SELECT keys, and each (name, flag, measure) in outs: the rows, or the children, whose flag holds (and each
    flags name: whether any row's any_of expression holds). A child on one row of the list (not dup) is counted by
    its row; only children on several rows are grouped to be counted once, which is count(DISTINCT child)
    without grouping every row (DuckDB groups all rows once per distinct aggregate)."""
    single = [
        f"count(*) FILTER (WHERE {flag}{'' if m.count == 'rows' else ' AND NOT dup AND child IS NOT NULL'}) AS {name}"
        for name, flag, m in outs
    ] + [f"{expr} AS {name}" for name, expr in zip(flags, any_of)]
    query = f"SELECT {keys}, {', '.join(single)} FROM j GROUP BY {keys}"
    kids = [(name, flag) for name, flag, m in outs if m.count == "children"]
    if not kids:
        return query
    once = ", ".join(f"bool_or({flag}) AS {name}" for name, flag in kids)
    several = [
        f"count(*) FILTER (WHERE {name}) AS {name}" if m.count == "children" else f"0 AS {name}" for name, _, m in outs
    ] + [f"NULL AS {name}" for name in flags]
    query += (
        f" UNION ALL SELECT {keys}, {', '.join(several)} FROM (SELECT {keys}, child, {once} FROM j"
        f" WHERE dup AND child IS NOT NULL GROUP BY {keys}, child) GROUP BY {keys}"
    )
    total = [f"CAST(sum({name}) AS BIGINT) AS {name}" for name, _, _ in outs] + [f"bool_or({n}) AS {n}" for n in flags]
    return f"SELECT {keys}, {', '.join(total)} FROM ({query}) GROUP BY {keys}"


def _columns(key: str, registry: Sequence[Measure]) -> list[str]:
    """The columns of a list the registry reads (and the row, the child, and the birth month where an age is)."""
    used = {"row", "child"}
    for m in registry:
        if m.list == key:
            used |= set(m.uses) - {"dob"} | ({"birth_month"} if m.age else set())
    return [
        c for c in dict.fromkeys(["row", "child", "birth_month"] + [c.key for c in LISTS[key].columns]) if c in used
    ]


_TYPES = {"date": pa.date32(), "count": pa.int64(), "code": pa.string(), "id": pa.string()}


def _arrow(values: pd.Series, kind: str) -> pa.Array | pa.ChunkedArray:
    """A column as the SQL reads it, without a pass through Python objects where pandas holds it as Arrow or
    numpy: dates as dates, counts as whole numbers, codes as text (a blank column is never a number)."""
    array = values.array
    if hasattr(array, "__arrow_array__"):  # text and nullable whole numbers
        col = pa.array(array)
    elif values.dtype.kind in "iu" and kind == "id":
        return pa.array(values.to_numpy())  # the national bench's whole-number IDs stay numbers
    else:
        col = pa.array(values.to_numpy(), from_pandas=True)
    return col.cast(_TYPES[kind])


def _stacked(key: str, extracts: Sequence[Extract], columns: list[str], children: bool) -> tuple:
    """(Every extract's rows of one list as one Arrow table, which DuckDB scans without a copy; per extract, the
    columns some row fills in). x is the extract; dup, where a measure counts children, says the child is on more
    than one row of the list in that extract. Frames with the same columns and types are stacked in one go."""
    kinds = {c.key: c.kind for c in LISTS[key].columns} | {"row": "count", "birth_month": "date", "child": "id"}
    groups: dict[tuple, list[int]] = {}
    for i, e in enumerate(extracts):
        frame = e.lists.get(key)
        if frame is not None and len(frame):
            groups.setdefault(tuple((c, str(t)) for c, t in frame.dtypes.items() if c in columns), []).append(i)
    if not groups:
        return None, {}
    tables, filled = [], {}
    for signature, xs in groups.items():
        frames = [extracts[i].lists[key] for i in xs]
        stacked = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        sizes = np.array([len(f) for f in frames])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        have = {c for c, _ in signature}
        cols = {"x": pa.array(np.repeat(np.array(xs, dtype=np.int32), sizes))}
        for i in xs:
            filled[i] = set()
        for c in columns:
            if c not in have:
                cols[c] = pa.nulls(len(stacked), _TYPES[kinds[c]])
                continue
            cols[c] = _arrow(stacked[c], kinds[c])
            valid = np.add.reduceat(np.asarray(pc.is_valid(cols[c])), starts)
            for i, n in zip(xs, valid):
                if n:
                    filled[i].add(c)
        tables.append(pa.table(cols))
    if len({t.schema for t in tables}) > 1:  # a child ID a number in one extract and text in another: text
        tables = [
            t.set_column(t.column_names.index("child"), "child", t.column("child").cast(pa.string())) for t in tables
        ]
    table = pa.concat_tables(tables)
    if not children:
        return table, filled
    # a child on one row of its extract's list is counted by its row; only the others need counting once
    child = table.column("child").combine_chunks().dictionary_encode().indices  # each child a whole number
    codes = pc.fill_null(child, -1).to_numpy().astype(np.int64)
    pair = table.column("x").to_numpy().astype(np.int64) * (codes.max() + 2) + codes
    dup = pd.Series(pair).duplicated(keep=False).to_numpy() & (codes >= 0)
    return table.append_column("dup", pa.array(dup)), filled


def _working_days(con, tables: dict[str, pa.Table], wanted: Sequence[Measure], as_ats, bank_holidays) -> None:
    """wd: for every day the working-day measures touch, the working days since the first (n(end) - n(start) counts
    the working days after a start up to and including an end)."""
    days = []
    for m in wanted:
        if m.within and m.within.unit == "working_days":
            for c in (m.within.start, m.within.to):
                if c != DAY and m.list in tables:
                    lo, hi = pc.min_max(tables[m.list].column(c)).values()
                    days += [lo.as_py(), hi.as_py()] if lo.is_valid else []
    days += [d for day in as_ats for d in window(day)]  # the days a snapshot is judged on lie in the windows
    cal = workdays.calendar(min(days), max(days), bank_holidays)
    con.register(
        "wd",
        pa.table({"day": pa.array([d for d, _ in cal], pa.date32()), "n": pa.array([n for _, n in cal], pa.int32())}),
    )


def _pairs(extracts: Sequence[Extract], wanted: list[Measure], eligible: dict, newest: bool) -> dict[str, list]:
    """Each measure's (extract, month, day) to compute: every eligible extract's months, or with `newest` only the
    newest eligible extract's for each month (the older figures would be dropped anyway)."""
    months: dict[tuple[str, dt.date], list] = {}
    rank = sorted(range(len(extracts)), key=lambda i: (extracts[i].as_at, i))
    pairs: dict[str, list[tuple[int, dt.date, dt.date]]] = {}
    for m in wanted:
        chosen: dict[dt.date, tuple[int, dt.date]] = {}  # month -> the newest eligible extract and its day
        every = []
        xs = set(eligible[m.ref])
        for i in rank:  # oldest first, so a newer extract takes the month over
            if i not in xs:
                continue
            key = (m.basis, extracts[i].as_at)
            if key not in months:
                months[key] = months_for(*key)
            for month, day in months[key]:
                chosen[month] = (i, day)
                every.append((i, month, day))
        pairs[m.ref] = [(i, month, day) for month, (i, day) in chosen.items()] if newest else every
    return pairs


def _evaluate(con, extracts, tables: dict[str, pa.Table], wanted: list[Measure], eligible, newest):
    """ref, x, month, denominator, numerator, excluded for every measure and the (extract, month) it is wanted for."""
    pairs = _pairs(extracts, wanted, eligible, newest)
    findings = pd.concat(
        [e.findings[["list", "row", "column", "rule"]].assign(x=i) for i, e in enumerate(extracts) if len(e.findings)]
        or [pd.DataFrame({"list": [], "row": [], "column": [], "rule": [], "x": []})],
        ignore_index=True,
    )
    families: dict[tuple, _Family] = {}
    for m in wanted:
        families.setdefault(_family_key(m), _Family(*_family_key(m))).measures.append(m)
    excluded, bits_of = [], {}
    for key in dict.fromkeys(m.list for m in wanted):
        measures = [m for m in wanted if m.list == key]
        mine = findings[findings["list"] == key]
        if mine.empty:  # a list with no findings needs no look-up per row
            continue
        bits_of[key] = {m.ref: 1 << k for k, m in enumerate(measures)}
        bad = np.zeros(len(mine), dtype=np.int64)
        for m in measures:
            touching = (mine["column"].isin(m.uses) | mine["rule"].isin(EVERY_COLUMN_RULES)).to_numpy()
            bad |= np.where(touching, bits_of[key][m.ref], 0)
            count = mine[touching].groupby("x")["row"].nunique()
            excluded.append(pd.DataFrame({"ref": m.ref, "x": count.index, "excluded": count.to_numpy()}))
        flagged = mine.assign(bad=bad)[bad > 0]
        flagged = flagged.groupby(["x", "row"], as_index=False)["bad"].agg(np.bitwise_or.reduce)
        con.register(f"bad_{key}", flagged.astype({"x": "int32", "row": "int64", "bad": "int64"}))
    days: dict[tuple, int] = {}
    for n, fam in enumerate(families.values()):
        for k, m in enumerate(fam.measures):
            for i, month, day in pairs[m.ref]:
                slot = (n, i, m.basis, month, day)
                days[slot] = days.get(slot, 0) | (1 << k)
    for key in dict.fromkeys(m.list for m in wanted):
        con.register(f"l_{key}", tables[key])  # extracts no month is taken from are dropped by the join to d
    slots = list(days)
    con.register(
        "d",
        pa.table(
            {
                "slot": pa.array(range(len(slots)), pa.int32()),
                "fam": pa.array([s[0] for s in slots], pa.int32()),
                "x": pa.array([s[1] for s in slots], pa.int32()),
                "basis": pa.array([s[2] for s in slots], pa.string()),
                "month": pa.array([s[3] for s in slots], pa.date32()),
                "day": pa.array([s[4] for s in slots], pa.date32()),
                "want": pa.array(list(days.values()), pa.int64()),
            }
        ),
    )
    sql = " UNION ALL ".join(_family_sql(fam, n, bits_of.get(fam.list)) for n, fam in enumerate(families.values()))
    got = con.execute(sql).df()
    got["excluded"] = 0
    if excluded:
        ex = pd.concat(excluded, ignore_index=True)
        got = got.drop(columns="excluded").merge(ex, on=["ref", "x"], how="left")
        got["excluded"] = got["excluded"].fillna(0)
    return got


def compute(
    extracts: Sequence[Extract],
    registry: Sequence[Measure] = REGISTRY,
    bank_holidays: Iterable[dt.date] | None = None,
    newest: bool = True,
) -> Computed:
    """Every registry row over every extract in one DuckDB query: one scan per list and date counts all its
    measures for all its months. Where several extracts cover a ref's month, the newest by as-at date, then load
    order (the order given). newest=False keeps every extract's figures (extracts of different councils, as the
    national bench has)."""
    notes: list[str] = []
    if not extracts:
        return Computed(pd.DataFrame(columns=COLUMNS), notes)
    for e in extracts:
        for key, frame in e.lists.items():
            refs = [m.ref for m in registry if m.list == key]
            if not len(frame) and refs:
                notes.append(
                    f"{e.name}: List {LISTS[key].number} has no records, so {', '.join(refs)} are not computed from it"
                )
    # each list of every extract as one Arrow table; an empty list is not a month of zeros
    tables: dict[str, pa.Table] = {}
    filled: dict[tuple[str, int], set[str]] = {}
    for key in dict.fromkeys(m.list for m in registry):
        children = any(m.count == "children" for m in registry if m.list == key)
        table, cols = _stacked(key, extracts, _columns(key, registry), children)
        if table is not None:
            tables[key] = table
            filled.update({(key, i): c for i, c in cols.items()})
    # a column no row fills in is taken as not in the extract (as an empty list is), never as a month of zeros
    eligible: dict[str, list[int]] = {m.ref: [] for m in registry}
    for i, e in enumerate(extracts):
        for m in registry:
            if (m.list, i) not in filled:
                continue
            empty = [c for c in m.needs if c not in filled[(m.list, i)]]
            if empty:
                notes.append(
                    f"{e.name}: List {LISTS[m.list].number} has no {', '.join(empty)} filled in, "
                    f"so {m.ref} is not computed from it"
                )
            else:
                eligible[m.ref].append(i)
    wanted = [m for m in registry if m.list in tables]
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")  # a progress bar on stdout would corrupt the CLI's CSV
        if any(m.within and m.within.unit == "working_days" for m in wanted):
            try:
                _working_days(con, tables, wanted, [e.as_at for e in extracts], bank_holidays)
            except workdays.CalendarUnavailable as exc:
                skipped = [m.ref for m in wanted if m.within and m.within.unit == "working_days"]
                notes.append(f"{', '.join(skipped)} not computed: {exc}")
                wanted = [m for m in wanted if m.ref not in skipped]
        wanted = [m for m in wanted if eligible[m.ref]]
        if not wanted:
            return Computed(pd.DataFrame(columns=COLUMNS), notes)
        got = _evaluate(con, extracts, tables, wanted, eligible, newest)
    finally:
        con.close()
    meta = pd.DataFrame(
        {"x": range(len(extracts)), "extract": [e.name for e in extracts], "as_at": [e.as_at for e in extracts]}
    )
    got = got.merge(meta, on="x").sort_values(["as_at", "x"], kind="stable")
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
