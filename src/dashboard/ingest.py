"""sample_data/ CSVs -> validated frames for the store. Every row passes its pydantic model."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Type

import pandas as pd
from pydantic import BaseModel, ValidationError

from . import models
from .engine.targets import TargetError, parse_target
from .store import columns

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"

# table -> (file, model)
SAMPLE_FILES: dict[str, tuple[str, Type[BaseModel]]] = {
    "authorities": ("authorities.csv", models.Authority),
    "areas": ("areas.csv", models.Area),
    "indicators": ("indicators.csv", models.Indicator),
    "vintages": ("vintages.csv", models.Vintage),
    "indicator_names": ("indicator_names.csv", models.IndicatorName),
    "observations": ("observations.csv", models.Observation),
    "weekly": ("weekly.csv", models.WeeklyObservation),
    "baselines": ("baselines.csv", models.Baseline),
    "targets": ("targets.csv", models.TargetRow),
    "comparators": ("comparators.csv", models.Comparator),
    "printed_ratings": ("printed_ratings.csv", models.PrintedRating),
    "commentary": ("commentary.csv", models.Commentary),
    "plan_priorities": ("plan_priorities.csv", models.PlanPriority),
    "plan_actions": ("plan_actions.csv", models.PlanAction),
    "plan_measures": ("plan_measures.csv", models.PlanMeasure),
}


class SampleDataError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _validate(path: Path, model: Type[BaseModel], problems: list[str]) -> list[dict]:
    out = []
    for lineno, row in enumerate(_read_rows(path), start=2):
        try:
            out.append(model.model_validate(row).model_dump(mode="python"))
        except ValidationError as exc:
            for err in exc.errors():
                col = ".".join(str(p) for p in err["loc"]) or "row"
                problems.append(f"{path.name}: row {lineno}, column {col!r}: {err['msg']}")
    return out


def read_sample(sample_dir: Path = SAMPLE_DIR) -> dict[str, pd.DataFrame]:
    """All sample tables, validated and cross-checked; raises SampleDataError listing every problem."""
    problems: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    for table, (fname, model) in SAMPLE_FILES.items():
        rows = _validate(Path(sample_dir) / fname, model, problems)
        frame = pd.DataFrame(rows)
        for col in columns(table):
            if col not in frame.columns and col not in ("seq", "loaded_at"):
                frame[col] = None
        frames[table] = frame
    if problems:
        raise SampleDataError(problems)
    _cross_check(frames, problems)
    if problems:
        raise SampleDataError(problems)
    return frames


def _cross_check(frames: dict[str, pd.DataFrame], problems: list[str]) -> None:
    refs = set(frames["indicators"]["ref"])
    areas = set(frames["areas"]["area"])
    vintages = set(frames["vintages"]["vintage"])
    for table in ("observations", "weekly", "baselines", "targets", "comparators", "printed_ratings", "indicator_names"):
        unknown = sorted(set(frames[table]["ref"]) - refs)
        if unknown:
            problems.append(f"{SAMPLE_FILES[table][0]}: refs with no row in indicators.csv: {', '.join(unknown)}")
        bad_v = sorted(set(frames[table]["vintage"]) - vintages)
        if bad_v:
            problems.append(f"{SAMPLE_FILES[table][0]}: unknown vintages {bad_v}")
    bad_areas = sorted(set(frames["indicators"]["area"]) - areas)
    if bad_areas:
        problems.append(f"indicators.csv: unknown areas {bad_areas}")
    polarity = dict(zip(frames["indicators"]["ref"], frames["indicators"]["polarity"]))
    for lineno, row in enumerate(frames["targets"].itertuples(), start=2):
        try:
            parse_target(row.target_text, polarity[row.ref])
        except (TargetError, KeyError) as exc:
            problems.append(f"targets.csv: row {lineno}, column 'target_text': {exc}")
    for table in ("plan_actions", "plan_measures"):
        bad_v = sorted(set(frames[table]["vintage"]) - vintages)
        if bad_v:
            problems.append(f"{SAMPLE_FILES[table][0]}: unknown vintages {bad_v}")
    dupes = frames["observations"].duplicated(["authority", "ref", "period", "vintage"])
    for idx in frames["observations"].index[dupes]:
        problems.append(f"observations.csv: row {idx + 2}: the same cell twice in one vintage")


def build_from_sample(db_path: Path, sample_dir: Path = SAMPLE_DIR) -> dict[str, int]:
    from . import store

    frames = read_sample(sample_dir)
    store.build(db_path, frames)
    return {name: len(frame) for name, frame in frames.items()}
