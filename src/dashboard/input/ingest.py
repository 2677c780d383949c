"""sample_data/ CSVs -> validated frames for the store. Every row passes its pydantic model."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ValidationError

from ..store import columns
from ..words.formatting import count_of
from . import columnar, models
from .printed_targets import TargetError, parse_target

SAMPLE_DIR = Path(__file__).resolve().parents[3] / "sample_data"

# table -> (file, model)
SAMPLE_FILES: dict[str, tuple[str, type[BaseModel]]] = {
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
    "national_measures": ("national_measures.csv", models.NationalMeasure),
    "national_map": ("national_map.csv", models.NationalMapRow),
    "national_values": ("national_values.csv", models.NationalValue),
    "stat_neighbours": ("stat_neighbours.csv", models.StatNeighbour),
}


class SampleDataError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _validate(path: Path, model: type[BaseModel], problems: list[str]) -> pd.DataFrame:
    """Rows of one file through its model: column-wise where the model allows (large tables), else row by row."""
    kinds = columnar.field_kinds(model)
    if kinds is not None:
        frame = columnar.read_strings(path)
        if frame is not None and set(frame.columns) <= set(kinds):
            return columnar.validate(frame, model, kinds, path.name, problems)
    return _validate_rows(path, model, problems)


def _validate_rows(path: Path, model: type[BaseModel], problems: list[str]) -> pd.DataFrame:
    """Every row through the model, one at a time: the reference the column-wise path must equal."""
    out = []
    for lineno, row in enumerate(_read_rows(path), start=2):
        if None in row:  # csv.DictReader files cells past the header under None
            problems.append(
                f"{path.name}: row {lineno}: {count_of(len(row[None]), 'more cell')} than the header has columns"
            )
            continue
        try:
            out.append(model.model_validate(row).model_dump(mode="python"))
        except ValidationError as exc:
            for err in exc.errors():
                col = ".".join(str(p) for p in err["loc"]) or "row"
                problems.append(f"{path.name}: row {lineno}, column {col!r}: {err['msg']}")
    return pd.DataFrame(out)


def read_sample(sample_dir: Path = SAMPLE_DIR) -> dict[str, pd.DataFrame]:
    """All sample tables, validated and cross-checked; raises SampleDataError listing every problem."""
    problems: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    for table, (fname, model) in SAMPLE_FILES.items():
        frame = _validate(Path(sample_dir) / fname, model, problems)
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


def _distinct(frame: pd.DataFrame, column: str) -> set:
    return set(frame[column].dropna().unique())  # distinct first: a national table has millions of rows


def _cross_check(frames: dict[str, pd.DataFrame], problems: list[str]) -> None:
    refs = _distinct(frames["indicators"], "ref")
    areas = _distinct(frames["areas"], "area")
    vintages = _distinct(frames["vintages"], "vintage")
    for table in (
        "observations",
        "weekly",
        "baselines",
        "targets",
        "comparators",
        "printed_ratings",
        "indicator_names",
    ):
        unknown = sorted(_distinct(frames[table], "ref") - refs)
        if unknown:
            problems.append(f"{SAMPLE_FILES[table][0]}: refs with no row in indicators.csv: {', '.join(unknown)}")
        bad_v = sorted(_distinct(frames[table], "vintage") - vintages)
        if bad_v:
            problems.append(f"{SAMPLE_FILES[table][0]}: unknown vintages {bad_v}")
    bad_areas = sorted(_distinct(frames["indicators"], "area") - areas)
    if bad_areas:
        problems.append(f"indicators.csv: unknown areas {bad_areas}")
    polarity = dict(zip(frames["indicators"]["ref"], frames["indicators"]["polarity"]))
    targets = frames["targets"]
    unreadable = {}
    for text, ref in set(zip(targets["target_text"], targets["ref"])):  # each printed form once, not each row
        try:
            parse_target(text, polarity[ref])
        except (TargetError, KeyError) as exc:
            unreadable[(text, ref)] = str(exc)
    if unreadable:
        for lineno, (text, ref) in enumerate(zip(targets["target_text"], targets["ref"]), start=2):
            if (text, ref) in unreadable:
                problems.append(f"targets.csv: row {lineno}, column 'target_text': {unreadable[(text, ref)]}")
    for table in ("plan_actions", "plan_measures"):
        bad_v = sorted(_distinct(frames[table], "vintage") - vintages)
        if bad_v:
            problems.append(f"{SAMPLE_FILES[table][0]}: unknown vintages {bad_v}")
    _cross_check_national(frames, refs, vintages, problems)
    obs = frames["observations"]
    for idx in obs.index[_duplicated(obs, ["authority", "ref", "period", "vintage"])]:
        problems.append(f"observations.csv: row {idx + 2}: the same cell twice in one vintage")


def _cross_check_national(frames: dict[str, pd.DataFrame], refs: set, vintages: set, problems: list[str]) -> None:
    """The national mapping names every monthly ref once, each with a measure that exists or a reason."""
    mapping, measures = frames["national_map"], _distinct(frames["national_measures"], "measure")
    ind = frames["indicators"]
    monthly = set(ind.loc[ind["frequency"] != "week", "ref"])
    for lineno, (ref, measure) in enumerate(zip(mapping["ref"], mapping["measure"]), start=2):
        if ref not in refs:
            problems.append(f"national_map.csv: row {lineno}, column 'ref': {ref!r} has no row in indicators.csv")
        if measure and measure not in measures:
            problems.append(f"national_map.csv: row {lineno}, column 'measure': unknown measure {measure!r}")
    unmapped = sorted(monthly - set(mapping["ref"]))
    if unmapped:
        problems.append(
            "national_map.csv: give each monthly ref a measure or the reason there is none; missing: "
            + ", ".join(unmapped)
        )
    values = frames["national_values"]
    unknown = sorted(_distinct(values, "measure") - measures)
    if unknown:
        problems.append(f"national_values.csv: measures not in national_measures.csv: {', '.join(unknown)}")
    bad_v = sorted(_distinct(values, "vintage") - vintages)
    if bad_v:
        problems.append(f"national_values.csv: unknown vintages {bad_v}")
    for idx in values.index[_duplicated(values, ["measure", "year", "area_code", "vintage"])]:
        problems.append(f"national_values.csv: row {idx + 2}: the same figure twice in one vintage")


def _duplicated(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """frame.duplicated(keys) on dictionary codes: the same answer, a fraction of the time on millions of rows."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    combined = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for key in keys:
        encoded = pc.dictionary_encode(columnar.arrow(frame[key]))
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        size = len(encoded.dictionary) + 1  # the last code stands for a blank
        codes = pc.fill_null(encoded.indices, size - 1).to_numpy(zero_copy_only=False).astype(np.int64)
        if span * size >= 2**62:  # re-code before the combined key could overflow
            combined, span = pd.factorize(combined)[0], int(combined.max()) + 1
        combined, span = combined * size + codes, span * size
    return pd.Series(combined).duplicated().to_numpy()


def build_from_sample(db_path: Path, sample_dir: Path = SAMPLE_DIR) -> dict[str, int]:
    from .. import store

    frames = read_sample(sample_dir)
    store.build(db_path, frames)
    return {name: len(frame) for name, frame in frames.items()}
