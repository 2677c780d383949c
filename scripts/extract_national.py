"""Build sample_data/national_values.csv and stat_neighbours.csv from DfE's published files.

    python scripts/extract_national.py DIR

DIR holds the files as published under data-raw/ in dfe-analytical-services/CSC_outcomes_and_enablers
(Open Government Licence v3.0). The figures are read by the same code as `dashboard load-national`
(dashboard.writes.national.parse_file), so the sample and a council's own load agree row for row; every row keeps
its file and row number. Years from 2018/19 on are kept: the packs' comparators go back to 2020/21.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pandas as pd

from dashboard.store import columns
from dashboard.writes import national

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
VINTAGE = "dfe-national-2025"
FIRST_YEAR_END = 2019
GROUPINGS = {
    "2021": "New_Statistical_Neighbour_Groupings_April_2021.csv",
    "2025": "sn_model_2025_wide.csv",
}


def values(folder: Path) -> pd.DataFrame:
    measures = pd.read_csv(SAMPLE / "national_measures.csv", dtype=str, keep_default_na=False)
    rows, problems = [], []
    for fname in sorted(set(measures["file"])):
        upload = national.parse_file(folder / fname, measures)
        problems += upload.problems
        rows += upload.rows
    if problems:
        sys.exit("\n".join(str(p) for p in problems))
    frame = pd.DataFrame(rows)
    frame = frame[pd.to_datetime(frame["year_end"]).dt.year >= FIRST_YEAR_END].copy()
    frame["vintage"] = VINTAGE
    return frame[columns("national_values")].sort_values(["measure", "year_end", "level", "area_code"])


def neighbours(folder: Path) -> list[dict]:
    out = []
    for grouping, fname in GROUPINGS.items():
        with open(folder / fname, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            for line, cells in enumerate(reader, start=2):
                cells = [c.strip() for c in cells]
                if not any(cells):
                    continue
                code, name = cells[0], cells[1]
                if not re.fullmatch(r"\d{3}", code):
                    break  # the 2021 file ends with an appendix, "Old SNs:", for councils merged since
                # Each neighbour code is followed by its closeness, starting at the column named SN1 / SN_1.
                start = next(i for i, h in enumerate(header) if h.strip().upper() in ("SN1", "SN_1"))
                for rank in range(1, 11):
                    out.append(
                        {
                            "grouping": grouping,
                            "la_code": code,
                            "la_name": name,
                            "rank": rank,
                            "neighbour_code": cells[start + 2 * (rank - 1)],
                            "closeness": cells[start + 2 * (rank - 1) + 1],
                            "source_file": fname,
                            "source_line": line,
                        }
                    )
    return out


def main(folder: str) -> None:
    folder = Path(folder)
    frame = values(folder)
    frame.to_csv(SAMPLE / "national_values.csv", index=False)
    pd.DataFrame(neighbours(folder)).to_csv(SAMPLE / "stat_neighbours.csv", index=False)
    print(f"{len(frame)} national figures, {frame['measure'].nunique()} measures")


if __name__ == "__main__":
    main(sys.argv[1])
