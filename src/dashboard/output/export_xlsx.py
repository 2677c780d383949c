"""The month's papers as an Excel workbook: an overview sheet, then one sheet per service area."""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re

from ..words.formatting import is_missing
from ..words.periods import label
from . import panel
from .papers import RAG_FILL, Pack, exceptions_table, neutralise, rag_count_table, title

HEADER_FILL = "1D3F73"
NUMBER_FORMAT = {
    "percent": '0.0"%"',
    "count": "#,##0",
    "rate_per_10k": "0.0",
    "days": '0" days"',
    "caseload_average": "0.0",
}


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name)[:31].strip() or "Sheet"
    out, n = base, 2
    while out in used:
        out = f"{base[:28]} {n}"
        n += 1
    used.add(out)
    return out


class _Book:
    """The workbook being written (XlsxWriter: a third of openpyxl's import and a quarter of its writing time for
    the same cells) and its cell formats, one per distinct look."""

    def __init__(self, out: io.BytesIO):
        import xlsxwriter

        # Text is never read as a formula, a number or a link: a cell holds what the screen shows.
        self.wb = xlsxwriter.Workbook(
            out,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
        )
        self._formats: dict = {}

    def look(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props) if props else None
        return self._formats[key]


def _put(book: _Book, ws, row: int, col: int, value: object, **look) -> None:
    """One cell (row and column from 1, as the sheet names them), its text neutralised so that a spreadsheet never
    runs it as a formula; look: its format (num_format, bold, bg_color, text_wrap...)."""
    value = neutralise(value)
    if isinstance(value, dt.date):
        look.setdefault("num_format", "yyyy-mm-dd")
    fmt = book.look(**look)
    r, c = row - 1, col - 1
    if is_missing(value) or (isinstance(value, str) and not value):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, numbers.Number):
        ws.write_number(r, c, float(value), fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


HEADER_LOOK = {"bold": True, "font_color": "#FFFFFF", "bg_color": f"#{HEADER_FILL}", "text_wrap": True}


def _header(book: _Book, ws, row: int, names: list[str]) -> None:
    for j, name in enumerate(names, start=1):
        _put(book, ws, row, j, name, **HEADER_LOOK, valign="vcenter")


def _widths(ws, widths: list[float]) -> None:
    for j, width in enumerate(widths):
        ws.set_column(j, j, width)


def _overview(book: _Book, ov, pack: Pack) -> None:
    """The title, the RAG counts per area, then the exceptions to discuss with RAG on its tint."""
    _put(book, ov, 1, 1, title(pack), bold=True, font_size=14)
    _put(book, ov, 2, 1, f"Figures: {pack.vintage_label}. {pack.filters_note}".strip())
    counts = rag_count_table(pack)
    _header(book, ov, 4, list(counts.columns))
    for i, r in enumerate(counts.itertuples(index=False), start=5):
        for j, v in enumerate(r, start=1):
            _put(book, ov, i, j, v)
    start = 6 + len(counts)
    _put(book, ov, start, 1, "Exceptions to discuss (Red and Amber, in triage order)", bold=True, font_size=12)
    ex = exceptions_table(pack)
    _header(book, ov, start + 1, list(ex.columns))
    codes = list(pack.exceptions()["rag"])
    for i, (r, code) in enumerate(zip(ex.itertuples(index=False), codes), start=start + 2):
        for j, v in enumerate(r, start=1):
            tint = {"bg_color": f"#{RAG_FILL[code]}"} if ex.columns[j - 1] == "RAG" else {}
            _put(book, ov, i, j, v, text_wrap=True, valign="top", **tint)
    _widths(ov, [8, 50, 24, 14, 12, 12, 16, 70])
    ov.freeze_panes(4, 0)  # A5


class _AreaNumbers:
    """Which of an area sheet's cells hold numbers, and the number behind each: the months', the previous year's
    (only on the basis the column names) and the comparators'; every other cell keeps the screen's text."""

    def __init__(self, pack: Pack, sc):
        self.current = panel.current_header(pack.month)
        self.months = {label(m): m for m in panel.window(pack.month)}
        self.months[self.current] = pack.month
        self.previous, self.common = panel.previous_year_header(sc)
        self.comparators = {h: c for c, h in panel.comparator_headers(pack.years).items()}
        # each month's figures and statuses as plain lists, read once (a pandas lookup per cell cost more)
        self.figures = {
            m: (list(sc[f"m_{m.isoformat()}"]), list(sc[f"s_{m.isoformat()}"])) for m in self.months.values()
        }

    def columns_behind(self) -> list[str]:
        """Only the scorecard columns read per row: a tuple of every column per row cost more than the cells."""
        return ["unit", "previous_year", "previous_year_basis", "rag", *self.comparators.values()]

    def cell(self, col: str, text: object, row, k: int, fmt: str | None) -> tuple[object, str | None]:
        """(value, number format) of the cell in column col of the k-th row."""
        if col in self.months:
            v, status = self.figures[self.months[col]][0][k], self.figures[self.months[col]][1][k]
            if status == "value" and not is_missing(v):
                return float(v), fmt
        elif col == self.previous:
            v, basis = row.previous_year, row.previous_year_basis
            if not is_missing(v) and (not basis or basis == self.common):
                return float(v), fmt
        elif col in self.comparators:
            v = getattr(row, self.comparators[col])
            if not is_missing(v):
                return float(v), fmt
        return text, None


def _area_sheet(book: _Book, ws, pack: Pack, area: str, sc) -> None:
    """One area's rows in the screen's columns and order, numbers kept as numbers, then its commentary."""
    cells = _AreaNumbers(pack, sc)
    table = panel.panel_table(sc, pack.month, pack.years)
    table.insert(table.columns.get_loc(cells.current) + 1, "Revised", ["yes" if r else "" for r in sc["revised"]])
    _header(book, ws, 1, list(table.columns))
    comparators = panel.comparators_header(pack.years)
    wrapped = {"Indicator", comparators, "Why this rating"}
    behind = sc[cells.columns_behind()]
    for i, (text_row, row) in enumerate(zip(table.itertuples(index=False), behind.itertuples(index=False)), start=2):
        fmt = NUMBER_FORMAT.get(row.unit)
        for j, (col, text) in enumerate(zip(table.columns, text_row), start=1):
            value, number_format = cells.cell(col, text, row, i - 2, fmt)
            look = {"num_format": number_format} if number_format else {}
            if col == "RAG":
                look["bg_color"] = f"#{RAG_FILL.get(row.rag, 'FFFFFF')}"
            if col in wrapped:
                look |= {"text_wrap": True, "valign": "top"}
            _put(book, ws, i, j, value, **look)
    _area_layout(ws, table, comparators)
    if area in pack.commentary:
        _commentary(book, ws, len(table) + 3, min(12, len(table.columns)), pack.commentary[area])


def _area_layout(ws, table, comparators: str) -> None:
    """Column widths, frozen header and ref/indicator columns, and a filter on the header."""
    widths = {"Ref": 8, "Indicator": 48, "RAG": 13, "Direction": 16, "Target": 10, "SPC": 24, "Why this rating": 60}
    widths |= {comparators: 34, "Rank among councils": 28}
    _widths(ws, [widths.get(col, 12) for col in table.columns])
    ws.freeze_panes(1, 2)  # C2
    ws.autofilter(0, 0, len(table), len(table.columns) - 1)


def _commentary(book: _Book, ws, note_row: int, last_column: int, note: str) -> None:
    """The area's commentary under its table, in one merged cell tall enough for its lines."""
    _put(book, ws, note_row, 1, "Commentary", bold=True)
    ws.merge_range(note_row, 0, note_row, last_column - 1, neutralise(note), book.look(text_wrap=True, valign="top"))
    ws.set_row(note_row, min(400, 15 * (1 + note.count("\n") + len(note) // 160)))


def to_xlsx(pack: Pack) -> bytes:
    """Overview sheet, then one sheet per area: frozen header and ref/indicator columns, the screen's columns in
    its order (panel.panel_table: the at-a-glance columns, then the figures behind them), comparator years in the
    headers, RAG in words on its tint, direction in words, numbers kept as numbers with a format per unit."""
    out = io.BytesIO()
    book = _Book(out)
    used: set[str] = set()
    _overview(book, book.wb.add_worksheet(_sheet_name("Overview", used)), pack)
    for a in pack.areas.itertuples():
        sc = pack.area_rows(a.area)
        if sc.empty:
            continue
        _area_sheet(book, book.wb.add_worksheet(_sheet_name(a.short_title, used)), pack, a.area, sc)
    book.wb.close()
    return out.getvalue()
