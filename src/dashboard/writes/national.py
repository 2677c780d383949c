"""National statistics in DfE's Explore Education Statistics (EES) CSV layout -> national_values rows.

A file is read by column name, never position (the order differs between releases), with a BOM allowed and
the names that drifted between releases accepted as listed in sample_data/national_measures.csv. Which
measures a file carries is read from its columns: a file that carries none of the mapped measures is refused.

EES marks a cell it does not publish with a symbol. Each is kept as a status, never as zero:
    c suppressed   x not available   z not applicable   low / k rounds to zero   u low reliability
and the older : (not available) and ~ (rounds to zero).

Same contract as every other write: every problem named by file, row and column; nothing written on any
problem; a clean file becomes one new vintage through the write journal (lifecycle.commit).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import store
from ..input.models import NationalValue
from ..input.reading import MAX_PROBLEMS, LoadRejected, Problem, read_cell, read_table
from ..words.periods import financial_year_label
from . import lifecycle
from .writing import Write, new_vintage, validated

# Geography columns every EES file has, with the names earlier releases used.
GEOGRAPHY = {
    "time_period": ("time_period",),
    "time_identifier": ("time_identifier",),
    "geographic_level": ("geographic_level",),
    "region_code": ("region_code",),
    "region_name": ("region_name",),
    "old_la_code": ("old_la_code", "la_code_old", "la_old_code"),
    "new_la_code": ("new_la_code", "la_code", "la_code_new"),
    "la_name": ("la_name", "la name"),
}
OPTIONAL_GEOGRAPHY = {"country_code": ("country_code",)}
LEVELS = {"National": "national", "Regional": "regional", "Local authority": "local"}
SYMBOLS = {
    "c": "suppressed",
    "x": "not_available",
    ":": "not_available",
    "z": "not_applicable",
    "low": "rounds_to_zero",
    "k": "rounds_to_zero",
    "~": "rounds_to_zero",
    "u": "low_reliability",
}
# A reporting year 2023 is the year to 31 March 2023 ("2022/23"); the workforce census counts on 30 September.
PERIOD_END = {"march": (3, 31), "september": (9, 30)}


def year_label(time_period: int, period: str) -> str:
    """DfE's reporting year as the packs print it: 2023 to March is '2022/23', the September census 'Sep 2023'."""
    return financial_year_label(dt.date(time_period - 1, 4, 1)) if period == "march" else f"Sep {time_period}"


def year_end(time_period: int, period: str) -> dt.date:
    month, day = PERIOD_END[period]
    return dt.date(time_period, month, day)


def _names(text: str) -> tuple[str, ...]:
    """'a|b' -> ('a', 'b'): a column as named now, then as earlier releases named it."""
    return tuple(n.strip().lower() for n in str(text).split("|") if n.strip())


def _matches(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """'col=v1|v2;col2=v3' -> [(col, (v1, v2)), (col2, (v3,))]: rows kept where every column has one of its values."""
    out = []
    for part in str(text or "").split(";"):
        if part.strip():
            col, _, values = part.partition("=")
            out.append((col.strip().lower(), tuple(v.strip() for v in values.split("|"))))
    return out


@dataclass
class Measure:
    """One row of national_measures.csv, parsed."""

    measure: str
    numerator: tuple[tuple[str, ...], ...]  # columns summed (each with its accepted names)
    numerator_match: list
    denominator: tuple[tuple[str, ...], ...]
    denominator_match: list
    published: tuple[str, ...]  # the published figure's column, where one row carries it
    scale: float
    complement: bool
    period: str
    unit: str = "percent"

    @classmethod
    def of(cls, row: dict) -> Measure:
        def cols(text: str) -> tuple[tuple[str, ...], ...]:
            return tuple(_names(part) for part in str(text or "").split("+") if part.strip())

        return cls(
            measure=row["measure"],
            numerator=cols(row["numerator"]),
            numerator_match=_matches(row["numerator_match"]),
            denominator=cols(row["denominator"]),
            denominator_match=_matches(row["denominator_match"] or row["numerator_match"]),
            published=_names(row["published"] or ""),
            scale=float(row["scale"]),
            complement=row["transform"] == "complement",
            period=row["period"],
            unit=row.get("unit") or "percent",
        )

    def match_columns(self) -> set[str]:
        return {c for c, _ in self.numerator_match + self.denominator_match}


@dataclass
class NationalUpload:
    file: str
    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    source_sha256: str = ""
    measures: list[str] = field(default_factory=list)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _number(raw: str) -> tuple[float | None, str | None, str | None]:
    """-> (value, status, error), by the same reading rules as every other write (reading.read_cell):
    well-formed thousands only ('27,3' and '3,3,4,9' are refused), -0 is 0; an EES symbol is a status."""
    text = str(raw).strip()
    if text in SYMBOLS:
        return None, SYMBOLS[text], None
    if text == "":
        return None, None, "blank: EES marks a figure it does not publish with a symbol (c, x, z, low, u)"
    value, status, err = read_cell(text)
    if err or value is None:
        hint = " (write 1234 or 1,234: a comma only between thousands, a decimal point)" if "," in text else ""
        return None, None, f"{text!r} is neither a number nor an EES symbol{hint}"
    return value, "value", None


def _plausible(value: float, unit: str, what: str) -> str | None:
    """A count or a published figure that cannot be: negative, or a percentage above 100."""
    if value < 0:
        return f"{what} {value:g} is negative; a published count or rate never is"
    if unit == "percent" and value > 100:
        return f"{what} {value:g} is a percentage above 100"
    return None


def parse_file(
    path: Path | str, measures: pd.DataFrame, display_name: str | None = None, include_hidden: bool = False
) -> NationalUpload:
    """Rows of every mapped measure the file carries. Problems name the file, the row and the column."""
    path = Path(path)
    upload = NationalUpload(display_name or path.name)
    problems = upload.problems
    table = read_table(path, upload.file, None, problems, key="time_period", include_hidden=include_hidden)
    if table is None:
        return upload
    upload.source_sha256 = table.sha256
    name, first = table.where, table.header_row
    upload.file = name
    header = [str(h).strip().lower() for h in table.rows[0]]
    geo = _geography_columns(header, name, first, problems)
    if problems:
        return upload
    usable = _usable(measures, header, name, first, problems)
    if not usable:
        return upload
    body = _body(table, header, geo, problems)
    if problems:
        return upload
    _repeated_rows(body, header, geo, usable, name, problems)
    if problems:
        return upload
    _add_measures(upload, usable, header, body, geo)
    if not problems and not upload.rows:
        problems.append(Problem(name, None, None, "the file has the measures' columns but no rows for them"))
    return upload


def _geography_columns(header: list[str], name: str, first: int, problems: list[Problem]) -> dict[str, int | None]:
    """Where each geography column is; a column named twice or a geography missing is a problem."""
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    for h in dupes:
        problems.append(Problem(name, first, h, "this column appears more than once"))
    geo = {}
    for key, names in {**GEOGRAPHY, **OPTIONAL_GEOGRAPHY}.items():
        geo[key] = _find(header, names)
        if geo[key] is None and key in GEOGRAPHY:
            problems.append(Problem(name, first, key, "missing: an EES file names its geography in this column"))
    return geo


def _usable(measures: pd.DataFrame, header: list[str], name: str, first: int, problems: list[Problem]) -> list:
    """The mapped measures whose every column the file has; none is a problem naming the columns it has."""
    usable = []
    for spec in (Measure.of(r) for r in measures.to_dict("records")):
        needed = list(spec.numerator) + list(spec.denominator) + [(c,) for c in spec.match_columns()]
        if all(_find(header, names) is not None for names in needed):
            usable.append(spec)
    if not usable:
        problems.append(
            Problem(
                name,
                first,
                None,
                "no mapped national measure reads this file: its columns are "
                + ", ".join(h for h in header if h not in {n for ns in GEOGRAPHY.values() for n in ns})[:300]
                + " (sample_data/national_measures.csv lists the measures and the columns each needs)",
            )
        )
    return usable


def _body(table, header: list[str], geo: dict, problems: list[Problem]) -> list[tuple[int, list[str]]]:
    """(row number, cells) of each row with any cell, its geography checked."""
    name, width = table.where, len(header)
    body: list[tuple[int, list[str]]] = []
    for n, raw in enumerate(table.rows[1:], start=table.header_row + 1):
        cells = [str(c).strip() for c in raw][:width]
        if not any(cells):
            continue
        if not _geography_ok(cells, geo, name, n, problems):
            continue
        body.append((n, cells))
        if len(problems) >= MAX_PROBLEMS:
            break
    return body


def _add_measures(upload: NationalUpload, usable: list[Measure], header, body, geo) -> None:
    """Each usable measure's figures, validated, into the upload; a figure given twice is a problem."""
    name, problems = upload.file, upload.problems
    first_row: dict[str, int] = {}  # each figure's key -> the row that gave it
    for spec in usable:
        rows = _measure_rows(spec, header, body, geo, name, problems)
        if rows:
            upload.measures.append(spec.measure)
        for r in rows:
            key = f"{r['measure']} {r['year']} {r['area_code']}"
            if key in first_row:
                problems.append(Problem(name, r["source_line"], None, f"{key} is given twice (row {first_row[key]})"))
                continue
            first_row[key] = r["source_line"]
            row = validated(NationalValue, r, name, r["source_line"], problems)
            if row:
                upload.rows.append(row)
        if len(problems) >= MAX_PROBLEMS:
            break


def _repeated_rows(body, header, geo, usable: list[Measure], name: str, problems: list[Problem]) -> None:
    """The same council, year and breakdown twice is refused, never added up: a row is known by its geography
    and every column that is not a figure (the filters: category, age, breakdown...)."""
    figures = {
        _find(header, names)
        for spec in usable
        for names in list(spec.numerator) + list(spec.denominator) + ([spec.published] if spec.published else [])
    }

    def is_figure(text: str) -> bool:
        return text == "" or text in SYMBOLS or read_cell(text)[2] is None

    filters = [
        i
        for i in range(len(header))
        if i not in figures and (i in geo.values() or any(not is_figure(cells[i]) for _, cells in body))
    ]
    seen: dict[tuple, int] = {}
    for n, cells in body:
        key = tuple(cells[i] for i in filters)
        if key in seen:
            area = cells[geo["la_name"]] or cells[geo["region_name"]] or cells[geo["geographic_level"]]
            problems.append(
                Problem(
                    name,
                    n,
                    None,
                    f"this row repeats row {seen[key]} ({area}, {cells[geo['time_period']]}, the same breakdown): "
                    "a row given twice is refused, never added up",
                )
            )
        else:
            seen[key] = n


def _geography_ok(cells: list[str], geo: dict, name: str, n: int, problems: list[Problem]) -> bool:
    before = len(problems)
    period = cells[geo["time_period"]]
    if not re.fullmatch(r"\d{4}", period) or int(period) < 2000:
        problems.append(Problem(name, n, "time_period", f"{period!r} is not a reporting year such as 2023"))
    elif dt.date(int(period), 3, 31) > dt.date.today():
        problems.append(
            Problem(
                name,
                n,
                "time_period",
                f"{period} is in the future: reporting year {period} runs to 31 March {period}, "
                "so no figure for it can have been published",
            )
        )
    if cells[geo["time_identifier"]] != "Reporting year":
        problems.append(
            Problem(name, n, "time_identifier", f"{cells[geo['time_identifier']]!r}: only 'Reporting year' is read")
        )
    level = cells[geo["geographic_level"]]
    if level not in LEVELS:
        problems.append(Problem(name, n, "geographic_level", f"{level!r} is not National, Regional or Local authority"))
    elif LEVELS[level] == "local":
        # Councils that report one workforce together share a row: "940 / 941", "E06000061 / E06000062".
        if not re.fullmatch(r"\d{3}( / \d{3})*", cells[geo["old_la_code"]]):
            problems.append(Problem(name, n, "old_la_code", "a local authority row needs its three-digit code"))
        if not re.fullmatch(r"E\d{8}( / E\d{8})*", cells[geo["new_la_code"]]):
            problems.append(Problem(name, n, "new_la_code", "a local authority row needs its E-code (E08000008)"))
    elif LEVELS[level] == "regional" and not re.fullmatch(r"E\d{8}", cells[geo["region_code"]]):
        problems.append(Problem(name, n, "region_code", "a regional row needs its E-code (E12000002)"))
    return len(problems) == before


def _area(cells: list[str], geo: dict) -> tuple[str, str, str, str, str]:
    """-> (level, area_code, la_code, area_name, region_code)."""
    level = LEVELS[cells[geo["geographic_level"]]]
    if level == "local":
        return (
            level,
            cells[geo["new_la_code"]],
            cells[geo["old_la_code"]],
            cells[geo["la_name"]],
            cells[geo["region_code"]],
        )
    if level == "regional":
        return level, cells[geo["region_code"]], "", cells[geo["region_name"]], cells[geo["region_code"]]
    code = cells[geo["country_code"]] if geo.get("country_code") is not None else ""
    return level, code or "E92000001", "", "England", ""


def _measure_rows(spec: Measure, header, body, geo, name, problems) -> list[dict]:
    idx = {names: _find(header, names) for names in list(spec.numerator) + list(spec.denominator)}
    published = _find(header, spec.published) if spec.published else None

    num_match = [(header.index(col), values) for col, values in spec.numerator_match]
    den_match = [(header.index(col), values) for col, values in spec.denominator_match]

    groups: dict[tuple, dict] = defaultdict(lambda: {"num": [], "den": [], "lines": []})
    for n, cells in body:
        in_num = all(cells[i] in values for i, values in num_match)
        in_den = all(cells[i] in values for i, values in den_match)
        if not (in_num or in_den):
            continue
        key = (int(cells[geo["time_period"]]),) + _area(cells, geo)
        g = groups[key]
        g["lines"].append(n)
        if in_num:
            g["num"].append((n, cells))
        if in_den:
            g["den"].append((n, cells))

    out = []
    for (period, level, code, la_code, area_name, region), g in groups.items():
        statuses: list[str] = []
        before = len(problems)
        num = _total(g["num"], spec.numerator, idx, statuses, name, problems)
        den = _total(g["den"], spec.denominator, idx, statuses, name, problems)
        if len(problems) > before:
            continue
        value, status = None, "value"
        if len(g["num"]) == 1 and published is not None:
            n, cells = g["num"][0]
            value, status, err = _number(cells[published])
            err = err or (_plausible(value, spec.unit, "the published figure") if value is not None else None)
            if err:
                problems.append(Problem(name, n, spec.published[0], err))
                continue
        elif statuses:
            status = statuses[0]
        elif num is None or not den:
            status = "not_available"
        else:
            value = round(num / den * spec.scale, 1)
            if spec.complement:
                value = round(spec.scale - value, 1)
            err = _plausible(value, spec.unit, "the figure worked out from the counts")
            if err:
                problems.append(Problem(name, min(g["lines"]), spec.numerator[0][0], err))
                continue
        if status != "value":
            value = None
        out.append(
            {
                "measure": spec.measure,
                "year": year_label(period, spec.period),
                "year_end": year_end(period, spec.period),
                "level": level,
                "area_code": code,
                "la_code": la_code,
                "area_name": area_name,
                "region_code": region,
                "value": value,
                "status": status,
                "numerator": num,
                "denominator": den,
                "vintage": "pending",
                "source_file": name,
                "source_line": min(g["lines"]),
            }
        )
    return out


def _total(rows, columns, idx, statuses: list[str], name: str, problems: list[Problem]) -> float | None:
    """The sum of the columns over the rows; None (the symbol kept in `statuses`) if any cell is withheld."""
    s = 0.0
    for n, cells in rows:
        for names in columns:
            value, status, err = _number(cells[idx[names]])
            err = err or (_plausible(value, "count", "the count") if value is not None else None)
            if err:
                problems.append(Problem(name, n, names[0], err))
                return None
            if status != "value":
                statuses.append(status)
                return None
            s += value
    return s if rows else None


# ---------------------------------------------------------------- the preview and the write


def _changes(rows: list[dict], reader: store.ReadOnlyStore) -> pd.DataFrame:
    """Per measure and year: rows loaded, new, revised (a different figure or status than the store holds)."""
    held = reader.national_latest()
    new = pd.DataFrame(rows)
    keys = ["measure", "year", "area_code"]
    merged = new.merge(held[keys + ["value", "status"]], on=keys, how="left", suffixes=("", "_held"), indicator=True)
    merged["new"] = merged["_merge"] == "left_only"
    same_value = (merged["value"] == merged["value_held"]) | (merged["value"].isna() & merged["value_held"].isna())
    merged["revised"] = ~merged["new"] & ~(same_value & (merged["status"] == merged["status_held"]))
    out = merged.groupby(["measure", "year"], sort=True).agg(
        rows=("area_code", "size"), new=("new", "sum"), revised=("revised", "sum")
    )
    return out.reset_index().rename(
        columns={"measure": "Measure", "year": "Year", "rows": "Rows", "new": "New", "revised": "Revised"}
    )


def parse(
    paths: list[Path], reader: store.ReadOnlyStore, names: list[str] | None = None, include_hidden: bool = False
) -> NationalUpload:
    """Several files as one load (a release comes as several tables); the preview of what it changes."""
    measures = reader.table("national_measures")
    names = _distinct_names(paths, names)
    combined = NationalUpload(", ".join(names))
    digests = []
    seen: dict[tuple, tuple[int, str]] = {}  # a figure -> (which file, its name): files told apart by position
    for k, path in enumerate(paths):
        one = parse_file(path, measures, names[k], include_hidden)
        combined.problems += one.problems
        combined.measures += one.measures
        digests.append(one.source_sha256)
        for r in one.rows:
            key = (r["measure"], r["year"], r["area_code"])
            if key in seen and seen[key][0] != k:
                combined.problems.append(
                    Problem(
                        r["source_file"], r["source_line"], None, f"{' '.join(key)} is also given in {seen[key][1]}"
                    )
                )
            seen.setdefault(key, (k, r["source_file"]))
        combined.rows += one.rows
    combined.source_sha256 = ",".join(digests)
    if combined.ok:
        combined.changes = _changes(combined.rows, reader)
    return combined


def _distinct_names(paths: list[Path], names: list[str] | None) -> list[str]:
    """Each file's name as shown: two files called the same (from different folders) are named by the path
    given, or numbered when that is the same too (two uploads), so neither is mistaken for the other."""
    shown = list(names) if names else [Path(p).name for p in paths]
    if not names:
        shown = [str(p) if shown.count(n) > 1 else n for p, n in zip(paths, shown)]
    for n in set(shown):
        same = [j for j, m in enumerate(shown) if m == n]
        if len(same) > 1:
            for i, j in enumerate(same, start=1):
                shown[j] = f"{n} (file {i} of {len(same)})"
    return shown


def publish(db_path: Path, upload: NationalUpload, label: str | None = None, user: str = "") -> str:
    if not upload.ok:
        raise LoadRejected(upload.problems or [Problem(upload.file, None, None, "nothing to load")])
    note = f"{len(upload.rows)} national figures: {', '.join(sorted(set(upload.measures)))}"
    vintage = new_vintage("national", upload.file, f"National statistics from {upload.file}", label, note)
    write = Write.of_rows("national", vintage, {"national_values": upload.rows}, user, upload.source_sha256)
    return lifecycle.commit_write(db_path, write)


def load(
    db_path: Path, paths: list[Path], label: str | None = None, user: str = "", include_hidden: bool = False
) -> tuple[str, NationalUpload]:
    """Validate and publish national statistics files; raises LoadRejected (nothing written) on any problem."""
    reader = store.ReadOnlyStore(db_path)
    upload = parse([Path(p) for p in paths], reader, include_hidden=include_hidden)
    if not upload.ok:
        raise LoadRejected(upload.problems or [Problem(upload.file, None, None, "nothing to load")])
    return publish(db_path, upload, label, user), upload
