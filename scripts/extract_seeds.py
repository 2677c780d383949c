"""Turn the published scorecard text (sample_data/sources/) into the CSV tables in sample_data/.

Run: python scripts/extract_seeds.py  (tests/test_sample_data.py checks the committed CSVs
are exactly what this produces, so every value traces to a file and line).

The packs are PDF text with tab-separated table rows. Rows whose ref was lost or garbled by
OCR are repaired by the explicit table REPAIRS below (file, line -> ref), never by guessing.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sample_data" / "sources"
OUT = ROOT / "sample_data"
AUTHORITY = "tameside"

JAN23 = "003_281ed19f6c70c1bd.txt"
NOV23 = "000_e3ee3c3dcfc6ed06.txt"
MAR24 = "002_88850c9eb28331b8.txt"

# vintage id -> (source file, months printed in order, "current" month, baseline basis)
PACKS = {
    "pack-2023-01": (JAN23, ["2023-01"], "2023-01"),
    "pack-2023-11": (NOV23, ["2023-04", "2023-05", "2023-06", "2023-07", "2023-08", "2023-09"], "2023-09"),
    "pack-2024-03": (MAR24, ["2023-08", "2023-09", "2023-10", "2023-11", "2023-12", "2024-01"], "2024-01"),
}

# Rows whose ref OCR lost or mangled: (file, line) -> ref. Each was matched by its indicator
# wording and values against the neighbouring pack (see sample_data/README.md).
REPAIRS = {
    (JAN23, 157): "CF21",  # name split over lines; "% in timescale YTD" = 26% (commentary agrees)
    (JAN23, 158): "CF22",  # the "MONTH" row's values sit on the line labelled CF21
    (JAN23, 209): "SG3",
    (JAN23, 210): "SG4",
    (JAN23, 211): "SG5",  # ref read as "1"
    (JAN23, 213): "SG6",  # values on the line before the one carrying the ref
    (MAR24, 573): "FD1",  # "Datact Received inc LCS contacts"
    (MAR24, 581): "FD7",
    (MAR24, 583): "FD8c",
    (MAR24, 585): "FD8e",
    (MAR24, 608): "EH3",  # Cyrillic "ЕНЗ 4"
    (MAR24, 641): "CIN1",
    (MAR24, 642): "CIN2",
    (MAR24, 643): "CIN3",  # Cyrillic "сімз"
    (MAR24, 660): "CIN16a",  # "CIN 16a"
    (MAR24, 673): "CIN24",
    (MAR24, 674): "CIN25",
    (MAR24, 675): "CIN26",
    (MAR24, 804): "WF2",  # "VVF2"
}
# Lines that look like rows but are OCR debris of a neighbouring row.
SKIP = {
    (JAN23, 159): "duplicate of CF22 with garbled values '-4/0' '22/0'",
    (JAN23, 214): "second line of SG6's wording; its values are on line 213",
}
# Names damaged beyond use: take the wording the previous pack printed for the same ref.
DAMAGED_NAMES = {
    (MAR24, 573),
    (MAR24, 574),
    (MAR24, 575),
    (MAR24, 608),
    (MAR24, 804),
    (JAN23, 157),
    (JAN23, 158),
    (JAN23, 213),
    (MAR24, 773),
}

REF_RE = re.compile(r"^(FD|EH|CIN|CF|SG|WF|CW)\d+[a-z]?$")
NUM_RE = re.compile(r"^-?\d+(\.\d+)?%?$")
RAG_MAP = {"R": "R", "A": "A", "А": "A", "Α": "A", "G": "G"}
ARROWS = {
    "↑": "up",
    "\\uparrow": "up",
    "↓": "down",
    "\\downarrow": "down",
    "Ļ": "down",
    "↔": "level",
    "\\leftrightarrow": "level",
    "$\\leftrightarrow$": "level",
    "1": "unreadable",
    "<b>1</b>": "unreadable",
    "<b>↓</b>": "down",
}


def parse_cell(text: str) -> tuple[str, str, str]:
    """A printed cell -> (value, status, note). Blank is 'missing', never zero."""
    t = text.strip().replace(",", "")
    if t.startswith(". "):  # stray OCR full stop before a number (EH7 Mar-24 previous year)
        t = t[2:]
    if t == "":
        return "", "missing", ""
    if t.lower() == "not yet available":
        return "", "not_yet_available", ""
    if t.lower() in {"n/a", "-"}:
        return "", "not_applicable", ""
    if NUM_RE.match(t):
        return t.rstrip("%"), "value", ""
    return "", "missing", f"unreadable cell {text.strip()!r}"


def comparator_years(header: list[str], n_months: int) -> dict[str, str]:
    """Years are read by column position: one Mar-24 header prints the labels and the years on two lines."""
    pos = layout(n_months, len(header))
    years = {}
    for comp in ("gm", "nw", "sn", "england"):
        m = re.search(r"\((\d{4}/\d{2})\)", header[pos[comp]]) if comp in pos else None
        years[comp] = m.group(1) if m else ""
    return years


def layout(n_months: int, n_cells: int) -> dict[str, int]:
    """Column positions after the month columns. 13-cell rows (Mar-24 CIN22-27) print no comparators."""
    i = 2 + n_months
    if n_months == 1:  # Jan-23: Current, Previous Year, Target, GM, NW, SN, England, Direction
        return {"prev": i, "target": i + 1, "gm": i + 2, "nw": i + 3, "sn": i + 4, "england": i + 5, "dir": i + 6}
    if n_cells == 13:
        return {"prev": i, "target": i + 1, "rag": i + 3, "dir": i + 4}
    return {
        "prev": i,
        "target": i + 1,
        "gm": i + 2,
        "nw": i + 3,
        "sn": i + 4,
        "england": i + 5,
        "rag": i + 7,
        "dir": i + 8,
    }


class Tables:
    def __init__(self) -> None:
        self.obs: list[dict] = []
        self.baselines: list[dict] = []
        self.targets: list[dict] = []
        self.comparators: list[dict] = []
        self.printed: list[dict] = []
        self.names: list[dict] = []
        self.weekly: list[dict] = []

    def add_row(
        self, vintage: str, fname: str, lineno: int, ref: str, name: str, cells: list[str], years: dict[str, str]
    ) -> None:
        _, months, current = PACKS[vintage]
        pos = layout(len(months), len(cells))
        src = {"source_file": fname, "source_line": lineno}
        self.names.append(
            {
                "ref": ref,
                "vintage": vintage,
                "name_as_printed": name,
                "name_damaged": int((fname, lineno) in DAMAGED_NAMES),
                **src,
            }
        )
        for k, period in enumerate(months):
            value, status, note = parse_cell(cells[2 + k])
            self.obs.append(
                {
                    "authority": AUTHORITY,
                    "ref": ref,
                    "period": period,
                    "vintage": vintage,
                    "value": value,
                    "status": status,
                    "note": note,
                    **src,
                }
            )
        value, status, note = parse_cell(cells[pos["prev"]])
        if vintage == "pack-2023-01":  # Jan-23 "Previous Year" is the Jan-22 figure
            self.obs.append(
                {
                    "authority": AUTHORITY,
                    "ref": ref,
                    "period": "2022-01",
                    "vintage": vintage,
                    "value": value,
                    "status": status,
                    "note": note,
                    **src,
                }
            )
        elif status != "missing" or note:
            self.baselines.append(
                {
                    "authority": AUTHORITY,
                    "ref": ref,
                    "vintage": vintage,
                    "basis": "2022/23",
                    "value": value,
                    "status": status,
                    "note": note,
                    **src,
                }
            )
        target = cells[pos["target"]].strip()
        if target:
            self.targets.append({"authority": AUTHORITY, "ref": ref, "vintage": vintage, "target_text": target, **src})
        for comp in ("gm", "nw", "sn", "england"):
            if comp in pos and cells[pos[comp]].strip():
                v, st, note = parse_cell(cells[pos[comp]])
                if st == "value":
                    self.comparators.append(
                        {
                            "authority": AUTHORITY,
                            "ref": ref,
                            "vintage": vintage,
                            "comparator": comp,
                            "value": v,
                            "year": years.get(comp, ""),
                            **src,
                        }
                    )
        rag = RAG_MAP.get(cells[pos["rag"]].strip(), "") if "rag" in pos else ""
        direction = ARROWS.get(cells[pos["dir"]].strip(), "")
        if rag or direction:
            self.printed.append(
                {
                    "authority": AUTHORITY,
                    "ref": ref,
                    "vintage": vintage,
                    "period": current,
                    "rag": rag,
                    "direction": direction,
                    **src,
                }
            )


def extract_monthly(t: Tables) -> None:
    for vintage, (fname, months, _) in PACKS.items():
        lines = (SOURCES / fname).read_text(encoding="utf-8").split("\n")
        years: dict[str, str] = {}
        for lineno, line in enumerate(lines, 1):
            cells = line.split("\t")
            if "Previous Year" in cells:
                years = comparator_years(cells, len(months))
                continue
            if (fname, lineno) in SKIP or len(cells) not in (10, 13, 17):
                continue
            ref = REPAIRS.get((fname, lineno)) or cells[0].strip()
            if not REF_RE.match(ref) or ref.startswith("CW"):
                continue
            if fname == NOV23 and lineno > 700:  # improvement plan tables, not the scorecard
                continue
            t.add_row(vintage, fname, lineno, ref, cells[1].strip(), cells, years)
    extract_mar24_cared_for_block(t)


def extract_mar24_cared_for_block(t: Tables) -> None:
    """Mar-24 prints CF15-CF18 one cell per line; the values come as (No, %, Secure) triplets
    per month, then the previous-year triplet. They match CF16, CF17, CF18 (previous year 46,
    7.0%, 3 as in Nov-23); CF15's values were lost."""
    lines = (SOURCES / MAR24).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == "CF15")
    cells = [(i + 1, line.strip()) for i, line in enumerate(lines[start : start + 60], start) if line.strip()]
    values = [(n, c) for n, c in cells if NUM_RE.match(c)]
    months = PACKS["pack-2024-03"][1]
    names = {
        "CF16": "Independent and Semi-Independent Living No",
        "CF17": "Independent and Semi-Independent Living %",
        "CF18": "Secure Units No",
    }
    name_lines = {c: n for n, c in cells if c in names.values()}
    for k, ref in enumerate(("CF16", "CF17", "CF18")):
        t.names.append(
            {
                "ref": ref,
                "vintage": "pack-2024-03",
                "name_as_printed": names[ref],
                "name_damaged": 0,
                "source_file": MAR24,
                "source_line": name_lines[names[ref]],
            }
        )
        for m, period in enumerate(months):
            lineno, raw = values[m * 3 + k]
            value, status, note = parse_cell(raw)
            t.obs.append(
                {
                    "authority": AUTHORITY,
                    "ref": ref,
                    "period": period,
                    "vintage": "pack-2024-03",
                    "value": value,
                    "status": status,
                    "note": "CF15-18 block printed one cell per line",
                    "source_file": MAR24,
                    "source_line": lineno,
                }
            )
        lineno, raw = values[18 + k]
        value, status, _ = parse_cell(raw)
        t.baselines.append(
            {
                "authority": AUTHORITY,
                "ref": ref,
                "vintage": "pack-2024-03",
                "basis": "2022/23",
                "value": value,
                "status": status,
                "note": "CF15-18 block printed one cell per line",
                "source_file": MAR24,
                "source_line": lineno,
            }
        )


def extract_weekly(t: Tables) -> None:
    lines = (SOURCES / NOV23).read_text(encoding="utf-8").split("\n")
    weeks: list[str] = []
    for lineno, line in enumerate(lines, 1):
        cells = line.split("\t")
        if cells[0] == "REF" and len(cells) > 3:
            weeks = ["-".join(reversed(d.split("/"))) for d in cells[2:7]]
            continue
        if weeks and REF_RE.match(cells[0].strip()) and cells[0].startswith("CW"):
            ref = cells[0].strip()
            t.names.append(
                {
                    "ref": ref,
                    "vintage": "pack-2023-11",
                    "name_as_printed": cells[1].strip(),
                    "name_damaged": 0,
                    "source_file": NOV23,
                    "source_line": lineno,
                }
            )
            for k, week in enumerate(weeks):
                value, status, note = parse_cell(cells[2 + k])
                t.weekly.append(
                    {
                        "authority": AUTHORITY,
                        "ref": ref,
                        "week_ending": week,
                        "vintage": "pack-2023-11",
                        "value": value,
                        "status": status,
                        "note": note,
                        "source_file": NOV23,
                        "source_line": lineno,
                    }
                )


# Commentary bullets printed before each area's table: (file, first line, last line, area, month).
COMMENTARY = [
    (JAN23, 8, 24, "front_door", "2023-01"),
    (JAN23, 50, 60, "early_help", "2023-01"),
    (JAN23, 80, 84, "cin_cp", "2023-01"),
    (JAN23, 117, 132, "cared_for", "2023-01"),
    (JAN23, 171, 204, "safeguarding", "2023-01"),
    (JAN23, 234, 240, "workforce", "2023-01"),
]


def extract_commentary() -> list[dict]:
    rows = []
    for fname, first, last, area, period in COMMENTARY:
        lines = (SOURCES / fname).read_text(encoding="utf-8").split("\n")[first - 1 : last]
        paras = []
        for line in lines:
            text = line.strip()
            if not text:
                continue
            text = re.sub(r"^[•\-]\s*", "- ", text)
            paras.append(text)
        rows.append(
            {
                "authority": AUTHORITY,
                "area": area,
                "period": period,
                "vintage": "pack-2023-01",
                "text": "\n\n".join(paras),
                "source_file": fname,
                "source_line": first,
                "source_last_line": last,
            }
        )
    return rows


def write(name: str, rows: list[dict]) -> None:
    with open(OUT / name, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build() -> Tables:
    t = Tables()
    extract_monthly(t)
    extract_weekly(t)
    return t


def main() -> int:
    t = build()
    write("observations.csv", t.obs)
    write("baselines.csv", t.baselines)
    write("targets.csv", t.targets)
    write("comparators.csv", t.comparators)
    write("printed_ratings.csv", t.printed)
    write("indicator_names.csv", t.names)
    write("weekly.csv", t.weekly)
    write("commentary.csv", extract_commentary())
    print(f"{len(t.obs)} monthly cells, {len(t.weekly)} weekly cells, {len(t.names)} printed rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
