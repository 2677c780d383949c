"""The DuckDB store. All SQL lives in this module; every value is a bound parameter.

Writers never touch the live file: they build or copy to a temp file beside it, CHECKPOINT,
close, then os.replace it, so a reader sees the old database or the new one, never half.
Readers open read-only and reopen when the file on disk is replaced (see ReadOnlyStore).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from .words.vocabulary import SHIPPED

DEFAULT_DB = Path("data/dashboard.duckdb")

# Table name -> column DDL. Order matters for inserts from frames.
TABLES: dict[str, str] = {
    "authorities": (
        "authority VARCHAR PRIMARY KEY, name VARCHAR, population_0_17 INTEGER, population_note VARCHAR,"
        " la_code VARCHAR, region VARCHAR"
    ),
    "areas": (
        "area VARCHAR PRIMARY KEY, title VARCHAR, short_title VARCHAR, ref_prefix VARCHAR, head_of_service VARCHAR,"
        " head_role VARCHAR, head_source VARCHAR, sort_order INTEGER"
    ),
    "indicators": (
        "ref VARCHAR PRIMARY KEY, area VARCHAR, name VARCHAR, unit VARCHAR, polarity VARCHAR, frequency VARCHAR,"
        " count_type VARCHAR, amber_tolerance DOUBLE, headline BOOLEAN, definition_note VARCHAR, sort_order INTEGER,"
        " spc_rebase VARCHAR, spc_rebase_note VARCHAR, spc_baseline_points INTEGER"
    ),
    "vintages": (
        "vintage VARCHAR PRIMARY KEY, label VARCHAR, published DATE, source_file VARCHAR, kind VARCHAR,"
        " as_of_note VARCHAR, seq INTEGER, loaded_at TIMESTAMP, loaded_by VARCHAR"
    ),
    "indicator_names": (
        "ref VARCHAR, vintage VARCHAR, name_as_printed VARCHAR, name_damaged BOOLEAN, source_file VARCHAR,"
        " source_line INTEGER"
    ),
    "observations": (
        "authority VARCHAR, ref VARCHAR, period DATE, vintage VARCHAR, value DOUBLE, status VARCHAR,"
        " note VARCHAR, source_file VARCHAR, source_line INTEGER"
    ),
    "weekly": (
        "authority VARCHAR, ref VARCHAR, week_ending DATE, vintage VARCHAR, value DOUBLE, status VARCHAR,"
        " note VARCHAR, source_file VARCHAR, source_line INTEGER"
    ),
    "baselines": (
        "authority VARCHAR, ref VARCHAR, vintage VARCHAR, basis VARCHAR, value DOUBLE, status VARCHAR,"
        " note VARCHAR, source_file VARCHAR, source_line INTEGER"
    ),
    # applies_from: the first month a target rates (NULL: every month, as the packs print it); tolerance
    # overrides the indicator's Amber tolerance for that target.
    "targets": (
        "authority VARCHAR, ref VARCHAR, vintage VARCHAR, target_text VARCHAR, source_file VARCHAR,"
        " source_line INTEGER, applies_from DATE, tolerance DOUBLE"
    ),
    "comparators": (
        "authority VARCHAR, ref VARCHAR, vintage VARCHAR, comparator VARCHAR, value DOUBLE, year VARCHAR,"
        " source_file VARCHAR, source_line INTEGER, source VARCHAR"
    ),
    "printed_ratings": (
        "authority VARCHAR, ref VARCHAR, vintage VARCHAR, period DATE, rag VARCHAR, direction VARCHAR,"
        " source_file VARCHAR, source_line INTEGER"
    ),
    "commentary": (
        "authority VARCHAR, area VARCHAR, period DATE, vintage VARCHAR, text VARCHAR, source_file VARCHAR,"
        " source_line INTEGER, source_last_line INTEGER"
    ),
    "plan_priorities": (
        "priority VARCHAR, name VARCHAR, aim VARCHAR, lead VARCHAR, source_file VARCHAR, source_line INTEGER"
    ),
    "plan_actions": (
        "authority VARCHAR, vintage VARCHAR, action_ref VARCHAR, priority VARCHAR, section VARCHAR,"
        " action VARCHAR, how_we_will_know VARCHAR, lead VARCHAR, start_month DATE, end_month DATE,"
        " children_will_say VARCHAR, action_brag VARCHAR, impact_brag VARCHAR, commentary VARCHAR,"
        " repair_note VARCHAR, source_file VARCHAR, source_line INTEGER"
    ),
    "plan_measures": (
        "authority VARCHAR, vintage VARCHAR, focus_area VARCHAR, focus_area_name VARCHAR,"
        " action_refs VARCHAR, measure VARCHAR, data_source VARCHAR, status VARCHAR, refs VARCHAR,"
        " source_file VARCHAR, source_line INTEGER"
    ),
    # National statistics (dashboard.writes.national): what each published measure is, which ref it compares, and the
    # published figures for every council, region and England, as loaded (a newer vintage revises a figure).
    "national_measures": (
        "measure VARCHAR PRIMARY KEY, name VARCHAR, file VARCHAR, release VARCHAR, numerator VARCHAR,"
        " numerator_match VARCHAR, denominator VARCHAR, denominator_match VARCHAR, published VARCHAR, scale DOUBLE,"
        " transform VARCHAR, unit VARCHAR, polarity VARCHAR, period VARCHAR, note VARCHAR"
    ),
    "national_map": "ref VARCHAR PRIMARY KEY, measure VARCHAR, reason VARCHAR",
    "national_values": (
        "measure VARCHAR, year VARCHAR, year_end DATE, level VARCHAR, area_code VARCHAR, la_code VARCHAR,"
        " area_name VARCHAR, region_code VARCHAR, value DOUBLE, status VARCHAR, numerator DOUBLE,"
        " denominator DOUBLE, vintage VARCHAR, source_file VARCHAR, source_line INTEGER"
    ),
    "stat_neighbours": (
        "grouping VARCHAR, la_code VARCHAR, la_name VARCHAR, rank INTEGER, neighbour_code VARCHAR,"
        " closeness VARCHAR, source_file VARCHAR, source_line INTEGER"
    ),
    # Annex A extracts (dashboard.records), pseudonymised: one row per extract (its id is the vintage that loaded
    # it), its records (child a keyed pseudonym, birth month only, the other columns read as JSON text), its
    # data-quality findings, and the extracts withdrawn by the retention setting (gone from every table here).
    # An extract is one council's (`authority`); its records and findings are keyed to it through `extract`.
    "extracts": (
        "extract VARCHAR, vintage VARCHAR, name VARCHAR, as_at DATE, synthetic BOOLEAN, source_sha256 VARCHAR,"
        " records INTEGER, findings INTEGER, authority VARCHAR"
    ),
    "extract_records": (
        "extract VARCHAR, vintage VARCHAR, list VARCHAR, row INTEGER, child VARCHAR, birth_month DATE, fields VARCHAR"
    ),
    "extract_findings": (
        "extract VARCHAR, vintage VARCHAR, list VARCHAR, row INTEGER, col VARCHAR, rule VARCHAR, detail VARCHAR"
    ),
    "extract_withdrawals": "extract VARCHAR, vintage VARCHAR, reason VARCHAR, authority VARCHAR",
    # Several councils (README, Several councils): whether a council shares its monthly figures with its region
    # before DfE publishes them; the newest row per council holds.
    "regional_sharing": "authority VARCHAR, region VARCHAR, shared BOOLEAN, vintage VARCHAR, note VARCHAR",
}
EXTRACT_TABLES = ("extracts", "extract_records", "extract_findings")
# Rows are stored in this order so DuckDB's per-row-group min/max (zone maps) skip every other authority:
# one council's scorecard reads 2 of 63 row groups at national scale. (An ART index is not used for
# these filters, and building one cost seconds per million rows.)
CLUSTER = {"observations": "authority, ref, period", "weekly": "authority, ref, week_ending"}


def columns(table: str) -> list[str]:
    return [c.strip().split()[0] for c in TABLES[table].split(",")]


def _allow(table: str) -> str:
    """Table names are never user input, but they reach SQL text, so check them against the registry."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    return table


# ---------------------------------------------------------------- writing


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    cols = columns(_allow(table))
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: frame lacks columns {missing}")
    data = frame[cols]
    con.register("incoming", data)
    try:
        order = f" ORDER BY {CLUSTER[table]}" if table in CLUSTER else ""
        con.execute(f"INSERT INTO {table} SELECT {', '.join(cols)} FROM incoming{order}")
    finally:
        con.unregister("incoming")


def _renumber_vintages(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """UPDATE vintages SET seq = ranked.seq FROM (
               SELECT vintage, row_number() OVER (ORDER BY published, loaded_at, vintage) AS seq FROM vintages
           ) AS ranked WHERE vintages.vintage = ranked.vintage"""
    )


def _temp_beside(db_path: Path) -> Path:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=db_path.name + ".", suffix=".tmp", dir=db_path.parent)
    os.close(fd)
    os.unlink(name)  # duckdb wants to create the file itself
    return Path(name)


def _discard(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        if p.exists():
            p.unlink()


@contextlib.contextmanager
def _atomic_write(db_path: Path, start_from_live: bool):
    """Yield a connection to a temp file beside db_path; on clean exit CHECKPOINT and os.replace it in.
    Any error leaves the live file byte-identical and removes the temp file."""
    db_path = Path(db_path)
    tmp = _temp_beside(db_path)
    try:
        if start_from_live:
            shutil.copyfile(db_path, tmp)
        con = duckdb.connect(str(tmp))
        try:
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db_path)
    finally:
        _discard(tmp)


def build(db_path: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Write a fresh database from validated frames, atomically replacing db_path."""
    with _atomic_write(db_path, start_from_live=False) as con:
        for table, ddl in TABLES.items():
            con.execute(f"CREATE TABLE {table} ({ddl})")
        # sample_data/'s vintages were shipped, not loaded here: their stamp is the day they were published (so
        # builds are identical) and their author says so; replayed journal entries keep their user and moment.
        vintages = frames["vintages"].assign(seq=0)
        stamps = vintages["loaded_at"] if "loaded_at" in vintages else pd.Series(None, index=vintages.index)
        shipped = stamps.isna()
        vintages["loaded_at"] = pd.to_datetime(stamps).fillna(pd.to_datetime(vintages["published"]))
        authors = vintages["loaded_by"] if "loaded_by" in vintages else pd.Series("", index=vintages.index)
        vintages["loaded_by"] = authors.fillna("").where(~shipped | (authors.fillna("") != ""), SHIPPED)
        _insert(con, "vintages", vintages)
        gone = set(frames["extract_withdrawals"]["extract"]) if "extract_withdrawals" in frames else set()
        for table in TABLES:
            if table != "vintages":
                frame = frames.get(table, pd.DataFrame())
                if table in EXTRACT_TABLES and gone and not frame.empty:
                    frame = frame[~frame["extract"].isin(gone)]  # a withdrawn extract's rows never reach the file
                _insert(con, table, frame)
        _renumber_vintages(con)


def schema_current(db_path: Path) -> bool:
    """True if the file's tables have exactly this release's columns (a missing file counts as current:
    there is nothing to upgrade). An older file is rebuilt from the journal rather than patched."""
    if not Path(db_path).exists():
        return True
    found = ReadOnlyStore(db_path).query(
        "SELECT table_name, column_name FROM information_schema.columns ORDER BY table_name, ordinal_position"
    )
    held = found.groupby("table_name")["column_name"].apply(list).to_dict()
    return all(held.get(table) == columns(table) for table in TABLES)


def publish(db_path: Path, vintage: dict, frames: dict[str, pd.DataFrame]) -> None:
    """Add one vintage (an upload) and its rows to a copy of the live file, then swap it in."""
    with _atomic_write(db_path, start_from_live=True) as con:
        con.execute("BEGIN TRANSACTION")
        _insert(con, "vintages", pd.DataFrame([{"loaded_at": dt.datetime.now(), "loaded_by": "", **vintage, "seq": 0}]))
        for table, frame in frames.items():
            _insert(con, table, frame)
        if "extract_withdrawals" in frames:
            for table in EXTRACT_TABLES:
                con.execute(f"DELETE FROM {table} WHERE extract IN (SELECT extract FROM extract_withdrawals)")
        _renumber_vintages(con)
        con.execute("COMMIT")


# ---------------------------------------------------------------- reading


def home_authority(reader: ReadOnlyStore) -> str:
    """The council a write that names none is for: sample_data/'s first (a council added later must be named)."""
    return str(reader.table("authorities")["authority"].iloc[0])


class StoreUnavailable(RuntimeError):
    """The database cannot be read: one sentence saying what, which file and what to do."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _frame(cur: duckdb.DuckDBPyConnection, sql: str, params: Iterable) -> pd.DataFrame:
    """By position, as two columns may share a name (DuckDB renames the second in the frame); always object dtype:
    pandas keeps an all-NULL column as datetime64, which a date would then fail to compare with."""
    cur.execute(sql, list(params))
    dates = [i for i, (_, kind, *_) in enumerate(cur.description) if str(kind) == "DATE"]
    frame = cur.df()
    for i in dates:
        frame.isetitem(i, frame.iloc[:, i].dt.date.astype(object))
    return frame


class _Held:
    """One read-only connection and how many queries are using it right now."""

    __slots__ = ("stamp", "con", "users", "retired", "reference")

    def __init__(self, stamp: tuple[int, int], con: duckdb.DuckDBPyConnection):
        self.stamp, self.con, self.users, self.retired = stamp, con, 0, False
        self.reference: dict = {}  # small reads of this file version, kept with it (ReadOnlyStore._reference)


class ReadOnlyStore:
    """A read-only connection that follows the file: when the database is replaced on disk, new queries open the
    new file and the old connection is closed once the last query using it has finished, never under a running
    script or the warm-up thread (closing under a reader gave "Connection already closed!" there, and "connection
    is busy" to the write that closed it). DuckDB caches one instance per path in-process, so the new file is
    opened only after the old connection is closed: a new query waits for the queries in flight (milliseconds)."""

    _cond = threading.Condition()
    _open: dict[str, _Held] = {}
    _retired: dict[str, list[_Held]] = {}
    WAIT_SECONDS = 120.0  # for queries still reading a replaced file; a query takes milliseconds to seconds

    def __init__(self, db_path: Path | str):
        self.path = str(Path(db_path).resolve())
        if not os.path.exists(self.path) and self.path not in self._open:
            raise StoreUnavailable(
                f"No database at {self.path}: run 'make build' (or 'dashboard build'); every "
                "upload is rebuilt from the journal"
            )

    def _stamp(self) -> tuple[int, int]:
        st = os.stat(self.path)
        return (st.st_ino, st.st_mtime_ns)

    @classmethod
    def _retire(cls, path: str, held: _Held) -> None:
        """Stop handing out `held`; close it now if idle, else when its last query ends. Call under _cond."""
        if cls._open.get(path) is held:
            del cls._open[path]
        if held.users == 0:
            held.con.close()
        else:
            held.retired = True
            cls._retired.setdefault(path, []).append(held)

    def _current(self) -> _Held:
        """The connection for the file as it is now. If the new file cannot be opened (missing, truncated, not a
        database) the previous database keeps being served and the next call tries again. Call under _cond."""
        held = self._open.get(self.path)
        try:
            stamp = self._stamp()
        except FileNotFoundError:
            if held:
                return held
            raise StoreUnavailable(f"No database at {self.path}: run 'make build' (or 'dashboard build')") from None
        if held and held.stamp == stamp:
            return held
        if held and not self._readable(self.path):
            return held  # the new file is damaged: keep serving what was there, try again next call
        if held:
            self._retire(self.path, held)
        deadline = time.monotonic() + self.WAIT_SECONDS
        while self._retired.get(self.path):  # the old instance must be gone before the new file opens
            if not self._cond.wait(timeout=max(0.0, deadline - time.monotonic())):
                raise StoreUnavailable(
                    f"The database {self.path} was replaced while a long read of the old one was still running; "
                    "try again in a moment"
                )
            if self.path in self._open:  # another thread opened the new file meanwhile
                return self._current()
        try:
            con = duckdb.connect(self.path, read_only=True)
        except duckdb.Error as exc:
            raise StoreUnavailable(
                f"The database {self.path} cannot be opened ({_first_line(exc)}): it may be "
                "truncated or damaged; run 'make build' to rebuild it from sample_data/ and the "
                "journal"
            ) from None
        self._open[self.path] = _Held(stamp, con)
        return self._open[self.path]

    @contextlib.contextmanager
    def _borrow(self, with_held: bool = False):
        """A cursor of the current connection, which stays open until it is handed back (with_held: and the
        connection's record, for what is kept with that file version)."""
        with self._cond:
            held = self._current()
            held.users += 1
        try:
            cur = held.con.cursor()  # one cursor per query: connections are shared across script threads
            try:
                yield (cur, held) if with_held else cur
            finally:
                cur.close()
        finally:
            with self._cond:
                held.users -= 1
                if held.retired and held.users == 0:
                    held.con.close()
                    self._retired[self.path].remove(held)
                    if not self._retired[self.path]:
                        del self._retired[self.path]
                    self._cond.notify_all()

    @staticmethod
    def _readable(path: str) -> bool:
        """Open a replaced file under another name (a hard link: DuckDB caches by path) before letting go of the
        old one. Where no link can be made (a read-only directory), assume it is readable."""
        probe = f"{path}.probe-{os.getpid()}-{threading.get_ident()}"
        try:
            os.link(path, probe)
        except OSError:
            return True
        try:
            duckdb.connect(probe, read_only=True).close()
            return True
        except duckdb.Error:
            return False
        finally:
            _discard(Path(probe))

    @property
    def stamp(self) -> tuple[int, int]:
        return self._stamp()

    @classmethod
    def close_all(cls) -> None:
        """Let go of every connection: idle ones close now, ones in use when their query ends. The next query
        opens the file afresh."""
        with cls._cond:
            for path, held in list(cls._open.items()):
                cls._retire(path, held)

    def query(self, sql: str, params: Iterable = ()) -> pd.DataFrame:
        """The rows as a frame, with DATE columns as datetime.date (pandas would give timestamps): every reader
        above the store gets dates, once, here."""
        with self._borrow() as cur:
            return _frame(cur, sql, params)

    def _reference(self, key: str, sql: str) -> pd.DataFrame:
        """A small reference table (areas, indicators, vintages...), read once per version of the file and kept
        with its connection, so a replaced file is never answered from the old one: one paper from the CLI asked
        for the vintages thirteen times. A copy, as callers may add columns."""
        with self._borrow(with_held=True) as (cur, held):
            if key not in held.reference:
                held.reference[key] = _frame(cur, sql, ())
            return held.reference[key].copy()

    # -- reference data
    def table(self, name: str) -> pd.DataFrame:
        order = {
            "areas": "sort_order",
            "indicators": "sort_order",
            "vintages": "seq",
            "authorities": "rowid",  # sample_data/'s council first (the default), then councils added since
            "plan_priorities": "priority",
        }
        return self._reference(name, f"SELECT * FROM {_allow(name)} ORDER BY {order.get(name, '1')}")

    def vintage_seq(self, vintage: str | None) -> int:
        """'latest' or None -> the newest vintage; an unknown id is an error, not a silent default."""
        v = self.table("vintages")
        if vintage in (None, "", "latest"):
            return int(v["seq"].max())
        found = v.loc[v["vintage"] == vintage, "seq"]
        if found.empty:
            raise KeyError(f"unknown vintage {vintage!r}")
        return int(found.iloc[0])

    # -- observations
    _AS_OF = """
        SELECT o.authority, o.ref, o.period, CAST(o.value AS DOUBLE) AS value, o.status, o.vintage, o.note,
               o.source_file, o.source_line
        FROM observations o JOIN vintages v USING (vintage)
        WHERE v.seq <= ? AND o.authority = ? {extra}
        QUALIFY row_number() OVER (PARTITION BY o.authority, o.ref, o.period
                                   ORDER BY (o.status <> 'missing') DESC, v.seq DESC) = 1
        ORDER BY o.ref, o.period"""

    def observations_as_of(
        self, vintage: str | None, authority: str, refs: list[str] | None = None, until: dt.date | None = None
    ) -> pd.DataFrame:
        """Each cell as it stood at the vintage: the newest printed figure (a later blank does not erase a figure)."""
        extra, params = "", [self.vintage_seq(vintage), authority]
        if refs is not None:
            extra += " AND list_contains(?, o.ref)"
            params.append(list(refs))
        if until is not None:
            extra += " AND o.period <= ?"
            params.append(until)
        return self.query(self._AS_OF.format(extra=extra), params)

    def cells_as_of_many(self, authority: str, wanted: pd.DataFrame) -> pd.DataFrame:
        """wanted: as_of (a vintage id), ref, period. Each cell as that vintage stood, by observations_as_of's
        rule, for many vintages in one read (the Revisions page judges every vintage's revised cells at once)."""
        if wanted.empty:
            return pd.DataFrame(columns=["as_of", "ref", "period", "value", "status", "vintage"])
        seq = self.table("vintages").set_index("vintage")["seq"]
        return self.query(
            """SELECT w.as_of, o.ref, o.period, CAST(o.value AS DOUBLE) AS value, o.status, o.vintage
               FROM observations o JOIN vintages v USING (vintage)
               JOIN (SELECT unnest(?) AS as_of, unnest(?) AS as_seq, unnest(?) AS ref, unnest(?) AS period) w
                 ON o.ref = w.ref AND o.period = w.period AND v.seq <= w.as_seq
               WHERE o.authority = ?
               QUALIFY row_number() OVER (PARTITION BY w.as_of, o.ref, o.period
                                          ORDER BY (o.status <> 'missing') DESC, v.seq DESC) = 1
               ORDER BY w.as_of, o.ref, o.period""",
            [
                list(wanted["as_of"]),
                [int(seq[v]) for v in wanted["as_of"]],
                list(wanted["ref"]),
                [pd.Timestamp(p).date() for p in wanted["period"]],
                authority,
            ],
        )

    def meta_as_of_many(self, table: str, authority: str, wanted: pd.DataFrame) -> pd.DataFrame:
        """wanted: as_of (a vintage id), ref. The targets, comparators or baselines of those refs as each vintage
        stood, by the *_as_of rules, in one read."""
        key, newest = {
            "targets": ("t.ref, t.applies_from", "v.seq DESC"),
            "comparators": ("t.ref, t.comparator", "coalesce(t.year, '') DESC, v.seq DESC"),
            "baselines": ("t.ref", "v.seq DESC"),
        }[table]
        cols = ", ".join(f"t.{c}" for c in columns(_allow(table)))
        if wanted.empty:
            return pd.DataFrame(columns=["as_of", *columns(table), "seq"])
        seq = self.table("vintages").set_index("vintage")["seq"]
        return self.query(
            f"""SELECT w.as_of, {cols}, v.seq FROM {table} t JOIN vintages v USING (vintage)
                JOIN (SELECT unnest(?) AS as_of, unnest(?) AS as_seq, unnest(?) AS ref) w
                  ON t.ref = w.ref AND v.seq <= w.as_seq
                WHERE t.authority = ?
                QUALIFY row_number() OVER (PARTITION BY w.as_of, {key} ORDER BY {newest}) = 1""",
            [list(wanted["as_of"]), [int(seq[v]) for v in wanted["as_of"]], list(wanted["ref"]), authority],
        )

    def observation_history(self, authority: str, ref: str) -> pd.DataFrame:
        """Every vintage of every cell of one indicator."""
        return self.query(
            """SELECT o.period, CAST(o.value AS DOUBLE) AS value, o.status, o.vintage, v.label, v.seq, o.note,
                      o.source_file, o.source_line
               FROM observations o JOIN vintages v USING (vintage)
               WHERE o.authority = ? AND o.ref = ? ORDER BY o.period, v.seq""",
            [authority, ref],
        )

    def months(self, vintage: str | None, authority: str) -> list[dt.date]:
        """Months with at least one figure as of the vintage, newest first."""
        df = self.query(
            """SELECT DISTINCT o.period FROM observations o JOIN vintages v USING (vintage)
               WHERE v.seq <= ? AND o.authority = ? AND o.status <> 'missing' ORDER BY o.period DESC""",
            [self.vintage_seq(vintage), authority],
        )
        return list(df["period"])

    def month_coverage(self, vintage: str | None, authority: str) -> pd.DataFrame:
        """Per month (newest first), how many indicators have a figure as of the vintage."""
        return self.query(
            """WITH cells AS (
                   SELECT o.ref, o.period FROM observations o JOIN vintages v USING (vintage)
                   WHERE v.seq <= ? AND o.authority = ? AND o.status = 'value'
                   GROUP BY o.ref, o.period)
               SELECT period, count(*) AS figures FROM cells GROUP BY period ORDER BY period DESC""",
            [self.vintage_seq(vintage), authority],
        )

    def week_ending_weekday(self) -> int | None:
        """The weekday (Monday 0) the stored weekly figures end on; None when there are none."""
        df = self.query(
            "SELECT isodow(week_ending) - 1 AS d, count(*) AS n FROM weekly GROUP BY 1 ORDER BY n DESC LIMIT 1"
        )
        return None if df.empty else int(df["d"].iloc[0])

    def _latest_meta(
        self, table: str, vintage: str | None, authority: str, key: str, newest: str = "v.seq DESC"
    ) -> pd.DataFrame:
        cols = ", ".join(f"t.{c}" for c in columns(_allow(table)))
        return self.query(
            f"""SELECT {cols}, v.seq FROM {table} t JOIN vintages v USING (vintage)
                WHERE v.seq <= ? AND t.authority = ?
                QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {newest}) = 1""",
            [self.vintage_seq(vintage), authority],
        )

    def targets_as_of(self, vintage: str | None, authority: str) -> pd.DataFrame:
        """Per ref and start month, the newest target set up to the vintage (the engine picks the month's one)."""
        return self._latest_meta("targets", vintage, authority, "t.ref, t.applies_from")

    def comparators_as_of(self, vintage: str | None, authority: str) -> pd.DataFrame:
        """Per ref and comparator, the newest year known at the vintage; for the same year the newest vintage."""
        return self._latest_meta(
            "comparators", vintage, authority, "t.ref, t.comparator", newest="coalesce(t.year, '') DESC, v.seq DESC"
        )

    def target_history(self, authority: str, ref: str) -> pd.DataFrame:
        """Every change of target for one indicator (a pack reprinting the same target is not a change),
        with the vintage that set it and the month it applies from."""
        return self.query(
            """SELECT t.applies_from, t.target_text, t.tolerance, t.vintage, v.label, v.kind, v.seq, v.loaded_at,
                      t.source_file, t.source_line
               FROM targets t JOIN vintages v USING (vintage)
               WHERE t.authority = ? AND t.ref = ?
               WINDOW w AS (PARTITION BY t.applies_from ORDER BY v.seq)
               QUALIFY lag(t.target_text) OVER w IS DISTINCT FROM t.target_text
                    OR lag(t.tolerance) OVER w IS DISTINCT FROM t.tolerance
               ORDER BY t.applies_from NULLS FIRST, v.seq""",
            [authority, ref],
        )

    def national_latest(self, vintage: str | None = None) -> pd.DataFrame:
        """Every published figure as it stood at the vintage: per measure, year and area, the newest load."""
        cols = ", ".join(f"t.{c}" for c in columns("national_values") if c not in ("value", "numerator", "denominator"))
        return self.query(
            f"""SELECT {cols}, CAST(t.value AS DOUBLE) AS value, CAST(t.numerator AS DOUBLE) AS numerator,
                       CAST(t.denominator AS DOUBLE) AS denominator, v.seq
                FROM national_values t JOIN vintages v USING (vintage)
                WHERE v.seq <= ?
                QUALIFY row_number() OVER (PARTITION BY t.measure, t.year, t.area_code ORDER BY v.seq DESC) = 1
                ORDER BY t.measure, t.year_end, t.level, t.area_code""",
            [self.vintage_seq(vintage)],
        )

    def comparators_printed(self, authority: str) -> pd.DataFrame:
        """Every comparator a pack printed (not one loaded since), with the pack that printed it."""
        return self.query(
            """SELECT c.ref, c.comparator, c.year, CAST(c.value AS DOUBLE) AS value, v.label AS vintage,
                      c.source_file, c.source_line
               FROM comparators c JOIN vintages v USING (vintage)
               WHERE c.authority = ? AND v.kind = 'pack' ORDER BY c.ref, c.comparator, c.year, v.seq""",
            [authority],
        )

    def comparator_history(self, authority: str, ref: str) -> pd.DataFrame:
        return self.query(
            """SELECT c.comparator, c.year, CAST(c.value AS DOUBLE) AS value, c.source, c.vintage, v.label, v.seq
               FROM comparators c JOIN vintages v USING (vintage)
               WHERE c.authority = ? AND c.ref = ? ORDER BY c.comparator, c.year, v.seq""",
            [authority, ref],
        )

    def baselines_as_of(self, vintage: str | None, authority: str) -> pd.DataFrame:
        return self._latest_meta("baselines", vintage, authority, "t.ref")

    def printed_ratings(self, authority: str) -> pd.DataFrame:
        return self.query("SELECT * FROM printed_ratings WHERE authority = ? ORDER BY ref, period", [authority])

    def printed_ratings_as_of(self, vintage: str | None, authority: str) -> pd.DataFrame:
        """The packs' hand-set RAG and arrows printed up to the vintage, with the pack's order."""
        return self.query(
            """SELECT p.ref, p.period, p.rag, p.direction, p.vintage, v.seq, p.source_file, p.source_line
               FROM printed_ratings p JOIN vintages v USING (vintage)
               WHERE v.seq <= ? AND p.authority = ? ORDER BY p.ref, p.period, v.seq""",
            [self.vintage_seq(vintage), authority],
        )

    def weekly_as_of(self, vintage: str | None, authority: str) -> pd.DataFrame:
        return self.query(
            """SELECT w.ref, w.week_ending, CAST(w.value AS DOUBLE) AS value, w.status, w.vintage
               FROM weekly w JOIN vintages v USING (vintage) WHERE v.seq <= ? AND w.authority = ?
               QUALIFY row_number() OVER (PARTITION BY w.ref, w.week_ending ORDER BY v.seq DESC) = 1
               ORDER BY w.ref, w.week_ending""",
            [self.vintage_seq(vintage), authority],
        )

    def commentary_as_of(self, vintage: str | None, authority: str, area: str, month: dt.date) -> pd.DataFrame:
        return self.query(
            """SELECT c.text, c.vintage, v.label, c.source_file, c.source_line FROM commentary c
               JOIN vintages v USING (vintage)
               WHERE v.seq <= ? AND c.authority = ? AND c.area = ? AND c.period = ?
               ORDER BY v.seq DESC LIMIT 1""",
            [self.vintage_seq(vintage), authority, area, month],
        )

    def names(self) -> pd.DataFrame:
        return self.query(
            """SELECT n.*, v.label, v.seq FROM indicator_names n JOIN vintages v USING (vintage)
               ORDER BY n.ref, v.seq"""
        )

    def revisions(self, authority: str) -> pd.DataFrame:
        """Every cell whose figure changed from one vintage to the next that printed it."""
        return self.query(
            """WITH cells AS (
                   SELECT o.ref, o.period, CAST(o.value AS DOUBLE) AS value, o.vintage, v.seq, v.label
                   FROM observations o JOIN vintages v USING (vintage)
                   WHERE o.authority = ? AND o.status = 'value'),
               paired AS (
                   SELECT *, lag(value) OVER w AS old_value, lag(vintage) OVER w AS old_vintage,
                          lag(label) OVER w AS old_label
                   FROM cells WINDOW w AS (PARTITION BY ref, period ORDER BY seq))
               SELECT ref, period, old_vintage, old_label, old_value, vintage AS new_vintage, label AS new_label,
                      value AS new_value, value - old_value AS change
               FROM paired WHERE old_value IS NOT NULL AND value <> old_value ORDER BY ref, period""",
            [authority],
        )

    def revised_as_of(self, vintage: str | None, authority: str) -> pd.DataFrame:
        """ref, period of every cell whose figure had changed by the vintage in view: the one definition of
        "revised" (†) for tables, the indicator page, charts and exports."""
        rev = self.revisions(authority)
        if rev.empty:
            return pd.DataFrame({"ref": pd.Series(dtype=str), "period": pd.Series(dtype=object)})
        seq = self.table("vintages").set_index("vintage")["seq"]
        rev = rev[rev["new_vintage"].map(seq) <= self.vintage_seq(vintage)]
        return rev[["ref", "period"]].drop_duplicates().reset_index(drop=True)

    def plan_as_of(self, table: str, vintage: str | None, authority: str) -> pd.DataFrame:
        """The improvement plan (actions or measures) from the newest vintage up to this one that printed a plan."""
        if table not in ("plan_actions", "plan_measures"):
            raise ValueError(f"not a plan table: {table!r}")
        return self.query(
            f"""WITH latest AS (
                    SELECT max(v.seq) AS seq FROM {table} t JOIN vintages v USING (vintage)
                    WHERE v.seq <= ? AND t.authority = ?)
                SELECT t.*, v.label FROM {table} t JOIN vintages v USING (vintage), latest
                WHERE v.seq = latest.seq AND t.authority = ? ORDER BY t.source_file, t.source_line""",
            [self.vintage_seq(vintage), authority, authority],
        )

    def printed_refs(self, authority: str) -> pd.DataFrame:
        """Which refs each vintage printed at least one cell of."""
        return self.query(
            """SELECT DISTINCT o.vintage, o.ref FROM observations o
               WHERE o.authority = ? AND o.status <> 'missing' ORDER BY o.vintage, o.ref""",
            [authority],
        )

    def dump(self, all_vintages: bool, authority: str | None = None) -> pd.DataFrame:
        where = "WHERE o.authority = ?" if authority else ""
        params = [authority] if authority else []
        if all_vintages:
            sql = f"""SELECT o.authority, o.ref, o.period, CAST(o.value AS DOUBLE) AS value, o.status, o.vintage
                      FROM observations o JOIN vintages v USING (vintage) {where}
                      ORDER BY o.authority, o.ref, o.period, v.seq"""
        else:
            sql = f"""SELECT o.authority, o.ref, o.period, CAST(o.value AS DOUBLE) AS value, o.status, o.vintage
                      FROM observations o JOIN vintages v USING (vintage) {where}
                      QUALIFY row_number() OVER (PARTITION BY o.authority, o.ref, o.period
                                                 ORDER BY (o.status <> 'missing') DESC, v.seq DESC) = 1
                      ORDER BY o.authority, o.ref, o.period"""
        return self.query(sql, params)

    # -- Annex A extracts (dashboard.records)
    def extracts(self, authority: str | None = None) -> pd.DataFrame:
        """Every extract held (or one council's), in load order, with who loaded it and when (withdrawn ones are
        not held)."""
        where = "WHERE e.authority = ?" if authority is not None else ""
        return self.query(
            f"""SELECT e.*, v.label, v.loaded_at, v.loaded_by, v.seq FROM extracts e JOIN vintages v USING (vintage)
                {where} ORDER BY v.seq""",
            [authority] if authority is not None else [],
        )

    def extract_records(self, extracts: list[str]) -> pd.DataFrame:
        return self.query(
            """SELECT extract, list, row, child, birth_month, fields FROM extract_records
               WHERE list_contains(?, extract) ORDER BY extract, list, row""",
            [list(extracts)],
        )

    def extract_findings(self, extracts: list[str]) -> pd.DataFrame:
        return self.query(
            """SELECT extract, list, row, col, rule, detail FROM extract_findings
               WHERE list_contains(?, extract) ORDER BY extract, list, row, col, rule""",
            [list(extracts)],
        )

    def vintages_of(self, authority: str) -> list[str]:
        """Every vintage that wrote a row for the council (its figures, targets, commentary, plan, sharing)."""
        tables = [t for t in TABLES if {"authority", "vintage"} <= set(columns(t))]
        union = " UNION ".join(f"SELECT vintage FROM {_allow(t)} WHERE authority = ?" for t in tables)
        found = self.query(f"SELECT DISTINCT vintage FROM ({union}) ORDER BY 1", [authority] * len(tables))
        return list(found["vintage"])

    def councils_with_figures(self) -> list[str]:
        """The councils that have at least one monthly figure, in the authorities table's order."""
        found = self.query(
            """SELECT a.authority FROM authorities a
               WHERE EXISTS (SELECT 1 FROM observations o WHERE o.authority = a.authority) ORDER BY a.rowid"""
        )
        return list(found["authority"])

    def regional_sharing_as_of(self, vintage: str | None) -> pd.DataFrame:
        """Each council's newest sharing choice as of the vintage (no row: never shared)."""
        return self.query(
            """SELECT s.authority, s.region, s.shared, s.vintage, v.loaded_at, v.loaded_by
               FROM regional_sharing s JOIN vintages v USING (vintage) WHERE v.seq <= ?
               QUALIFY row_number() OVER (PARTITION BY s.authority ORDER BY v.seq DESC) = 1
               ORDER BY s.authority""",
            [self.vintage_seq(vintage)],
        )

    def figures_for_month(self, vintage: str | None, authorities: list[str], month: dt.date) -> pd.DataFrame:
        """Every council's newest figure for one month as of the vintage (the regional comparator's input)."""
        if not authorities:
            return pd.DataFrame(columns=["authority", "ref", "value", "status"])
        return self.query(
            """SELECT o.authority, o.ref, CAST(o.value AS DOUBLE) AS value, o.status
               FROM observations o JOIN vintages v USING (vintage)
               WHERE v.seq <= ? AND o.period = ? AND list_contains(?, o.authority)
               QUALIFY row_number() OVER (PARTITION BY o.authority, o.ref ORDER BY v.seq DESC) = 1
               ORDER BY o.ref, o.authority""",
            [self.vintage_seq(vintage), month, list(authorities)],
        )

    def rows_of_vintage(self, table: str, vintage: str) -> pd.DataFrame:
        """Every row one vintage wrote to a table (the journal adopts a pre-journal upload this way)."""
        return self.query(f"SELECT * FROM {_allow(table)} WHERE vintage = ?", [vintage])

    def dump_all(self) -> dict[str, pd.DataFrame]:
        """Everything stored, each table in a total order: two stores hold the same record iff these are equal."""
        out = {}
        for table in TABLES:
            cols = columns(table)
            order = ", ".join(f"{c} NULLS FIRST" for c in cols)
            out[table] = self.query(f"SELECT {', '.join(cols)} FROM {_allow(table)} ORDER BY {order}")
        return out

    def dump_weekly(self) -> pd.DataFrame:
        return self.query(
            """SELECT w.authority, w.ref, w.week_ending, CAST(w.value AS DOUBLE) AS value, w.status, w.vintage
               FROM weekly w ORDER BY w.authority, w.ref, w.week_ending, w.vintage"""
        )
