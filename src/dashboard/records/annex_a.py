"""Read an Annex A workbook: the lists the figures use, matched by sheet and column name, values read as councils
really send them, pseudonymised on the way in. A file that cannot be read is refused (list, row and column named);
a record that is wrong but readable is a data-quality finding, left out of the figures that need it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..input.reading import LoadRejected, Problem, read_workbook
from ..words.formatting import name_key
from .pseudonym import pseudonym


@dataclass(frozen=True)
class Column:
    key: str  # our name for it
    names: tuple[str, ...]  # headers councils use, matched after normalising
    kind: str  # id, date, code, count
    required: bool = True
    codes: str | None = None  # for a code column: which table of spellings (CODES)


@dataclass(frozen=True)
class ListSpec:
    number: int
    title: str
    names: tuple[str, ...]  # sheet names besides "List N"
    columns: tuple[Column, ...]
    event: str | None = None  # the date one row records (a duplicate child on the same date is a finding)
    order: tuple[tuple[str, str], ...] = ()  # (earlier, later): the later may not come before the earlier
    optional: bool = False  # a workbook without this list is read (its refs are then not computed)


CHILD = Column(
    "child", ("child unique id", "child id", "unique child id", "child unique identifier", "child identifier"), "id"
)
DOB = Column("dob", ("date of birth", "dob", "child date of birth"), "date", required=False)
# Who holds the case at the extract date (WF8-WF13). Optional: an extract without them is read, caseloads not computed.
TEAM = Column("team_type", ("allocated team", "team", "allocated team name"), "code", required=False, codes="team")
WORKER = Column(
    "worker", ("allocated worker", "allocated social worker", "worker", "social worker"), "code", False, "as_given"
)
# The allocated team's own name (the drill-down's teams, records/breakdown.py); TEAM above keeps only its type.
TEAM_NAME = Column("team", TEAM.names, "code", required=False, codes="as_given")

# Our own table for the lists the computed refs use (the public liia-tools-pipeline schema, MIT, was the guide to
# the variants councils send). Columns not listed here (names, postcodes, ethnicity...) are never read.
LISTS: dict[str, ListSpec] = {
    "list_1": ListSpec(
        1,
        "Contacts",
        ("contacts",),
        (CHILD, DOB, Column("contact_date", ("date of contact", "contact date"), "date")),
        event="contact_date",
    ),
    "list_3": ListSpec(
        3,
        "Referrals",
        ("referrals",),
        (
            CHILD,
            DOB,
            Column("referral_date", ("date of referral", "referral date"), "date"),
            Column(
                "referrals_12m",
                (
                    "number of referrals in last 12 months",
                    "number of referrals in the last 12 months",
                    "referrals in last 12 months",
                    "no of referrals in last 12 months",
                ),
                "count",
                required=False,
            ),
            TEAM_NAME,
            WORKER,
        ),
        event="referral_date",
    ),
    "list_4": ListSpec(
        4,
        "Assessments",
        ("assessments",),
        (
            CHILD,
            DOB,
            Column("assessment_start", ("continuous assessment start date", "assessment start date"), "date"),
            Column(
                "assessment_authorised",
                (
                    "continuous assessment date of authorisation",
                    "assessment date of authorisation",
                    "date of authorisation",
                    "assessment authorisation date",
                ),
                "date",
            ),
            Column(
                "not_in_need",
                (
                    "was the child assessed as requiring la children's social care support?",
                    "was the child assessed as requiring children's social care support?",
                    "assessed as requiring social care support",
                ),
                "code",
                codes="not_in_need",
            ),
            TEAM_NAME,
            WORKER,
        ),
        event="assessment_start",
        order=(("assessment_start", "assessment_authorised"),),
    ),
    "list_5": ListSpec(
        5,
        "Section 47 enquiries and ICPCs",
        ("section 47", "section 47 enquiries", "s47", "section 47 and icpcs"),
        (
            CHILD,
            DOB,
            Column(
                "strategy_date",
                (
                    "strategy discussion initiating section 47 enquiry start date",
                    "strategy discussion date",
                    "date of strategy discussion",
                    "section 47 enquiry start date",
                ),
                "date",
            ),
            Column("icpc_date", ("date of initial child protection conference", "icpc date", "date of icpc"), "date"),
            TEAM_NAME,
            WORKER,
        ),
        event="strategy_date",
        order=(("strategy_date", "icpc_date"),),
    ),
    "list_6": ListSpec(
        6,
        "Children in need",
        ("children in need", "cin"),
        (
            CHILD,
            DOB,
            Column("cin_start", ("cin start date", "child in need start date"), "date"),
            Column("cin_closure", ("cin closure date", "child in need closure date"), "date"),
            Column("case_status", ("case status",), "code", codes="case_status"),
            TEAM,
            TEAM_NAME,
            WORKER,
        ),
        event="cin_start",
        order=(("cin_start", "cin_closure"),),
    ),
    "list_7": ListSpec(
        7,
        "Child protection",
        ("child protection", "cp"),
        (
            CHILD,
            DOB,
            Column("cp_start", ("child protection plan start date", "cp plan start date", "cpp start date"), "date"),
            Column("cp_end", ("child protection plan end date", "cp plan end date", "cpp end date"), "date"),
            Column(
                "cp_last_visit",
                ("date of the last statutory visit", "date of last statutory visit"),
                "date",
            ),
            TEAM,
            TEAM_NAME,
            WORKER,
        ),
        event="cp_start",
        order=(("cp_start", "cp_end"),),
    ),
    "list_8": ListSpec(
        8,
        "Children looked after",
        ("children looked after", "looked after children", "cla"),
        (
            CHILD,
            DOB,
            Column("cla_start", ("date started to be looked after", "date started looked after"), "date"),
            Column("cla_ceased", ("date ceased to be looked after", "date ceased looked after"), "date"),
            Column("health_check", ("date of last health assessment", "last health assessment date"), "date"),
            Column("dental_check", ("date of last dental check", "last dental check date"), "date"),
            Column(
                "placements_12m",
                ("number of placements in the last 12 months", "number of placements in last 12 months"),
                "count",
            ),
            Column(
                "cla_last_visit",
                (
                    "date of last social work visit",
                    "date of the last social work visit",
                    "date of last statutory visit",
                    "date of the last statutory visit",
                    "last social work visit date",
                ),
                "date",
                required=False,
            ),
            Column(
                "placement_type",
                ("placement type", "type of placement", "current placement type", "latest placement type"),
                "code",
                required=False,
                codes="placement",
            ),
            TEAM,
            TEAM_NAME,
            WORKER,
        ),
        event="cla_start",
        order=(("cla_start", "cla_ceased"),),
    ),
    # List 9 is optional: many workbooks sent for the other lists leave it out, and only CF30 and WF13 need it.
    "list_9": ListSpec(
        9,
        "Care leavers",
        ("care leavers", "careleavers", "care leaver", "leaving care"),
        (
            CHILD,
            DOB,
            Column(
                "in_touch",
                ("la in touch", "in touch", "local authority in touch", "in touch with the la", "la in touch?"),
                "code",
                required=False,
                codes="in_touch",
            ),
            Column(
                "adviser",
                ("allocated personal advisor", "allocated personal adviser", "personal advisor", "personal adviser"),
                "code",
                required=False,
                codes="as_given",
            ),
            TEAM,
            TEAM_NAME,
            WORKER,
        ),
        optional=True,
    ),
}

# List 4's "assessed as requiring support?": the answer No means assessed as not in need (CIN5). Keys as `norm` gives.
NOT_IN_NEED = {"no": "yes", "n": "yes", "0": "yes", "0 no": "yes", "yes": "no", "y": "no", "1": "no", "1 yes": "no"}

# Case Status as List 6 codes it, whatever the spelling (guided by the public schema's variants).
CASE_STATUS = {
    "looked after child": "cla",
    "cla": "cla",
    "lac": "cla",
    "cla&cp": "cla",
    "cla&cpp": "cla",
    "cp cla": "cla",
    "child protection plan": "cp",
    "child protection": "cp",
    "cp": "cp",
    "cpp": "cp",
    "child in need plan": "cin",
    "child in need": "cin",
    "cin": "cin",
    "cin plan": "cin",
    "open assessment": "assessment",
    "assessment": "assessment",
    "open asmt": "assessment",
    "closed episode": "closed",
    "closed": "closed",
    "closed case": "closed",
}


class Keywords:
    """A code for free text councils word their own way (team names, placement types): the first rule whose word
    the text contains, else the default. Looked up as the code tables are (`.get` of the normalised text)."""

    def __init__(self, rules: tuple[tuple[str, tuple[str, ...]], ...], default: str | None):
        self.rules, self.default = rules, default

    def get(self, text: str) -> str | None:
        words = f" {text} "
        for code, keys in self.rules:
            if any(k in words for k in keys):
                return code
        return self.default


class AsGiven:
    """A name kept as written (case and spacing aside), e.g. the allocated worker: never a finding."""

    @staticmethod
    def get(text: str) -> str | None:
        return text or None


# Allocated Team -> team type (WF9-WF13); any other team is a children's social work team.
TEAM_TYPES = Keywords(
    (
        ("leavingcare", ("leaving care", "care leaver", "personal adviser", "personal advisor", " 16 ", " pa ")),
        ("cwd", ("disabilit", " cwd ", "iscan", "disabled")),
        ("adoption", ("adopt",)),
        ("caredfor", ("cared for", "looked after", " cla ", " lac ", "children in care", "permanence")),
    ),
    "socialwork",
)
# Placement Type -> foster or other (CF8, CF9): U1-U6 and F1-F6 and any wording naming fostering, except a
# placement for adoption (which the schema's variants sometimes word with "foster carer").
PLACEMENTS = Keywords(
    (
        ("other", ("placed for adoption", " a3 ", " a4 ", " a5 ", " a6 ")),
        ("foster", ("foster",) + tuple(f" {c}{n} " for c in "uf" for n in range(1, 7))),
    ),
    "other",
)
# List 9's "LA in touch": refusing contact, no longer wanting services and not recorded all count as not in touch.
IN_TOUCH = {
    "yes": "yes",
    "y": "yes",
    "1": "yes",
    "1 yes": "yes",
    "in touch": "yes",
    "yes resident in the uk": "yes",
    "1 yes resident in the uk": "yes",
    "01 yes resident in the uk": "yes",
    "1 yes resident abroad": "yes",
    "yes resident abroad": "yes",
    "no": "no",
    "n": "no",
    "0": "no",
    "2": "no",
    "3": "no",
    "0 no": "no",
    "2 no": "no",
    "not in touch": "no",
    "no resident in the uk": "no",
    "2 no resident in the uk": "no",
    "02 no resident in the uk": "no",
    "refu": "no",
    "refused": "no",
    "nreq": "no",
    "young person refuses contact": "no",
    "3 young person refuses contact": "no",
    "08 young person refuses contact": "no",
    "young person no longer requires services": "no",
    "10 young person no longer requires services": "no",
    "not recorded": "no",
    "no contact recorded": "no",
    "unknown": "no",
}

CODES = {
    "case_status": CASE_STATUS,
    "not_in_need": NOT_IN_NEED,
    "team": TEAM_TYPES,
    "placement": PLACEMENTS,
    "in_touch": IN_TOUCH,
    "as_given": AsGiven,
}

FINDING_COLUMNS = ["list", "row", "column", "rule", "detail"]
RULES = {
    "missing_id": "no Child Unique ID",
    "missing_date": "a required date is blank",
    "unreadable_date": "a date that cannot be read",
    "future_date": "a date after the extract's as-at date",
    "date_order": (
        "a later date before the one it follows (authorised before its start, a plan ending before it began)"
    ),
    "duplicate": "the same child twice in a list for the same event",
    "unreadable_number": "a count that is not a whole number",
    "unknown_code": "a coded value not in the list of known values",
}
# Each rule as a column heading in the load page's preview.
RULE_HEADINGS = {
    "missing_id": "No child ID",
    "missing_date": "Date blank",
    "unreadable_date": "Date unreadable",
    "future_date": "Date after as-at",
    "date_order": "Dates out of order",
    "duplicate": "Child twice",
    "unreadable_number": "Count unreadable",
    "unknown_code": "Unknown code",
}


@dataclass
class Extract:
    """One extract, pseudonymised: a frame per list (child is a pseudonym, birth_month a month, no other identifier),
    and the data-quality findings, one row per list, row, column and rule broken."""

    name: str
    as_at: dt.date
    lists: dict[str, pd.DataFrame]
    findings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FINDING_COLUMNS))
    synthetic: bool = False  # the workbook marks itself as synthetic (invented children)
    sha256: str = ""  # of the file's bytes as read (the file itself is never kept)


def norm(text: object) -> str:
    """Header or sheet name as compared: case, spacing, non-breaking spaces and punctuation ignored."""
    return " ".join(re.sub(r"[^0-9a-z&]+", " ", str(text).replace("\xa0", " ").lower()).split())


_LIST_N = re.compile(r"^list\s*0*(\d+)\b")


def _sheet_list(title: str) -> str | None:
    t = norm(title.replace("_", " "))
    m = _LIST_N.match(t)
    if m:
        key = f"list_{int(m.group(1))}"
        return key if key in LISTS else None
    for key, spec in LISTS.items():
        if t in spec.names or t == norm(spec.title):
            return key
    return None


_BLANKS = {"", "#n/a", "n/a", "#na"}


def _text(value: object) -> str | None:
    if value is None:
        return None
    s = " ".join(str(value).replace("\xa0", " ").split())
    return None if s.lower() in _BLANKS else s


_CODE_PREFIX = re.compile(r"^[a-z]{1,2}[).]\s+")


def read_code(value: object) -> str | None:
    """'c) Child in need plan', 'CIN', 'c. child in need plan' -> 'child in need plan' etc. (None for blank)."""
    s = _text(value)
    if s is None:
        return None
    return " ".join(_CODE_PREFIX.sub("", s.lower()).split())


_EXCEL_EPOCH = dt.date(1899, 12, 30)
_TEXT_DATES = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y")


def read_date(value: object) -> tuple[dt.date | None, bool]:
    """(date or None, readable). Excel date cells, Excel serial numbers and UK text dates (16/09/2020); blank and
    #N/A are None and readable; anything else unreadable."""
    if isinstance(value, dt.datetime):
        return value.date(), True
    if isinstance(value, dt.date):
        return value, True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial day numbers, 1900-01-01 to 9999-12-31
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), True
        return None, False
    s = _text(value)
    if s is None:
        return None, True
    s = re.sub(r"[ T]00:00(:00)?$", "", s)
    for fmt in _TEXT_DATES:
        try:
            return dt.datetime.strptime(s, fmt).date(), True
        except ValueError:
            continue
    return None, False


def read_count(value: object) -> tuple[int | None, bool]:
    """(whole number or None, readable): 3, 3.0 and '3' are 3; blank and #N/A are None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (int(value), True) if float(value).is_integer() and value >= 0 else (None, False)
    s = _text(value)
    if s is None:
        return None, True
    return (int(s), True) if s.isdigit() else (None, False)


def _match_columns(spec: ListSpec, header: list[object]) -> tuple[dict[str, int], list[str]]:
    """Our column key -> position in the sheet; and the required columns not found."""
    seen = {norm(h): i for i, h in reversed(list(enumerate(header))) if h is not None and norm(h)}
    where, missing = {}, []
    for col in spec.columns:
        pos = next((seen[n] for n in map(norm, col.names) if n in seen), None)
        if pos is not None:
            where[col.key] = pos
        elif col.required:
            missing.append(col.names[0])
    return where, missing


def _header_index(rows: list[list]) -> int | None:
    """The header row: the first of the top rows naming the Child Unique ID (title rows above it are skipped)."""
    for i, row in enumerate(rows[:10]):
        if any(norm(c) in CHILD.names for c in row if c is not None):
            return i
    return None


SYNTHETIC_SHEET = "synthetic data"  # a synthetic extract says so: a sheet of this name whose A1 begins SYNTHETIC
SCALE = 5  # an extract may be five times the reading layer's limits for a scorecard (100 MB, 1,000,000 rows)


def read(
    path: Path | str, as_at: dt.date, key: bytes, name: str | None = None, include_hidden: bool = False
) -> Extract:
    """The workbook's lists, pseudonymised, and its findings; LoadRejected (nothing kept) when it cannot be read.
    Read through the one reading layer (dashboard.input.reading), as every upload is."""
    path = Path(path)
    name = name or path.name
    problems: list[Problem] = []
    found: dict[str, str] = {}
    marker: list[str] = []

    def choose(sheets: list[tuple[str, bool]]) -> list[str]:
        for title, _hidden in sheets:
            key_ = _sheet_list(title)
            if key_ and key_ not in found:
                found[key_] = title
            if norm(title) == SYNTHETIC_SHEET and not marker:
                marker.append(title)
        return [*found.values(), *marker]

    got = read_workbook(
        path,
        name,
        problems,
        choose,
        include_hidden=include_hidden,
        scale=SCALE,
        hidden_ok=lambda title: norm(title) == SYNTHETIC_SHEET,  # the mark holds no records: hidden or not
    )
    if got is None:
        raise LoadRejected(problems)
    titles, sheets, digest = got
    problems += [
        Problem(name, None, None, f"no sheet for List {spec.number} ({spec.title}): sheets are {', '.join(titles)}")
        for k, spec in LISTS.items()
        if k not in found and not spec.optional
    ]
    tables: dict[str, tuple[list[list], dict[str, int], int]] = {}
    for k, title in found.items():
        if title not in sheets:
            continue  # refused by the reading layer (hidden, too long): already a problem
        spec, sheet = LISTS[k], sheets[title]
        where_ = f"{name}, List {spec.number} (sheet {title!r})"
        rows = sheet.rows
        h = _header_index(rows)
        if h is None:
            problems.append(
                Problem(where_, None, None, "no header row naming the Child Unique ID in its first 10 rows")
            )
            continue
        cols, missing = _match_columns(spec, list(rows[h]))
        problems += [Problem(where_, h + 1, m, "required column not found") for m in missing]
        if missing:
            continue
        read_cols = {c + 1 for c in cols.values()}
        for r, c, cell in sheet.uncached:
            if r > h + 1 and c in read_cols:
                problems.append(
                    Problem(
                        where_,
                        r,
                        str(rows[h][c - 1]),
                        f"a formula with no stored value ({cell}): open and save the file in Excel so the values "
                        "are stored, then load it again",
                    )
                )
        if not include_hidden:
            problems += [Problem(where_, p.row, p.column, p.message) for p in sheet.hidden_problems(h + 1, read_cols)]
        tables[k] = (rows, cols, h)
    if problems:
        raise LoadRejected(problems)
    lists, findings = {}, []
    for k, (rows, cols, h) in tables.items():
        lists[k], found_ = _records(k, rows, cols, h, as_at, key)
        findings += found_
    synthetic = bool(marker) and _synthetic(sheets.get(marker[0]))
    return Extract(
        name, as_at, lists, pd.DataFrame(findings, columns=FINDING_COLUMNS), synthetic=synthetic, sha256=digest
    )


def _synthetic(sheet) -> bool:
    """The generator marks its workbooks: a sheet `Synthetic data` whose A1 begins with SYNTHETIC."""
    if sheet is None or not sheet.rows or not sheet.rows[0]:
        return False
    return str(sheet.rows[0][0]).strip().upper().startswith("SYNTHETIC")


def _blank(value: object) -> bool:
    """As `_text(value) is None`, faster: a blank spelling has no inner space, so stripping and lowering is enough."""
    return value is None or (isinstance(value, str) and value.strip().lower() in _BLANKS)


def _each(values: list, read) -> list:
    """read(value) for every value, worked out once per distinct value (an extract repeats its dates, codes and
    children: thousands of rows, a few hundred distinct values). Keyed by type too, as 1, 1.0 and True are equal."""
    seen: dict = {}
    out = []
    for v in values:
        k = (type(v), v)
        got = seen.get(k, seen)
        if got is seen:
            got = seen[k] = read(v)
        out.append(got)
    return out


Flag = Callable[[int, int, int, str, str, str], None]  # (line, phase, order within the row, column, rule, detail)


def _records(
    k: str, rows: list[list], cols: dict[str, int], h: int, as_at: dt.date, key: bytes
) -> tuple[pd.DataFrame, list[tuple]]:
    """One list's rows, keeping only the pseudonym, the birth month and the dates and codes the figures use. Read
    column by column, each distinct value once (the pseudonym is one HMAC per child, not per row)."""
    spec = LISTS[k]
    lines = [i + 1 for i in range(h + 1, len(rows)) if not all(map(_blank, rows[i]))]  # blank lines skipped
    kept = [rows[line - 1] for line in lines]

    def column(key_: str) -> list:
        p = cols.get(key_)
        if p is None:
            return [None] * len(lines)
        return [row[p] if p < len(row) else None for row in kept]

    found: list[tuple] = []  # (line, phase, order within the row, finding): sorted into row order at the end

    def flag(line: int, phase: int, sub: int, column_: str, rule: str, detail: str) -> None:
        found.append((line, phase, sub, (k, line, column_, rule, detail)))

    out: dict[str, list] = {"row": lines}
    out["child"] = ids = _children(column("child"), lines, key, flag)
    dates: dict[str, list] = {}
    for n, c in enumerate(spec.columns):
        if c.key == "child":
            continue
        raw = column(c.key)
        if c.kind == "date" and c.key == "dob":
            out["birth_month"] = _birth_months(raw)
        elif c.kind == "date":
            out[c.key] = dates[c.key] = _dates(raw, lines, n, c.key, c.key == spec.event, as_at, flag)
        elif c.kind == "count":
            out[c.key] = _counts(raw, lines, n, c.key, flag)
        elif c.kind == "code":
            out[c.key] = _codes(raw, lines, n, c, flag)
    _flag_date_order(spec, lines, dates, flag)
    _flag_duplicates(spec, lines, ids, dates, flag)
    return _frame(spec, out, lines), [f for *_, f in sorted(found, key=lambda f: f[:3])]


def _children(raw: list, lines: list[int], key: bytes, flag: Flag) -> list:
    """Each row's keyed pseudonym (one HMAC per distinct child), a finding where the ID is blank."""
    ids = _each(raw, lambda v: None if _text(v) is None else pseudonym(key, v))
    for line, child in zip(lines, ids):
        if child is None:
            flag(line, 0, 0, "child", "missing_id", "Child Unique ID is blank")
    return ids


def _birth_months(raw: list) -> list:
    """The month and year of birth only: the day is not kept."""
    values = [v for v, _ in _each(raw, read_date)]
    return _each(values, lambda v: v.replace(day=1) if v else None)


def _dates(raw: list, lines: list[int], n: int, col: str, is_event: bool, as_at: dt.date, flag: Flag) -> list:
    """A date column's dates, with findings for text that is not a date, a blank event date and a future date."""
    read = _each(raw, read_date)
    for line, (value, ok) in zip(lines, read):
        if not ok:
            flag(line, 1, n, col, "unreadable_date", "not a date")  # the text is not kept: could be anything
        elif value is None and is_event:
            flag(line, 1, n, col, "missing_date", "blank")
        elif value is not None and value > as_at:
            flag(line, 1, n, col, "future_date", f"{value.isoformat()} is after {as_at.isoformat()}")
    return [v for v, _ in read]


def _counts(raw: list, lines: list[int], n: int, col: str, flag: Flag) -> list:
    """A count column's whole numbers, with a finding for anything else."""
    read = _each(raw, read_count)
    for line, (_, ok) in zip(lines, read):
        if not ok:
            flag(line, 1, n, col, "unreadable_number", "not a whole number")
    return [v for v, _ in read]


def _codes(raw: list, lines: list[int], n: int, c: Column, flag: Flag) -> list:
    """A coded column's codes, read through its table, with a finding for an answer the table does not know."""
    table = CODES[c.codes]

    def code(value):
        text = read_code(value)
        if text is None:
            return None, False
        return table.get(name_key(text) if c.codes == "as_given" else norm(text)), True

    read = _each(raw, code)
    for line, (value, given) in zip(lines, read):
        if given and value is None:
            flag(line, 1, n, c.key, "unknown_code", f"not a known answer to {c.names[0]!r}")
    return [v for v, _ in read]


def _flag_date_order(spec: ListSpec, lines: list[int], dates: dict[str, list], flag: Flag) -> None:
    """A finding on both dates of each pair the list's rules say must come in order, where the later is earlier."""
    for n, (early, late) in enumerate(spec.order):
        for line, a, b in zip(lines, dates[early], dates[late]):
            if a is not None and b is not None and b < a:
                detail = f"{late} {b.isoformat()} is before {early} {a.isoformat()}"
                flag(line, 2, 2 * n, early, "date_order", detail)
                flag(line, 2, 2 * n + 1, late, "date_order", detail)


def _flag_duplicates(spec: ListSpec, lines: list[int], ids: list, dates: dict[str, list], flag: Flag) -> None:
    """A finding on each row repeating an earlier row's child and event date."""
    if not spec.event:
        return
    seen_events: set[tuple[str, dt.date]] = set()
    for line, child, day in zip(lines, ids, dates[spec.event]):
        if child is not None and day is not None:
            if (child, day) in seen_events:
                flag(line, 3, 0, spec.event, "duplicate", f"the same child on {day.isoformat()} earlier in the list")
            seen_events.add((child, day))


def _frame(spec: ListSpec, out: dict[str, list], lines: list[int]) -> pd.DataFrame:
    """The kept columns as one frame: counts as nullable integers, dates and birth months as datetimes."""
    names = ["row", "child", "birth_month"] + [c.key for c in spec.columns if c.key not in ("child", "dob")]
    frame = pd.DataFrame({c: out.get(c, [None] * len(lines)) for c in names} if lines else [], columns=names)
    kinds = {c.key: c for c in spec.columns}
    for c in names:
        if c in kinds and kinds[c].kind == "count":
            frame[c] = frame[c].astype("Int64")
    for c in names:
        if c == "birth_month" or (c in kinds and kinds[c].kind == "date"):
            frame[c] = pd.to_datetime(frame[c])
    return frame
