"""The computed refs, declared as data: one row per ref (the list, the event or snapshot date, the numerator's
timescale), evaluated by `compute` and told in words by `definition` (the pages show it; docs/annex-a.md has the
table and the known limits)."""

from __future__ import annotations

from dataclasses import dataclass

from .annex_a import LISTS

DAY = "@day"  # the day a snapshot is taken (the month end, or the as-at date)


@dataclass(frozen=True)
class Within:
    """Numerator: `to` no more than `limit` days, working days or months after `start` (the same day counts as 0);
    with `over`, more than that (e.g. a plan open over 18 months)."""

    start: str
    to: str  # a column, or DAY
    limit: int
    unit: str  # "days", "working_days" or "months"
    over: bool = False


@dataclass(frozen=True)
class Measure:
    ref: str
    title: str
    list: str
    # "event": rows whose `date` falls in the month; "snapshot": open at the month end; "as_at": open at the as-at date
    basis: str
    date: str | None  # event: the date that places a row in a month; snapshot/as_at: the start (None: on the list)
    end: str | None = None  # snapshot/as_at: open while this is blank or after the day
    count: str = "rows"  # "rows" or "children" (each pseudonymised child once)
    where: tuple[tuple[str, str], ...] = ()  # (column, code) the denominator's rows must have
    within: Within | None = None  # a percentage whose numerator is a timescale met
    match: tuple[tuple[str, str], ...] = ()  # a percentage whose numerator has these codes (of rows where known)
    at_least: tuple[tuple[str, int], ...] = ()  # a percentage whose numerator has counts this high (of those known)
    min_months: int = 0  # the denominator only counts what has been open at least this many months at the day
    age: tuple[int, int] | None = None  # only children this old (whole years, from the birth month) at the day
    per: str | None = None  # a caseload: children counted per value of this column (the allocated worker)...
    stat: str = ""  # ...and the figure is their "mean" (children per worker) or "max" (the highest caseload)

    @property
    def kind(self) -> str:
        """percent, count, mean or max: how the figure is made from the numerator and denominator."""
        return self.stat if self.per else ("percent" if self.percent else "count")

    @property
    def percent(self) -> bool:
        return self.within is not None or bool(self.match) or bool(self.at_least)

    @property
    def uses(self) -> tuple[str, ...]:
        cols = [self.date] if self.date else []
        cols += ([self.end] if self.end else []) + [c for c, _ in self.where + self.match + self.at_least]
        if self.within:
            cols += [c for c in (self.within.start, self.within.to) if c != DAY]
        cols += (["dob"] if self.age else []) + ([self.per] if self.per else [])
        return tuple(dict.fromkeys(cols))

    @property
    def needs(self) -> tuple[str, ...]:
        """The columns an extract must have filled in for this figure (an end date may be blank in every row)."""
        return tuple(c for c in self.uses if c not in (self.end, "dob"))


REGISTRY: tuple[Measure, ...] = (
    Measure("FD1", "Contacts in the month", "list_1", "event", "contact_date"),
    Measure("CIN1", "Referrals in the month", "list_3", "event", "referral_date"),
    Measure(
        "CIN4",
        "Referrals in the month that were re-referrals within 12 months of a previous referral (%)",
        "list_3",
        "event",
        "referral_date",
        at_least=(("referrals_12m", 2),),
    ),
    Measure("CIN6", "Assessments completed in the month", "list_4", "event", "assessment_authorised"),
    Measure(
        "CIN8",
        "Assessments completed within 45 working days (%)",
        "list_4",
        "event",
        "assessment_authorised",
        within=Within("assessment_start", "assessment_authorised", 45, "working_days"),
    ),
    Measure(
        "CIN5",
        "Assessments completed in the month that found the child not in need (%)",
        "list_4",
        "event",
        "assessment_authorised",
        match=(("not_in_need", "yes"),),
    ),
    Measure("CIN9", "Strategy discussions in the month", "list_5", "event", "strategy_date"),
    Measure("SG7", "ICPCs held in the month", "list_5", "event", "icpc_date"),
    Measure(
        "SG6",
        "ICPCs within 15 working days of the strategy discussion (%)",
        "list_5",
        "event",
        "icpc_date",
        within=Within("strategy_date", "icpc_date", 15, "working_days"),
    ),
    Measure(
        "CIN16",
        "Children on a child in need plan at month end",
        "list_6",
        "snapshot",
        "cin_start",
        "cin_closure",
        count="children",
        where=(("case_status", "cin"),),
    ),
    Measure(
        "CIN18",
        "Children on a child protection plan at month end",
        "list_7",
        "snapshot",
        "cp_start",
        "cp_end",
        "children",
    ),
    Measure(
        "CIN20",
        "Children on a child protection plan visited within the last 28 days (%)",
        "list_7",
        "as_at",
        "cp_start",
        "cp_end",
        count="children",
        within=Within("cp_last_visit", DAY, 28, "days"),
    ),
    Measure(
        "SG13",
        "Children on a child protection plan at month end whose plan has been open over 18 months (%)",
        "list_7",
        "snapshot",
        "cp_start",
        "cp_end",
        count="children",
        within=Within("cp_start", DAY, 18, "months", over=True),
    ),
    Measure(
        "SG14",
        "Children on a child protection plan at month end whose plan has been open over 2 years (%)",
        "list_7",
        "snapshot",
        "cp_start",
        "cp_end",
        count="children",
        within=Within("cp_start", DAY, 24, "months", over=True),
    ),
    Measure("CF1", "Children looked after at month end", "list_8", "snapshot", "cla_start", "cla_ceased", "children"),
    Measure(
        "CF3",
        "Children looked after visited by their social worker within the last 6 weeks (%)",
        "list_8",
        "as_at",
        "cla_start",
        "cla_ceased",
        count="children",
        within=Within("cla_last_visit", DAY, 42, "days"),
    ),
    Measure(
        "CF4",
        "Children looked after with three or more placements in the last 12 months (%)",
        "list_8",
        "as_at",
        "cla_start",
        "cla_ceased",
        count="children",
        at_least=(("placements_12m", 3),),
    ),
    Measure(
        "CF23",
        "Children looked after 12 months or more with a health assessment in the last 12 months (%)",
        "list_8",
        "as_at",
        "cla_start",
        "cla_ceased",
        count="children",
        min_months=12,
        within=Within("health_check", DAY, 12, "months"),
    ),
    Measure(
        "CF25",
        "Children looked after 12 months or more with a dental check in the last 12 months (%)",
        "list_8",
        "as_at",
        "cla_start",
        "cla_ceased",
        count="children",
        min_months=12,
        within=Within("dental_check", DAY, 12, "months"),
    ),
    Measure(
        "CF8",
        "Children looked after in a foster placement",
        "list_8",
        "as_at",
        "cla_start",
        "cla_ceased",
        count="children",
        where=(("placement_type", "foster"),),
    ),
    Measure(
        "CF9",
        "Children looked after in a foster placement (%)",
        "list_8",
        "as_at",
        "cla_start",
        "cla_ceased",
        count="children",
        match=(("placement_type", "foster"),),
    ),
    Measure(
        "CF30",
        "Care leavers aged 17 to 21 the council is in touch with (%)",
        "list_9",
        "as_at",
        None,
        count="children",
        age=(17, 21),
        match=(("in_touch", "yes"),),
    ),
    Measure(
        "WF8",
        "Highest number of children allocated to one worker",
        "list_6",
        "as_at",
        "cin_start",
        "cin_closure",
        count="children",
        per="worker",
        stat="max",
    ),
    *(
        Measure(
            ref,
            f"Children allocated per worker: {title}",
            "list_6",
            "as_at",
            "cin_start",
            "cin_closure",
            count="children",
            where=(("team_type", team),),
            per="worker",
            stat="mean",
        )
        for ref, team, title in (
            ("WF9", "socialwork", "children's social work teams"),
            ("WF10", "cwd", "children with disabilities team"),
            ("WF11", "caredfor", "cared for children team"),
            ("WF12", "adoption", "adoption team"),
        )
    ),
    Measure(
        "WF13",
        "Care leavers aged 18 or over per personal adviser",
        "list_9",
        "as_at",
        None,
        count="children",
        age=(18, 25),
        per="adviser",
        stat="mean",
    ),
)


# The coded answers a registry row picks, in words (a registry code without them is refused below).
CODE_WORDS = {
    ("case_status", "cin"): "a child in need plan",
    ("not_in_need", "yes"): "No (the child is not in need)",
    ("placement_type", "foster"): "a foster placement",
    ("in_touch", "yes"): "Yes (in touch)",
    ("team_type", "socialwork"): "a children's social work team",
    ("team_type", "cwd"): "the children with disabilities team",
    ("team_type", "caredfor"): "the cared for children team",
    ("team_type", "adoption"): "the adoption team",
}
# Headers as a reader expects them where the template's lower-case first name would not do.
_HEADER_WORDS = {
    "cin_start": "CIN start date",
    "cin_closure": "CIN closure date",
    "in_touch": "LA in touch",
    "not_in_need": "Was the child assessed as requiring LA children's social care support?",
}
_UNIT_WORDS = {
    "days": "days",
    "working_days": "working days (Monday to Friday, less bank holidays)",
    "months": "months",
}


def _header(list_key: str, col: str) -> str:
    """A column as the Annex A template heads it, quoted: '‘Date of referral’'."""
    name = _HEADER_WORDS.get(col) or next(c.names[0] for c in LISTS[list_key].columns if c.key == col)
    return f"‘{name[0].upper()}{name[1:]}’"


def definition(m: Measure) -> str:
    """How `compute` makes the figure, in words, from the registry row alone (so the words cannot drift from it)."""
    spec = LISTS[m.list]
    source = f"List {spec.number} ({spec.title})"
    day = "the month end" if m.basis == "snapshot" else "the extract's as-at date"
    who = "children" if m.count == "children" else "rows"
    if m.basis == "event":
        base = f"The {who} of {source} whose {_header(m.list, m.date)} is in the month"
    elif m.date is None:
        base = f"The {who} on {source} at {day}"
    else:
        end = f" and no {_header(m.list, m.end)} on or before it" if m.end else ""
        base = f"The {who} of {source} open at {day} ({_header(m.list, m.date)} on or before it{end})"
    limits = [f"whose {_header(m.list, c)} is {CODE_WORDS[(c, code)]}" for c, code in m.where]
    if m.min_months:
        limits.append(f"whose {_header(m.list, m.date)} is {m.min_months} months or more before {day}")
    if m.age:
        limits.append(f"aged {m.age[0]} to {m.age[1]} (whole years from the month of birth)")
    base += (", " + ", ".join(limits) if limits else "") + "."
    if m.count == "children":
        base += " Each child is counted once."
    if m.within:
        w = m.within
        amount = f"{w.limit} {_UNIT_WORDS[w.unit]}"
        start = _header(m.list, w.start)
        if w.to == DAY:
            when = f"more than {amount} before {day}" if w.over else f"{amount} or fewer before {day}"
            figure = f"The figure is the percentage of them whose {start} is {when}."
        else:
            end = _header(m.list, w.to)
            figure = f"The figure is the percentage of them whose {end} is {amount} or fewer after their {start}."
    elif m.match or m.at_least:
        ((c, picked),) = m.match or m.at_least
        it = CODE_WORDS[(c, picked)] if m.match else f"{picked} or more"
        figure = f"Of those with {_header(m.list, c)} filled in, the figure is the percentage where it is {it}."
    elif m.per:
        per = {"worker": "worker", "adviser": "personal adviser"}.get(m.per, m.per)
        figure = (
            f"The figure is the highest number of them allocated to one {per}."
            if m.stat == "max"
            else f"The figure is the number of them divided by the number of {per}s they are allocated to."
        )
    else:
        figure = "The figure is how many there are."
    return f"{base} {figure} Rows with a data-quality finding that touches this figure are left out."


def _check() -> None:
    """The registry names only lists and columns the reader knows (so its names are safe in SQL)."""
    for m in REGISTRY:
        known = {c.key for c in LISTS[m.list].columns}
        bad = [c for c in m.uses if c not in known]
        if bad or m.basis not in ("event", "snapshot", "as_at") or m.count not in ("rows", "children"):
            raise ValueError(f"registry row {m.ref}: unknown {bad or m.basis}")
        if (m.date is None and m.basis != "as_at") or (m.per and (m.stat not in ("mean", "max") or m.percent)):
            raise ValueError(f"registry row {m.ref}: a caseload is a mean or max of counts; only as-at may be undated")
        if m.age and not (type(m.age[0]) is int and type(m.age[1]) is int and m.age[0] <= m.age[1]):
            raise ValueError(f"registry row {m.ref}: an age range is two whole numbers of years")
        codes = [code for _, code in m.where + m.match]
        numerators = sum(map(bool, (m.within, m.match, m.at_least)))
        if (
            any(not code.isalnum() for code in codes)
            or numerators > 1
            or any(type(n) is not int for _, n in m.at_least)
        ):
            raise ValueError(f"registry row {m.ref}: codes must be plain words; one numerator per row")
        if any((c, code) not in CODE_WORDS for c, code in m.where + m.match):
            raise ValueError(f"registry row {m.ref}: a code with no words in CODE_WORDS")
        if m.within and m.within.unit not in ("days", "working_days", "months"):
            raise ValueError(f"registry row {m.ref}: unknown unit {m.within.unit}")


_check()
