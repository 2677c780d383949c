"""Next month's figures: a long CSV (ref,period,value[,status][,authority]) or the wide scorecard
layout (Ref, Indicator, <month columns>, ...) as CSV or XLSX.

All-or-nothing: any problem rejects the whole file, each problem naming file, row and column,
and the database file is left byte-identical. A good file becomes one new vintage.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import lifecycle, store
from .models import STATUS_WORDS, Status
from .periods import EARLIEST_START, is_period_label, iso, parse_period, this_month
from .vocabulary import service_area_ids

LONG_REQUIRED = ("ref", "period", "value")
LONG_OPTIONAL = ("status", "authority")
MAX_ROWS = 200_000
MAX_PROBLEMS = 200  # past this a file is refused without reading further: the first 200 say what to fix
MAX_FILE_BYTES = 20 * 1024 * 1024  # a month's scorecard is kilobytes; anything this big is refused unread
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # an xlsx is a zip: its parts are checked before any is parsed
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# A figure as analysts type it: 1234, 1,234 (well-formed thousands only), 12.5, -3, with % on percentages.
_NUMBER = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
MAX_FIGURE = 10_000_000  # no count, rate, day or caseload figure in a council's scorecard comes near this
EARLIEST_YEAR = EARLIEST_START.year

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
    "gm",
    "greater manchester",
    "nw",
    "north west",
    "sn",
    "stat neighbour",
    "statistical neighbour",
    "england",
    "national",
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
_FINANCIAL_YEAR = re.compile(r"^\d{4}\s*/\s*\d{2}\b")
_NON_MONTH = re.compile("^(" + "|".join(re.escape(p) for p in _NON_MONTH_PREFIXES) + r")s?( |$)")
MONTH_FORMS = "Sep-23, Sept-23, Sep 23, September 2023, 2023-09 or 09/2023"


def is_known_non_month(header: str) -> bool:
    h = re.sub(r"\s+", " ", re.sub(r"\(.*?\)", "", header.lower())).strip(" .:")
    return bool(_FINANCIAL_YEAR.match(h) or _NON_MONTH.match(h))


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


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


@dataclass
class Table:
    """Rows read from a file, header first. `where` names the file (and the sheet read) in every message;
    `header_row` is the header's row number in the file, so problem rows match what the user sees."""

    rows: list[list[object]]
    where: str
    header_row: int = 1


class LoadRejected(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# ---------------------------------------------------------------- reading the file


def _read_table(path: Path, name: str, sheet: str | None, problems: list[Problem]) -> Table | None:
    """Raw rows (header first) from CSV or XLSX; None after recording why it could not be read. A CSV is read as
    a stream and stops at MAX_ROWS, so memory stays bounded whatever the file holds."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"the file is {size / 1024**2:,.0f} MB; the limit is "
                    f"{MAX_FILE_BYTES // 1024**2} MB (a month of figures is a few kilobytes)",
                )
            )
            return None
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        problems.append(Problem(name, None, None, f"cannot read the file ({exc.strerror or exc})"))
        return None
    if not head.strip() and size <= len(head):
        problems.append(Problem(name, None, None, "the file is empty"))
        return None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path.read_bytes(), name, sheet, problems)
    if head[:2] == b"PK":
        problems.append(Problem(name, None, None, "this is a spreadsheet (zip) file: give it an .xlsx name"))
        return None
    first = head.split(b"\n", 1)[0]
    if first.count(b";") >= 2 and b"," not in first:
        problems.append(
            Problem(
                name,
                1,
                None,
                "the columns are separated by semicolons (;), as Excel does in some "
                'regional settings; save it as "CSV UTF-8 (Comma delimited)" so columns are '
                "separated by commas",
            )
        )
        return None
    rows: list[list[object]] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                rows.append(row)
                if len(rows) > MAX_ROWS + 1:
                    break
    except UnicodeDecodeError:
        problems.append(_not_utf8(path.read_bytes(), name))
        return None
    except csv.Error as exc:
        problems.append(Problem(name, len(rows) + 1, None, f"not a readable CSV: {exc}"))
        return None
    if not any(any(str(c).strip() for c in r) for r in rows):
        problems.append(Problem(name, None, None, "the file is empty"))
        return None
    return Table(rows, name)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _not_utf8(raw: bytes, name: str) -> Problem:
    """Where the text stops being UTF-8, and what to do about it (Excel's "CSV (Comma delimited)" is Windows-1252)."""
    try:
        raw.decode("utf-8-sig")
        start = 0
    except UnicodeDecodeError as exc:
        start = exc.start
    hint = ""
    try:
        raw.decode("cp1252")
        hint = (
            ' It looks like Excel\'s "CSV (Comma delimited)", which uses the Windows character set (a £ or '
            "’ is stored differently)."
        )
    except UnicodeDecodeError:
        pass
    return Problem(
        name,
        raw[:start].count(b"\n") + 1,
        None,
        f"not UTF-8 text (byte {raw[start]:#04x}).{hint} In Excel "
        'use File > Save As > "CSV UTF-8 (Comma delimited)" and load that file',
    )


def _read_xlsx(raw: bytes, name: str, sheet: str | None, problems: list[Problem]) -> Table | None:
    """Rows of one sheet, header first. Checked before parsing (unpacked size: a zip bomb is refused unread),
    the sheet chosen (the one named, or the only one with a Ref header), title rows above the header skipped,
    and a formula with no stored value refused rather than read as blank."""
    import zipfile

    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        problems.append(
            Problem(name, None, None, "not a readable XLSX workbook (the file is damaged or not a workbook)")
        )
        return None
    if unpacked > MAX_XLSX_UNPACKED:
        problems.append(
            Problem(
                name,
                None,
                None,
                f"the workbook unpacks to {unpacked / 1024**2:,.0f} MB; the limit is "
                f"{MAX_XLSX_UNPACKED // 1024**2} MB, so it was not opened",
            )
        )
        return None
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        problems.append(Problem(name, None, None, f"not a readable XLSX workbook ({type(exc).__name__})"))
        return None
    if sheet is not None and sheet not in book.sheetnames:
        problems.append(Problem(name, None, None, f"no sheet {sheet!r}; sheets are {', '.join(book.sheetnames)}"))
        return None
    candidates = [book[sheet]] if sheet else [ws for ws in book.worksheets if _header_row(ws) is not None]
    if not candidates:
        problems.append(
            Problem(
                name, None, None, f"no sheet has a header row with a Ref column (sheets: {', '.join(book.sheetnames)})"
            )
        )
        return None
    if len(candidates) > 1:
        problems.append(
            Problem(
                name,
                None,
                None,
                "several sheets have a Ref column ("
                f"{', '.join(ws.title for ws in candidates)}): choose one with --sheet (or upload a "
                "workbook with one such sheet)",
            )
        )
        return None
    ws = candidates[0]
    where = f"{name}, sheet {ws.title!r}"
    if ws.max_row and ws.max_row > MAX_ROWS + 50:
        problems.append(Problem(where, None, None, f"{ws.max_row:,} rows; the limit is {MAX_ROWS:,}"))
        return None
    start = _header_row(ws) or 1
    formulas = _uncached_formulas(raw, ws.title, start)
    if formulas:
        problems += [
            Problem(
                where,
                r,
                c,
                "a formula with no stored value: open and save the file in Excel so the "
                "values are stored, then load it again",
            )
            for r, c in formulas[:20]
        ]
        return None
    rows = [[_xlsx_value(c) for c in row] for row in ws.iter_rows(min_row=start)]
    while rows and all(str(c).strip() == "" for c in rows[-1]):
        rows.pop()
    if not rows:
        problems.append(Problem(where, None, None, "the sheet is empty"))
        return None
    return Table([[("" if c is None else c) for c in row] for row in rows], where, start)


def _header_row(ws, look: int = 15) -> int | None:
    """The first of a sheet's top rows that has a cell reading 'Ref' (title rows above it are skipped)."""
    for n, row in enumerate(ws.iter_rows(min_row=1, max_row=look, values_only=True), start=1):
        if any(str(c).strip().lower() == "ref" for c in row if c is not None):
            return n
    return None


def _uncached_formulas(raw: bytes, title: str, start: int) -> list[tuple[int, str]]:
    """(row, cell) of formulas whose value was never stored (a file written by a program, not saved by Excel)."""
    import openpyxl

    formulas = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)[title]
    values = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)[title]
    out = []
    for frow, vrow in zip(formulas.iter_rows(min_row=start), values.iter_rows(min_row=start)):
        for f, v in zip(frow, vrow):
            if isinstance(f.value, str) and f.value.startswith("=") and v.value is None:
                out.append((f.row - start + 1, f.coordinate))
    return out


def _xlsx_value(cell) -> object:
    """A cell's value as the sheet shows it: a number formatted as a percentage (0.125 shown as 12.5%) is 12.5."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    fmt = getattr(cell, "number_format", "") or ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in fmt:
        return round(float(value) * 100, 10)
    return value


def _cell(value: object, unit: str | None = None) -> tuple[float | None, str | None, str | None]:
    """-> (number, status, error). The same rules for every reader: '1,234' reads as 1234, '12.5%' as 12.5
    on a percentage indicator only; anything looser, or not finite, is an error quoting the cell."""
    if value is None:
        return None, None, None
    if isinstance(value, bool):
        return None, None, f"{value!r} is not a number"
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            return None, None, f"{value!r} is not a finite number"
        return number, Status.value.value, None
    s = str(value).strip()
    if s == "":
        return None, None, None
    word = STATUS_WORDS.get(s.lower())
    if word is not None and word != Status.value:
        return None, word.value, None
    t = s
    if t.endswith("%"):
        if unit is not None and unit != "percent":
            return None, None, f"{s!r} has a % sign, but this indicator is a {unit.replace('_', ' ')}, not a percentage"
        t = t[:-1].strip()
    if not _NUMBER.match(t):
        return (
            None,
            None,
            (
                f"{s!r} is not a number (write 1234 or 1,234; a decimal point, not a comma)"
                if any(ch.isdigit() for ch in t)
                else f"{s!r} is not a number"
            ),
        )
    number = float(t.replace(",", ""))
    if not math.isfinite(number):
        return None, None, f"{s[:20]!r}{'…' if len(s) > 20 else ''} is too large to be a figure"
    return number, Status.value.value, None


# ---------------------------------------------------------------- parsing and validating


def parse_upload(
    path: Path | str,
    catalogue: dict[str, dict],
    authorities: set[str],
    default_authority: str,
    sheet: str | None = None,
    display_name: str | None = None,
    week_ending_day: int | None = None,
) -> Parsed:
    """Read and validate an upload against the indicator catalogue. Never touches the store."""
    path = Path(path)
    name = display_name or path.name
    problems: list[Problem] = []
    table = _read_table(path, name, sheet, problems)
    if table is None:
        return Parsed(name, "unknown", problems=problems)
    name, rows, first = table.where, table.rows, table.header_row
    digest = file_sha256(path)
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
    ragged = [
        Problem(
            name,
            n,
            None,
            f"the row has {len(r)} cells but the header has {len(header)}: a figure with a "
            'thousands comma must be in quotes ("1,234"), and every row needs a cell per column',
        )
        for n, r in enumerate(body, start=first + 1)
        if r
        and len(r) != len(header)
        and not (len(r) > len(header) and all(str(c).strip() == "" for c in r[len(header) :]))
    ]
    if ragged:
        return Parsed(name, "unknown", problems=ragged[:50])
    if "ref" in lower and "period" in lower:
        parsed = _parse_long(name, header, body, catalogue, authorities, default_authority, first, week_ending_day)
    elif "ref" in lower and any(is_period_label(h) for h in raw_header):
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
                    f"missing required column(s) {', '.join(missing)}: a long file needs ref,period,value; "
                    "a wide file needs Ref and month columns such as Aug-23 or 2023-08",
                )
            ],
        )
    if not parsed.problems and not parsed.monthly and not parsed.weekly:
        parsed.problems.append(Problem(name, None, None, "the file has a header but no figures"))
    parsed.source_sha256 = digest
    return parsed


def _check_value(
    name: str, row: int, col: str, ref: str, value: float | None, status: str, meta: dict, problems: list[Problem]
) -> None:
    if status != Status.value.value or value is None:
        return
    unit = meta["unit"]
    if unit == "percent" and not 0 <= value <= 100:
        problems.append(Problem(name, row, col, f"{ref} is a percentage; {value:g} is outside 0-100"))
    elif value < 0:
        problems.append(
            Problem(name, row, col, f"{ref} is a {unit.replace('_', ' ')}; it cannot be negative ({value:g})")
        )
    elif value > MAX_FIGURE:
        shown_value = f"{value:,.0f}" if value < 1e15 else f"{value:.3g}"
        problems.append(
            Problem(
                name,
                row,
                col,
                f"{ref} is a {unit.replace('_', ' ')}; {shown_value} is not a plausible figure (above {MAX_FIGURE:,})",
            )
        )


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
            if day.year < EARLIEST_YEAR:
                problems.append(Problem(name, row, col, f"week ending {day} is before {EARLIEST_YEAR}"))
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
    if period.year < EARLIEST_YEAR:
        problems.append(
            Problem(name, row, col, f"{iso(period)} is before {EARLIEST_YEAR}: not a month of this scorecard")
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
        value, status, err = _cell(cells[idx["value"]], meta["unit"])
        if err:
            parsed.problems.append(Problem(name, row, "value", err))
            continue
        if "status" in idx and str(cells[idx["status"]]).strip():
            word = STATUS_WORDS.get(str(cells[idx["status"]]).strip().lower())
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
        _check_value(name, row, "value", ref, value, status, meta, parsed.problems)
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
    month_cols: dict[int, dt.date] = {}
    for i, (h, raw) in enumerate(zip(header, raw_header)):
        if i == ref_col:
            continue
        if is_period_label(raw):
            month_cols[i] = parse_period(raw)
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
                    f"not a month this loader can read (use {MONTH_FORMS}) nor a "
                    "known column (Ref, Indicator, Target, GM, NW, SN, England, RAG, DoT, "
                    "Previous Year…); nothing was loaded",
                )
            )
    dup_months = {m for m in month_cols.values() if list(month_cols.values()).count(m) > 1}
    for i, m in month_cols.items():
        if m in dup_months:
            parsed.problems.append(Problem(name, first, header[i], f"month {iso(m)} has more than one column"))
        elif m > this_month():
            parsed.problems.append(Problem(name, first, header[i], f"{iso(m)} is in the future"))
        elif m.year < EARLIEST_YEAR:
            parsed.problems.append(Problem(name, first, header[i], f"{iso(m)} is before {EARLIEST_YEAR}"))
    parsed.month_columns = [(header[i], iso(m)) for i, m in month_cols.items()]
    if parsed.problems:
        return parsed
    seen: dict[str, int] = {}
    for offset, raw in enumerate(body):
        if _too_many(parsed):
            break
        row = offset + first + 1
        cells = list(raw) + [""] * (len(header) - len(raw))
        ref = str(cells[ref_col]).strip()
        if all(str(cells[i]).strip() == "" for i in month_cols):
            continue  # section headings ("Caseloads") and blank lines in the team's sheet carry no figures
        meta = catalogue.get(ref)
        if meta is None:
            parsed.problems.append(
                Problem(name, row, header[ref_col], f"unknown ref {ref!r}" if ref else "ref is blank")
            )
            continue
        if meta["frequency"] == "week":
            parsed.problems.append(
                Problem(
                    name, row, header[ref_col], f"{ref} is weekly: load it in the long layout with week-ending dates"
                )
            )
            continue
        if ref in seen:
            parsed.problems.append(Problem(name, row, header[ref_col], f"{ref} already given on row {seen[ref]}"))
            continue
        seen[ref] = row
        for i, period in month_cols.items():
            value, status, err = _cell(cells[i], meta["unit"])
            if err:
                parsed.problems.append(Problem(name, row, header[i], err))
                continue
            if status is None:
                continue  # a blank month in the wide sheet reports nothing
            _check_value(name, row, header[i], ref, value, status, meta, parsed.problems)
            parsed.monthly.append(
                {
                    "authority": default_authority,
                    "ref": ref,
                    "period": period,
                    "value": value,
                    "status": status,
                    "source_line": row,
                }
            )
    return parsed


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
    current["period"] = pd.to_datetime(current["period"]).dt.date
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
    )
    return UploadDiff(
        parsed, merged[~had].reset_index(drop=True), merged[had & ~same].reset_index(drop=True), int(same.sum())
    )


def publish_upload(db_path: Path, diff: UploadDiff, label: str | None = None, user: str = "") -> str:
    """Write the upload as a new vintage (journal first, then the database). Returns the vintage id."""
    if not diff.ok:
        raise LoadRejected(diff.parsed.problems or [Problem(diff.parsed.file, None, None, "nothing to load")])
    now = dt.datetime.now()
    vintage_id = lifecycle.new_vintage_id("upload", now)
    vintage = {
        "vintage": vintage_id,
        "label": label or f"Upload of {diff.parsed.file}, {now:%d %b %Y %H:%M}",
        "published": now.date(),
        "source_file": diff.parsed.file,
        "as_of_note": "",
    }
    frames = {}
    for table, rows, period_col in (
        ("observations", diff.parsed.monthly, "period"),
        ("weekly", diff.parsed.weekly, "week_ending"),
    ):
        if rows:
            frame = pd.DataFrame(rows).rename(columns={"period": period_col})
            frame["vintage"] = vintage_id
            frame["note"] = ""
            frame["source_file"] = diff.parsed.file
            frames[table] = frame
    return lifecycle.commit(
        db_path, "upload", vintage, frames, user or lifecycle.cli_user(), diff.parsed.file, diff.parsed.source_sha256
    )


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
) -> tuple[str, UploadDiff]:
    """Validate, compare and publish; raises LoadRejected (database untouched) on any problem."""
    reader = store.ReadOnlyStore(db_path)
    authorities = set(reader.table("authorities")["authority"])
    default = authority or sorted(authorities)[0]
    parsed = parse_upload(
        path, catalogue_of(reader), authorities, default, sheet=sheet, week_ending_day=reader.week_ending_weekday()
    )
    diff = diff_upload(reader, parsed)
    if not diff.ok:
        raise LoadRejected(parsed.problems or [Problem(parsed.file, None, None, "nothing to load")])
    return publish_upload(db_path, diff, label, user), diff


MAX_COMMENTARY_CHARS = 8000


def publish_commentary(
    db_path: Path, area: str, period: dt.date, text: str, author: str = "", authority: str | None = None, user: str = ""
) -> str:
    """Store one area's commentary for a month as a new vintage (earlier wording is kept, as with figures).
    Validated like any upload: an unknown area, a future month or an over-long text is rejected."""
    from .models import Commentary  # pydantic model shared with the sample build

    reader = store.ReadOnlyStore(db_path)
    where = "commentary"
    areas = service_area_ids(reader.table("areas"))
    authorities = set(reader.table("authorities")["authority"])
    authority = authority or sorted(authorities)[0]
    problems = []
    if area not in areas:
        problems.append(Problem(where, None, "area", f"unknown area {area!r}; choose from {', '.join(sorted(areas))}"))
    if authority not in authorities:
        problems.append(Problem(where, None, "authority", f"unknown authority {authority!r}"))
    if period > this_month():
        problems.append(Problem(where, None, "month", f"{iso(period)} is in the future"))
    body = text.strip()
    if not body:
        problems.append(Problem(where, None, "text", "the commentary is empty"))
    elif len(body) > MAX_COMMENTARY_CHARS:
        problems.append(
            Problem(where, None, "text", f"{len(body):,} characters; the limit is {MAX_COMMENTARY_CHARS:,}")
        )
    if problems:
        raise LoadRejected(problems)
    now = dt.datetime.now()
    vintage_id = lifecycle.new_vintage_id("commentary", now)
    row = Commentary(
        authority=authority,
        area=area,
        period=period,
        vintage=vintage_id,
        text=body,
        source_file=f"edited in the app{' by ' + author.strip() if author.strip() else ''}",
    )
    vintage = {
        "vintage": vintage_id,
        "label": f"Commentary edit, {now:%d %b %Y %H:%M}",
        "published": now.date(),
        "source_file": row.source_file,
        "as_of_note": f"{area} commentary for {iso(period)}",
    }
    return lifecycle.commit(
        db_path,
        "commentary",
        vintage,
        {"commentary": pd.DataFrame([row.model_dump(mode="python")])},
        user or author.strip() or "app",
        row.source_file,
        hashlib.sha256(body.encode("utf-8")).hexdigest(),
    )


PLAN_UPDATE_COLUMNS = ("action_ref", "action_brag", "impact_brag", "commentary")


def load_plan_update(
    db_path: Path, path: Path | str, authority: str | None = None, label: str | None = None, user: str = ""
) -> str:
    """Record the month's Action/Impact BRAG and commentary for improvement-plan actions: a CSV with
    action_ref plus any of action_brag, impact_brag, commentary. Every row is checked with the plan's own
    model against the latest plan; any problem rejects the file and leaves the database as it was."""
    from pydantic import ValidationError

    from .models import PlanAction

    path = Path(path)
    name = path.name
    reader = store.ReadOnlyStore(db_path)
    authority = authority or sorted(set(reader.table("authorities")["authority"]))[0]
    problems: list[Problem] = []
    table = _read_table(path, name, None, problems)
    if table is None:
        raise LoadRejected(problems)
    name, rows = table.where, table.rows
    header = [str(h).strip().lower() for h in rows[0]]
    if "action_ref" not in header:
        raise LoadRejected([Problem(name, 1, None, "missing required column action_ref")])
    unknown = [h for h in header if h and h not in PLAN_UPDATE_COLUMNS]
    if unknown:
        raise LoadRejected(
            [Problem(name, 1, h, f"unknown column; use {', '.join(PLAN_UPDATE_COLUMNS)}") for h in unknown]
        )
    latest = reader.plan_as_of("plan_actions", "latest", authority)
    if latest.empty:
        raise LoadRejected([Problem(name, None, None, "no improvement plan is loaded to update")])
    current = {r["action_ref"]: r for r in latest.drop(columns=["label"]).to_dict("records")}
    now = dt.datetime.now()
    vintage_id = lifecycle.new_vintage_id("plan", now)
    updated: dict[str, dict] = {}
    for lineno, raw in enumerate(rows[1:], start=table.header_row + 1):
        cells = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, raw)}
        ref = cells.get("action_ref", "")
        if not any(cells.values()):
            continue
        if ref not in current:
            problems.append(Problem(name, lineno, "action_ref", f"{ref!r} is not an action in the current plan"))
            continue
        if ref in updated:
            problems.append(Problem(name, lineno, "action_ref", f"{ref} is given twice"))
            continue
        merged = {
            **current[ref],
            "vintage": vintage_id,
            "source_file": name,
            "source_line": lineno,
            **{k: v for k, v in cells.items() if k != "action_ref" and k in header},
        }
        for col in ("start_month", "end_month"):
            merged[col] = merged[col].date() if hasattr(merged[col], "date") else (merged[col] or None)
        try:
            updated[ref] = PlanAction.model_validate(merged).model_dump(mode="python")
        except ValidationError as exc:
            for err in exc.errors():
                col = ".".join(str(p) for p in err["loc"]) or "row"
                problems.append(Problem(name, lineno, col, err["msg"].removeprefix("Value error, ")))
    if not problems and not updated:
        problems.append(Problem(name, None, None, "the file has a header but no actions"))
    if problems:
        raise LoadRejected(problems)
    actions = [updated.get(ref, {**row, "vintage": vintage_id}) for ref, row in current.items()]
    measures = (
        reader.plan_as_of("plan_measures", "latest", authority).drop(columns=["label"]).assign(vintage=vintage_id)
    )
    vintage = {
        "vintage": vintage_id,
        "label": label or f"Plan update from {name}, {now:%d %b %Y %H:%M}",
        "published": now.date(),
        "source_file": name,
        "as_of_note": f"BRAG/commentary for {len(updated)} improvement-plan actions",
    }
    return lifecycle.commit(
        db_path,
        "plan",
        vintage,
        {"plan_actions": pd.DataFrame(actions), "plan_measures": measures},
        user or lifecycle.cli_user(),
        name,
        hashlib.sha256(path.read_bytes()).hexdigest(),
    )
