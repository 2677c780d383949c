"""The month's improvement-plan update: Action/Impact BRAG and commentary per action, from a CSV or XLSX,
checked against the current plan and kept as a new vintage through the write journal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from . import lifecycle, store
from .models import PlanAction
from .reading import LoadRejected, Problem, read_table

COLUMNS = ("action_ref", "action_brag", "impact_brag", "commentary")


def load(
    db_path: Path,
    path: Path | str,
    authority: str | None = None,
    label: str | None = None,
    user: str = "",
    sheet: str | None = None,
    include_hidden: bool = False,
    display_name: str | None = None,
) -> str:
    """Record the month's Action/Impact BRAG and commentary for improvement-plan actions: a CSV or XLSX with
    action_ref plus any of action_brag, impact_brag, commentary, read by the same rules as every other write
    (a row with more cells than the header, as an unquoted comma in a commentary makes, is refused). Every
    row is checked with the plan's own model against the latest plan; any problem rejects the file and
    leaves the database as it was."""
    path = Path(path)
    name = display_name or path.name
    reader = store.ReadOnlyStore(db_path)
    authority = authority or store.home_authority(reader)
    problems: list[Problem] = []
    table = read_table(path, name, sheet, problems, key="action_ref", include_hidden=include_hidden)
    if table is None:
        raise LoadRejected(problems)
    name, rows, first = table.where, table.rows, table.header_row
    header = [str(h).strip().lower() for h in rows[0]]
    if "action_ref" not in header:
        raise LoadRejected([Problem(name, first, None, "missing required column action_ref")])
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise LoadRejected([Problem(name, first, h, f"unknown column; use {', '.join(COLUMNS)}") for h in unknown])
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise LoadRejected([Problem(name, first, h, "this column appears more than once; keep one") for h in dupes])
    latest = reader.plan_as_of("plan_actions", "latest", authority)
    if latest.empty:
        raise LoadRejected([Problem(name, None, None, "no improvement plan is loaded to update")])
    current = {r["action_ref"]: r for r in latest.drop(columns=["label"]).to_dict("records")}
    now = dt.datetime.now()
    vintage_id = lifecycle.new_vintage_id("plan", now)
    updated: dict[str, dict] = {}
    for lineno, raw in enumerate(rows[1:], start=table.header_row + 1):
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
            "vintage": vintage_id,
            "source_file": name,
            "source_line": lineno,
            **{k: v for k, v in cells.items() if k != "action_ref" and k in header},
        }
        for col in ("start_month", "end_month"):
            merged[col] = merged[col].date() if hasattr(merged[col], "date") else (merged[col] or None)
        try:
            updated[ref] = PlanAction.model_validate(merged).model_dump(mode="python")
        except ValidationError as exc:
            for err in exc.errors():
                col = ".".join(str(p) for p in err["loc"]) or "row"
                problems.append(Problem(name, lineno, col, err["msg"].removeprefix("Value error, ")))
    if not problems and not updated:
        problems.append(Problem(name, None, None, "the file has a header but no actions"))
    if problems:
        raise LoadRejected(problems)
    actions = [updated.get(ref, {**row, "vintage": vintage_id}) for ref, row in current.items()]
    measures = (
        reader.plan_as_of("plan_measures", "latest", authority).drop(columns=["label"]).assign(vintage=vintage_id)
    )
    vintage = {
        "vintage": vintage_id,
        "label": label or f"Plan update from {name}, {now:%d %b %Y %H:%M}",
        "published": now.date(),
        "source_file": name,
        "as_of_note": f"BRAG/commentary for {len(updated)} improvement-plan actions",
    }
    return lifecycle.commit(
        db_path,
        "plan",
        vintage,
        {"plan_actions": pd.DataFrame(actions), "plan_measures": measures},
        user or lifecycle.cli_user(),
        name,
        table.sha256,
    )
