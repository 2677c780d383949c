"""Loading figures: next month's figures as a long CSV (ref,period,value[,status][,authority]) or the wide scorecard
layout (Ref, Indicator, <month columns>, ...) as CSV or XLSX.

All-or-nothing: any problem rejects the whole file, each problem naming file, row and column,
and the database file is left byte-identical. A good file becomes one new vintage.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import store
from ..input.models import STATUS_SPELLINGS, Status
from ..input.reading import MAX_PROBLEMS, MAX_ROWS, LoadRejected, Problem, check_value, read_cell, read_table
from ..words.periods import EARLIEST_START, financial_year, is_period_label, iso, parse_period, this_month
from ..words.vocabulary import comparator_by_name
from . import lifecycle
from .writing import Write, new_vintage

LONG_REQUIRED = ("ref", "period", "value")
LONG_OPTIONAL = ("status", "authority")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Wide-layout columns that are not months. Every other header must read as a month, or the load is refused:
# a month column the loader cannot read must never be dropped in silence.
_NON_MONTH_PREFIXES = (
    "ref",
    "indicator",
    "measure",
    "description",
    "area",
    "service area",
    "unit",
    "polarity",
    "frequency",
    "target",
    "previous year",
    "prev year",
    "last year",
    "rag",
    "dot",
    "direction",
    "trend",
    "sparkline",
    "comment",
    "commentary",
    "note",
    "current",
    "ytd",
    "year to date",
    "outturn",
    "out-turn",
    "data source",
    "source",
    "lead",
    "owner",
    "definition",
    "baseline",
    "performance",
    "rating",
    "average",
    "12 month",
    "polarity",
)


@functools.lru_cache(maxsize=4)
def _non_month(comparator_names: tuple[str, ...]) -> re.Pattern:
    names = _NON_MONTH_PREFIXES + comparator_names
    return re.compile("^(" + "|".join(re.escape(p) for p in names) + r")s?( |$)")


def non_month_headers() -> tuple[str, ...]:
    """The headers (lower case, a trailing 's' allowed) the wide layout reads as not a month: its own, and every
    comparator's names from the registry."""
    return _NON_MONTH_PREFIXES + tuple(comparator_by_name())


MONTH_FORMS = "Sep-23, Sept-23, Sep 23, September 2023, 2023-09 or 09/2023"


def is_known_non_month(header: str) -> bool:
    """A column the wide layout carries that holds no month's figures. A financial year must be a real one
    (2023/24; '2024/02' is a month written oddly, not a year) and a known name must not carry a month in
    brackets ('Current (Feb-24)' holds that month's figures, so it is read as that month or refused)."""
    if month_in_brackets(header) is not None:
        return False
    h = re.sub(r"\s+", " ", re.sub(r"\(.*?\)", "", header.lower())).strip(" .:")
    if financial_year(h, heading=True) is not None:
        return True
    return bool(_non_month(tuple(comparator_by_name())).match(h))


def month_in_brackets(header: str) -> dt.date | None:
    """The month a header names in brackets ('Current (Feb-24)'), if any."""
    for inner in re.findall(r"\(([^()]*)\)", header):
        if is_period_label(inner.strip()):
            return parse_period(inner.strip())
    return None


@dataclass
class Parsed:
    """Rows read from an upload, before comparison with the store."""

    file: str
    layout: str
    monthly: list[dict] = field(default_factory=list)
    weekly: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    source_sha256: str = ""
    month_columns: list[tuple[str, str]] = field(default_factory=list)  # (header as written, month read) for the report


@dataclass
class UploadDiff:
    """What publishing the upload would change (not to be confused with the improvement plan)."""

    parsed: Parsed
    added: pd.DataFrame
    revised: pd.DataFrame
    unchanged: int

    @property
    def ok(self) -> bool:
        return not self.parsed.problems and (len(self.parsed.monthly) + len(self.parsed.weekly)) > 0


# ---------------------------------------------------------------- reading the file


# ---------------------------------------------------------------- parsing and validating


def parse_upload(
    path: Path | str,
    catalogue: dict[str, dict],
    authorities: set[str],
    default_authority: str,
    sheet: str | None = None,
    display_name: str | None = None,
    week_ending_day: int | None = None,
    include_hidden: bool = False,
) -> Parsed:
    """Read and validate an upload against the indicator catalogue. Never touches the store."""
    path = Path(path)
    name = display_name or path.name
    problems: list[Problem] = []
    table = read_table(path, name, sheet, problems, include_hidden=include_hidden)
    if table is None:
        return Parsed(name, "unknown", problems=problems)
    name, rows, first = table.where, table.rows, table.header_row
    digest = table.sha256
    raw_header = rows[0]
    header = [h.isoformat() if isinstance(h, (dt.date, dt.datetime)) else str(h).strip() for h in raw_header]
    body = rows[1:]
    if len(body) > MAX_ROWS:
        return Parsed(name, "unknown", problems=[Problem(name, None, None, f"more than {MAX_ROWS} rows")])
    lower = [h.lower() for h in header]
    dupes = sorted({h for h in lower if h and lower.count(h) > 1})
    if dupes:
        return Parsed(
            name,
            "unknown",
            problems=[Problem(name, first, h, "this column header appears more than once; keep one") for h in dupes],
        )
    if "ref" in lower and "period" in lower:
        parsed = _parse_long(name, header, body, catalogue, authorities, default_authority, first, week_ending_day)
    elif "ref" in lower and (
        any(is_period_label(h) or month_in_brackets(str(h)) for h in raw_header)
        or ("value" not in lower and any(h and not is_known_non_month(h) for h in header))
    ):  # the wide layout: every header a month or a known column, each refused by name otherwise
        parsed = _parse_wide(name, header, raw_header, body, catalogue, default_authority, first)
    else:
        missing = [c for c in LONG_REQUIRED if c not in lower]
        return Parsed(
            name,
            "unknown",
            problems=[
                Problem(
                    name,
                    first,
                    None,
                    f"missing required {'column' if len(missing) == 1 else 'columns'} "
                    f"{', '.join(missing)}: a long file needs ref,period,value; "
                    "a wide file needs Ref and month columns such as Aug-23 or 2023-08",
                )
            ],
        )
    if not parsed.problems and not parsed.monthly and not parsed.weekly:
        parsed.problems.append(Problem(name, None, None, "the file has a header but no figures"))
    parsed.source_sha256 = digest
    return parsed


_WEEK_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_period(
    name: str,
    row: int,
    col: str,
    raw: object,
    weekly: bool,
    problems: list[Problem],
    week_ending_day: int | None = None,
) -> dt.date | None:
    text = raw.isoformat() if isinstance(raw, (dt.date, dt.datetime)) else str(raw).strip()
    try:
        if weekly:
            if isinstance(raw, (dt.date, dt.datetime)):
                text = text[:10]  # an Excel date cell
            if not _WEEK_DATE.match(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
            if day > dt.date.today():
                problems.append(Problem(name, row, col, f"week ending {day} is in the future"))
                return None
            if day.year < EARLIEST_START.year:
                problems.append(Problem(name, row, col, f"week ending {day} is before {EARLIEST_START.year}"))
                return None
            if week_ending_day is not None and day.weekday() != week_ending_day:
                problems.append(
                    Problem(
                        name,
                        row,
                        col,
                        f"{day} is a {WEEKDAYS[day.weekday()]}; weekly figures are for "
                        f"weeks ending on a {WEEKDAYS[week_ending_day]}",
                    )
                )
                return None
            return day
        period = parse_period(raw)
    except ValueError:
        want = "a week-ending date like 2023-11-03" if weekly else "a month like 2024-02 or Feb-24"
        problems.append(Problem(name, row, col, f"{text!r} is not {want}"))
        return None
    if period > this_month():
        problems.append(Problem(name, row, col, f"{iso(period)} is in the future"))
        return None
    if period.year < EARLIEST_START.year:
        problems.append(
            Problem(name, row, col, f"{iso(period)} is before {EARLIEST_START.year}: not a month of this scorecard")
        )
        return None
    return period


def _too_many(parsed: Parsed) -> bool:
    if len(parsed.problems) < MAX_PROBLEMS:
        return False
    parsed.problems.append(
        Problem(parsed.file, None, None, f"stopped after {MAX_PROBLEMS} problems; fix these and load the file again")
    )
    return True


def _parse_long(name, header, body, catalogue, authorities, default_authority, first=1, week_ending_day=None) -> Parsed:
    parsed = Parsed(name, "long")
    idx = {h.lower(): i for i, h in enumerate(header)}
    for col in LONG_REQUIRED:
        if col not in idx:
            parsed.problems.append(Problem(name, first, col, "missing required column"))
    for h in header:
        if h and h.lower() not in LONG_REQUIRED + LONG_OPTIONAL:
            parsed.problems.append(
                Problem(
                    name,
                    first,
                    h,
                    "not a column of the long layout (ref, period, value, status, authority): remove it; "
                    "nothing in a file is dropped unread",
                )
            )
    if parsed.problems:
        return parsed
    seen: dict[tuple, int] = {}
    for offset, raw in enumerate(body):
        if _too_many(parsed):
            break
        row = offset + first + 1
        cells = list(raw) + [""] * (len(header) - len(raw))
        if all(str(c).strip() == "" for c in cells):
            continue
        ref = str(cells[idx["ref"]]).strip()
        meta = catalogue.get(ref)
        if meta is None:
            parsed.problems.append(Problem(name, row, "ref", f"unknown ref {ref!r}" if ref else "ref is blank"))
            continue
        weekly = meta["frequency"] == "week"
        period = _check_period(name, row, "period", cells[idx["period"]], weekly, parsed.problems, week_ending_day)
        authority = str(cells[idx["authority"]]).strip() if "authority" in idx else ""
        authority = authority or default_authority
        if authority not in authorities:
            parsed.problems.append(Problem(name, row, "authority", f"unknown authority {authority!r}"))
        value, status, err = read_cell(cells[idx["value"]], meta["unit"])
        if err:
            parsed.problems.append(Problem(name, row, "value", err))
            continue
        if "status" in idx and str(cells[idx["status"]]).strip():
            word = STATUS_SPELLINGS.get(str(cells[idx["status"]]).strip().lower())
            if word is None:
                parsed.problems.append(
                    Problem(
                        name,
                        row,
                        "status",
                        f"unknown status {cells[idx['status']]!r}; use value, not yet available, n/a or missing",
                    )
                )
                continue
            if word != Status.value and value is not None:
                parsed.problems.append(
                    Problem(name, row, "value", f"a figure with status {word.value!r}: leave value blank")
                )
                continue
            status = word.value
        if status is None:
            parsed.problems.append(
                Problem(name, row, "value", "blank value: give a number or a status such as 'not yet available'")
            )
            continue
        if status == Status.value.value and value is None:
            parsed.problems.append(Problem(name, row, "value", "status 'value' needs a number"))
            continue
        check_value(name, row, "value", ref, value, status, meta, parsed.problems)
        if period is None:
            continue
        key = (authority, ref, period)
        if key in seen:
            parsed.problems.append(Problem(name, row, "period", f"{ref} {period} already given on row {seen[key]}"))
            continue
        seen[key] = row
        target = parsed.weekly if weekly else parsed.monthly
        target.append(
            {"authority": authority, "ref": ref, "period": period, "value": value, "status": status, "source_line": row}
        )
    return parsed


def _parse_wide(name, header, raw_header, body, catalogue, default_authority, first=1) -> Parsed:
    parsed = Parsed(name, "wide")
    ref_col = [h.lower() for h in header].index("ref")
    month_cols = _month_columns(parsed, header, raw_header, body, ref_col, first)
    same_as = _same_month_columns(month_cols, raw_header)
    _check_months(parsed, header, month_cols, first)
    parsed.month_columns = [(header[i], iso(m)) for i, m in month_cols.items()]
    if parsed.problems:
        return parsed
    seen: dict[str, int] = {}
    for offset, raw in enumerate(body):
        if _too_many(parsed):
            break
        row = offset + first + 1
        cells = list(raw) + [""] * (len(header) - len(raw))
        if all(str(cells[i]).strip() == "" for i in month_cols):
            continue  # section headings ("Caseloads") and blank lines in the team's sheet carry no figures
        ref = str(cells[ref_col]).strip()
        meta = _wide_ref(parsed, header[ref_col], ref, row, catalogue, seen)
        if meta is None:
            continue
        _disagreements(parsed, header, cells, same_as, meta, row)
        _wide_figures(parsed, header, cells, month_cols, ref, meta, row, default_authority)
    return parsed


def _month_columns(parsed: Parsed, header, raw_header, body, ref_col: int, first: int) -> dict[int, dt.date]:
    """Each column that holds a month's figures -> that month; a column that is neither a month nor a known column
    (nor a blank one with nothing in it) is a problem."""
    name = parsed.file
    month_cols: dict[int, dt.date] = {}
    for i, (h, raw) in enumerate(zip(header, raw_header)):
        if i == ref_col:
            continue
        if is_period_label(raw):
            month_cols[i] = parse_period(raw)
        elif month_in_brackets(h) is not None:
            # "Current (Feb-24)" holds Feb-24's figures: read as that month (and checked against its own column)
            month_cols[i] = month_in_brackets(h)
        elif h == "":
            filled = next((n for n, r in enumerate(body, start=first + 1) if i < len(r) and str(r[i]).strip()), None)
            if filled is not None:
                parsed.problems.append(
                    Problem(
                        name,
                        filled,
                        f"column {i + 1}",
                        "this column has no header but holds figures: give it a month header such as Sep-23",
                    )
                )
        elif not is_known_non_month(h):
            parsed.problems.append(
                Problem(
                    name,
                    first,
                    h,
                    f"not a month this loader can read (use {MONTH_FORMS}) nor a financial year (2023/24) nor a "
                    "known column (Ref, Indicator, Target, GM, NW, SN, England, RAG, DoT, "
                    "Previous Year…); nothing was loaded",
                )
            )
    return month_cols


def _same_month_columns(month_cols: dict[int, dt.date], raw_header) -> dict[int, int]:
    """ "Current (Feb-24)" beside "Feb-24": the bracketed column leaves month_cols, and the two must agree, row by
    row (bracketed column -> plain column)."""
    plain_cols = {m: i for i, m in month_cols.items() if is_period_label(raw_header[i])}
    same_as: dict[int, int] = {}
    for i in [i for i in month_cols if not is_period_label(raw_header[i])]:
        if month_cols[i] in plain_cols:
            same_as[i] = plain_cols[month_cols.pop(i)]
    return same_as


def _check_months(parsed: Parsed, header, month_cols: dict[int, dt.date], first: int) -> None:
    """A month with two columns, in the future or before the scorecard began is a problem."""
    name = parsed.file
    dup_months = {m for m in month_cols.values() if list(month_cols.values()).count(m) > 1}
    for i, m in month_cols.items():
        if m in dup_months:
            parsed.problems.append(Problem(name, first, header[i], f"month {iso(m)} has more than one column"))
        elif m > this_month():
            parsed.problems.append(Problem(name, first, header[i], f"{iso(m)} is in the future"))
        elif m.year < EARLIEST_START.year:
            parsed.problems.append(Problem(name, first, header[i], f"{iso(m)} is before {EARLIEST_START.year}"))


def _wide_ref(parsed: Parsed, ref_header: str, ref: str, row: int, catalogue, seen: dict[str, int]) -> dict | None:
    """The row's indicator, or None with the problem: an unknown or blank ref, a weekly one, one given twice."""
    name = parsed.file
    meta = catalogue.get(ref)
    if meta is None:
        parsed.problems.append(Problem(name, row, ref_header, f"unknown ref {ref!r}" if ref else "ref is blank"))
        return None
    if meta["frequency"] == "week":
        parsed.problems.append(
            Problem(name, row, ref_header, f"{ref} is weekly: load it in the long layout with week-ending dates")
        )
        return None
    if ref in seen:
        parsed.problems.append(Problem(name, row, ref_header, f"{ref} already given on row {seen[ref]}"))
        return None
    seen[ref] = row
    return meta


def _disagreements(parsed: Parsed, header, cells, same_as: dict[int, int], meta: dict, row: int) -> None:
    """A bracketed month column that shows another figure than the month's own column is a problem."""
    for i, j in same_as.items():
        if read_cell(cells[i], meta["unit"])[:2] != read_cell(cells[j], meta["unit"])[:2]:
            parsed.problems.append(
                Problem(
                    parsed.file,
                    row,
                    header[i],
                    f"shows {str(cells[i]).strip() or 'nothing'} but column {header[j]!r} shows "
                    f"{str(cells[j]).strip() or 'nothing'} for the same month: make them agree",
                )
            )


def _wide_figures(parsed: Parsed, header, cells, month_cols, ref: str, meta: dict, row: int, authority: str) -> None:
    """The row's figure for each month column, checked; a blank month reports nothing."""
    for i, period in month_cols.items():
        value, status, err = read_cell(cells[i], meta["unit"])
        if err:
            parsed.problems.append(Problem(parsed.file, row, header[i], err))
            continue
        if status is None:
            continue  # a blank month in the wide sheet reports nothing
        check_value(parsed.file, row, header[i], ref, value, status, meta, parsed.problems)
        parsed.monthly.append(
            {"authority": authority, "ref": ref, "period": period, "value": value, "status": status, "source_line": row}
        )


# ---------------------------------------------------------------- comparing and publishing


def diff_upload(reader: store.ReadOnlyStore, parsed: Parsed) -> UploadDiff:
    """Compare the upload with the latest figures: which cells are new and which revise a figure."""
    empty = pd.DataFrame(columns=["authority", "ref", "period", "old_value", "old_status", "value", "status"])
    if parsed.problems or not parsed.monthly:
        return UploadDiff(parsed, empty, empty, 0)
    new = pd.DataFrame(parsed.monthly)
    current = pd.concat(
        [reader.observations_as_of("latest", a, refs=sorted(set(g["ref"]))) for a, g in new.groupby("authority")],
        ignore_index=True,
    )
    current = current.rename(columns={"value": "old_value", "status": "old_status"})
    merged = new.merge(
        current[["authority", "ref", "period", "old_value", "old_status"]],
        on=["authority", "ref", "period"],
        how="left",
    )
    had = merged["old_status"].notna() & (merged["old_status"] != "missing")
    same = (
        had
        & (merged["old_status"] == merged["status"])
        & ((merged["old_value"] == merged["value"]) | (merged["old_value"].isna() & merged["value"].isna()))
    ) | (had & (merged["status"] == "missing"))  # a blank never replaces a figure (the store keeps the figure)
    return UploadDiff(
        parsed, merged[~had].reset_index(drop=True), merged[had & ~same].reset_index(drop=True), int(same.sum())
    )


def publish_upload(db_path: Path, diff: UploadDiff, label: str | None = None, user: str = "") -> str:
    """Write the upload as a new vintage (journal first, then the database). Returns the vintage id."""
    if not diff.ok:
        raise LoadRejected(diff.parsed.problems or [Problem(diff.parsed.file, None, None, "nothing to load")])
    file = diff.parsed.file
    vintage = new_vintage("upload", file, f"Upload of {file}", label)
    rows = {}
    for table, found, period_col in (
        ("observations", diff.parsed.monthly, "period"),
        ("weekly", diff.parsed.weekly, "week_ending"),
    ):
        if found:
            rows[table] = [{**_renamed(r, "period", period_col), "note": "", "source_file": file} for r in found]
    write = Write.of_rows("upload", vintage, rows, user, diff.parsed.source_sha256)
    return lifecycle.commit_write(db_path, write)


def _renamed(row: dict, old: str, new: str) -> dict:
    return {(new if k == old else k): v for k, v in row.items()}


def catalogue_of(reader: store.ReadOnlyStore) -> dict[str, dict]:
    ind = reader.table("indicators")
    return {r["ref"]: r for r in ind.to_dict("records")}


def load_file(
    db_path: Path,
    path: Path | str,
    sheet: str | None = None,
    authority: str | None = None,
    label: str | None = None,
    user: str = "",
    include_hidden: bool = False,
) -> tuple[str, UploadDiff]:
    """Validate, compare and publish; raises LoadRejected (database untouched) on any problem."""
    reader = store.ReadOnlyStore(db_path)
    authorities = set(reader.table("authorities")["authority"])
    default = authority or store.home_authority(reader)
    parsed = parse_upload(
        path,
        catalogue_of(reader),
        authorities,
        default,
        sheet=sheet,
        week_ending_day=reader.week_ending_weekday(),
        include_hidden=include_hidden,
    )
    diff = diff_upload(reader, parsed)
    if not diff.ok:
        raise LoadRejected(parsed.problems or [Problem(parsed.file, None, None, "nothing to load")])
    return publish_upload(db_path, diff, label, user), diff
