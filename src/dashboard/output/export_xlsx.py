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


def to_xlsx(pack: Pack) -> bytes:
    """Overview sheet, then one sheet per area: frozen header and ref/indicator columns, the screen's columns in
    its order (panel.panel_table: the at-a-glance columns, then the figures behind them), comparator years in the
    headers, RAG in words on its tint, direction in words, numbers kept as numbers with a format per unit."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    used: set[str] = set()

    def put(ws, row: int, col: int, value: object, number_format: str | None = None):
        cell = ws.cell(row=row, column=col, value=neutralise(value))
        if number_format:
            cell.number_format = number_format
        return cell

    def header(ws, row: int, names: list[str]) -> None:
        for j, name in enumerate(names, start=1):
            c = put(ws, row, j, name)
            c.font, c.fill, c.alignment = header_font, header_fill, Alignment(wrap_text=True, vertical="center")

    ov = wb.active
    ov.title = _sheet_name("Overview", used)
    put(ov, 1, 1, title(pack)).font = Font(bold=True, size=14)
    put(ov, 2, 1, f"Figures: {pack.vintage_label}. {pack.filters_note}".strip())
    counts = rag_count_table(pack)
    header(ov, 4, list(counts.columns))
    for i, r in enumerate(counts.itertuples(index=False), start=5):
        for j, v in enumerate(r, start=1):
            put(ov, i, j, v)
    start = 6 + len(counts)
    put(ov, start, 1, "Exceptions to discuss (Red and Amber, in triage order)").font = Font(bold=True, size=12)
    ex = exceptions_table(pack)
    header(ov, start + 1, list(ex.columns))
    codes = list(pack.exceptions()["rag"])
    for i, (r, code) in enumerate(zip(ex.itertuples(index=False), codes), start=start + 2):
        for j, v in enumerate(r, start=1):
            c = put(ov, i, j, v)
            c.alignment = wrap
            if ex.columns[j - 1] == "RAG":
                c.fill = PatternFill("solid", fgColor=RAG_FILL[code])
    for j, width in enumerate([8, 50, 24, 14, 12, 12, 16, 70], start=1):
        ov.column_dimensions[get_column_letter(j)].width = width
    ov.freeze_panes = "A5"

    cur = panel.current_header(pack.month)
    for a in pack.areas.itertuples():
        sc = pack.area_rows(a.area)
        if sc.empty:
            continue
        ws = wb.create_sheet(_sheet_name(a.short_title, used))
        table = panel.panel_table(sc, pack.month, pack.years)
        table.insert(table.columns.get_loc(cur) + 1, "Revised", ["yes" if r else "" for r in sc["revised"]])
        header(ws, 1, list(table.columns))
        months = {label(m): m for m in panel.window(pack.month)}
        prev, common = panel.previous_year_header(sc)
        comp_headers = {h: c for c, h in panel.comparator_headers(pack.years).items()}
        comparators = panel.comparators_header(pack.years)
        # each month's figures and statuses as plain lists, read once (a pandas lookup per cell cost more)
        figures = {m: (list(sc[f"m_{m.isoformat()}"]), list(sc[f"s_{m.isoformat()}"])) for m in months.values()}
        figures[pack.month] = (list(sc[f"m_{pack.month.isoformat()}"]), list(sc[f"s_{pack.month.isoformat()}"]))
        # only the columns read below: a tuple of every scorecard column per row cost more than the cells
        behind = sc[["unit", "previous_year", "previous_year_basis", "rag", *comp_headers.values()]]
        for i, (text_row, row) in enumerate(
            zip(table.itertuples(index=False), behind.itertuples(index=False)), start=2
        ):
            unit = row.unit
            fmt = NUMBER_FORMAT.get(unit)
            for j, (col, text) in enumerate(zip(table.columns, text_row), start=1):
                value, number_format = text, None
                if col in months or col == cur:
                    m = pack.month if col == cur else months[col]
                    v, status = figures[m][0][i - 2], figures[m][1][i - 2]
                    if status == "value" and not is_missing(v):
                        value, number_format = float(v), fmt
                elif col == prev:
                    v, basis = row.previous_year, row.previous_year_basis
                    if not is_missing(v) and (not basis or basis == common):
                        value, number_format = float(v), fmt
                elif col in comp_headers:
                    v = getattr(row, comp_headers[col])
                    if not is_missing(v):
                        value, number_format = float(v), fmt
                c = put(ws, i, j, value, number_format)
                if col == "RAG":
                    c.fill = PatternFill("solid", fgColor=RAG_FILL.get(row.rag, "FFFFFF"))
                if col in ("Indicator", comparators, "Why this rating"):
                    c.alignment = wrap
        widths = {"Ref": 8, "Indicator": 48, "RAG": 13, "Direction": 16, "Target": 10, "SPC": 24, "Why this rating": 60}
        widths |= {comparators: 34, "Rank among councils": 28}
        for j, col in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(j)].width = widths.get(col, 12)
        ws.freeze_panes = "C2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
        if a.area in pack.commentary:
            note_row = len(table) + 3
            put(ws, note_row, 1, "Commentary").font = Font(bold=True)
            put(ws, note_row + 1, 1, pack.commentary[a.area]).alignment = wrap
            ws.merge_cells(
                start_row=note_row + 1, start_column=1, end_row=note_row + 1, end_column=min(12, len(table.columns))
            )
            ws.row_dimensions[note_row + 1].height = min(
                400, 15 * (1 + pack.commentary[a.area].count("\n") + len(pack.commentary[a.area]) // 160)
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
