"""The month's papers as an Excel workbook: an overview sheet, then one sheet per service area."""

from __future__ import annotations

import io
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


def _put(ws, row: int, col: int, value: object, number_format: str | None = None):
    """One cell, its text neutralised so that a spreadsheet never runs it as a formula."""
    cell = ws.cell(row=row, column=col, value=neutralise(value))
    if number_format:
        cell.number_format = number_format
    return cell


def _header(ws, row: int, names: list[str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for j, name in enumerate(names, start=1):
        c = _put(ws, row, j, name)
        c.font, c.fill, c.alignment = header_font, header_fill, Alignment(wrap_text=True, vertical="center")


def _overview(ov, pack: Pack) -> None:
    """The title, the RAG counts per area, then the exceptions to discuss with RAG on its tint."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wrap = Alignment(wrap_text=True, vertical="top")
    _put(ov, 1, 1, title(pack)).font = Font(bold=True, size=14)
    _put(ov, 2, 1, f"Figures: {pack.vintage_label}. {pack.filters_note}".strip())
    counts = rag_count_table(pack)
    _header(ov, 4, list(counts.columns))
    for i, r in enumerate(counts.itertuples(index=False), start=5):
        for j, v in enumerate(r, start=1):
            _put(ov, i, j, v)
    start = 6 + len(counts)
    _put(ov, start, 1, "Exceptions to discuss (Red and Amber, in triage order)").font = Font(bold=True, size=12)
    ex = exceptions_table(pack)
    _header(ov, start + 1, list(ex.columns))
    codes = list(pack.exceptions()["rag"])
    for i, (r, code) in enumerate(zip(ex.itertuples(index=False), codes), start=start + 2):
        for j, v in enumerate(r, start=1):
            c = _put(ov, i, j, v)
            c.alignment = wrap
            if ex.columns[j - 1] == "RAG":
                c.fill = PatternFill("solid", fgColor=RAG_FILL[code])
    for j, width in enumerate([8, 50, 24, 14, 12, 12, 16, 70], start=1):
        ov.column_dimensions[get_column_letter(j)].width = width
    ov.freeze_panes = "A5"


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


def _area_sheet(ws, pack: Pack, area: str, sc) -> None:
    """One area's rows in the screen's columns and order, numbers kept as numbers, then its commentary."""
    from openpyxl.styles import Alignment, PatternFill

    wrap = Alignment(wrap_text=True, vertical="top")
    numbers = _AreaNumbers(pack, sc)
    table = panel.panel_table(sc, pack.month, pack.years)
    table.insert(table.columns.get_loc(numbers.current) + 1, "Revised", ["yes" if r else "" for r in sc["revised"]])
    _header(ws, 1, list(table.columns))
    comparators = panel.comparators_header(pack.years)
    behind = sc[numbers.columns_behind()]
    for i, (text_row, row) in enumerate(zip(table.itertuples(index=False), behind.itertuples(index=False)), start=2):
        fmt = NUMBER_FORMAT.get(row.unit)
        for j, (col, text) in enumerate(zip(table.columns, text_row), start=1):
            c = _put(ws, i, j, *numbers.cell(col, text, row, i - 2, fmt))
            if col == "RAG":
                c.fill = PatternFill("solid", fgColor=RAG_FILL.get(row.rag, "FFFFFF"))
            if col in ("Indicator", comparators, "Why this rating"):
                c.alignment = wrap
    _area_layout(ws, table, comparators)
    if area in pack.commentary:
        _commentary(ws, len(table) + 3, min(12, len(table.columns)), pack.commentary[area])


def _area_layout(ws, table, comparators: str) -> None:
    """Column widths, frozen header and ref/indicator columns, and a filter on the header."""
    from openpyxl.utils import get_column_letter

    widths = {"Ref": 8, "Indicator": 48, "RAG": 13, "Direction": 16, "Target": 10, "SPC": 24, "Why this rating": 60}
    widths |= {comparators: 34, "Rank among councils": 28}
    for j, col in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(col, 12)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"


def _commentary(ws, note_row: int, last_column: int, note: str) -> None:
    """The area's commentary under its table, in one merged cell tall enough for its lines."""
    from openpyxl.styles import Alignment, Font

    _put(ws, note_row, 1, "Commentary").font = Font(bold=True)
    _put(ws, note_row + 1, 1, note).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=note_row + 1, start_column=1, end_row=note_row + 1, end_column=last_column)
    ws.row_dimensions[note_row + 1].height = min(400, 15 * (1 + note.count("\n") + len(note) // 160))


def to_xlsx(pack: Pack) -> bytes:
    """Overview sheet, then one sheet per area: frozen header and ref/indicator columns, the screen's columns in
    its order (panel.panel_table: the at-a-glance columns, then the figures behind them), comparator years in the
    headers, RAG in words on its tint, direction in words, numbers kept as numbers with a format per unit."""
    from openpyxl import Workbook

    wb = Workbook()
    used: set[str] = set()
    wb.active.title = _sheet_name("Overview", used)
    _overview(wb.active, pack)
    for a in pack.areas.itertuples():
        sc = pack.area_rows(a.area)
        if sc.empty:
            continue
        _area_sheet(wb.create_sheet(_sheet_name(a.short_title, used)), pack, a.area, sc)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
