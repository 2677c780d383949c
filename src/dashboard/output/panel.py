"""The scorecard as the panel knows it, as plain text cells: one builder shared by the app's table and
every export (XLSX, CSV, PDF), so a download says exactly what the screen says."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..engine.rag import comparator_position
from ..engine.scorecard import TABLE_MONTHS
from ..words.formatting import fmt_number, fmt_value, rag_label, shown
from ..words.periods import add_months, label
from ..words.vocabulary import BASIS_WORD, COMPARATOR_SHORT, COMPARATORS, VARIATION_LABEL

NO_COMPARATORS = "None printed or published"
SPARKLINE = "Last 12 months"  # the screen's sparkline column (papers print the month figures instead)


def direction_label(arrow: str, word: str) -> str:
    return f"{arrow} {word}".strip() if word else "–"


def window(month: dt.date) -> list[dt.date]:
    """The months the table prints, oldest first, ending at the picked month."""
    return [add_months(month, -k) for k in range(TABLE_MONTHS - 1, -1, -1)]


def current_header(month: dt.date) -> str:
    return f"Current ({label(month)})"


def previous_year_header(sc: pd.DataFrame) -> tuple[str, str]:
    """The column title and the basis most rows share (others carry theirs in the cell)."""
    basis = sc["previous_year_basis"].replace("", pd.NA).dropna()
    common = basis.mode().iloc[0] if not basis.empty else ""
    return (f"Previous year ({common})" if common else "Previous year"), common


def comparator_years(sc: pd.DataFrame) -> dict[str, str]:
    """The year most rows share per comparator, for its column header; a row with another year says so in its
    cell (a published national figure is often a year newer than what a pack printed)."""
    out = {}
    for c in COMPARATORS:
        years = sc[f"{c}_year"][sc[c].notna() & (sc[f"{c}_year"] != "")] if f"{c}_year" in sc else pd.Series()
        out[c] = years.mode().iloc[0] if not years.empty else ""
    return out


def comparator_headers(years: dict[str, str]) -> dict[str, str]:
    return {c: (f"{COMPARATOR_SHORT[c]} ({years[c]})" if years.get(c) else COMPARATOR_SHORT[c]) for c in COMPARATORS}


def comparators_header(years: dict[str, str]) -> str:
    """'Comparators (2022/23)': the year most of the four share; a comparator of another year names its own in
    the cell (comparator_summary)."""
    named = [y for y in years.values() if y]
    return f"Comparators ({pd.Series(named).mode().iloc[0]})" if named else "Comparators"


def common_years(years: dict[str, str]) -> dict[str, str]:
    """Every comparator at the year in the Comparators heading, so the cell names only the others."""
    named = [y for y in years.values() if y]
    common = pd.Series(named).mode().iloc[0] if named else ""
    return dict.fromkeys(years, common)


def comparator_summary(sc: pd.DataFrame, years: dict[str, str]) -> list[str]:
    """Our figure against GM, NW, SN and England in one short cell: better or worse in the indicator's polarity
    ('Better than GM, NW; worse than SN, England'), above or below for a measure with no better; a comparator
    whose year differs from years[c] names its own. No figure of ours, or none of theirs, says so in words."""
    position = comparator_position(sc)  # +1 better, -1 worse, 0 level; NaN without a polarity
    # Columns as plain lists, read once: a pandas row per indicator cost more than the words.
    theirs = {c: sc[c].tolist() for c in COMPARATORS}
    their_years = {c: sc[f"{c}_year"].tolist() for c in COMPARATORS}
    sides = {c: position[c].tolist() for c in COMPARATORS}
    out = []
    for i, (value, status) in enumerate(zip(sc["value"].tolist(), sc["status"].tolist())):
        named = {
            c: COMPARATOR_SHORT[c] + (f" ({their_years[c][i]})" if their_years[c][i] not in ("", years.get(c)) else "")
            for c in COMPARATORS
            if pd.notna(theirs[c][i])
        }
        if not named:
            out.append(NO_COMPARATORS)
            continue
        if status != "value" or pd.isna(value):
            out.append("No figure of ours to compare")
            continue
        rated = any(pd.notna(sides[c][i]) for c in COMPARATORS)
        words = ("better than", "level with", "worse than") if rated else ("above", "level with", "below")
        groups: dict[str, list[str]] = {w: [] for w in words}
        for c, name in named.items():
            sign = sides[c][i] if rated else float(value > theirs[c][i]) - float(value < theirs[c][i])
            groups[words[0] if sign > 0 else words[2] if sign < 0 else words[1]].append(name)
        text = "; ".join(f"{w} {', '.join(names)}" for w, names in groups.items() if names)
        out.append(text[0].upper() + text[1:])
    return out


def panel_table(sc: pd.DataFrame, month: dt.date, years: dict[str, str]) -> pd.DataFrame:
    """The panel's columns in one order, shared by the screen's column sets and every paper: Ref, Indicator, five
    earlier months, Current (with † if revised), Target, RAG (and the pack's own where printed), Direction, the
    comparators in one cell, then the figures behind it: previous year, GM, NW, SN and England with their years,
    rank among councils, SPC, what the rating rests on and why."""
    # Built as plain columns and made a frame once: a pandas column insert per heading cost more than the cells.
    units = sc["unit"].tolist()
    rows: dict[str, object] = {"Ref": sc["ref"].values, "Indicator": sc["indicator"].values}
    for m in window(month)[:-1]:
        revised = sc[f"r_{m.isoformat()}"] if f"r_{m.isoformat()}" in sc else [False] * len(sc)
        rows[label(m)] = [
            (shown(v, s, u) + (" †" if r else "")) if s != "missing" or pd.notna(v) else ""
            for v, s, u, r in zip(sc[f"m_{m.isoformat()}"], sc[f"s_{m.isoformat()}"], units, revised)
        ]
    rows[current_header(month)] = [
        shown(v, s, u) + (" †" if r else "") for v, s, u, r in zip(sc["value"], sc["status"], units, sc["revised"])
    ]
    rows["Target"] = sc["target_text"].fillna("").values
    rows["RAG"] = sc["rag"].map(rag_label).values
    if "printed_rag" in sc and (sc["printed_rag"] != "").any():  # only where the pack in view printed ratings
        rows["As printed"] = [rag_label(p) if p else "not printed" for p in sc["printed_rag"]]
    rows["Direction"] = [direction_label(a, w) for a, w in zip(sc["direction_arrow"], sc["direction"])]
    if "printed_direction" in sc and (sc["printed_direction"] != "").any():
        rows["Arrow as printed"] = sc["printed_direction"].replace("", "–").values
    rows[comparators_header(years)] = comparator_summary(sc, common_years(years))
    prev, common = previous_year_header(sc)
    rows[prev] = [
        fmt_value(v, u) + (f" ({b})" if b and b != common else "") if pd.notna(v) else ""
        for v, u, b in zip(sc["previous_year"], units, sc["previous_year_basis"])
    ]
    for c, header in comparator_headers(years).items():
        rows[header] = [
            fmt_number(v, u) + (f" ({y})" if y and y != years.get(c) and pd.notna(v) else "")
            for v, u, y in zip(sc[c], units, sc[f"{c}_year"])
        ]
    if "rank_text" in sc:
        notes = sc["rank_note"] if "rank_note" in sc else [""] * len(sc)
        rows["Rank among councils"] = [
            (f"{t}, {y}" + (f"; {n}: the rank is of DfE's figure" if n else "")) if t else ""
            for t, y, n in zip(sc["rank_text"], sc["rank_year"], notes)
        ]
    rows["SPC"] = sc["spc_variation"].map(VARIATION_LABEL).fillna("").values
    rows["Rated on"] = sc["rag_basis"].map(BASIS_WORD).fillna("").values if "rag_basis" in sc else [""] * len(sc)
    rows["Why this rating"] = sc["rag_reason"].values
    return pd.DataFrame(rows)
