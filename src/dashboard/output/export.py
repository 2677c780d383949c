"""Papers for the panel in the format asked for, each written from one gathered Pack (papers). No streamlit here.

FORMATS is the one list of formats: the CLI's `export --format` choices and the page's download buttons are read
from it. A new format is its own module with a writer `(pack) -> bytes` (a slow one also takes `progress=`, a
callable given each step's words) plus one row here. This module imports no pandas: the CLI builds its choices
from it without paying for the engine."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .papers import Pack


@dataclass(frozen=True)
class Format:
    label: str  # the button's words: "Download {label}"
    mime: str
    suffix: str  # the file name's ending, without the dot
    module: str  # the writer's module in this package, imported only when this format is asked for
    writer: str  # its function: (pack) -> bytes, and progress= where slow
    slow: bool  # seconds, not a moment: the page prepares it with a status naming each step, then offers it


FORMATS: dict[str, Format] = {
    "xlsx": Format(
        "Excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        "export_xlsx",
        "to_xlsx",
        slow=False,
    ),
    "csv": Format("CSV", "text/csv", "csv", "export_csv", "to_bytes", slow=False),
    "pdf": Format("PDF panel pack", "application/pdf", "pdf", "export_pdf", "to_pdf", slow=True),
}


def writer(fmt: str) -> Callable[..., bytes]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    f = FORMATS[fmt]
    return getattr(importlib.import_module(f".{f.module}", __package__), f.writer)


def render(pack: Pack, fmt: str, progress: Callable[[str], None] | None = None) -> bytes:
    """The paper in one format; progress (a slow format's steps, in words) is passed only where it is slow."""
    write = writer(fmt)
    return write(pack, progress=progress) if FORMATS[fmt].slow and progress else write(pack)


def file_name(month: dt.date, fmt: str, area: str | None = None) -> str:
    return f"scorecard-{month:%Y-%m}{'-' + area if area else ''}.{FORMATS[fmt].suffix}"
