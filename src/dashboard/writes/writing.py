"""The one shape of every write: parse -> problems -> preview -> commit.

Each kind of write (figures in `loader`, targets and comparators in `reference`, national statistics in
`national`, plan updates in `plan_updates`, commentary in `commentary`) parses its input into rows and problems
(each problem naming file, row and column), previews what would change, and on publish builds one `Write`
that `lifecycle.commit_write` journals and publishes. This module holds the parts they share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from pydantic import BaseModel, ValidationError

from ..input.reading import Problem


def model_problems(exc: ValidationError, file: str, row: int | None, whole_row: str | None = None) -> list[Problem]:
    """A model's refusal as problems: one per error, in the column it names (`whole_row` where it names none, as a
    check across the row's fields does)."""
    return [
        Problem(file, row, ".".join(str(p) for p in err["loc"]) or whole_row, err["msg"].removeprefix("Value error, "))
        for err in exc.errors()
    ]


def validated(
    model: type[BaseModel],
    record: dict,
    file: str,
    row: int | None,
    problems: list[Problem],
    whole_row: str | None = None,
) -> dict | None:
    """The record as the model types it, or None with its problems added."""
    try:
        return model.model_validate(record).model_dump(mode="python")
    except ValidationError as exc:
        problems += model_problems(exc, file, row, whole_row)
        return None


def new_vintage_id(prefix: str, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now()
    return f"{prefix}-{now:%Y%m%d-%H%M%S-%f}"


def new_vintage(
    kind: str, source_file: str, named: str, label: str | None = None, note: str = "", now: dt.datetime | None = None
) -> dict:
    """The vintage a write becomes: a fresh id, named `label` or "<named>, <when>", published today."""
    now = now or dt.datetime.now()
    return {
        "vintage": new_vintage_id(kind, now),
        "label": label or f"{named}, {now:%d %b %Y %H:%M}",
        "published": now.date(),
        "source_file": source_file,
        "as_of_note": note,
    }


@dataclass(frozen=True)
class Write:
    """One write ready to commit: its kind, the vintage it becomes, its rows per table (each stamped with that
    vintage), who makes it and the checksum of what it was read from. Permission is the caller's to check, at the
    moment it commits."""

    kind: str
    vintage: dict
    frames: dict[str, pd.DataFrame]
    user: str = ""
    source_sha256: str = ""

    @property
    def source_file(self) -> str:
        return self.vintage["source_file"]

    @classmethod
    def of_rows(
        cls, kind: str, vintage: dict, rows: dict[str, list[dict]], user: str = "", source_sha256: str = ""
    ) -> Write:
        """Each table's rows stamped with the vintage's id."""
        frames = {t: pd.DataFrame([{**r, "vintage": vintage["vintage"]} for r in rs]) for t, rs in rows.items()}
        return cls(kind, vintage, frames, user, source_sha256)
