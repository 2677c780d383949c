"""Reading an uploaded file and its cells, the same way for every write: figures, targets, comparators, plan
updates, national statistics.

One reading layer, so a rule fixed once holds for every write path:
- the file: a regular file only (a folder, a device, a pipe or a link is refused by name before anything is
  read), opened without following a link and without blocking, read once into memory up to a size limit,
  so its checksum and its contents are the same bytes;
- CSV (UTF-8, a BOM allowed): tabs, a `sep=` line, semicolons and Windows text each get their own message;
- XLSX as Excel shows it (`_Workbook`): the rows that exist (never the declared `<dimension>`), hidden rows
  and columns holding anything refused unless asked for, each number as its format displays it (a % sign
  shown is a % sign read), a formula with no stored value refused, and any malformed cell or part named;
- the header: no line breaks, no numbers (an Excel date serial), no blank header over filled cells, and
  every row as wide as the header;
- a cell: `read_cell` by the indicator's unit (a count is whole, a percentage 0-100), `-0` is 0, missing or
  "Not Yet Available" is a status, never zero.
Every problem is a Problem naming the file, row and column; LoadRejected carries them all.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from .models import STATUS_SPELLINGS, Status

MAX_ROWS = 200_000
MAX_PROBLEMS = 200  # past this a file is refused without reading further: the first 200 say what to fix
MAX_FILE_BYTES = 20 * 1024 * 1024  # a month's scorecard is kilobytes; anything this big is refused unread
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # an xlsx is a zip: its parts are checked before any is parsed
MAX_COLUMNS = 16_384  # Excel's own limit (XFD)
HEADER_LOOK = 15  # title rows above a workbook's header row
MAX_CELLS = 200_000  # a scorecard sheet has thousands; counted before any is parsed, so parsing stays bounded in time


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
    `header_row` is the header's row number in the file, so problem rows match what the user sees; `sha256`
    is the checksum of exactly the bytes read."""

    rows: list[list[object]]
    where: str
    header_row: int = 1
    sha256: str = ""


class LoadRejected(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Percent:
    """A number as Excel shows it with a % sign: 0.125 formatted `0.0%` is Percent(12.5), 0.45 formatted
    `0.00\\%` (a literal sign) is Percent(0.45). Read like the text '12.5%', so a count shown as a
    percentage is refused rather than stored a hundred times too big."""

    value: float

    def __str__(self) -> str:
        return f"{_plain_number(self.value)}%"


def _plain_number(v: float) -> str:
    text = f"{v:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ---------------------------------------------------------------- the file


def read_bytes(path: Path, name: str, problems: list[Problem], limit: int | None = None) -> bytes | None:
    """The file's bytes, or None after saying why not: only a regular file is read, a link is not followed,
    and a pipe or device is never opened for reading (it could block or never end). `limit`: bytes, if not
    MAX_FILE_BYTES."""
    limit = limit or MAX_FILE_BYTES
    try:
        st = os.lstat(path)
    except OSError as exc:
        problems.append(Problem(name, None, None, f"cannot read the file ({exc.strerror or exc})"))
        return None
    kind = _not_a_file(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "somewhere else"
        problems.append(
            Problem(name, None, None, f"this is a link to {target}, not a file: load the file itself, not a link")
        )
        return None
    if kind:
        problems.append(Problem(name, None, None, f"this is {kind}, not a file: give a CSV or XLSX file"))
        return None
    if st.st_size > limit:
        problems.append(_too_big(name, st.st_size, limit))
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        problems.append(Problem(name, None, None, f"cannot read the file ({exc.strerror or exc})"))
        return None
    try:
        kind = _not_a_file(os.fstat(fd).st_mode)  # what was opened, not what was looked at: no swap between
        if kind:
            problems.append(Problem(name, None, None, f"this is {kind}, not a file: give a CSV or XLSX file"))
            return None
        chunks, total = [], 0
        while total <= limit:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            chunks.append(block)
            total += len(block)
    except OSError as exc:
        problems.append(Problem(name, None, None, f"cannot read the file ({exc.strerror or exc})"))
        return None
    finally:
        os.close(fd)
    if total > limit:
        problems.append(_too_big(name, total, limit))
        return None
    return b"".join(chunks)


def _not_a_file(mode: int) -> str:
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_big(name: str, size: int, limit: int) -> Problem:
    why = " (a month of figures is a few kilobytes)" if limit == MAX_FILE_BYTES else ""
    return Problem(name, None, None, f"the file is {size / 1024**2:,.0f} MB; the limit is {limit // 1024**2} MB{why}")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_table(
    path: Path,
    name: str,
    sheet: str | None,
    problems: list[Problem],
    key: str = "ref",
    include_hidden: bool = False,
) -> Table | None:
    """Raw rows (header first) from CSV or XLSX; None after recording why it could not be read. `key` is the
    header a workbook's header row has (title rows above it are skipped). The header and the rows' widths are
    checked here, for every write path alike."""
    raw = read_bytes(Path(path), name, problems)
    if raw is None:
        return None
    if not raw.strip():
        problems.append(Problem(name, None, None, "the file is empty"))
        return None
    if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
        table = _read_xlsx(raw, name, sheet, key, include_hidden, problems)
    elif raw[:2] == b"PK":
        problems.append(Problem(name, None, None, "this is a spreadsheet (zip) file: give it an .xlsx name"))
        return None
    else:
        table = _read_csv(raw, name, problems)
    if table is None:
        return None
    table.sha256 = hashlib.sha256(raw).hexdigest()
    before = len(problems)
    _check_header(table, problems)
    if len(problems) == before:
        _check_widths(table, problems)
    return None if len(problems) > before else table


def _read_csv(raw: bytes, name: str, problems: list[Problem]) -> Table | None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(_not_utf8(raw, name))
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.append(Problem(name, line, None, "the file holds NUL bytes, so it is not text: give a CSV file"))
        return None
    first = text.split("\n", 1)[0].rstrip("\r")
    if re.fullmatch(r"(?i)sep=.?", first.strip()):
        problems.append(
            Problem(
                name,
                1,
                None,
                f"the first line {first.strip()!r} is a hint for Excel, not the header: delete that line so the "
                "header (ref,period,value or Ref, Indicator, months) is the first line",
            )
        )
        return None
    if "\t" in first and "," not in first:
        problems.append(
            Problem(
                name,
                1,
                None,
                "the columns are separated by tabs (a tab-separated file); save it as "
                '"CSV UTF-8 (Comma delimited)" so columns are separated by commas',
            )
        )
        return None
    if first.count(";") >= 2 and "," not in first:
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
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                problems.append(Problem(name, None, None, f"more than {MAX_ROWS:,} rows"))
                return None
    except csv.Error as exc:
        problems.append(Problem(name, reader.line_num, None, f"not a readable CSV: {exc}"))
        return None
    if not any(any(str(c).strip() for c in r) for r in rows):
        problems.append(Problem(name, None, None, "the file is empty"))
        return None
    return Table(rows, name)


def _check_header(table: Table, problems: list[Problem]) -> None:
    """A header is a name on one line: a line break, or a number (what Excel writes for a date header it
    saved as a serial, 45323 for Feb-24), would otherwise read as a missing column."""
    for raw in table.rows[0]:
        if isinstance(raw, (dt.date, dt.datetime)):
            continue
        h = str(raw)
        if "\n" in h or "\r" in h:
            problems.append(
                Problem(
                    table.where,
                    table.header_row,
                    h,
                    "this header has a line break in it (Alt+Enter in Excel, or a quoted newline): "
                    "put the header on one line",
                )
            )
            continue
        number = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
        if number is None and re.fullmatch(r"\d+(\.\d+)?", h.strip()):
            number = float(h.strip())
        if number is None:
            continue
        if 20_000 <= number <= 80_000 and number == int(number):
            day = dt.date(1899, 12, 30) + dt.timedelta(days=int(number))
            why = (
                f"a header is a name, not a number: {h.strip()} is how Excel stores the date "
                f"{day:%d %b %Y}, so a month header was saved as a number; write it as {day:%b-%y}"
            )
        else:
            why = "a header is a name, not a number: give the column its name"
        problems.append(Problem(table.where, table.header_row, h.strip(), why))


def _check_widths(table: Table, problems: list[Problem]) -> None:
    """Every row has a cell per header (an unquoted thousands comma splits a figure in two), and a column with
    no header holds nothing: no cell is dropped because nothing names it."""
    header = table.rows[0]
    width = len(header)
    ragged = []
    for n, r in enumerate(table.rows[1:], start=table.header_row + 1):
        if not r or all(str(c).strip() == "" for c in r):
            continue
        if len(r) != width and not (len(r) > width and all(str(c).strip() == "" for c in r[width:])):
            ragged.append(
                Problem(
                    table.where,
                    n,
                    None,
                    f"the row has {len(r)} cells but the header has {width}: a figure with a "
                    'thousands comma must be in quotes ("1,234"), and every row needs a cell per column',
                )
            )
    if ragged:
        problems.extend(ragged[:50])
        return
    for i, h in enumerate(header):
        if str(h).strip():
            continue
        filled = next(
            (n for n, r in enumerate(table.rows[1:], start=table.header_row + 1) if i < len(r) and str(r[i]).strip()),
            None,
        )
        if filled is not None:
            problems.append(
                Problem(
                    table.where,
                    filled,
                    f"column {i + 1}",
                    "this column has no header but holds figures: give it a header (a month such as Sep-23 in "
                    "the wide layout) or delete it",
                )
            )


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


# ---------------------------------------------------------------- workbooks, as Excel shows them

_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ANY_TAG = {t: re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + t + rb"[\s/>]") for t in (b"row", b"c")}


def _tags(buf: bytes, tag: bytes) -> int:
    """How many <tag> (or <x:tag>) elements start in buf: bytes.count runs at C speed."""
    plain = sum(buf.count(b"<" + tag + end) for end in (b" ", b">", b"/"))
    other = b"<" + tag + b"\n" in buf or b"<" + tag + b"\t" in buf or b":" + tag in buf
    return plain + (len(_ANY_TAG[tag].findall(buf)) - plain if other else 0)


_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
_XML_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
# Excel's built-in number formats that show a % sign or a date (ids 9-10; 14-22 and 45-47).
_BUILTIN_PERCENT = {9, 10}
_BUILTIN_DATE = set(range(14, 23)) | {45, 46, 47}


_CELL_PARTS = frozenset({"c", "v", "f", "is", "t", "r", "rPh", "rPr", "phoneticPr"})


class _Unreadable(Exception):
    """A malformed cell or part (or, `readable`, a sheet too big to read): `where` names the sheet and cell."""

    def __init__(self, where: str, detail: str, readable: bool = False):
        super().__init__(detail)
        self.where, self.detail, self.readable = where, detail, readable


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _format_kind(code: str) -> str:
    """'percent' (the value is shown times 100 with a % sign), 'literal_percent' (a % sign typed into the
    format: the value is shown as it is, with a %), 'date' or 'number', from a format's first section."""
    section, depth, quoted, i, out, literal = "", 0, False, 0, [], False
    while i < len(code):
        ch = code[i]
        if quoted:
            if ch == '"':
                quoted = False
            elif ch == "%":
                literal = True
        elif ch == '"':
            quoted = True
        elif ch == "\\" and i + 1 < len(code):
            literal = literal or code[i + 1] == "%"
            i += 1
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0:
            break
        elif depth == 0:
            out.append(ch)
        i += 1
    section = "".join(out).lower().replace("general", "")
    if "%" in section:
        return "percent"
    if literal:
        return "literal_percent"
    if re.search(r"[dmyhs]", re.sub(r"e[+-]", "", section)):
        return "date"
    return "number"


class _Workbook:
    """An XLSX read from its parts with a streaming XML parser: what Excel would show, or _Unreadable."""

    def __init__(self, raw: bytes, name: str):
        self.name = name
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(raw))
            self.parts = {i.filename: i for i in self.zip.infolist()}
        except (zipfile.BadZipFile, ValueError) as exc:
            raise _Unreadable("", "the file is damaged or not a workbook") from exc
        self.unpacked = sum(i.file_size for i in self.parts.values())
        self.max_rows, self.max_cells = MAX_ROWS, MAX_CELLS  # a caller reading bigger sheets (Annex A) raises them
        self._letters: dict[str, int] = {}  # a cell name's column letters already checked -> column number
        self._values: dict[tuple, object] = {}  # (type, style, stored text) -> the value shown
        self._local_names: dict[str, str] = {}  # a tag with its namespace -> its local name

    def open(self):
        rels = self._rels("xl/_rels/workbook.xml.rels")
        root = self._tree("xl/workbook.xml")
        self.date1904 = any(_local(e.tag) == "workbookPr" and e.get("date1904") in ("1", "true") for e in root.iter())
        self.sheets = []  # (title, part, hidden)
        for e in root.iter():
            if _local(e.tag) == "sheet":
                target = rels.get(e.get(f"{{{_NS_REL}}}id") or "", "")
                part = target.lstrip("/") if target.startswith("/") else "xl/" + target
                self.sheets.append((e.get("name") or "", part, e.get("state") in ("hidden", "veryHidden")))
        if not self.sheets:
            raise _Unreadable("", "it lists no sheets")
        shared = next((t for t in rels.values() if t.endswith("sharedStrings.xml")), "sharedStrings.xml")
        self.strings = self._shared_strings("xl/" + shared.lstrip("/").removeprefix("xl/"))
        self.formats = self._styles()

    def _check(self, part: str, where: str = ""):
        if part not in self.parts:
            raise _Unreadable(where, f"its part {part} is missing")
        with self.zip.open(part) as fh:
            head = fh.read(4096)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise _Unreadable(where, f"its part {part} declares a DOCTYPE, which a workbook never does")

    def _iter(self, part: str, where: str = ""):
        self._check(part, where)
        try:
            with self.zip.open(part) as fh:
                yield from ElementTree.iterparse(fh, events=("start", "end"))
        except ElementTree.ParseError as exc:
            line, col = getattr(exc, "position", (0, 0))
            raise _Unreadable(where, f"the XML of {part} is broken at line {line}, column {col}") from exc
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _Unreadable(where, f"its part {part} is damaged") from exc

    def _tree(self, part: str):
        root = None
        for event, elem in self._iter(part):
            if event == "start" and root is None:
                root = elem
        return root

    def _rels(self, part: str) -> dict[str, str]:
        if part not in self.parts:
            return {}
        return {
            e.get("Id") or "": e.get("Target") or "" for e in self._tree(part).iter() if _local(e.tag) == "Relationship"
        }

    def _shared_strings(self, part: str) -> list[str]:
        if part not in self.parts:
            return []
        out, texts, phonetic = [], [], 0
        for event, elem in self._iter(part):
            tag = _local(elem.tag)
            if tag == "rPh":
                phonetic += 1 if event == "start" else -1
            elif event == "end" and tag == "t" and not phonetic:
                texts.append(elem.text or "")
            elif event == "end" and tag == "si":
                out.append("".join(texts))
                texts = []
                elem.clear()
        return out

    def _styles(self) -> list[str]:
        """Each cell style's number format kind, by the style's index (a cell's s attribute)."""
        if "xl/styles.xml" not in self.parts:
            return []
        codes, kinds, in_xfs = {}, [], False
        for event, elem in self._iter("xl/styles.xml"):
            tag = _local(elem.tag)
            if tag == "numFmt" and event == "end":
                codes[elem.get("numFmtId")] = elem.get("formatCode") or ""
            elif tag == "cellXfs":
                in_xfs = event == "start"
            elif tag == "xf" and event == "end" and in_xfs:
                fid = elem.get("numFmtId") or "0"
                if fid in codes:
                    kinds.append(_format_kind(codes[fid]))
                elif fid.isdigit() and int(fid) in _BUILTIN_PERCENT:
                    kinds.append("percent")
                elif fid.isdigit() and int(fid) in _BUILTIN_DATE:
                    kinds.append("date")
                else:
                    kinds.append("number")
        return kinds

    def count(self, part: str, where: str) -> tuple[int, int]:
        """(row elements, cell elements) in a sheet, counted in its raw bytes at C speed: a sheet of a million
        empty rows (formatted to the bottom) is refused in a fraction of a second instead of parsed."""
        self._check(part, where)
        rows = cells = 0
        tail = b""
        with self.zip.open(part) as fh:
            # past a limit, counting more says nothing
            while rows <= self.max_rows + HEADER_LOOK and cells <= self.max_cells:
                chunk = fh.read(1 << 20)
                buf = tail + chunk
                cut = max(buf.rfind(b"<"), 0) if chunk else len(buf)  # no tag is split: the rest starts with "<"
                rows += _tags(buf[:cut], b"row")
                cells += _tags(buf[:cut], b"c")
                if not chunk:
                    break
                tail = buf[cut:]
        return rows, cells

    def read_sheet(self, title: str, part: str, stop_after: int | None = None):
        """({row: {column: value}}, hidden rows, hidden columns, formulas with no value) of the rows that hold
        something; `stop_after` stops reading past that row (for finding the header)."""
        where = f"sheet {title!r}"
        if stop_after is None:
            rows, cells_in_part = self.count(part, where)
            if rows > self.max_rows + HEADER_LOOK or cells_in_part > self.max_cells:
                raise _Unreadable(
                    where,
                    f"more than {self.max_rows:,} rows or {self.max_cells:,} cells (some perhaps formatted but empty): "
                    "delete the rows below the figures, save, and load it again",
                    readable=True,
                )
        cells: dict[int, dict[int, object]] = {}
        hidden_rows: set[int] = set()
        hidden_cols: set[int] = set()
        uncached: list[tuple[int, str]] = []
        row_no = 0
        self._check(part, where)
        try:
            with self.zip.open(part) as fh:
                # end events only, a row handled whole when it closes: a cell costs one pass, no more
                local = self._local_names
                for _, elem in ElementTree.iterparse(fh, events=("end",)):
                    tag = elem.tag
                    name = local.get(tag)
                    if name is None:
                        name = local[tag] = tag[tag.rfind("}") + 1 :]
                    if name in _CELL_PARTS:  # handled with their row
                        continue
                    if name == "row":
                        r = elem.get("r")
                        if r is not None and not (r.isdigit() and 0 < int(r) <= 1_048_576):
                            raise _Unreadable(where, f"a row is numbered {r!r}")
                        row_no = int(r) if r else row_no + 1
                        if stop_after is not None and row_no > stop_after:
                            break
                        if elem.get("hidden") in ("1", "true"):
                            hidden_rows.add(row_no)
                        self._row(elem, row_no, where, cells, uncached)
                        elem.clear()
                    elif name == "col" and elem.get("hidden") in ("1", "true"):
                        lo, hi = int(elem.get("min") or 0), int(elem.get("max") or 0)
                        hidden_cols.update(range(max(lo, 1), min(hi, MAX_COLUMNS) + 1))
        except ElementTree.ParseError as exc:
            line, col = getattr(exc, "position", (0, 0))
            raise _Unreadable(where, f"the XML of {part} is broken at line {line}, column {col}") from exc
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise _Unreadable(where, f"its part {part} is damaged") from exc
        return cells, hidden_rows, hidden_cols, uncached

    def _row(self, elem, row_no: int, where: str, cells: dict, uncached: list) -> None:
        col_no = 0
        row_text = str(row_no)
        letters_seen, values_seen, local = self._letters, self._values, self._local_names
        row_cells = None
        for c in elem:
            tag = c.tag
            name = local.get(tag)
            if name is None:
                name = local[tag] = tag[tag.rfind("}") + 1 :]
            if name != "c":
                continue
            ref = c.get("r")
            if ref:
                # the common case (C12 in row 12) without a regular expression; anything else by the full rules
                letters = ref.rstrip("0123456789")
                col = letters_seen.get(letters)
                if col is not None and ref[len(letters) :] == row_text:
                    col_no = col
                else:
                    col_no = self._cell_column(ref, row_no, where)
            else:
                col_no += 1
            t, s, v, formula, inline = c.get("t"), c.get("s"), None, False, None
            for child in c:
                tag = child.tag
                name = local.get(tag)
                if name is None:
                    name = local[tag] = tag[tag.rfind("}") + 1 :]
                if name == "v":
                    v = child.text or ""
                elif name == "f":
                    formula = True
                elif name == "is":
                    only = child[0] if len(child) == 1 else None
                    if only is not None and not len(only) and local.get(only.tag) == "t":
                        inline = [only.text or ""]  # the usual <is><t>text</t></is>
                    else:
                        inline = [x.text or "" for x in child.iter() if _local(x.tag) == "t"]
            if inline is not None and t == "inlineStr":
                value, formula_without_value = "".join(inline), False
            elif formula or inline is not None:
                value, formula_without_value = self._value(t, s, v, formula, inline, where, col_no, row_no)
            else:
                # a cell's value depends only on its type, style and stored text: worked out once per distinct one
                key = (t, s, v)
                value = values_seen.get(key, values_seen)
                if value is values_seen:
                    value = values_seen[key] = self._value(t, s, v, False, None, where, col_no, row_no)[0]
                formula_without_value = False
            if formula_without_value:
                uncached.append((row_no, f"{_column_letters(col_no)}{row_no}"))
            elif value != "":
                if row_no > self.max_rows + HEADER_LOOK:
                    raise _TooLong(row_no)
                if row_cells is None:
                    row_cells = cells.setdefault(row_no, {})
                row_cells[col_no] = value

    def _cell_column(self, ref: str, row_no: int, where: str) -> int:
        """The column of a cell named `ref` in row `row_no`, or _Unreadable."""
        m = _CELL_REF.match(ref)
        if not m or _column_index(m.group(1)) > MAX_COLUMNS:
            raise _Unreadable(where, f"a cell is named {ref!r}")
        col_no = _column_index(m.group(1))
        if int(m.group(2)) != row_no:
            raise _Unreadable(f"{where}, cell {ref}", f"the cell sits in row {row_no}")
        if m.group(1).isascii() and m.group(2).isascii():
            self._letters[m.group(1)] = col_no
        return col_no

    def _value(self, t, s, v, formula: bool, inline, sheet: str, col_no: int, row_no: int) -> tuple[object, bool]:
        """(what the cell shows, a formula with no stored value) from its type t, style s, stored text v, whether it
        has a formula, and its inline string's texts (None: none)."""
        t = t or "n"
        if formula and (v is None or v == "") and t != "inlineStr":
            return "", True  # a formula (array formulas too) whose value Excel never stored
        if t == "inlineStr":
            return "".join(inline or []), False
        if v is None or (v == "" and t in ("n", "s")):
            return "", False
        where = f"{sheet}, cell {_column_letters(col_no)}{row_no}"  # only in a message
        if t == "n":
            return self._number(s, v, where), False
        return self._typed(t, v, where), False

    def _typed(self, t: str, v: str, where: str) -> object:
        """A cell stored as a shared string, text, error, true/false or ISO date."""
        if t == "s":
            if not v.strip().isdigit() or int(v) >= len(self.strings):
                raise _Unreadable(where, f"shared string {v!r} is not in the workbook's {len(self.strings)} strings")
            return self.strings[int(v)]
        if t in ("str", "e"):
            return v
        if t == "b":
            if v not in ("0", "1"):
                raise _Unreadable(where, f"{v!r} is not a true/false value")
            return v == "1"
        if t == "d":
            try:
                return dt.datetime.fromisoformat(v.strip())
            except ValueError as exc:
                raise _Unreadable(where, f"{v!r} is not a date") from exc
        raise _Unreadable(where, f"the cell type {t!r} is not one Excel writes")

    def _number(self, s, v: str, where: str) -> object:
        """A number cell as its style shows it: a percentage, a date, or the number (whole where it is one)."""
        if not _XML_NUMBER.match(v.strip()):
            raise _Unreadable(where, f"{v!r} is not a number")
        number = float(v)
        if not math.isfinite(number):
            raise _Unreadable(where, f"{v!r} is not a finite number")
        kind = "number"
        if s:
            if not s.isdigit() or (self.formats and int(s) >= len(self.formats)):
                raise _Unreadable(where, f"style {s!r} is not in the workbook's styles")
            kind = self.formats[int(s)] if self.formats else "number"
        if kind == "percent":
            return Percent(round(number * 100, 10))
        if kind == "literal_percent":
            return Percent(number)
        if kind == "date":
            if not 0 <= number < 2_958_466:
                raise _Unreadable(where, f"{v} is not a date Excel can show")
            base = dt.datetime(1904, 1, 1) if self.date1904 else dt.datetime(1899, 12, 30)
            return base + dt.timedelta(days=number)
        return int(number) if number == int(number) and abs(number) < 2**53 else number


def _unpacks_too_big(book: _Workbook, name: str, limit: int, problems: list[Problem]) -> bool:
    """A zip bomb is refused before any part is parsed."""
    if book.unpacked <= limit:
        return False
    problems.append(
        Problem(
            name,
            None,
            None,
            f"the workbook unpacks to {book.unpacked / 1024**2:,.0f} MB; the limit is {limit // 1024**2} MB, "
            "so it was not opened",
        )
    )
    return True


class _TooLong(Exception):
    def __init__(self, row: int):
        super().__init__(row)
        self.row = row


def _read_xlsx(
    raw: bytes, name: str, sheet: str | None, key: str, include_hidden: bool, problems: list[Problem]
) -> Table | None:
    """Rows of one sheet, header first: the sheet named, or the one visible sheet whose top rows hold a `key`
    header; title rows above the header skipped; what is hidden, unreadable or never calculated refused."""
    try:
        book = _Workbook(raw, name)
        if _unpacks_too_big(book, name, MAX_XLSX_UNPACKED, problems):
            return None
        book.open()
        titles = [t for t, _, _ in book.sheets]
        if sheet is not None:
            chosen = [s for s in book.sheets if s[0] == sheet]
            if not chosen:
                problems.append(Problem(name, None, None, f"no sheet {sheet!r}; sheets are {', '.join(titles)}"))
                return None
            if chosen[0][2] and not include_hidden:
                problems.append(
                    Problem(
                        name,
                        None,
                        None,
                        f"sheet {sheet!r} is hidden in Excel: unhide it and check it, or load with --include-hidden",
                    )
                )
                return None
        else:
            chosen = [
                s
                for s in book.sheets
                if (include_hidden or not s[2]) and _header_row(book.read_sheet(s[0], s[1], HEADER_LOOK)[0], key)
            ]
            if not chosen:
                problems.append(
                    Problem(
                        name,
                        None,
                        None,
                        f"no sheet has a header row with a {key.title() if key == 'ref' else key} column "
                        f"(sheets: {', '.join(titles)})",
                    )
                )
                return None
            if len(chosen) > 1:
                problems.append(
                    Problem(
                        name,
                        None,
                        None,
                        "several sheets have a Ref column ("
                        f"{', '.join(s[0] for s in chosen)}): choose one with --sheet (or upload a "
                        "workbook with one such sheet)",
                    )
                )
                return None
        title, part, _ = chosen[0]
        where = f"{name}, sheet {title!r}"
        try:
            cells, hidden_rows, hidden_cols, uncached = book.read_sheet(title, part)
        except _TooLong as exc:
            problems.append(Problem(where, exc.row, None, f"this row holds a value; the limit is {MAX_ROWS:,} rows"))
            return None
    except _Unreadable as exc:
        at = ", ".join(x for x in (name, exc.where) if x)
        problems.append(
            Problem(at, None, None, exc.detail if exc.readable else f"not a readable XLSX workbook ({exc.detail})")
        )
        return None
    start = _header_row(cells, key) or min(cells, default=1)
    uncached = [(r, c) for r, c in uncached if r >= start]
    if uncached:
        problems += [
            Problem(
                where,
                r,
                c,
                "a formula with no stored value: open and save the file in Excel so the "
                "values are stored, then load it again",
            )
            for r, c in uncached[:20]
        ]
        return None
    if not include_hidden:
        hidden = _hidden_with_figures(cells, hidden_rows, hidden_cols, start, where)
        if hidden:
            problems += hidden
            return None
    rows_used = [r for r in cells if r >= start]
    if not rows_used:
        problems.append(Problem(where, None, None, "the sheet is empty"))
        return None
    width = max(c for r in rows_used for c in cells[r])
    rows = [[cells.get(r, {}).get(c, "") for c in range(1, width + 1)] for r in range(start, max(rows_used) + 1)]
    return Table(rows, where, start)


def _header_row(cells: dict[int, dict[int, object]], key: str) -> int | None:
    """The first of a sheet's top rows that has a cell reading `key` (title rows above it are skipped)."""
    for r in sorted(n for n in cells if n <= HEADER_LOOK):
        if any(str(v).strip().lower() == key for v in cells[r].values()):
            return r
    return None


def _hidden_with_figures(cells, hidden_rows, hidden_cols, start, where) -> list[Problem]:
    """Rows and columns Excel hides but that hold something: what the user sees is what is loaded, or nothing."""
    out = []
    header = cells.get(start, {})
    for r in sorted(hidden_rows):
        if r > start and cells.get(r):
            shown = ", ".join(str(v) for _, v in sorted(cells[r].items())[:3])
            out.append(
                Problem(
                    where,
                    r,
                    None,
                    f"this row is hidden in Excel and holds {shown!s}: unhide it and check it, delete it, or load "
                    "with --include-hidden (command line) or “Read hidden rows and columns” (load page) to read it",
                )
            )
    for c in sorted(hidden_cols):
        if any(c in cells[r] for r in cells if r > start):
            out.append(
                Problem(
                    where,
                    start,
                    str(header.get(c, _column_letters(c))),
                    f"column {_column_letters(c)} is hidden in Excel and holds figures: unhide it and check it, "
                    "delete it, or load with --include-hidden (command line) or “Read hidden rows and columns” "
                    "(load page) to read it",
                )
            )
    return out[:50]


@dataclass
class Sheet:
    """One sheet as Excel shows it: `rows[0]` is row 1 (blank rows kept, so an index is a row number less one);
    hidden rows and columns (1-based) and formulas with no stored value as (row, column, cell)."""

    title: str
    where: str
    rows: list[list[object]]
    hidden_rows: set[int]
    hidden_cols: set[int]
    uncached: list[tuple[int, int, str]]

    def hidden_problems(self, header_row: int, columns: set[int] | None = None) -> list[Problem]:
        """Hidden rows below the header, and hidden columns (of `columns`, 1-based, if given), holding anything."""
        if not self.hidden_rows and not self.hidden_cols:
            return []
        cells = {r: {c: v for c, v in enumerate(row, start=1) if v != ""} for r, row in enumerate(self.rows, 1)}
        cols = self.hidden_cols if columns is None else self.hidden_cols & columns
        return _hidden_with_figures(cells, self.hidden_rows, cols, header_row, self.where)


def read_workbook(
    path: Path,
    name: str,
    problems: list[Problem],
    choose,
    include_hidden: bool = False,
    scale: int = 1,
    hidden_ok=None,
) -> tuple[list[str], dict[str, Sheet], str] | None:
    """Several sheets of one workbook, by the same rules as every upload (a regular file, size and unpacked
    limits, the rows that exist, formats as shown, a malformed part named): (every sheet title, {title: Sheet},
    the checksum of the bytes read) for the titles `choose([(title, hidden), ...])` returns, or None after
    recording why not. A chosen sheet that is hidden is refused unless `include_hidden` (or `hidden_ok(title)`:
    a sheet that holds no figures, such as a marker). `scale` multiplies the
    size, row and cell limits (an Annex A extract holds thousands of records, a scorecard a few hundred figures)."""
    raw = read_bytes(Path(path), name, problems, MAX_FILE_BYTES * scale)
    if raw is None:
        return None
    if not raw.strip():
        problems.append(Problem(name, None, None, "the file is empty"))
        return None
    if raw[:2] != b"PK":
        problems.append(Problem(name, None, None, "not an Excel workbook (.xlsx): it cannot be opened as one"))
        return None
    try:
        book = _Workbook(raw, name)
        book.max_rows, book.max_cells = MAX_ROWS * scale, MAX_CELLS * scale
        if _unpacks_too_big(book, name, MAX_XLSX_UNPACKED * scale, problems):
            return None
        book.open()
        titles = [t for t, _, _ in book.sheets]
        wanted = set(choose([(t, hidden) for t, _, hidden in book.sheets]))
        out: dict[str, Sheet] = {}
        for title, part, hidden in book.sheets:
            if title not in wanted or title in out:
                continue
            where = f"{name}, sheet {title!r}"
            if hidden and not include_hidden and not (hidden_ok and hidden_ok(title)):
                problems.append(
                    Problem(
                        where,
                        None,
                        None,
                        "the sheet is hidden in Excel: unhide it and check it, or load with --include-hidden "
                        "(command line) or “Read hidden rows and columns” (load page)",
                    )
                )
                continue
            try:
                cells, hidden_rows, hidden_cols, uncached = book.read_sheet(title, part)
            except _TooLong as exc:
                problems.append(
                    Problem(where, exc.row, None, f"this row holds a value; the limit is {book.max_rows:,} rows")
                )
                continue
            width = max((max(r) for r in cells.values() if r), default=0)
            rows = [[""] * width for _ in range(max(cells, default=0))]
            for r, held in cells.items():
                row = rows[r - 1]
                for c, value in held.items():
                    row[c - 1] = value
            unc = [(r, _column_index(_CELL_REF.match(ref).group(1)), ref) for r, ref in uncached]
            out[title] = Sheet(title, where, rows, hidden_rows, hidden_cols, unc)
    except _Unreadable as exc:
        at = ", ".join(x for x in (name, exc.where) if x)
        problems.append(
            Problem(at, None, None, exc.detail if exc.readable else f"not a readable XLSX workbook ({exc.detail})")
        )
        return None
    return titles, out, hashlib.sha256(raw).hexdigest()


# ---------------------------------------------------------------- a cell


def read_cell(value: object, unit: str | None = None) -> tuple[float | None, str | None, str | None]:
    """-> (number, status, error). The same rules for every reader: '1,234' reads as 1234, '12.5%' as 12.5
    on a percentage indicator only; a count is a whole number; a plain number between 0 and 1 on a
    percentage is questioned (a fraction typed for a percentage) unless written with its % sign; -0 is 0;
    anything looser, or not finite, is an error quoting the cell."""
    if value is None:
        return None, None, None
    if isinstance(value, bool):
        return None, None, f"{value!r} is not a number"
    signed = False
    if isinstance(value, Percent):
        shown = str(value)
        if unit is not None and unit != "percent":
            return (
                None,
                None,
                f"the cell shows {shown} (formatted as a percentage), but this indicator is a "
                f"{unit.replace('_', ' ')}, not a percentage: format it as a number",
            )
        number, signed = value.value, True
    elif isinstance(value, (int, float)):
        number, shown = float(value), _plain_number(float(value)) if math.isfinite(float(value)) else repr(value)
        if not math.isfinite(number):
            return None, None, f"{value!r} is not a finite number"
    elif isinstance(value, (dt.date, dt.datetime)):
        return None, None, f"{value.isoformat()} is a date, not a number"
    else:
        s = str(value).strip()
        if s == "":
            return None, None, None
        word = STATUS_SPELLINGS.get(s.lower())
        if word is not None and word != Status.value:
            return None, word.value, None
        t, shown = s, s
        if t.endswith("%"):
            if unit is not None and unit != "percent":
                return (
                    None,
                    None,
                    f"{s!r} has a % sign, but this indicator is a {unit.replace('_', ' ')}, not a percentage",
                )
            t, signed = t[:-1].strip(), True
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
    number += 0.0  # -0 is 0
    if unit == "count":
        if abs(number - round(number)) > 1e-9:  # 289.99999999999997, a sum Excel shows as 290, is 290
            return None, None, f"{shown} is not a whole number, and this indicator is a count"
        number = float(round(number))
    if unit == "percent" and not signed and 0 < abs(number) < 1:
        return (
            None,
            None,
            f"{shown} on a percentage reads as {shown}%, which looks like a fraction ({number * 100:g}%): write "
            f"{number * 100:g} if that is meant, or {shown}% if {shown}% is",
        )
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
