"""The committed CSVs are exactly what the extraction script makes from the published text."""

import csv
import importlib.util
from pathlib import Path

import pytest

from dashboard.input import ingest

ROOT = Path(__file__).resolve().parent.parent


def _extractor():
    spec = importlib.util.spec_from_file_location("extract_seeds", ROOT / "scripts" / "extract_seeds.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    "name,attr",
    [
        ("observations.csv", "obs"),
        ("weekly.csv", "weekly"),
        ("targets.csv", "targets"),
        ("comparators.csv", "comparators"),
        ("baselines.csv", "baselines"),
        ("printed_ratings.csv", "printed"),
        ("indicator_names.csv", "names"),
    ],
)
def test_committed_csv_matches_extraction(name, attr):
    rows = getattr(_extractor().build(), attr)
    with open(ROOT / "sample_data" / name, newline="", encoding="utf-8") as fh:
        committed = list(csv.DictReader(fh))
    assert [{k: str(v) for k, v in r.items()} for r in rows] == committed


def test_every_value_traces_to_a_source_line():
    for name in ("observations.csv", "weekly.csv"):
        for row in csv.DictReader(open(ROOT / "sample_data" / name, encoding="utf-8")):
            src = (ROOT / "sample_data" / "sources" / row["source_file"]).read_text(encoding="utf-8").split("\n")
            line = src[int(row["source_line"]) - 1]
            if row["status"] == "value":
                assert row["value"] in line.replace(",", ""), (name, row)


def test_sample_validates_and_covers_the_packs():
    frames = ingest.read_sample()
    obs = frames["observations"]
    assert set(obs["vintage"]) == {"pack-2023-01", "pack-2023-11", "pack-2024-03"}
    assert obs["ref"].nunique() >= 140
    assert frames["weekly"]["ref"].nunique() == 65
    # blanks are never zero
    assert obs.loc[obs["status"] != "value", "value"].isna().all()
    assert set(frames["areas"]["area"]) >= {
        "front_door",
        "early_help",
        "cin_cp",
        "cared_for",
        "safeguarding",
        "workforce",
    }
