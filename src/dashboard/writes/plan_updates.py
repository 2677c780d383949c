"""The month's improvement-plan update: Action/Impact BRAG and commentary per action, from a CSV or XLSX,
checked against the current plan and kept as a new vintage through the write journal.

The shape every write takes (writing): parse -> problems (file, row, column) -> preview of what changes ->
publish. Nothing is written on any problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import store
from ..input.models import PlanAction
from ..input.reading import LoadRejected, Problem, Table, read_table
from ..words.formatting import brag_label
from . import lifecycle
from .writing import Write, new_vintage, validated

COLUMNS = ("action_ref", "action_brag", "impact_brag", "commentary")


@dataclass
class PlanUpdate:
    """A plan update read and checked, not yet written: the actions it changes as they will be, its problems,
    and the preview of what publishing it changes."""

    file: str
    authority: str
    rows: list[dict] = field(default_factory=list)  # each action the file names, as it will be
    problems: list[Problem] = field(default_factory=list)
    source_sha256: str = ""
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    current: dict[str, dict] = field(default_factory=dict)  # the plan's actions now, by action_ref
    measures: pd.DataFrame = field(default_factory=pd.DataFrame)  # carried forward into the new vintage

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def parse(
    path: Path | str,
    reader: store.ReadOnlyStore,
    authority: str,
    display_name: str | None = None,
    sheet: str | None = None,
    include_hidden: bool = False,
) -> PlanUpdate:
    """Read a plan update (action_ref plus any of action_brag, impact_brag, commentary) by the same rules as
    every other write (a row with more cells than the header, as an unquoted comma in a commentary makes, is
    refused) and check every row with the plan's own model against the latest plan. Never writes."""
    path = Path(path)
    update = PlanUpdate(display_name or path.name, authority)
    table = read_table(path, update.file, sheet, update.problems, key="action_ref", include_hidden=include_hidden)
    if table is None:
        return update
    update.file, update.source_sha256 = table.where, table.sha256
    header = _header(table, update.problems)
    if header is None:
        return update
    latest = reader.plan_as_of("plan_actions", "latest", authority)
    if latest.empty:
        update.problems.append(Problem(update.file, None, None, "no improvement plan is loaded to update"))
        return update
    update.current = {r["action_ref"]: r for r in latest.drop(columns=["label"]).to_dict("records")}
    update.rows = _updated_actions(table, header, update.current, update.problems)
    if not update.problems and not update.rows:
        update.problems.append(Problem(update.file, None, None, "the file has a header but no actions"))
    if update.ok:
        update.measures = reader.plan_as_of("plan_measures", "latest", authority).drop(columns=["label"])
        update.changes = _changes(update.rows, update.current)
    return update


def _header(table: Table, problems: list[Problem]) -> list[str] | None:
    """The header's columns, lower-case; None (with the problems) if action_ref is missing, a column is not one
    of COLUMNS or one appears twice."""
    name, first = table.where, table.header_row
    header = [str(h).strip().lower() for h in table.rows[0]]
    if "action_ref" not in header:
        problems.append(Problem(name, first, None, "missing required column action_ref"))
        return None
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        problems += [Problem(name, first, h, f"unknown column; use {', '.join(COLUMNS)}") for h in unknown]
        return None
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        problems += [Problem(name, first, h, "this column appears more than once; keep one") for h in dupes]
        return None
    return header


def _updated_actions(table: Table, header: list[str], current: dict[str, dict], problems: list[Problem]) -> list[dict]:
    """Each action the file names, its cells laid over the action as it is now and checked by the plan's model."""
    name = table.where
    updated: dict[str, dict] = {}
    for lineno, raw in enumerate(table.rows[1:], start=table.header_row + 1):
        cells = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, raw) if h}
        ref = cells.get("action_ref", "")
        if not any(cells.values()):
            continue
        if ref not in current:
            problems.append(Problem(name, lineno, "action_ref", f"{ref!r} is not an action in the current plan"))
            continue
        if ref in updated:
            problems.append(Problem(name, lineno, "action_ref", f"{ref} is given twice"))
            continue
        merged = {
            **current[ref],
            "vintage": "pending",
            "source_file": name,
            "source_line": lineno,
            **{k: v for k, v in cells.items() if k != "action_ref"},
        }
        for col in ("start_month", "end_month"):
            merged[col] = merged[col].date() if hasattr(merged[col], "date") else (merged[col] or None)
        row = validated(PlanAction, merged, name, lineno, problems, whole_row="row")
        if row is not None:
            updated[ref] = row
    return list(updated.values())


def _changes(rows: list[dict], current: dict[str, dict]) -> pd.DataFrame:
    """The preview: each action the file names, its BRAG now and as it will be, and what happens to its words."""
    out = []
    for r in rows:
        now = {c: _text(current[r["action_ref"]][c]) for c in ("action_brag", "impact_brag", "commentary")}
        will = {c: _text(r[c]) for c in now}
        was_words, words = now["commentary"], will["commentary"]
        if was_words == words:
            change = "unchanged"
        else:
            change = "added" if not was_words else ("removed" if not words else "replaced")
        out.append(
            {
                "Action": r["action_ref"],
                "Action BRAG now": brag_label(now["action_brag"]),
                "Action BRAG will be": brag_label(will["action_brag"]),
                "Impact BRAG now": brag_label(now["impact_brag"]),
                "Impact BRAG will be": brag_label(will["impact_brag"]),
                "Commentary": change,
                "Effect": "no change" if now == will else "changes the plan",
            }
        )
    return pd.DataFrame(out)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def publish(db_path: Path, update: PlanUpdate, label: str | None = None, user: str = "") -> str:
    """The whole plan as a new vintage: the actions the file names as checked, every other action and the
    measures carried forward unchanged."""
    if not update.ok:
        raise LoadRejected(update.problems or [Problem(update.file, None, None, "nothing to load")])
    note = f"BRAG/commentary for {len(update.rows)} improvement-plan actions"
    vintage = new_vintage("plan", update.file, f"Plan update from {update.file}", label, note)
    vintage_id = vintage["vintage"]
    updated = {r["action_ref"]: r for r in update.rows}
    actions = [{**updated.get(ref, row), "vintage": vintage_id} for ref, row in update.current.items()]
    frames = {"plan_actions": pd.DataFrame(actions), "plan_measures": update.measures.assign(vintage=vintage_id)}
    return lifecycle.commit_write(db_path, Write("plan", vintage, frames, user, update.source_sha256))


def load(
    db_path: Path,
    path: Path | str,
    authority: str | None = None,
    label: str | None = None,
    user: str = "",
    sheet: str | None = None,
    include_hidden: bool = False,
    display_name: str | None = None,
) -> tuple[str, PlanUpdate]:
    """Check and publish a plan update; raises LoadRejected (the database as it was) on any problem."""
    reader = store.ReadOnlyStore(db_path)
    update = parse(
        path,
        reader,
        authority or store.home_authority(reader),
        display_name=display_name,
        sheet=sheet,
        include_hidden=include_hidden,
    )
    if not update.ok:
        raise LoadRejected(update.problems or [Problem(update.file, None, None, "nothing to load")])
    return publish(db_path, update, label, user), update
