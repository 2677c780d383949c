"""The month's papers as CSV: the same rows as the screen, one table with an Area column.

One rule for the cells (csv_lines), for the whole month and for an area alone. No pandas at import: the frames it
is given already hold it."""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .papers import Pack

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+%?$")


def neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _text(value: object) -> str:
    """A cell as the csv module writes it."""
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def area_tables(pack: Pack) -> dict:
    """Area -> its panel table (panel.panel_table) with an Area column, for each area of the pack with rows."""
    from . import panel

    short = pack.areas.set_index("area")["short_title"]
    tables = {}
    for a in pack.areas["area"]:
        sc = pack.area_rows(a)
        if sc.empty:
            continue
        t = panel.panel_table(sc, pack.month, pack.years)
        t.insert(2, "Area", short[a])
        tables[a] = t
    return tables


def lines_of(tables: list) -> list[list[str]]:
    """The header, then one line per indicator of the tables in order, text cells neutralised for spreadsheets."""
    import pandas as pd

    # Areas can head a column differently (e.g. the previous-year basis): a cell an area lacks is blank, never "nan".
    table = (
        pd.concat(tables, ignore_index=True).fillna("")
        if tables
        else pd.DataFrame(columns=["Ref", "Indicator", "Area"])
    )
    lines = [[_text(c) for c in table.columns]]
    lines += [[_text(neutralise(v)) for v in row] for row in table.itertuples(index=False)]
    return lines


def csv_lines(pack: Pack) -> list[list[str]]:
    """What to_csv writes: every area of the pack in one table."""
    return lines_of(list(area_tables(pack).values()))


def write(lines: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    return out.getvalue()


def to_csv(pack: Pack) -> str:
    return write(csv_lines(pack))


def file_bytes(lines: list[list[str]]) -> bytes:
    """The CSV file people open in Excel: UTF-8 with its byte-order mark."""
    return write(lines).encode("utf-8-sig")


def to_bytes(pack: Pack) -> bytes:
    return file_bytes(csv_lines(pack))
