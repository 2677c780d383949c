"""The month's figures from the records: every registry row evaluated in DuckDB SQL over one or more pseudonymised
extracts. Month rules (docs/annex-a.md): event measures for every whole month inside the extract's six-month window,
snapshot measures for every month end it covers, as-at measures for the as-at date's month; a month covered by
several extracts takes the newest (by as-at date, then load order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
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


def _sql(m: Measure) -> str:
    """One measure's SQL over its list (l_<list>), d (months and the day each is judged on), wd (working-day index)
    and f (findings: rows with a finding on a column the measure uses are left out)."""
    if m.basis == "event":
        conds = [f"t.{m.date} BETWEEN d.month AND d.last"]
    else:
        conds = [f"t.{m.date} <= d.day", f"(t.{m.end} IS NULL OR t.{m.end} > d.day)"]
    conds += [f"t.{col} = '{code}'" for col, code in m.where]
    if m.min_months:
        conds.append(f"t.{m.date} <= d.day - INTERVAL ({m.min_months}) MONTH")
    unit = "t._" if m.count == "rows" else "t.child"
    joins, ok = "", "NULL"
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
    elif m.match:
        conds += [f"t.{col} IS NOT NULL" for col, _ in m.match]  # a percentage of the answers known
        ok = "(" + " AND ".join(f"t.{col} = '{code}'" for col, code in m.match) + ")"
    uses = ", ".join(f"'{c}'" for c in m.uses)
    return f"""
        WITH clean AS (
            SELECT * FROM l_{m.list} r
            WHERE NOT EXISTS (SELECT 1 FROM f WHERE f.list = '{m.list}' AND f.row = r.row
                              AND (f.col IN ({uses}) OR f.rule IN ('duplicate', 'missing_id')))
        ), hits AS (
            SELECT d.month, {unit} AS unit, {ok} AS ok
            FROM d JOIN clean t ON {" AND ".join(conds)} {joins}
        )
        SELECT d.month, count(DISTINCT h.unit) AS denominator,
               count(DISTINCT CASE WHEN h.ok THEN h.unit END) AS numerator
        FROM d LEFT JOIN hits h ON h.month = d.month
        GROUP BY d.month ORDER BY d.month"""


def _excluded(con: duckdb.DuckDBPyConnection, m: Measure) -> int:
    uses = list(m.uses)
    return con.execute(
        "SELECT count(DISTINCT row) FROM f"
        " WHERE list = ? AND (list_contains(?, col) OR rule IN ('duplicate', 'missing_id'))",
        [m.list, uses],
    ).fetchall()[0][0]


def compute_one(
    extract: Extract, registry: Sequence[Measure] = REGISTRY, bank_holidays: Iterable[dt.date] | None = None
) -> Computed:
    """Every registry row for one extract, in an in-memory DuckDB over its pseudonymised lists."""
    notes: list[str] = []
    con = duckdb.connect(":memory:")
    try:
        for key in LISTS:
            frame = extract.lists.get(key)
            if frame is None:
                continue
            t = frame.copy()
            t.insert(0, "_", range(len(t)))  # a per-row unit for row counts
            con.register(f"_{key}", t)
            cols = [f"CAST({c} AS DATE) AS {c}" if pd.api.types.is_datetime64_any_dtype(t[c]) else c for c in t.columns]
            con.execute(f"CREATE TABLE l_{key} AS SELECT {', '.join(cols)} FROM _{key}")
        findings = extract.findings.rename(columns={"column": "col"})[["list", "row", "col", "rule"]]
        con.register("_f", findings)
        con.execute(
            "CREATE TABLE f AS SELECT list::VARCHAR AS list, row::BIGINT AS row, col::VARCHAR AS col,"
            " rule::VARCHAR AS rule FROM _f"
        )
        wanted = [m for m in registry if m.list in extract.lists]
        if any(m.within and m.within.unit == "working_days" for m in wanted):
            try:
                _calendar(con, extract, wanted, bank_holidays)
            except workdays.CalendarUnavailable as exc:
                skipped = [m.ref for m in wanted if m.within and m.within.unit == "working_days"]
                notes.append(f"{', '.join(skipped)} not computed: {exc}")
                wanted = [m for m in wanted if m.ref not in skipped]
        out = []
        for m in wanted:
            days = pd.DataFrame(months_for(m.basis, extract.as_at), columns=["month", "day"])
            days["last"] = [_month_end(x) for x in days["month"]]
            con.register("_d", days)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE d AS SELECT CAST(month AS DATE) AS month, CAST(day AS DATE) AS day,"
                " CAST(last AS DATE) AS last FROM _d"
            )
            got = con.execute(_sql(m)).df()
            excluded = _excluded(con, m)
            for month, den, num in got[["month", "denominator", "numerator"]].itertuples(index=False):
                den, num = int(den), int(num)
                if m.percent:
                    value = round(100 * num / den, 1) if den else None  # no cases is not 0%
                    out.append((m.ref, month, value, num, den, excluded, extract.name, extract.as_at))
                else:
                    out.append((m.ref, month, float(den), den, None, excluded, extract.name, extract.as_at))
        figures = pd.DataFrame(out, columns=COLUMNS)
        figures["month"] = pd.to_datetime(figures["month"]).dt.date
        return Computed(figures, notes)
    finally:
        con.close()


def _calendar(con, extract: Extract, wanted: Sequence[Measure], bank_holidays) -> None:
    """wd: for every day the working-day measures touch, the working days since the first (n(end) - n(start) counts
    the working days after a start up to and including an end)."""
    days = []
    for m in wanted:
        if m.within and m.within.unit == "working_days":
            frame = extract.lists[m.list]
            for c in (m.within.start, m.within.to):
                if c != DAY:
                    days += [d.date() for d in pd.to_datetime(frame[c]).dropna()]
    days += list(window(extract.as_at))  # the days a snapshot is judged on lie in the window
    cal = pd.DataFrame(workdays.calendar(min(days), max(days), bank_holidays), columns=["day", "n"])
    con.register("_wd", cal)
    con.execute("CREATE TABLE wd AS SELECT CAST(day AS DATE) AS day, n::INTEGER AS n FROM _wd")


def compute(
    extracts: Sequence[Extract], registry: Sequence[Measure] = REGISTRY, bank_holidays: Iterable[dt.date] | None = None
) -> Computed:
    """Every extract's figures; where several cover a ref's month, the newest by as-at date, then load order (the
    order given)."""
    parts, notes = [], []
    for order, extract in enumerate(extracts):
        one = compute_one(extract, registry, bank_holidays)
        parts.append(one.figures.assign(_order=order))
        notes += [n for n in one.notes if n not in notes]
    if not parts:
        return Computed(pd.DataFrame(columns=COLUMNS), notes)
    allf = pd.concat(parts, ignore_index=True)
    allf = allf.sort_values(["as_at", "_order"]).drop_duplicates(["ref", "month"], keep="last")
    order = {m.ref: i for i, m in enumerate(registry)}
    allf = allf.assign(_r=allf["ref"].map(order)).sort_values(["_r", "month"])
    return Computed(allf[COLUMNS].reset_index(drop=True), notes)
