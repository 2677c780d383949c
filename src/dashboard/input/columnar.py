"""A pydantic model's rules applied to whole columns, for tables too big to validate row by row.

A row whose every cell is in canonical form ("2023-08", "81.3", "value", "") is checked and converted
column-wise; any other row is handed to the model itself, which either accepts it (with its own
conversion) or explains what is wrong. So the result is the model's result, only faster: tests check
the two paths agree. A model is eligible only if every field's kind is known here and any model
validator has a columnar twin (`columnar_rule`); otherwise the caller validates row by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import re
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel, ValidationError

from ..words.periods import parse_period
from ..words.vocabulary import comparator_codes
from . import models

_NUMBER = r"-?\d+(?:\.\d+)?"
_INT = r"-?\d+"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_MONTH_PARSER = typing.get_args(models.Month)[1]
_BLANK_FLOAT = typing.get_args(models.BlankFloat)[1]
_BLANK_INT = typing.get_args(models.BlankInt)[1]
_COMPARATOR_CODE = typing.get_args(models.ComparatorCode)[1]


def field_kinds(model: type[BaseModel]) -> dict[str, tuple[str, object]] | None:
    """field -> (kind, detail), or None when some field or rule has no columnar form."""
    decorators = model.__pydantic_decorators__
    if decorators.field_validators or (decorators.model_validators and not hasattr(model, "columnar_rule")):
        return None
    kinds: dict[str, tuple[str, object]] = {}
    for name, info in model.model_fields.items():
        meta, ann = info.metadata, info.annotation
        if meta == [_MONTH_PARSER]:
            kinds[name] = ("month", None)
        elif meta == [_BLANK_FLOAT]:
            kinds[name] = ("blank_float", None)
        elif meta == [_BLANK_INT]:
            kinds[name] = ("blank_int", None)
        elif meta == [_COMPARATOR_CODE]:
            kinds[name] = ("comparator", None)
        elif ann is str and not meta:
            kinds[name] = ("str", None)
        elif ann is str and len(meta) == 1 and getattr(meta[0], "pattern", None):
            kinds[name] = ("pattern", meta[0].pattern)
        elif ann in (float, int) and not meta:
            kinds[name] = (ann.__name__, None)
        elif ann is dt.date and not meta:
            kinds[name] = ("date", None)
        elif isinstance(ann, type) and issubclass(ann, enum.Enum) and not meta:
            kinds[name] = ("enum", [e.value for e in ann])
        else:
            return None
    return kinds


def read_strings(path: Path) -> pd.DataFrame | None:
    """Every cell as text, blanks as "". None when the file is not a clean rectangular UTF-8 CSV
    (the row-by-row reader then says precisely what is wrong)."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            names = next(csv.reader(fh), None)
    except (UnicodeDecodeError, csv.Error):
        return None
    if not names:
        return pd.DataFrame()
    if names[0].startswith("\ufeff") or len(set(names)) != len(names):
        return None
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return table.to_pandas(types_mapper=pd.ArrowDtype)  # zero-copy: millions of short strings stay in Arrow


def _matches(col: pd.Series, pattern: str) -> pd.Series:
    return col.str.fullmatch(pattern).fillna(False).astype(bool)


def _by_distinct(col: pd.Series, parse) -> pd.Series:
    """Parse each distinct text once (a month column has ~120 of them in millions of rows)."""
    codes, uniques = pd.factorize(col)
    parsed = []
    for text in uniques:
        try:
            parsed.append(pd.Timestamp(parse(text)))
        except (ValueError, TypeError):
            parsed.append(pd.NaT)
    lookup = pd.DatetimeIndex(parsed + [pd.NaT])
    return pd.Series(lookup[codes], index=col.index)  # code -1 (none) lands on the trailing NaT


def arrow(col: pd.Series) -> pa.ChunkedArray | pa.Array:
    """The Arrow data behind a column (zero-copy for Arrow-backed text)."""
    return col.array.__arrow_array__() if hasattr(col.array, "__arrow_array__") else pa.array(col)


def _numbers(col: pd.Series, usable: pd.Series, dtype: str) -> pd.Series:
    """Text to numbers where usable (already checked canonical), NA elsewhere; Arrow's cast, not Python."""
    kept = pc.if_else(pa.array(np.asarray(usable, dtype=bool)), arrow(col), pa.scalar(None, pa.string()))
    num = pd.Series(pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False), index=col.index)
    return num if dtype == "float64" else num.astype("Int64")


def _strict_date(text: str) -> dt.date:
    if not re.fullmatch(_ISO_DATE, text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def validate(
    frame: pd.DataFrame, model: type[BaseModel], kinds: dict[str, tuple[str, object]], file: str, problems: list[str]
) -> pd.DataFrame:
    """Validate and convert a frame of strings; problems are 'file: row N, column X: message' like the row path."""
    n = len(frame)
    canonical = np.ones(n, dtype=bool)
    out: dict[str, pd.Series] = {}
    for name, (kind, detail) in kinds.items():
        info = model.model_fields[name]
        if name not in frame.columns:
            if info.is_required():
                canonical[:] = False  # the model will name the missing field on every row
                out[name] = pd.Series([None] * n, index=frame.index, dtype=object)
            else:
                out[name] = pd.Series([info.default] * n, index=frame.index, dtype=object)
            continue
        col = frame[name]
        if kind == "str":
            out[name] = col
        elif kind == "pattern":
            canonical &= _matches(col, detail)
            out[name] = col
        elif kind in ("float", "int"):
            ok = _matches(col, _NUMBER if kind == "float" else _INT)
            canonical &= ok
            out[name] = _numbers(col, ok, "float64" if kind == "float" else "Int64")
        elif kind in ("blank_float", "blank_int"):
            blank = col == ""
            ok = blank | _matches(col, _NUMBER if kind == "blank_float" else r"\d+")
            canonical &= ok
            out[name] = _numbers(col, ok & ~blank, "float64" if kind == "blank_float" else "Int64")
        elif kind in ("month", "date"):
            parsed = _by_distinct(col, parse_period if kind == "month" else _strict_date)
            canonical &= parsed.notna().to_numpy()
            out[name] = parsed
        elif kind == "enum":
            canonical &= col.isin(detail).to_numpy()
            out[name] = col
        elif kind == "comparator":  # the registry as it stands now, as the model's own check reads it
            canonical &= col.isin(comparator_codes()).to_numpy()
            out[name] = col
    result = pd.DataFrame(out, index=frame.index)
    rule = getattr(model, "columnar_rule", None)
    if rule is not None:
        canonical &= np.asarray(rule(result), dtype=bool)

    odd = np.flatnonzero(~canonical)
    if len(odd) == 0:
        return result.reset_index(drop=True)
    accepted, accepted_at = [], []
    records = frame.iloc[odd].to_dict("records")
    for pos, record in zip(odd, records):
        try:
            accepted.append(model.model_validate(record).model_dump(mode="python"))
            accepted_at.append(pos)
        except ValidationError as exc:
            for err in exc.errors():
                col = ".".join(str(p) for p in err["loc"]) or "row"
                problems.append(f"{file}: row {pos + 2}, column {col!r}: {err['msg']}")
    keep = result.iloc[np.flatnonzero(canonical)]
    if accepted:
        extra = pd.DataFrame(accepted, index=frame.index[accepted_at])
        for name, (kind, _) in kinds.items():
            if kind in ("month", "date"):
                extra[name] = pd.to_datetime(extra[name])
        keep = pd.concat([keep, extra[list(result.columns)]]).sort_index()
    return keep.reset_index(drop=True)
