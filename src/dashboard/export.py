"""Papers for the panel in the format asked for: XLSX (export_xlsx), CSV (export_csv) or the PDF pack
(export_pdf), each written from one gathered Pack (papers). No streamlit here."""

from __future__ import annotations

import datetime as dt

from .export_csv import to_csv
from .export_pdf import to_pdf
from .export_xlsx import to_xlsx
from .papers import Pack

FORMATS = {
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (lambda p: to_csv(p).encode("utf-8-sig"), "text/csv"),
    "pdf": (to_pdf, "application/pdf"),
}


def render(pack: Pack, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return FORMATS[fmt][0](pack)


def file_name(month: dt.date, fmt: str, area: str | None = None) -> str:
    return f"scorecard-{month:%Y-%m}{'-' + area if area else ''}.{fmt}"
