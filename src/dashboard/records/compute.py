"""The month's figures from the records: every registry row evaluated in DuckDB SQL over one or more pseudonymised
extracts. Month rules (docs/annex-a.md): event measures for every whole month inside the extract's six-month window,
snapshot measures for every month end it covers, as-at measures for the as-at date's month; a month covered by
several extracts takes the newest (by as-at date, then load order).

One rendering of the registry (_terms: each measure's conditions as SQL) over one scan per family of measures
(_scan: a list's rows joined to the days they are judged on, over the lists stacked as Arrow): `compute` counts
every measure of a family, for every month, in that scan (_family_sql); `counted_rows` lists the rows one measure
counts from the same scan (_rows_sql), for the drill-down. tests/test_records_speed.py checks that counting those
rows gives compute's figures, findings and duplicates included."""

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


# Rows with a finding on a column a measure uses are left out of it; these rules touch every measure of the list.
EVERY_COLUMN_RULES = ("duplicate", "missing_id")


@dataclass
class _Family:
    """Measures of one list that one scan evaluates: the same rows joined to the same days (event measures on one
    date column, placed in a month by it; measures open on the day on one start and end, all judged at month ends or
    all at the as-at date, so the as-at measures' rows are not joined to every month end; caseloads per worker)."""

    list: str
    basis: str  # "event" (rows placed in a month by a date), or rows open on the day: "snapshot" or "as_at"
    date: str | None
    end: str | None
    per: str | None  # a caseload's allocated column
    measures: list[Measure] = field(default_factory=list)


def _family_key(m: Measure) -> tuple:
    return (m.list, m.basis, m.date, None if m.basis == "event" else m.end, m.per)


def _wd(col: str) -> str:
    return "wd_day" if col == DAY else f"wd_{col}"


def _row_only(m: Measure) -> list[str]:
    """The measure's conditions on its list's row alone (codes, answers known, a worker allocated): a scan keeps
    only the rows some measure of its family may count before it joins them to their days."""
    conds = [f"t.{col} = '{code}'" for col, code in m.where]
    if not m.within:  # a percentage of the counts, or of the answers, known
        conds += [f"t.{col} IS NOT NULL" for col, _ in (m.at_least or m.match or ())]
    return conds + ([f"t.{m.per} IS NOT NULL"] if m.per else [])


def _terms(m: Measure, bit: int | None) -> tuple[str, str | None, set[str], str]:
    """(the row counts in the denominator on d's day, the row meets the numerator (None: a count), the columns whose
    working-day index is joined, the days or working days its timescale measures, for the rows behind a figure): the
    registry row as SQL over t (its list), d (the day it is judged on), wd_<column> (working-day index) and b (the
    row's findings, one bit per measure)."""
    # The scan's join does the rest: it places an event row in its month, joins an open record only to the days it is
    # open on, and joins a family only to its own days, all of one basis (so none of that is repeated per measure).
    conds = _row_only(m)
    if m.age:  # whole years from the birth month (the day of birth is not kept)
        lo, hi = m.age
        born = "t.birth_month + INTERVAL"
        conds.append(f"{born} ({int(lo)}) YEAR <= d.day AND d.day < {born} ({int(hi) + 1}) YEAR")
    if m.min_months:
        conds.append(f"t.{m.date} <= d.day - INTERVAL ({m.min_months}) MONTH")
    ok, wd, gap = None, set(), "NULL"
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
        ok = "(" + " AND ".join(f"t.{col} >= {int(n)}" for col, n in m.at_least) + ")"
    elif m.match:
        ok = "(" + " AND ".join(f"t.{col} = '{code}'" for col, code in m.match) + ")"
    if bit is not None:
        conds.append(f"(coalesce(b.bad, 0) & {bit}) = 0")
    return "(" + (" AND ".join(conds) or "TRUE") + ")", ok, wd, gap


def _scan(fam: _Family, n: int, terms: list[tuple], flagged: bool) -> str:
    """FROM the family's list joined to its days (d rows with fam = n): an event row to its month, an open record to
    each day it is open on; with the working-day index of the dates a timescale counts, and the rows' findings."""
    days = f"(SELECT * FROM d WHERE fam = {n})"
    if fam.basis == "event":  # each day of the month: the join is on the date itself, no month worked out per row
        every_day = "CAST(unnest(generate_series(d.month, d.day, INTERVAL 1 DAY)) AS DATE) AS event_day"
        days = f"(SELECT d.*, {every_day} FROM {days} d)"
        on = f"d.x = t.x AND d.event_day = t.{fam.date}"
    else:
        on = "d.x = t.x"
        on += f" AND t.{fam.date} <= d.day" if fam.date else ""
        on += f" AND (t.{fam.end} IS NULL OR t.{fam.end} > d.day)" if fam.end else ""
    joins = "".join(
        f" LEFT JOIN wd {_wd(c)} ON {_wd(c)}.day = {'d.day' if c == DAY else f't.{c}'}"
        for c in sorted(set().union(*(w for _, _, w, _ in terms)))
    )
    joins += f" LEFT JOIN bad_{fam.list} b ON b.x = t.x AND b.row = t.row" if flagged else ""
    kept = [_row_only(m) for m in fam.measures]
    rows = f"l_{fam.list}"
    if all(kept):  # every measure asks something of the row alone: the others never join
        rows = f"(SELECT * FROM l_{fam.list} t WHERE {' OR '.join('(' + ' AND '.join(k) + ')' for k in kept)})"
    return f"FROM {rows} t JOIN {days} d ON {on}{joins}"


def _rows_sql(fam: _Family, n: int, bits: dict[str, int] | None, extra: str) -> str:
    """The rows (or children) the family's one measure counts, by the same scan and terms as its figure: each with
    its extract and day, whether it meets the numerator (ok), its gap, and `extra` (columns of t)."""
    (m,) = fam.measures
    den, ok, _, gap = terms = _terms(m, bits[m.ref] if bits else None)
    unit = "t.row" if m.count == "rows" else "t.child"  # a month's rows are from one extract: its row is unique
    return f"""
        SELECT d.x, d.month, d.day, {unit} AS unit, {ok or "NULL"} AS ok, {gap} AS gap, {extra}
        {_scan(fam, n, [terms], bool(bits))} WHERE {den}"""


def _family_sql(fam: _Family, n: int, bits: dict[str, int] | None) -> str:
    """One scan of the family's list joined to its days (d rows with fam = n), every measure's denominator and
    numerator counted at once, then one row per measure and (extract, month) it is wanted for (d.want, a bit per
    measure). A month with no rows is a zero, from d. Children are counted once each by grouping on the child first
    (count(DISTINCT child) without a distinct per measure)."""
    terms = [_terms(m, bits[m.ref] if bits else None) for m in fam.measures]
    flags = ", ".join(
        f"{den} AS den_{k}" + (f", {den} AND {ok} AS num_{k}" if ok else "") for k, (den, ok, _, _) in enumerate(terms)
    )
    who = f", t.{fam.per} AS who" if fam.per else ""
    days = f"(SELECT * FROM d WHERE fam = {n})"
    dup = ", t.dup" if any(m.count == "children" for m in fam.measures) else ""
    rows = f"SELECT d.slot, t.child{dup}{who}, {flags} {_scan(fam, n, terms, bool(bits))}"
    outs = [("den", k) for k in range(len(terms))] + [("num", k) for k, (_, ok, _, _) in enumerate(terms) if ok]
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


def _arrow(values, kind: str) -> pa.Array | pa.ChunkedArray:
    """A column (a Series or a numpy array) as the SQL reads it, without a pass through Python objects where pandas
    holds it as Arrow or numpy: dates as dates, counts as whole numbers, codes as text (a blank column is never a
    number)."""
    array = values.array if isinstance(values, pd.Series) else values
    if hasattr(array, "__arrow_array__"):  # text and nullable whole numbers
        col = pa.array(array)
    elif array.dtype.kind in "iu" and kind == "id":
        return pa.array(np.asarray(array))  # the national bench's whole-number IDs stay numbers
    else:
        values = np.asarray(array)
        if values.dtype.kind == "M" and kind == "date":
            return _days(values)
        col = pa.array(values, from_pandas=True)
    return col.cast(_TYPES[kind])


def _days(values: np.ndarray) -> pa.Array:
    """numpy datetimes as Arrow dates: whole days since 1970 (floored) from the integers underneath, blank where NaT.
    About twice as fast as numpy's cast to days and then Arrow's conversion."""
    unit = np.datetime_data(values.dtype)[0]
    if unit not in ("D", "h", "m", "s", "ms", "us", "ns"):  # months, years, weeks: no whole number of them a day
        values, unit = values.astype("datetime64[D]"), "D"
    per_day = np.timedelta64(1, "D") // np.timedelta64(1, unit)
    blank = np.isnat(values)
    days = (values.view(np.int64) // per_day).astype(np.int32)
    return pa.array(days, mask=blank if blank.any() else None).view(pa.date32())


def _column(parts: list, sizes: list[int], kind: str) -> pa.Array | pa.ChunkedArray:
    """One column of several extracts' frames (None: a frame without it) as one Arrow column: frames holding it as
    the same numpy type are joined in numpy and converted once; others are converted frame by frame."""
    types = {p.dtype for p in parts if p is not None}
    if all(p is not None for p in parts) and len(types) == 1 and isinstance(next(iter(types)), np.dtype):
        return _arrow(np.concatenate([p.to_numpy() for p in parts]), kind)
    chunks = [pa.nulls(n, _TYPES[kind]) if p is None else _arrow(p, kind) for p, n in zip(parts, sizes)]
    chunks = [c for part in chunks for c in (part.chunks if isinstance(part, pa.ChunkedArray) else [part])]
    if len({c.type for c in chunks}) > 1:  # a child ID a number in one extract and text in another: text
        chunks = [c.cast(pa.string()) for c in chunks]
    return pa.chunked_array(chunks, chunks[0].type)


def _stacked(key: str, extracts: Sequence[Extract], columns: list[str], children: bool) -> tuple:
    """(Every extract's rows of one list as one Arrow table, which DuckDB scans without a copy; per extract, the
    columns some row fills in). x is the extract; dup, where a measure counts children, says the child is on more
    than one row of the list in that extract. Column by column, never through a pandas concat."""
    kinds = {c.key: c.kind for c in LISTS[key].columns} | {"row": "count", "birth_month": "date", "child": "id"}
    xs = [i for i, e in enumerate(extracts) if key in e.lists and len(e.lists[key])]
    if not xs:
        return None, {}
    frames = [extracts[i].lists[key] for i in xs]
    sizes = [len(f) for f in frames]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    cols = {"x": pa.array(np.repeat(np.array(xs, dtype=np.int32), sizes))}
    filled: dict[int, set[str]] = {i: set() for i in xs}
    for c in columns:
        col = cols[c] = _column([f[c] if c in f.columns else None for f in frames], sizes, kinds[c])
        if col.null_count == len(col):
            continue
        valid = np.add.reduceat(np.asarray(pc.is_valid(col)), starts) if col.null_count else [True] * len(xs)
        for i, n in zip(xs, valid):
            if n:
                filled[i].add(c)
    table = pa.table(cols)
    if not children:
        return table, filled
    # a child on one row of its extract's list is counted by its row; only the others need counting once. Found
    # frame by frame (each is one extract): ten times faster than one hash table over every extract's children.
    dup = np.concatenate([f["child"].duplicated(keep=False).to_numpy() & f["child"].notna().to_numpy() for f in frames])
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


def _setup(con, extracts, tables: dict[str, pa.Table], wanted: list[Measure], eligible, newest) -> tuple:
    """(the families, each list's bit per measure, the rows left out per measure and extract), with the lists
    (l_<list>), each list's rows with findings (bad_<list>) and the days (d) registered for the scans."""
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
    return list(families.values()), bits_of, excluded


def _evaluate(con, extracts, tables: dict[str, pa.Table], wanted: list[Measure], eligible, newest):
    """ref, x, month, denominator, numerator, excluded for every measure and the (extract, month) it is wanted for."""
    families, bits_of, excluded = _setup(con, extracts, tables, wanted, eligible, newest)
    sql = " UNION ALL ".join(_family_sql(fam, n, bits_of.get(fam.list)) for n, fam in enumerate(families))
    got = con.execute(sql).df()
    got["excluded"] = 0
    if excluded:
        ex = pd.concat(excluded, ignore_index=True)
        got = got.drop(columns="excluded").merge(ex, on=["ref", "x"], how="left")
        got["excluded"] = got["excluded"].fillna(0)
    return got


def _prepared(
    extracts: Sequence[Extract], registry: Sequence[Measure], bank_holidays, notes: list[str], also: Sequence[str] = ()
) -> tuple:
    """(a DuckDB connection with the working-day index, each list as one Arrow table of the columns the registry
    reads and `also`, the measures wanted, the extracts each may be computed from), or (None, ...) when nothing can
    be computed; notes say what is not and why."""
    # each list of every extract as one Arrow table; an empty list is not a month of zeros
    tables: dict[str, pa.Table] = {}
    filled: dict[tuple[str, int], set[str]] = {}
    for key in dict.fromkeys(m.list for m in registry):
        children = any(m.count == "children" for m in registry if m.list == key)
        columns = _columns(key, registry)
        columns += [c for c in also if c not in columns and c in {k.key for k in LISTS[key].columns}]
        table, cols = _stacked(key, extracts, columns, children)
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
    except BaseException:
        con.close()
        raise
    if not wanted:
        con.close()
        return None, tables, wanted, eligible
    return con, tables, wanted, eligible


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
    con, tables, wanted, eligible = _prepared(extracts, registry, bank_holidays, notes)
    if con is None:
        return Computed(pd.DataFrame(columns=COLUMNS), notes)
    try:
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
    counts, from the extract it comes from, by the same scan and terms (_rows_sql). Each row says whether it meets
    the numerator (ok), the days or working days its timescale measures (gap), its team and worker, and the
    measure's dates."""
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
    got = _rows(only, m, ", ".join(extra), bank_holidays, newest=True, also=("team", "worker"))
    # the extract each month's figure comes from (compute's newest rule): the last loaded of that name and date
    meta = pd.DataFrame({"x": range(len(only)), "extract": [e.name for e in only], "as_at": [e.as_at for e in only]})
    chosen = figures[["month", "extract", "as_at"]].merge(meta, on=["extract", "as_at"])
    chosen = chosen.sort_values("x").drop_duplicates("month", keep="last")[["month", "x", "extract", "as_at"]]
    rows = got.merge(chosen, on=["x", "month"])
    for c in dates:
        rows[c] = pd.to_datetime(rows[c]).dt.date
    rows["ok"] = rows["ok"].astype("boolean")
    return figures, rows[ROW_COLUMNS + dates].sort_values(["month", "row"]).reset_index(drop=True)


def _rows(
    extracts: Sequence[Extract], m: Measure, extra: str, bank_holidays, newest: bool, also: Sequence[str] = ()
) -> pd.DataFrame:
    """x, month, day, unit, ok, gap and `extra` (columns of t: those the measure reads, and `also`) for every row
    one measure counts: in each month's newest extract, or (newest=False) in every extract's months."""
    con, tables, wanted, eligible = _prepared(extracts, [m], bank_holidays, [], also)
    if con is None:
        return pd.DataFrame(columns=["x", "month", "day", "unit", "ok", "gap"])
    try:
        families, bits_of, _ = _setup(con, extracts, tables, wanted, eligible, newest)
        got = con.execute(_rows_sql(families[0], 0, bits_of.get(m.list), extra)).df()
    finally:
        con.close()
    got["month"] = pd.to_datetime(got["month"]).dt.date
    got["day"] = pd.to_datetime(got["day"]).dt.date
    return got


def _kind(key: str, col: str) -> str:
    return next((c.kind for c in LISTS[key].columns if c.key == col), "")
