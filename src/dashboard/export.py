"""Papers for the panel in the format asked for: XLSX (export_xlsx), CSV (export_csv) or the PDF pack
(export_pdf), each written from one gathered Pack (papers). No streamlit here."""

from __future__ import annotations

import datetime as dt

from .papers import Pack

# Each format: the module that writes it (imported only when asked for, so a CSV never loads openpyxl or fpdf2)
# and its media type.
FORMATS = {
    "xlsx": ("export_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("export_csv", "text/csv"),
    "pdf": ("export_pdf", "application/pdf"),
}


def render(pack: Pack, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    if fmt == "csv":
        from .export_csv import to_csv

        return to_csv(pack).encode("utf-8-sig")
    if fmt == "xlsx":
        from .export_xlsx import to_xlsx

        return to_xlsx(pack)
    from .export_pdf import to_pdf

    return to_pdf(pack)


def file_name(month: dt.date, fmt: str, area: str | None = None) -> str:
    return f"scorecard-{month:%Y-%m}{'-' + area if area else ''}.{fmt}"
