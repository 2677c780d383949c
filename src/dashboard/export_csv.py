"""The month's papers as CSV: the same rows as the screen, one table with an Area column."""

from __future__ import annotations

import csv
import io

import pandas as pd

from . import panel
from .papers import Pack, neutralise


def to_csv(pack: Pack) -> str:
    """The same rows as the screen, one table with an Area column; text cells neutralised for spreadsheets."""
    short = pack.areas.set_index("area")["short_title"]
    frames = []
    for a in pack.areas["area"]:
        sc = pack.area_rows(a)
        if sc.empty:
            continue
        t = panel.panel_table(sc, pack.month, pack.years)
        t.insert(2, "Area", short[a])
        frames.append(t)
    # Areas can head a column differently (e.g. the previous-year basis): a cell an area lacks is blank, never "nan".
    table = (
        pd.concat(frames, ignore_index=True).fillna("")
        if frames
        else pd.DataFrame(columns=["Ref", "Indicator", "Area"])
    )
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(table.columns))
    for row in table.itertuples(index=False):
        w.writerow([neutralise(v) for v in row])
    return out.getvalue()
