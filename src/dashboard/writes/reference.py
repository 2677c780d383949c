"""Targets and comparators a performance team maintains: next year's targets, new national figures.

    targets.csv      ref, target[, tolerance][, from][, authority]
                     target as printed (85%, 20-24%, <7%, 552; blank = no target from then on);
                     from = a financial year (2024/25) or a month (Apr-24); blank = from the start
    comparators.csv  ref, comparator (gm|nw|sn|england), value, year (2022/23)[, source][, authority]

Same contract as the figures loader: read (CSV or XLSX) -> every problem named by file, row and column ->
preview of what changes -> one new vintage through the write journal. Nothing is written on any problem.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import store
from ..engine.targets import in_force
from ..input.models import Comparator, TargetRow
from ..input.printed_targets import TargetError, parse_target
from ..input.reading import LoadRejected, Problem, Table, check_value, read_cell, read_table
from ..words.periods import EARLIEST_START, financial_year, financial_year_label, iso, parse_start
from ..words.vocabulary import comparator_by_name, comparator_choices
from . import lifecycle
from .loader import catalogue_of
from .writing import Write, new_vintage, validated

TARGET_COLUMNS = {
    "ref": "ref",
    "target": "target",
    "tolerance": "tolerance",
    "from": "from",
    "applies_from": "from",
    "applies from": "from",
    "authority": "authority",
}
COMPARATOR_COLUMNS = {
    "ref": "ref",
    "comparator": "comparator",
    "value": "value",
    "year": "year",
    "source": "source",
    "authority": "authority",
}
_THOUSANDS = re.compile(r"(?<![\d,.])\d{1,3}(,\d{3})+(?![\d,])")  # "1,050" in a target is 1050, as in figures
MAX_YEARS_AHEAD = 5


@dataclass
class ReferenceUpload:
    kind: str  # "targets" or "comparators"
    file: str
    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    source_sha256: str = ""
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def _header(
    table: Table, allowed: dict[str, str], required: tuple[str, ...], problems: list[Problem]
) -> dict[str, int] | None:
    idx: dict[str, int] = {}
    name, first = table.where, table.header_row
    for i, raw in enumerate(table.rows[0]):
        h = str(raw).strip().lower()
        if not h:
            continue
        if h not in allowed:
            problems.append(
                Problem(
                    name, first, str(raw).strip(), "unknown column; use " + ", ".join(dict.fromkeys(allowed.values()))
                )
            )
        elif allowed[h] in idx:
            problems.append(Problem(name, first, str(raw).strip(), "this column appears more than once"))
        else:
            idx[allowed[h]] = i
    for col in required:
        if col not in idx:
            problems.append(Problem(name, first, col, "missing required column"))
    return None if problems else idx


def _rows(table: Table, problems: list[Problem]):
    rows, width, name = table.rows, len(table.rows[0]), table.where
    for n, raw in enumerate(rows[1:], start=table.header_row + 1):
        cells = ["" if c is None else c for c in raw]
        if all(str(c).strip() == "" for c in cells):
            continue
        if len(cells) != width and not (len(cells) > width and all(str(c).strip() == "" for c in cells[width:])):
            problems.append(Problem(name, n, None, f"the row has {len(cells)} cells but the header has {width}"))
            continue
        yield n, cells + [""] * (width - len(cells))


def _read(path: Path, name: str, kind: str, allowed, required, sheet=None, include_hidden=False):
    upload = ReferenceUpload(kind, name)
    table = read_table(path, name, sheet, upload.problems, include_hidden=include_hidden)
    if table is None:
        return upload, None, None
    upload.source_sha256 = table.sha256
    idx = _header(table, allowed, required, upload.problems)
    return upload, table, idx


def _known_rows(table: Table, idx: dict[str, int], catalogue: dict, problems: list[Problem]):
    """(row number, cells, ref, indicator) for each row whose ref is in the catalogue; others become problems."""
    for n, cells in _rows(table, problems):
        ref = str(cells[idx["ref"]]).strip()
        meta = catalogue.get(ref)
        if meta is None:
            problems.append(Problem(table.where, n, "ref", f"unknown ref {ref!r}" if ref else "ref is blank"))
            continue
        yield n, cells, ref, meta


def _authority(cells, idx, default: str, authorities: set[str], name: str, n: int, problems) -> str | None:
    authority = str(cells[idx["authority"]]).strip() if "authority" in idx else ""
    authority = authority or default
    if authority not in authorities:
        problems.append(Problem(name, n, "authority", f"unknown authority {authority!r}"))
        return None
    return authority


def _finish(upload: ReferenceUpload, name: str, changes) -> ReferenceUpload:
    """An empty file is a problem too; a clean one gets its preview of what publishing will change."""
    if not upload.problems and not upload.rows:
        upload.problems.append(Problem(name, None, None, f"the file has a header but no {upload.kind}"))
    if upload.ok:
        upload.changes = changes()
    return upload


# ---------------------------------------------------------------- targets


def _target_unit_problem(ref: str, text: str, target, unit: str) -> str | None:
    """A target read by the same rules as a figure of its unit: a % sign only on a percentage, 0-100 there,
    a count whole, and a bare number between 0 and 1 on a percentage questioned (a fraction typed for 90%)."""
    numbers = [x for x in (target.low, target.high) if x is not None]
    if "%" in text and unit != "percent":
        return f"target {text!r} has a % sign, but {ref} is a {unit.replace('_', ' ')}, not a percentage"
    if unit == "percent" and any(x > 100 for x in numbers):
        return f"{ref} is a percentage; target {text!r} is above 100%"
    if unit == "count" and any(x != int(x) for x in numbers):
        return f"target {text!r} is not a whole number, and {ref} is a count"
    if unit == "percent" and "%" not in text and any(0 < x < 1 for x in numbers):
        x = next(x for x in numbers if 0 < x < 1)
        return (
            f"target {text!r} on a percentage reads as {x:g}%, which looks like a fraction ({x * 100:g}%): write "
            f"{x * 100:g}% if that is meant, or {x:g}% if {x:g}% is"
        )
    return None


def parse_targets(
    path: Path | str,
    reader: store.ReadOnlyStore,
    default_authority: str,
    display_name: str | None = None,
    sheet: str | None = None,
    include_hidden: bool = False,
) -> ReferenceUpload:
    path = Path(path)
    name = display_name or path.name
    upload, rows, idx = _read(path, name, "targets", TARGET_COLUMNS, ("ref", "target"), sheet, include_hidden)
    if idx is None:
        return upload
    catalogue = catalogue_of(reader)
    authorities = set(reader.table("authorities")["authority"])
    latest_start = dt.date(dt.date.today().year + MAX_YEARS_AHEAD, 12, 1)
    seen: dict[tuple, int] = {}
    problems = upload.problems
    name = rows.where
    for n, cells, ref, meta in _known_rows(rows, idx, catalogue, problems):
        if meta["frequency"] == "week":
            problems.append(Problem(name, n, "ref", f"{ref} is a weekly indicator: weekly figures are not rated"))
            continue
        authority = _authority(cells, idx, default_authority, authorities, name, n, problems)
        text = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), str(cells[idx["target"]]).strip())
        try:
            target = parse_target(text, meta["polarity"])
        except TargetError as exc:
            problems.append(Problem(name, n, "target", str(exc)))
            continue
        why = _target_unit_problem(ref, text, target, meta["unit"])
        if why:
            problems.append(Problem(name, n, "target", why))
            continue
        tolerance = None
        if "tolerance" in idx:
            tolerance, _, err = read_cell(cells[idx["tolerance"]], meta["unit"])
            if err:
                problems.append(Problem(name, n, "tolerance", err))
                continue
            if tolerance is not None and tolerance < 0:
                problems.append(Problem(name, n, "tolerance", f"a tolerance cannot be negative ({tolerance:g})"))
                continue
        start = None
        raw_start = cells[idx["from"]] if "from" in idx else ""
        if str(raw_start).strip():
            try:
                start = parse_start(raw_start)
            except ValueError as exc:
                problems.append(
                    Problem(name, n, "from", f"{exc}; use a financial year such as 2024/25 or a month such as Apr-24")
                )
                continue
            if not EARLIEST_START <= start <= latest_start:
                problems.append(
                    Problem(
                        name,
                        n,
                        "from",
                        f"{iso(start)} is not a plausible start (from {iso(EARLIEST_START)} to {iso(latest_start)})",
                    )
                )
                continue
        key = (authority, ref, start)
        if key in seen:
            when = f"from {iso(start)}" if start else "from the start"
            problems.append(
                Problem(name, n, "from", f"overlapping periods: {ref} already has a target {when} on row {seen[key]}")
            )
            continue
        seen[key] = n
        row = validated(
            TargetRow,
            {
                "authority": authority,
                "ref": ref,
                "vintage": "pending",
                "target_text": text,
                "source_file": name,
                "source_line": n,
                "applies_from": start,
                "tolerance": tolerance,
            },
            name,
            n,
            problems,
        )
        if row and authority:
            upload.rows.append(row)
    return _finish(upload, name, lambda: _target_changes(upload.rows, reader, catalogue))


def _target_changes(rows: list[dict], reader: store.ReadOnlyStore, catalogue: dict) -> pd.DataFrame:
    out = []
    current = {a: reader.targets_as_of("latest", a) for a in {r["authority"] for r in rows}}
    for r in rows:
        month = r["applies_from"] or dt.date.today().replace(day=1)
        now = (
            in_force(current[r["authority"]].query("ref == @r['ref']"), month)
            if not current[r["authority"]].empty
            else pd.DataFrame()
        )
        out.append(
            {
                "Ref": r["ref"],
                "Indicator": catalogue[r["ref"]]["name"],
                "From": financial_year_label(r["applies_from"])
                if r["applies_from"] and r["applies_from"].month == 4
                else (iso(r["applies_from"]) if r["applies_from"] else "the start"),
                "Target now": (now["target_text"].iloc[0] or "none") if not now.empty else "none",
                "New target": r["target_text"] or "none (target withdrawn)",
                "Tolerance": "" if r["tolerance"] is None else f"{r['tolerance']:g}",
            }
        )
    return pd.DataFrame(out)


# ---------------------------------------------------------------- comparators


def published_year(text: str) -> str | None:
    """A published year, as stored: a financial year (2022/23, also written 2022-23 or FY2022/23) or a reporting
    year to 31 March (2023), that has ended; None otherwise."""
    first = financial_year(text)
    if first is not None:
        end, shown = first + 1, financial_year_label(dt.date(first, 4, 1))
    elif re.fullmatch(r"\d{4}", text):
        end, shown = int(text), text
    else:
        return None
    return shown if EARLIEST_START.year < end <= 9999 and dt.date(end, 3, 31) < dt.date.today() else None


def parse_comparators(
    path: Path | str,
    reader: store.ReadOnlyStore,
    default_authority: str,
    display_name: str | None = None,
    sheet: str | None = None,
    include_hidden: bool = False,
) -> ReferenceUpload:
    path = Path(path)
    name = display_name or path.name
    upload, rows, idx = _read(
        path, name, "comparators", COMPARATOR_COLUMNS, ("ref", "comparator", "value", "year"), sheet, include_hidden
    )
    if idx is None:
        return upload
    catalogue = catalogue_of(reader)
    authorities = set(reader.table("authorities")["authority"])
    seen: dict[tuple, int] = {}
    problems = upload.problems
    name = rows.where
    for n, cells, ref, meta in _known_rows(rows, idx, catalogue, problems):
        authority = _authority(cells, idx, default_authority, authorities, name, n, problems)
        # Its code, its name or short name or another spelling the registry lists, any case.
        which = comparator_by_name().get(str(cells[idx["comparator"]]).strip().lower())
        if which is None:
            problems.append(
                Problem(name, n, "comparator", f"{cells[idx['comparator']]!r} is not {comparator_choices()}")
            )
            continue
        value, status, err = read_cell(cells[idx["value"]], meta["unit"])
        if err or value is None:
            problems.append(Problem(name, n, "value", err or "a comparator needs a number"))
            continue
        before = len(problems)
        check_value(name, n, "value", ref, value, status, meta, problems)
        if len(problems) > before:
            continue
        written = str(cells[idx["year"]]).strip()
        year = published_year(written)
        if year is None:
            problems.append(
                Problem(
                    name,
                    n,
                    "year",
                    f"{written!r} is not a published year such as 2022/23 (from {EARLIEST_START.year}, and ended: "
                    "a year that has not ended cannot have been published)",
                )
            )
            continue
        key = (authority, ref, which, year)
        if key in seen:
            problems.append(Problem(name, n, "year", f"{ref} {which} {year} is already given on row {seen[key]}"))
            continue
        seen[key] = n
        source = str(cells[idx["source"]]).strip() if "source" in idx else ""
        row = validated(
            Comparator,
            {
                "authority": authority,
                "ref": ref,
                "vintage": "pending",
                "comparator": which,
                "value": value,
                "year": year,
                "source_file": name,
                "source_line": n,
                "source": source,
            },
            name,
            n,
            problems,
        )
        if row and authority:
            upload.rows.append(row)
    return _finish(upload, name, lambda: _comparator_changes(upload.rows, reader, catalogue))


def _comparator_changes(rows: list[dict], reader: store.ReadOnlyStore, catalogue: dict) -> pd.DataFrame:
    current = {a: reader.comparators_as_of("latest", a) for a in {r["authority"] for r in rows}}
    out = []
    for r in rows:
        now = current[r["authority"]]
        now = now[(now["ref"] == r["ref"]) & (now["comparator"] == r["comparator"])] if not now.empty else now
        had = f"{now['value'].iloc[0]:g} ({now['year'].iloc[0] or 'no year'})" if not now.empty else "none"
        newer = now.empty or r["year"] >= (now["year"].iloc[0] or "")
        out.append(
            {
                "Ref": r["ref"],
                "Indicator": catalogue[r["ref"]]["name"],
                "Comparator": r["comparator"],
                "Shown now": had,
                "Loaded": f"{r['value']:g} ({r['year']})",
                "Effect": "replaces what is shown" if newer else "kept as history: an older year than shown",
            }
        )
    return pd.DataFrame(out)


# ---------------------------------------------------------------- publishing


def publish(db_path: Path, upload: ReferenceUpload, label: str | None = None, user: str = "") -> str:
    if not upload.ok:
        raise LoadRejected(upload.problems or [Problem(upload.file, None, None, "nothing to load")])
    what = "Targets" if upload.kind == "targets" else "Comparators"
    vintage = new_vintage(
        upload.kind, upload.file, f"{what} from {upload.file}", label, f"{len(upload.rows)} {upload.kind} loaded"
    )
    write = Write.of_rows(upload.kind, vintage, {upload.kind: upload.rows}, user, upload.source_sha256)
    return lifecycle.commit_write(db_path, write)


PARSERS = {"targets": parse_targets, "comparators": parse_comparators}


def load(
    kind: str,
    db_path: Path,
    path: Path | str,
    authority: str | None = None,
    label: str | None = None,
    user: str = "",
    sheet: str | None = None,
    include_hidden: bool = False,
) -> tuple[str, ReferenceUpload]:
    """Validate and publish a targets or comparators file; raises LoadRejected (nothing written) on any problem."""
    reader = store.ReadOnlyStore(db_path)
    default = authority or store.home_authority(reader)
    upload = PARSERS[kind](path, reader, default, sheet=sheet, include_hidden=include_hidden)
    if not upload.ok:
        raise LoadRejected(upload.problems or [Problem(upload.file, None, None, "nothing to load")])
    return publish(db_path, upload, label, user), upload
