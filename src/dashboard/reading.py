"""Reading an uploaded file and its cells, the same way for every write: figures, targets, comparators, plan
updates, national statistics.

CSV (UTF-8, a BOM allowed) or XLSX, bounded before it is read (size, rows, an xlsx's unpacked parts); every
problem is a Problem naming the file, row and column, and LoadRejected carries them all. A cell reads as a
number only by the rules in `read_cell`; missing or "Not Yet Available" is a status, never zero.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .models import STATUS_WORDS, Status

MAX_ROWS = 200_000
MAX_PROBLEMS = 200  # past this a file is refused without reading further: the first 200 say what to fix
MAX_FILE_BYTES = 20 * 1024 * 1024  # a month's scorecard is kilobytes; anything this big is refused unread
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # an xlsx is a zip: its parts are checked before any is parsed


# A figure as analysts type it: 1234, 1,234 (well-formed thousands only), 12.5, -3, with % on percentages.
_NUMBER = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
MAX_FIGURE = 10_000_000  # no count, rate, day or caseload figure in a council's scorecard comes near this


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


def read_table(path: Path, name: str, sheet: str | None, problems: list[Problem]) -> Table | None:
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


def read_cell(value: object, unit: str | None = None) -> tuple[float | None, str | None, str | None]:
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


def check_value(
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
