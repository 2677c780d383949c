"""A synthetic council's Annex A extracts, calibrated to the published figures.

One simulated history of invented children (contacts, referrals and re-referrals, assessments, strategy discussions
and ICPCs, child protection plans with visits, children in need, children looked after with placements, moves,
visits, health and dental checks, care leavers, and the teams and workers holding them), written as one Annex A
workbook per month end, each as at that day: the six-month window, every child open at any time in it.

Built constructively, not by search: for each computed ref and month the published figure (latest vintage, from
sample_data/observations.csv) fixes the counts first (for a percentage, the numerator nearest the printed figure on
its denominator), then the dates are laid out so each event falls in its month and each timescale lands inside or
outside its limit in working days or days. Where no whole numbers give a printed figure, or two printed figures
contradict each other under our definitions, `Plan.misses` says which and why (docs/annex-a.md lists them).

Everything here is invented and says so: a first sheet `Synthetic data` whose A1 begins `SYNTHETIC`, file names
starting `synthetic-`, IDs like `SYN000123`, names from a fixed list of invented ones."""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
import math
import random
import zipfile
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import workdays

BANNER = (
    "SYNTHETIC records for demonstration: the figures are the council's, the children are invented. "
    "No row describes a real child, worker or family."
)
FIXED_TIME = dt.datetime(2024, 1, 1)  # workbook created/modified, and every zip entry's time: same seed, same bytes
WORKERS = (
    "Alder Ashby", "Birch Bellamy", "Cedar Colwyn", "Damson Dale", "Elm Everly", "Fern Fallow", "Gorse Garnet",
    "Hazel Holm", "Ivy Ingram", "Juniper Jessop", "Kestrel Kemble", "Linden Lark", "Maple Merrow", "Nettle Noon",
    "Oak Orley", "Poplar Pell", "Quince Quarry", "Rowan Rook", "Sorrel Sable", "Teasel Thorn", "Umber Upton",
    "Vetch Vale", "Willow Wren", "Yarrow Yew", "Zinnia Zeal",
)  # fmt: skip
LOCALITIES = ("North", "South", "East", "West")
REFS_PERCENT_OF = {  # a percentage ref -> the count ref that is its denominator, where the scorecard prints both
    "CIN8": "CIN6",
    "CIN5": "CIN6",
    "SG6": "SG7",
    "CIN4": "CIN1",
    "SG13": "CIN18",
    "SG14": "CIN18",
    "CIN20": "CIN18",
    "CF4": "CF1",
    "CF3": "CF1",
    "CF9": "CF1",
}


# --- months ---------------------------------------------------------------------------------------------------


def mi_of(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def first(mi: int) -> dt.date:
    return dt.date(mi // 12, mi % 12 + 1, 1)


def last(mi: int) -> dt.date:
    return first(mi + 1) - dt.timedelta(days=1)


def day_in(mi: int, rng: random.Random, lo: int = 1, hi: int | None = None) -> dt.date:
    end = last(mi).day
    return first(mi).replace(day=rng.randint(lo, min(hi or end, end)))


def sub_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.month - 1 - n, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, last(year * 12 + month - 1).day))


def pct1(n: int, d: int) -> float | None:
    """The figure as compute prints it: one decimal place, halves up."""
    return None if d <= 0 else math.floor(1000 * n / d + 0.5) / 10


def mean1(n: int, d: int) -> float | None:
    return None if d <= 0 else math.floor(10 * n / d + 0.5) / 10


def printed(value: float | None, decimals: int) -> float | None:
    """A computed figure at the printed precision (halves up), to compare with the printed one."""
    return None if value is None else math.floor(value * 10**decimals + 0.5) / 10**decimals


def numerator_for(p: float, d: int, decimals: int) -> int:
    """The numerator on denominator d whose figure is nearest the printed p (exactly p where whole numbers allow)."""
    if d <= 0:
        return 0
    n = max(0, min(d, round(p * d / 100)))
    return min((k for k in range(max(0, n - 2), min(d, n + 2) + 1)), key=lambda k: (abs(pct1(k, d) - p), k))


# --- the published figures ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    value: float
    decimals: int  # as printed: 86.3 -> 1, 26 -> 0


def published(sample_dir: Path | None = None, authority: str = "tameside") -> dict[tuple[str, int], Published]:
    """(ref, month index) -> the figure in the latest vintage, validated by the ingest models (status value only)."""
    from ..input import ingest, models

    folder = Path(sample_dir or ingest.SAMPLE_DIR)
    problems: list[str] = []
    obs = ingest._validate(folder / "observations.csv", models.Observation, problems)
    vintages = ingest._validate(folder / "vintages.csv", models.Vintage, problems)
    if problems:
        raise ingest.SampleDataError(problems)
    order = {v: i for i, v in enumerate(vintages.sort_values("published")["vintage"])}
    with (folder / "observations.csv").open(newline="", encoding="utf-8") as fh:
        texts = {(r["authority"], r["ref"], r["period"], r["vintage"]): r["value"] for r in csv.DictReader(fh)}
    out: dict[tuple[str, int], tuple[int, Published]] = {}
    for r in obs[obs["authority"] == authority].itertuples():
        if r.status != "value" or r.value != r.value:
            continue
        month = dt.date(r.period.year, r.period.month, 1)
        text = texts.get((r.authority, r.ref, month.strftime("%Y-%m"), r.vintage), "")
        decimals = len(text.split(".")[1]) if "." in text else 0
        key, rank = (r.ref, mi_of(month)), order.get(r.vintage, -1)
        if key not in out or rank > out[key][0]:
            out[key] = (rank, Published(float(r.value), decimals))
    return {k: v for k, (_, v) in out.items()}


# --- the simulated history ----------------------------------------------------------------------------------------


@dataclass
class Miss:
    ref: str
    month: dt.date
    printed: float
    reachable: float | None
    reason: str


@dataclass
class Plan:
    """The history: every record with its full dates; an extract is a view of it as at a day."""

    as_ats: list[dt.date]
    seed: int
    contacts: list = field(default_factory=list)  # (id, dob, date)
    referrals: list = field(default_factory=list)  # (id, dob, date, count in 12 months)
    assessments: list = field(default_factory=list)  # (id, dob, start, authorised, not in need)
    s47: list = field(default_factory=list)  # (id, dob, strategy, icpc or None)
    cin: list = field(default_factory=list)  # (id, dob, start, closure or None)
    cp: list = field(default_factory=list)  # dicts: id, dob, start, end, visits
    cla: list = field(
        default_factory=list
    )  # dicts: id, dob, start, end, moves [(date, foster)], health, dental, visits
    leavers: list = field(default_factory=list)  # (id, dob)
    in_touch: dict = field(default_factory=dict)  # (as-at month index) -> set of care leaver ids in touch
    on_list9: dict = field(default_factory=dict)  # (as-at month index) -> set of care leaver ids on List 9
    alloc: dict = field(default_factory=dict)  # as-at month index -> {child id: (team, worker)}
    advisers: dict = field(default_factory=dict)  # as-at month index -> {care leaver id: adviser}
    misses: list[Miss] = field(default_factory=list)
    early_help: list = field(default_factory=list)  # (id, dob, start, completed or None, organisation)
    adoption: list = field(default_factory=list)  # dicts: id, family, dob, entered, and the milestones' dates
    adopters: list = field(default_factory=list)  # dicts: id, family, the stages' dates, children placed


class _Ids:
    def __init__(self, rng: random.Random):
        self.n, self.rng = 0, rng

    def new(self, age_lo: int = 0, age_hi: int = 17, on: dt.date = dt.date(2023, 1, 1)) -> tuple[str, dt.date]:
        self.n += 1
        dob = on - dt.timedelta(days=self.rng.randint(age_lo * 365 + 1, age_hi * 365 + 364))
        return f"SYN{self.n:06d}", dob


class _Calendar:
    def __init__(self, first_day: dt.date, last_day: dt.date):
        days = workdays.calendar(first_day, last_day)
        self.work = [d for (d, n), (_, p) in zip(days[1:], days[:-1]) if n > p]

    def in_month(self, mi: int) -> list[dt.date]:
        return self.work[bisect_left(self.work, first(mi)) : bisect_right(self.work, last(mi))]

    def back(self, day: dt.date, n: int) -> dt.date:
        """The working day n working days before `day` (day a working day)."""
        return self.work[bisect_left(self.work, day) - n]

    def forward(self, day: dt.date, n: int) -> dt.date:
        return self.work[bisect_left(self.work, day) + n]


class _Targets:
    """Each ref's figure for every month: the published one where there is one, else interpolated between them."""

    def __init__(self, pub: dict[tuple[str, int], Published], months: list[int]):
        self.pub, self.months = pub, months

    def calibrated(self, ref: str, mi: int) -> Published | None:
        return self.pub.get((ref, mi))

    def value(self, ref: str, mi: int, default: float) -> float:
        if (ref, mi) in self.pub:
            return self.pub[(ref, mi)].value
        known = sorted(m for r, m in self.pub if r == ref)
        if not known:
            return default
        before = [m for m in known if m < mi]
        after = [m for m in known if m > mi]
        if before and after:
            a, b = before[-1], after[0]
            va, vb = self.pub[(ref, a)].value, self.pub[(ref, b)].value
            return va + (vb - va) * (mi - a) / (b - a)
        return self.pub[(ref, (before or after)[-1 if before else 0])].value

    def count(self, ref: str, mi: int, default: float) -> int:
        return int(round(self.value(ref, mi, default)))

    def numerator(self, ref: str, mi: int, d: int, default: float, plan: Plan) -> int:
        pub = self.pub.get((ref, mi))
        p = pub.value if pub else self.value(ref, mi, default)
        n = numerator_for(p, d, pub.decimals if pub else 1)
        if pub and printed(pct1(n, d), pub.decimals) != pub.value:
            plan.misses.append(
                Miss(ref, first(mi), pub.value, pct1(n, d), f"no whole number of {d} gives {pub.value}%")
            )
        return n


def simulate(as_at: dt.date, months: int, seed: int, sample_dir: Path | None = None) -> Plan:
    """The whole history behind `months` month-end extracts up to `as_at` (a month end)."""
    if as_at != last(mi_of(as_at)):
        raise ValueError(f"--as-at {as_at.isoformat()} is not a month end")
    if not 1 <= months <= 120:
        raise ValueError("--months must be 1 to 120")
    rng = random.Random(seed)
    end_mi = mi_of(as_at)
    as_at_mis = list(range(end_mi - months + 1, end_mi + 1))
    t0 = as_at_mis[0] - 5  # the first month any extract covers
    plan = Plan([last(m) for m in as_at_mis], seed)
    tg = _Targets(published(sample_dir), list(range(t0, end_mi + 1)))
    cal = _Calendar(first(t0 - 40), last(end_mi + 6))
    ids = _Ids(rng)
    _front_door(plan, tg, cal, ids, rng, t0, end_mi)
    _cp(plan, tg, ids, rng, t0, end_mi)
    _cin(plan, tg, ids, rng, t0, end_mi)
    _cla(plan, tg, ids, rng, t0, end_mi)
    _leavers(plan, tg, ids, rng, as_at_mis)
    _caseloads(plan, tg, rng, as_at_mis)
    _early_help_and_adoption(plan, random.Random(seed * 7919 + 1), t0, mi_of(as_at))  # figures untouched
    return plan


def _front_door(plan, tg, cal, ids, rng, t0, end_mi) -> None:
    """Contacts, referrals (with re-referrals), assessments, strategy discussions and ICPCs, month by month."""
    history: dict[str, list[dt.date]] = defaultdict(list)
    recent: list[tuple[dt.date, str, dt.date]] = []  # (referral date, id, dob) for re-referrals and assessments
    assessed: set[str] = set()
    for _ in range(60):  # children referred in the year before the first month, so re-referrals have a past
        cid, dob = ids.new(on=first(t0))
        day = first(t0) - dt.timedelta(days=rng.randint(1, 330))
        history[cid].append(day)
        recent.append((day, cid, dob))
        plan.referrals.append((cid, dob, day, 1))  # before every window: in no list, but part of the journey
        plan.contacts.append((cid, dob, day))
    # and the six months before it, each referral with its contact (before every extract's window, so in no list),
    # so the first months' assessments and S47 enquiries are of children referred before them
    for mi in range(t0 - 6, t0):
        for _ in range(tg.count("CIN1", t0, 300)):
            cid, dob = ids.new(on=first(mi))
            day = day_in(mi, rng)
            history[cid].append(day)
            recent.append((day, cid, dob))
            plan.referrals.append((cid, dob, day, 1))
            plan.contacts.append((cid, dob, day))
    in_s47: set[str] = set()
    done: list[tuple[dt.date, str, dt.date]] = []  # (authorised, id, dob): children whose assessment is complete
    for mi in range(t0, end_mi + 4):  # three months on, so the last extracts hold open assessments and S47s
        n_ref = tg.count("CIN1", mi, 300)
        n_re = tg.numerator("CIN4", mi, n_ref, 21, plan) if mi <= end_mi else n_ref // 5
        lo = first(mi) - dt.timedelta(days=330)
        pool = [r for r in recent if r[0] >= lo]
        seen: set[str] = set()
        pool = [r for r in reversed(pool) if not (r[1] in seen or seen.add(r[1]))]
        rng.shuffle(pool)
        refs = [(cid, dob) for _, cid, dob in pool[:n_re]]
        if len(refs) < n_re:
            plan.misses.append(Miss("CIN4", first(mi), 0, None, "too few children referred in the year before"))
        refs += [ids.new(on=first(mi)) for _ in range(n_ref - len(refs))]
        month_refs = []
        for cid, dob in refs:
            day = day_in(mi, rng)
            count = 1 + sum(1 for d in history[cid] if d > sub_months(day, 12) and d < day)
            history[cid].append(day)
            plan.referrals.append((cid, dob, day, count))
            month_refs.append((day, cid, dob))
            plan.contacts.append((cid, dob, day - dt.timedelta(days=min(day.day - 1, rng.randint(0, 2)))))
        recent += month_refs
        for _ in range(tg.count("FD1", mi, 1300) - n_ref):
            cid, dob = ids.new(on=first(mi))
            plan.contacts.append((cid, dob, day_in(mi, rng)))
        # assessments authorised this month: CIN6 of them, CIN8's share within 45 working days, CIN5's not in need
        n_as = tg.count("CIN6", mi, 300)
        n_in = tg.numerator("CIN8", mi, n_as, 86, plan) if mi <= end_mi else int(n_as * 0.86)
        n_nn = tg.numerator("CIN5", mi, n_as, 20, plan) if mi <= end_mi else n_as // 5
        days = cal.in_month(mi)
        lo_as, hi_as = first(mi) - dt.timedelta(days=140), first(mi) - dt.timedelta(days=100)
        cands = [(day, c, d) for day, c, d in recent if lo_as <= day < hi_as and c not in assessed]
        older = [(day, c, d) for day, c, d in recent if day < lo_as and c not in assessed]  # before any start
        rng.shuffle(cands)
        older.sort(reverse=True)
        for i in range(n_as):
            auth = rng.choice(days)
            dur = rng.randint(12, 45) if i < n_in else rng.randint(46, 70)
            start = cal.back(auth, dur)
            # an assessed child was referred on or before the assessment started
            k = next((k for k in range(len(cands) - 1, -1, -1) if cands[k][0] <= start), None)
            if k is not None or older:
                _, cid, dob = cands.pop(k) if k is not None else older.pop(0)
            elif done and done[0][0] < start:  # more assessments than referrals: a child assessed before, again
                _, cid, dob = heapq.heappop(done)
                ids.new(on=start)  # drawn as before, so the random stream (and the calibration on it) is unchanged
            else:
                cid, dob = ids.new(on=start)
            assessed.add(cid)
            heapq.heappush(done, (auth, cid, dob))
            plan.assessments.append((cid, dob, start, auth, i < n_nn))
        # ICPCs held this month (SG7), SG6's share within 15 working days of their strategy discussion
        n_icpc = tg.count("SG7", mi, 20)
        n_ok = tg.numerator("SG6", mi, n_icpc, 90, plan) if mi <= end_mi else n_icpc
        referred = sorted(recent)
        for i in range(n_icpc):
            icpc = rng.choice(days)
            strategy = cal.back(icpc, rng.randint(5, 15) if i < n_ok else rng.randint(16, 25))
            cid, dob = _referred(referred, strategy, in_s47, rng) or ids.new(on=icpc)
            plan.s47.append((cid, dob, strategy, icpc))
    by_month = defaultdict(int)
    for _, _, strategy, _ in plan.s47:
        by_month[mi_of(strategy)] += 1
    referred = sorted(recent)
    for mi in range(t0, end_mi + 4):
        n = tg.count("CIN9", mi, 150) - by_month[mi]
        if n < 0:
            plan.misses.append(Miss("CIN9", first(mi), tg.count("CIN9", mi, 150), None, "fewer than its ICPCs"))
        for _ in range(max(0, n)):
            day = rng.choice(cal.in_month(mi))
            cid, dob = _referred(referred, day, in_s47, rng) or ids.new(on=day)
            plan.s47.append((cid, dob, day, None))


def _referred(referred: list, day: dt.date, used: set, rng: random.Random) -> tuple[str, dt.date] | None:
    """A child referred in the 90 days up to `day` and in no S47 enquiry yet (a strategy discussion follows a
    referral); None when there is none. `referred` is sorted by referral date."""
    lo = bisect_left(referred, (day - dt.timedelta(days=90),))
    hi = bisect_right(referred, (day, "~"))
    if hi <= lo:
        return None
    k0 = rng.randrange(lo, hi)
    for k in [*range(k0, hi), *range(lo, k0)]:
        _, cid, dob = referred[k]
        if cid not in used:
            used.add(cid)
            return cid, dob
    return None


def _close(rec: dict, mi: int, rng: random.Random) -> None:
    rec["end"] = day_in(mi, rng)


class _CpStarter:
    """Starts child protection plans: at a child's ICPC where one fell that month (a long plan on or before the
    27th where it can), else for a new child on a random day (a long one's before the 28th)."""

    def __init__(self, plan, ids, rng):
        self.plan, self.ids, self.rng = plan, ids, rng
        self.icpcs = defaultdict(list)
        for cid, dob, _, icpc in plan.s47:
            if icpc:
                self.icpcs[mi_of(icpc)].append((cid, dob, icpc))

    def new(self, start_mi: int, long: bool = False) -> dict:
        if self.icpcs.get(start_mi):
            held = self.icpcs[start_mi]
            k = next((k for k in range(len(held) - 1, -1, -1) if held[k][2].day <= 27), len(held) - 1) if long else -1
            cid, dob, start = held.pop(k)
            if long and start.day > 27:
                start = start.replace(day=27)
        else:
            cid, dob = self.ids.new(on=first(start_mi))
            start = day_in(start_mi, self.rng, hi=27 if long else None)
        rec = {"id": cid, "dob": dob, "start": start, "end": None, "visits": [], "long": long}
        self.plan.cp.append(rec)
        return rec


def _cp(plan, tg, ids, rng, t0, end_mi) -> None:
    """Child protection plans so that at each month end CIN18 are open, SG13 of them over 18 months and SG14 over
    2 years. Plans reaching 18 months are 'long' (their start day is before the 28th, so they pass 18 and 24 months
    in a known month); the rest close before 18 months."""
    months = list(range(t0, end_mi + 1))
    C = {m: tg.count("CIN18", m, 330) for m in months}
    A = {m: tg.numerator("SG13", m, C[m], 5, plan) for m in months}
    B = {m: tg.numerator("SG14", m, C[m], 1.5, plan) for m in months}
    starter = _CpStarter(plan, ids, rng)
    _cp_long_plans(plan, starter, rng, months, A, B)
    longs = list(plan.cp)
    shorts = [starter.new(t0 - rng.randint(0, 17)) for _ in range(max(0, C[t0] - A[t0] - _young_count(longs, t0)))]
    for m in months:  # then the rest, each closing before 18 months
        want = C[m] - A[m] - _young_count(longs, m)
        if want < 0:
            plan.misses.append(Miss("CIN18", first(m), C[m], None, "the long plans alone are more"))
        shorts = _cp_short_plans_in(m, t0, shorts, want, starter, rng)
        _cp_visits(plan, tg, rng, m)


def _young_count(longs: list[dict], m: int) -> int:
    """How many long plans are open at month m's end and not yet 18 months old: they count towards CIN18 only."""
    return sum(_young(r, m) for r in longs)


def _cp_long_plans(plan, starter: _CpStarter, rng, months: list[int], A: dict, B: dict) -> None:
    """The plans that pass 18 months, all of them: SG14's over 2 years kept open, those crossing 2 years started
    6 months ahead, and the rest of SG13's (over 18 months, under 2 years) started afresh each month."""
    t0, end_mi = months[0], months[-1]
    cross = {m: max(0, B[m] - B[m - 1]) if m > t0 else 0 for m in months}  # mid plans passing 2 years
    reserve = {m: sum(cross.get(m + j, 0) for j in range(1, 7)) for m in months}
    new = starter.new
    olds = [new(t0 - rng.randint(24, 40), True) for _ in range(B[t0])]
    crossers = {t0 + j: [new(t0 - (24 - j), True) for _ in range(cross.get(t0 + j, 0))] for j in range(1, 7)}
    temps = [new(t0 - 18, True) for _ in range(max(0, A[t0] - B[t0] - reserve[t0]))]
    for m in months[1:]:
        olds += crossers.pop(m, [])
        rng.shuffle(olds)
        for rec in olds[B[m] :]:
            _close(rec, m, rng)
        olds = olds[: B[m]]
        for rec in temps:
            _close(rec, m, rng)
        if m + 6 <= end_mi:
            crossers[m + 6] = [new(m - 18, True) for _ in range(cross[m + 6])]
        mid = sum(len(v) for v in crossers.values())
        if A[m] - B[m] < mid:
            plan.misses.append(Miss("SG13", first(m), A[m], None, "more plans passing 18 months than allowed"))
        temps = [new(m - 18, True) for _ in range(max(0, A[m] - B[m] - mid))]


def _cp_short_plans_in(m: int, t0: int, shorts: list[dict], want: int, starter: _CpStarter, rng) -> list[dict]:
    """Month m's short plans: those reaching 17 months (and a few at random after the first month) close, then the
    oldest close until want are open, or new ones start up to want."""
    keep = []
    for rec in shorts:
        if rec["end"] is None and (m - mi_of(rec["start"]) >= 17 or (m > t0 and rng.random() < 0.09)):
            _close(rec, m, rng)
        elif rec["end"] is None:
            keep.append(rec)
    keep.sort(key=lambda r: r["start"])
    surplus = max(0, len(keep) - max(0, want))
    for rec in keep[:surplus]:
        _close(rec, m, rng)
    return keep[surplus:] + [starter.new(m) for _ in range(max(0, want - len(keep)))]


def _cp_visits(plan, tg, rng, m: int) -> None:
    """CIN20's share of the month's open plans seen in the last 28 days at the month end; about half the rest seen
    longer ago than 28 days (and after the last month end)."""
    day = last(m)
    open_ = [r for r in plan.cp if r["start"] <= day and (r["end"] is None or r["end"] > day)]
    rng.shuffle(open_)
    n_seen = tg.numerator("CIN20", m, len(open_), 90, plan)
    for rec in open_[:n_seen]:
        rec["visits"].append(max(rec["start"], day - dt.timedelta(days=rng.randint(1, 10))))
    for rec in open_[n_seen:]:
        if rng.random() < 0.5:
            v = day - dt.timedelta(days=rng.randint(29, 40))
            if v > last(m - 1) and v >= rec["start"] and (not rec["visits"] or v > rec["visits"][-1]):
                rec["visits"].append(v)


def _young(rec: dict, m: int) -> bool:
    """Open at the month end and not yet 18 months old."""
    day = last(m)
    return rec["start"] <= day and (rec["end"] is None or rec["end"] > day) and m - mi_of(rec["start"]) < 18


def _cin(plan, tg, ids, rng, t0, end_mi) -> None:
    """Children on a child in need plan. CIN16 reads the Case Status as at the extract date, so a month's figure is
    the plans open from its month end to the extract that gives it (the newest whose window holds that month end).
    The months one extract gives count its open plans by start month, so within it they cannot fall; each extract's
    plans close after it and before the next extract that gives any month."""
    from .compute import months_for

    months = list(range(t0, end_mi + 1))
    as_ats = [last(m) for m in range(t0 + 5, end_mi + 1)]
    newest: dict[int, dt.date] = {}
    for day in as_ats:
        for month, _ in months_for("snapshot", day):
            newest[mi_of(month)] = day
    groups: dict[dt.date, list[int]] = defaultdict(list)
    for m in months:
        if m in newest:
            groups[newest[m]].append(m)
    want = {m: tg.count("CIN16", m, 420) for m in months}
    order = sorted(groups, reverse=True)
    for gi, day in enumerate(order):
        group = groups[day]
        # those already made for later extracts, still open after this one, count here too
        have = [sum(1 for _, _, s, c in plan.cin if s <= last(m) and (c is None or c > day)) for m in group]
        need = [max(want[m] - h, 0) for m, h in zip(group, have)]
        pubs = [i for i, m in enumerate(group) if tg.calibrated("CIN16", m)]
        fixed_pub, kept_pub = _non_decreasing([need[i] for i in pubs])
        fixed, kept = list(need), [True] * len(group)
        for i, v, ok in zip(pubs, fixed_pub, kept_pub):
            fixed[i], kept[i] = v, ok
        floor_ = 0
        for i in range(len(group)):  # a month with no published figure fits between those that have one
            if i not in pubs:
                ceiling = min((fixed[j] for j in pubs if j > i), default=None)
                fixed[i] = max(floor_, fixed[i] if ceiling is None else min(fixed[i], ceiling))
            floor_ = fixed[i]
        made = 0
        for m, h, v, ok in zip(group, have, fixed, kept):
            pub = tg.calibrated("CIN16", m)
            if pub and (not ok or want[m] < h):
                plan.misses.append(
                    Miss(
                        "CIN16",
                        first(m),
                        pub.value,
                        v + h,
                        "the months one extract gives count plans open at its date by start month, so they cannot "
                        "fall from one month to the next",
                    )
                )
            for _ in range(v - made):
                start_mi = m  # in the month it first counts, so it adds to no earlier extract's months
                cid, dob = ids.new(on=first(start_mi))
                close = None if gi == 0 else day + dt.timedelta(days=rng.randint(1, (order[gi - 1] - day).days))
                plan.cin.append((cid, dob, day_in(start_mi, rng), close))
            made = max(made, v)


def _non_decreasing(values: list[int]) -> tuple[list[int], list[bool]]:
    """The longest non-decreasing run of values kept as they are; the rest set to the nearest they may be."""
    n = len(values)
    if not n:
        return [], []
    best = [1] * n
    prev = [-1] * n
    for i in range(n):
        for j in range(i):
            if values[j] <= values[i] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    i = max(range(n), key=lambda k: (best[k], -k))
    keep = set()
    while i >= 0:
        keep.add(i)
        i = prev[i]
    out, floor_ = [], 0
    for i, v in enumerate(values):
        if i in keep:
            floor_ = v
            out.append(v)
        else:
            nxt = min((values[k] for k in keep if k > i), default=None)
            out.append(max(floor_, min(v, nxt)) if nxt is not None else max(floor_, v))
            floor_ = out[-1]
    return out, [i in keep for i in range(n)]


def _placements(rec: dict, day: dt.date) -> int:
    """Placements in the 12 months up to the day: those starting in them, and the one held at their start."""
    lo = sub_months(day, 12)
    n = sum(1 for d, _ in rec["moves"] if lo < d <= day)
    return n + (1 if rec["start"] <= lo else 0)


def _due(dates: list[dt.date], day: dt.date) -> bool:
    """Not in time at the day: no check, or the last one more than 12 months before (as compute's SQL has it)."""
    from .compute import _add_months

    return not dates or _add_months(dates[-1], 12) < day


def _cla(plan, tg, ids, rng, t0, end_mi) -> None:
    """Children looked after, month by month: CF1 open at each month end; leavers and movers chosen so CF4 of them
    have had three or more placements in 12 months; placement types so CF8 are fostered; visits (CF3) and health
    and dental checks (CF23, CF25) so the published shares are in time."""
    kids: list[dict] = []
    _cla_at_start(plan, kids, tg, ids, rng, t0)
    for m in range(t0, end_mi + 1):
        day = last(m)
        total = tg.count("CF1", m, 660)
        n3_want = tg.numerator("CF4", m, total, 10, plan)
        if m > t0:
            _cla_leavers_and_entrants(plan, kids, ids, rng, m, total, n3_want)
        openk = [r for r in kids if r["start"] <= day and (r["end"] is None or r["end"] > day)]
        counts = {r["id"]: _placements(r, day) for r in openk}
        moving = _cla_movers(plan, tg, rng, m, openk, counts, n3_want)
        _cla_placement_types(plan, tg, rng, m, openk, counts, moving)
        _cla_visits(plan, tg, rng, m, openk)
        _cla_checks(plan, tg, rng, m, openk)


def _cla_admit(plan, kids: list[dict], ids, rng, start: dt.date) -> dict:
    """A new child looked after from start, health and dental checks due soon after."""
    cid, dob = ids.new(on=start)
    rec = {"id": cid, "dob": dob, "start": start, "end": None, "moves": [(start, True)], "visits": []}
    rec["health"] = [start + dt.timedelta(days=rng.randint(5, 20))]
    rec["dental"] = [start + dt.timedelta(days=rng.randint(20, 80))]
    plan.cla.append(rec)
    kids.append(rec)
    return rec


def _cla_at_start(plan, kids: list[dict], tg, ids, rng, t0: int) -> None:
    """The children looked after at the first month end: CF1 of them, admitted up to a few years before, most
    with checks in the last year, a quarter moved once since."""
    d0 = last(t0)
    for _ in range(tg.count("CF1", t0, 660)):
        rec = _cla_admit(plan, kids, ids, rng, d0 - dt.timedelta(days=int(rng.expovariate(1 / 700)) + 1))
        rec["health"] = [d0 - dt.timedelta(days=rng.randint(1, 330 if rng.random() < 0.9 else 420))]
        rec["dental"] = [d0 - dt.timedelta(days=rng.randint(1, 330 if rng.random() < 0.8 else 420))]
        move = d0 - dt.timedelta(days=rng.randint(1, 300))
        if rng.random() < 0.25 and move > rec["start"]:
            rec["moves"].append((move, rng.random() < 0.6))
        rec["moves"].sort()
        rec["health"] = [d for d in rec["health"] if d >= rec["start"]] or [rec["start"]]
        rec["dental"] = [d for d in rec["dental"] if d >= rec["start"]] or [rec["start"]]


def _cla_leavers_and_entrants(plan, kids: list[dict], ids, rng, m: int, total: int, n3_want: int) -> None:
    """Month m's leavers (at least 3%, five entrants at least, and enough of those with three placements to bring
    them down to CF4's), then entrants up to CF1's total."""
    day = last(m)
    openk = [r for r in kids if r["end"] is None]
    leave = max(0, int(round(0.03 * len(openk))), len(openk) - total)
    three = [r for r in openk if _placements(r, day) >= 3]
    excess = len(three) - n3_want
    entrants = total - (len(openk) - leave)
    if entrants < 5:
        leave += 5 - entrants
    leave = max(leave, excess)
    rng.shuffle(three)
    others = [r for r in openk if _placements(r, day) < 3]
    rng.shuffle(others)
    going = three[: max(0, excess)] + others[: leave - max(0, excess)]
    for rec in going:
        rec["end"] = day_in(m, rng, lo=2)
        if rec["moves"][-1][0] >= rec["end"]:
            rec["end"] = rec["moves"][-1][0] + dt.timedelta(days=1)
            if rec["end"] > day:
                rec["end"] = day
    for _ in range(total - (len(openk) - len(going))):
        _cla_admit(plan, kids, ids, rng, day_in(m, rng))


def _cla_movers(plan, tg, rng, m: int, openk: list[dict], counts: dict, n3_want: int) -> set:
    """The ids of the children who move this month: enough with two placements to reach CF4's three or more, and
    3% with one to keep the supply of children with two."""
    movable = [r for r in openk if r["moves"][-1][0] < first(m)]
    have3 = sum(1 for r in openk if counts[r["id"]] >= 3)
    twos = [r for r in movable if counts[r["id"]] == 2]
    rng.shuffle(twos)
    movers = twos[: max(0, n3_want - have3)]
    if n3_want - have3 > len(twos) or have3 > n3_want:
        pub = tg.calibrated("CF4", m)
        if pub:
            got = sum(1 for r in openk if counts[r["id"]] >= 3) + min(len(twos), max(0, n3_want - have3))
            plan.misses.append(Miss("CF4", first(m), pub.value, pct1(got, len(openk)), "too few moves to make"))
    moving = {r["id"] for r in movers}
    ones = [r for r in movable if counts[r["id"]] <= 1 and r["id"] not in moving]
    rng.shuffle(ones)
    movers += ones[: int(0.03 * len(openk))]
    return {r["id"] for r in movers}


def _cla_placement_types(plan, tg, rng, m: int, openk: list[dict], counts: dict, moving: set) -> None:
    """Foster or other placements so that CF8 are fostered at the month end: the movers' new placements, and
    where that cannot reach it, a move for children with one placement (a move changes a placement's type)."""
    day = last(m)
    fixed = [r for r in openk if r["id"] not in moving and mi_of(r["moves"][-1][0]) != m]
    fixed_ids = {r["id"] for r in fixed}
    free = [r for r in openk if r["id"] not in fixed_ids]
    foster_want = tg.count("CF8", m, 0.6 * len(openk))
    need = foster_want - sum(1 for r in fixed if r["moves"][-1][1])
    spare = [r for r in fixed if counts[r["id"]] <= 1 and r["start"] < first(m)]
    rng.shuffle(spare)
    fostered = [r for r in spare if r["moves"][-1][1]]
    elsewhere = [r for r in spare if not r["moves"][-1][1]]
    while (need < 0 and fostered) or (need > len(free) and elsewhere):
        rec = fostered.pop() if need < 0 else elsewhere.pop()
        fixed.remove(rec)
        free.append(rec)
        moving.add(rec["id"])
        need += 1 if rec["moves"][-1][1] else 0
    if not 0 <= need <= len(free):
        plan.misses.append(Miss("CF8", first(m), foster_want, None, "too few placements to change"))
    rng.shuffle(free)
    for i, rec in enumerate(free):
        foster = i < need
        if rec["id"] in moving:
            when = day_in(m, rng)
            if when <= rec["moves"][-1][0]:
                when = min(day, rec["moves"][-1][0] + dt.timedelta(days=1))
            rec["moves"].append((when, foster))
        else:
            rec["moves"][-1] = (rec["moves"][-1][0], foster)


def _cla_visits(plan, tg, rng, m: int, openk: list[dict]) -> None:
    """Statutory visits within 6 weeks (CF3): those not seen lately visited until CF3's share are."""
    day = last(m)
    seen_want = tg.numerator("CF3", m, len(openk), 85, plan)
    forced = [r for r in openk if r["visits"] and (day - r["visits"][-1]).days <= 42]
    rest = [r for r in openk if not (r["visits"] and (day - r["visits"][-1]).days <= 42)]
    rng.shuffle(rest)
    for rec in rest[: max(0, seen_want - len(forced))]:
        rec["visits"].append(max(rec["start"], day - dt.timedelta(days=rng.randint(15, 25))))
    if len(forced) > seen_want:
        pub = tg.calibrated("CF3", m)
        if pub:
            plan.misses.append(Miss("CF3", first(m), pub.value, None, "visited too recently to be late"))


def _cla_checks(plan, tg, rng, m: int, openk: list[dict]) -> None:
    """Health and dental checks for children looked after 12 months or more (CF23, CF25); the newer children are
    checked when due."""
    day = last(m)
    for ref, key, default in (("CF23", "health", 90), ("CF25", "dental", 80)):
        pop = [r for r in openk if r["start"] <= sub_months(day, 12)]
        in_pop = {r["id"] for r in pop}
        due = [r for r in pop if _due(r[key], day)]
        due.sort(key=lambda r: r[key][-1])
        want = tg.numerator(ref, m, len(pop), default, plan)
        need = want - (len(pop) - len(due))
        if not 0 <= need <= len(due):
            pub = tg.calibrated(ref, m)
            if pub:
                plan.misses.append(Miss(ref, first(m), pub.value, None, "too few or too many checks due"))
        for rec in due[: max(0, need)]:
            rec[key].append(max(rec["start"], day_in(m, rng, hi=last(m).day - 1)))
        for rec in openk:
            if rec["id"] not in in_pop and _due(rec[key], day):
                rec[key].append(max(rec["start"], day_in(m, rng, hi=last(m).day - 1)))


def _leavers(plan, tg, ids, rng, as_at_mis) -> None:
    """Care leavers (List 9): a cohort per birth month; at each extract those aged 17 to 21, the 22 to 25 year olds
    still receiving a service (chosen so WF13 is whole numbers), in touch as CF30 says."""
    lo, hi = as_at_mis[0], as_at_mis[-1]
    for mi in range(lo - 26 * 12, hi - 16 * 12):
        for _ in range(rng.randint(2, 4)):
            cid, _ = ids.new()
            plan.leavers.append((cid, day_in(mi, rng)))
    for mi in as_at_mis:
        day = last(mi)

        ages = {cid: _years(dob, day) for cid, dob in plan.leavers}
        young = [c for c, a in ages.items() if 17 <= a <= 21]
        older = [c for c, a in ages.items() if 22 <= a <= 25]
        adults = [c for c in young if ages[c] >= 18]
        p = tg.value("WF13", mi, 20)
        pub = tg.calibrated("WF13", mi)
        chosen = None
        for extra in range(len(older) + 1):
            n = len(adults) + extra
            w = max(1, round(n / p))
            for ww in (w, w - 1, w + 1):
                if ww > 0 and mean1(n, ww) == round(p, 1):
                    chosen = (extra, ww)
                    break
            if chosen:
                break
        if chosen is None:
            chosen = (len(older) // 2, max(1, round((len(adults) + len(older) // 2) / p)))
            if pub:
                plan.misses.append(Miss("WF13", first(mi), pub.value, None, "no whole numbers of leavers and PAs"))
        extra, w = chosen
        on = young + sorted(older)[:extra]
        plan.on_list9[mi] = set(on)
        n_touch = tg.numerator("CF30", mi, len(young), 88, plan)
        shuffled = sorted(young)
        rng.shuffle(shuffled)
        plan.in_touch[mi] = set(shuffled[:n_touch])
        names = [
            f"Synthetic Adviser {WORKERS[i % len(WORKERS)]}{'' if i < len(WORKERS) else f' {i}'}" for i in range(w)
        ]
        plan.advisers[mi] = {c: names[i % w] for i, c in enumerate(sorted(c for c in on if ages[c] >= 18))}


def _years(dob: dt.date, day: dt.date) -> int:
    """Whole years at the day from the birth month, as compute reads a date of birth (month and year kept)."""
    born = dob.replace(day=1)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _caseloads(plan, tg, rng, as_at_mis) -> None:
    """Each extract's open children allocated to teams and workers so the published averages (WF9-WF12) and the
    highest caseload (WF8) come out: the count per team first, then how many workers share it."""
    for mi in as_at_mis:
        day = last(mi)
        cla = sorted(r["id"] for r in plan.cla if r["start"] <= day and (r["end"] is None or r["end"] > day))
        others = sorted(
            set(
                [c for c, _, s, e in plan.cin if s <= day and (e is None or e > day)]
                + [r["id"] for r in plan.cp if r["start"] <= day and (r["end"] is None or r["end"] > day)]
                + [c for c, _, s, a, _ in plan.assessments if s <= day and a > day]
            )
        )
        p = {ref: round(tg.value(ref, mi, d), 1) for ref, d in (("WF9", 16), ("WF10", 15), ("WF11", 15), ("WF12", 5))}
        top = int(round(tg.value("WF8", mi, 34)))
        got = _split(len(cla), len(others), p, top)
        if got is None:
            if any(tg.calibrated(r, mi) for r in ("WF8", "WF9", "WF10", "WF11", "WF12")):
                plan.misses.append(Miss("WF9", first(mi), p["WF9"], None, "no whole numbers of workers"))
            got = _split(len(cla), len(others), p, top, exact=False)
        (n_a, w_a), (x, n_c, w_c), (n_f, w_f), (n_s, w_s) = got
        alloc: dict[str, tuple[str, str]] = {}
        pool_cla, pool_oth = list(cla), list(others)
        rng.shuffle(pool_cla)
        rng.shuffle(pool_oth)

        def give(children, team_of, prefix, w, top_first=None, alloc=alloc):
            loads = _loads(len(children), w, top_first)
            i = 0
            for k, load in enumerate(loads):
                name = f"Synthetic {prefix} {WORKERS[k % len(WORKERS)]}{'' if k < len(WORKERS) else f' {k}'}"
                for c in children[i : i + load]:
                    alloc[c] = (team_of(k), name)
                i += load

        give(pool_cla[:n_a], lambda k: "Synthetic Adoption Team", "Adoption Worker", w_a)
        give(pool_cla[n_a : n_a + n_f], lambda k: "Synthetic Cared for Children Team", "Cared for Worker", w_f)
        give(pool_cla[n_a + n_f :] + pool_oth[: n_c - x], lambda k: "Synthetic Children with Disabilities Team",
             "CWD Worker", w_c)  # fmt: skip
        give(pool_oth[n_c - x :], lambda k: f"Synthetic Locality Team {LOCALITIES[k % 4]}", "Social Worker", w_s, top)
        plan.alloc[mi] = alloc


def _loads(n: int, w: int, top: int | None) -> list[int]:
    """n children over w workers as evenly as may be; with top, the first holds exactly top."""
    if w <= 0:
        return []
    if top is not None and w > 1 and n >= top:
        rest = n - top
        return [top] + [rest // (w - 1) + (1 if i < rest % (w - 1) else 0) for i in range(w - 1)]
    return [n // w + (1 if i < n % w else 0) for i in range(w)]


def _workers(n: int, p: float, exact: bool) -> int | None:
    w = max(1, round(n / p)) if p > 0 else 1
    for ww in (w, w - 1, w + 1, w - 2, w + 2):
        if ww > 0 and (mean1(n, ww) == p or not exact):
            return ww
    return None


def _split(n_cla: int, n_oth: int, p: dict, top: int, exact: bool = True):
    """Adoption (n_a, w_a), disabilities (x of them looked after, n_c, w_c), cared for (n_f, w_f), social work
    (n_s, w_s) with each team's mean as published and the social work team's first worker holding `top`."""
    w0 = max(1, round(n_cla * 0.04 / max(p["WF12"], 1)))
    tries = [
        (n, w) for w in range(max(1, w0 - 2), w0 + 6) for n in range(int(p["WF12"] * w) - 1, int(p["WF12"] * w) + 3)
    ]
    n_a, w_a = next(((n, w) for n, w in tries if mean1(n, w) == p["WF12"]), (None, w0))
    if n_a is None:
        if exact:
            return None
        n_a = int(round(p["WF12"] * w_a))
    w_c0 = max(2, round(min(n_oth, n_cla) * 0.12 / max(p["WF10"], 1)))
    for w_c in (w_c0, w_c0 + 1, w_c0 - 1, w_c0 + 2):
        if w_c <= 0:
            continue
        for n_c in range(int(p["WF10"] * w_c) - 2, int(p["WF10"] * w_c) + 3):
            if n_c <= 0 or (exact and mean1(n_c, w_c) != p["WF10"]):
                continue
            for x in range(min(n_c, n_cla - n_a) + 1):
                n_f = n_cla - n_a - x
                n_s = n_oth - (n_c - x)
                if n_f <= 0 or n_s <= top:
                    continue
                w_f = _workers(n_f, p["WF11"], exact)
                w_s = _workers(n_s, p["WF9"], exact)
                fits = w_f and w_s and w_s > 1 and w_s - 1 <= n_s - top <= top * (w_s - 1)
                if fits and max(math.ceil(n_f / w_f), math.ceil(n_c / w_c), math.ceil(n_a / w_a)) <= top:
                    return (n_a, w_a), (x, n_c, w_c), (n_f, w_f), (n_s, w_s)
    return None


# --- the extracts -------------------------------------------------------------------------------------------------

HEADERS = {
    "List 1": ["Child Unique ID", "Date of Birth", "Date of Contact"],
    "List 2": [
        "Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)", "Assessment start date",
        "Assessment completion date", "Organisation completing assessment",
    ],
    "List 3": [
        "Child Unique ID", "Date of Birth", "Date of Referral",
        "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker",
    ],
    "List 4": [
        "Child Unique ID", "Date of Birth", "Continuous Assessment Start Date",
        "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children's social care support?", "Allocated Team", "Allocated Worker",
    ],
    "List 5": [
        "Child Unique ID", "Date of Birth",
        "Strategy discussion initiating Section 47 Enquiry Start Date", "Date of Initial Child Protection Conference",
        "Allocated Team", "Allocated Worker",
    ],
    "List 6": [
        "Child Unique ID", "Date of Birth", "CIN Start Date", "CIN Closure Date",
        "Case Status", "Allocated Team", "Allocated Worker",
    ],
    "List 7": [
        "Child Unique ID", "Date of Birth", "Child Protection Plan Start Date",
        "Date of the Last Statutory Visit", "Child Protection Plan End Date", "Allocated Team", "Allocated Worker",
    ],
    "List 8": [
        "Child Unique ID", "Date of Birth", "Date Started to be Looked After",
        "Date of Last Social Work Visit", "Date of Last Health Assessment", "Date of Last Dental Check",
        "Number of Placements in the Last 12 months", "Date Ceased to be Looked After",
        "Start Date of Most Recent Placement", "Placement Type", "Allocated Team", "Allocated Worker",
    ],
    "List 9": [
        "Child Unique ID", "Date of Birth", "Allocated Team", "Allocated Worker",
        "Allocated Personal Advisor", "LA in Touch",
    ],
    "List 10": [
        "Child Unique ID", "Family identifier", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
        "Does the Child have a Disability", "Date the Child Entered Care",
        "Date of Decision that Child Should be Placed for Adoption", "Date of Placement Order",
        "Date of Matching Child and Prospective Adopters", "Date Placed for Adoption", "Date of Adoption Order",
        "Date of Decision that Child Should No Longer be Placed for Adoption",
        "Reason Why Child No Longer Placed for Adoption",
        "Date the child was placed for fostering in FFA or concurrent planning placement",
    ],
    "List 11": [
        "Individual adopter identifier", "Family identifier", "Gender", "Ethnicity", "Disability",
        "Is the (prospective) adopter fostering for adoption?", "Date enquiry received", "Date Stage 1 started",
        "Date Stage 1 ended", "Date Stage 2 started", "Date Stage 2 ended", "Date application submitted",
        "Date application approved", "Date adopter matched with child(ren)",
        "Date child/children placed with adopter(s)", "No. of children placed", "Date of Adoption Order",
        "Date of leaving adoption process", "Reason for leaving adoption process",
    ],
}  # fmt: skip
TITLES = {
    "List 1": "Contacts",
    "List 2": "Early help",
    "List 3": "Referrals",
    "List 4": "Assessments",
    "List 5": "Section 47 enquiries and ICPCs",
    "List 6": "Children in need",
    "List 7": "Child protection",
    "List 8": "Children looked after",
    "List 9": "Care leavers",
    "List 10": "Adoption",
    "List 11": "Adopters",
}


def _seen(day: dt.date, dates: list[dt.date]) -> dt.date | None:
    i = bisect_right(dates, day)
    return dates[i - 1] if i else None


def rows_as_at(plan: Plan, as_at: dt.date) -> dict[str, list[list]]:
    """The lists as the Ofsted template has them as at a month end: six months back, every child open in them."""
    from .compute import window

    lo, hi = window(as_at)
    mi = mi_of(as_at)
    alloc = plan.alloc.get(mi, {})

    def who(cid, dob):  # the template's gender, ethnicity and age columns are left out: nothing reads them
        return [cid, dob]

    def held(cid):
        return list(alloc.get(cid, (None, None)))

    def opt(d):
        return d if d is not None and d <= as_at else None

    def worked(cid):  # Lists 3-5: who holds the child now, else a locality worker fixed by the child's number
        if cid in alloc:
            return list(alloc[cid])
        n = int(cid[3:])
        return [f"Synthetic Locality Team {LOCALITIES[n % 4]}", f"Synthetic Social Worker {WORKERS[n % len(WORKERS)]}"]

    out: dict[str, list[list]] = {}
    out["List 1"] = [who(c, b) + [d] for c, b, d in plan.contacts if lo <= d <= hi]
    out["List 3"] = [who(c, b) + [d, n] + worked(c) for c, b, d, n in plan.referrals if lo <= d <= hi]
    out["List 4"] = [
        who(c, b) + [s, opt(a), ("b) No" if nn else "a) Yes") if a <= as_at else None] + worked(c)
        for c, b, s, a, nn in plan.assessments
        if s <= hi and a >= lo
    ]
    out["List 5"] = [
        who(c, b) + [s, opt(i)] + worked(c) for c, b, s, i in plan.s47 if s <= hi and (s >= lo or (i and i >= lo))
    ]
    l6 = [
        who(c, b) + [s, opt(e), "c) Child in need plan" if opt(e) is None else "e) Closed episode"] + held(c)
        for c, b, s, e in plan.cin
        if s <= hi and (e is None or e >= lo)
    ]
    l7 = []
    for r in plan.cp:
        if r["start"] <= hi and (r["end"] is None or r["end"] >= lo):
            end = opt(r["end"])
            l7.append(who(r["id"], r["dob"]) + [r["start"], _seen(as_at, r["visits"]), end] + held(r["id"]))
            status = "b) Child protection plan" if end is None else "e) Closed episode"
            l6.append(who(r["id"], r["dob"]) + [r["start"] - dt.timedelta(days=30), end, status] + held(r["id"]))
    l8 = []
    for r in plan.cla:
        if r["start"] <= hi and (r["end"] is None or r["end"] >= lo):
            end = opt(r["end"])
            moves = [m for m in r["moves"] if m[0] <= as_at]
            kind = "a) U6: Foster placement - not FFA" if moves[-1][1] else "h) Children’s Homes"
            l8.append(
                who(r["id"], r["dob"])
                + [
                    r["start"],
                    _seen(as_at, r["visits"]),
                    _seen(as_at, r["health"]),
                    _seen(as_at, r["dental"]),
                    _placements(r, as_at),
                    end,
                    moves[-1][0],
                    kind,
                ]
                + held(r["id"])
            )
            status = "d) Looked after child" if end is None else "e) Closed episode"
            l6.append(who(r["id"], r["dob"]) + [r["start"] - dt.timedelta(days=60), end, status] + held(r["id"]))
    for c, b, s, a, _ in plan.assessments:
        if s <= as_at < a:
            l6.append(who(c, b) + [s, None, "a) Open assessment"] + held(c))
    seen6: set = set()  # a child open in two roles (an assessment and a plan) is listed once per start date
    l6 = [r for r in l6 if not ((r[0], r[2]) in seen6 or seen6.add((r[0], r[2])))]
    out["List 6"], out["List 7"], out["List 8"] = l6, l7, l8
    on9, touch, pas = plan.on_list9.get(mi, set()), plan.in_touch.get(mi, set()), plan.advisers.get(mi, {})
    out["List 9"] = [
        who(c, b) + ["Synthetic Leaving Care Team", pas.get(c), pas.get(c), "a) Yes" if c in touch else "b) No"]
        for c, b in plan.leavers
        if c in on9
    ]
    out["List 2"] = [
        [c, None, None, b, _years(b, as_at), s, opt(done), org]
        for c, b, s, done, org in plan.early_help
        if s <= hi and (done is None or done >= lo)
    ]
    out["List 10"] = [_adoption_row(r, as_at, lo) for r in plan.adoption if r["decision"] <= hi]
    out["List 10"] = [r for r in out["List 10"] if r is not None]
    out["List 11"] = [_adopter_row(r, as_at, lo) for r in plan.adopters if r["enquiry"] <= hi]
    out["List 11"] = [r for r in out["List 11"] if r is not None]
    return out


_ADOPTION = ("decision", "placement_order", "matched", "placed", "adoption_order", "stopped")
_ADOPTER = ("enquiry", "stage1", "stage1_end", "stage2", "stage2_end", "applied", "approved", "matched", "placed")


def _adoption_row(r: dict, as_at: dt.date, lo: dt.date) -> list | None:
    """List 10 as at a day: the child's milestones up to it; None once adopted or no longer planned before `lo`."""
    done = [d for d in (r["adoption_order"], r["stopped"]) if d is not None]
    if done and done[0] < lo:
        return None
    when = {k: (r[k] if r[k] is not None and r[k] <= as_at else None) for k in _ADOPTION}
    reason = "SYNTHETIC: the plan for adoption changed" if when["stopped"] else None
    return (
        [r["id"], r["family"], None, None, r["dob"], _years(r["dob"], as_at), None, r["entered"]]
        + [when[k] for k in _ADOPTION]
        + [reason, None]
    )


def _adopter_row(r: dict, as_at: dt.date, lo: dt.date) -> list | None:
    """List 11 as at a day: the household's stages up to it; None once adopted or left before `lo`."""
    done = [d for d in (r["adoption_order"], r["left"]) if d is not None]
    if done and done[0] < lo:
        return None
    when = {k: (r[k] if r[k] is not None and r[k] <= as_at else None) for k in (*_ADOPTER, "adoption_order", "left")}
    placed = r["children"] if when["placed"] else None
    reason = "SYNTHETIC: withdrew from the process" if when["left"] else None
    return (
        [r["id"], r["family"], None, None, None, "b) No"]
        + [when[k] for k in _ADOPTER]
        + [
            placed,
            when["adoption_order"],
            when["left"],
            reason,
        ]
    )


def _early_help_and_adoption(plan: Plan, rng: random.Random, t0: int, end_mi: int) -> None:
    """Lists 2, 10 and 11, which no computed figure reads: early help assessments of children whose contact was
    not referred; adoption milestones of young children looked after (adopted on the day their care ended, or the
    plan changed); adopters' households through the stages. Their own random stream, so the figures' records are
    the same with or without them."""
    referred = {c for c, _, _, _ in plan.referrals}
    orgs = ("Synthetic Early Help Team", "Synthetic Family Hub", "Synthetic School Partnership")
    for cid, dob, day in plan.contacts:
        if cid not in referred and mi_of(day) >= t0 and rng.random() < 0.08:
            start = day + dt.timedelta(days=rng.randint(1, 20))
            done = start + dt.timedelta(days=rng.randint(10, 60))
            plan.early_help.append((cid, dob, start, done if rng.random() < 0.9 else None, rng.choice(orgs)))
    for n, r in enumerate(plan.cla):
        if _years(r["dob"], r["start"]) >= 5 or rng.random() > 0.4:
            continue
        dates = {"decision": r["start"] + dt.timedelta(days=rng.randint(90, 180))}
        for k, prev, lo_, hi_ in (("placement_order", "decision", 60, 120), ("matched", "placement_order", 60, 180),
                                  ("placed", "matched", 7, 30)):  # fmt: skip
            dates[k] = dates[prev] + dt.timedelta(days=rng.randint(lo_, hi_))
        end = r["end"]
        if end is not None and end < dates["decision"]:
            continue  # left care before adoption was the plan
        cut = end if end is not None and end < dates["placed"] else None  # care ended before the placement
        for k in ("placement_order", "matched", "placed"):
            dates[k] = None if cut is not None and dates[k] > cut else dates[k]
        dates["adoption_order"] = end if end is not None and cut is None else None
        dates["stopped"] = cut
        plan.adoption.append({"id": r["id"], "family": f"SYN-FAMILY-C{n:05d}", "dob": r["dob"], "entered": r["start"]}
                             | dates)  # fmt: skip
    for k in range(3 * (end_mi - t0 + 12)):
        enquiry = first(t0 - 12) + dt.timedelta(days=rng.randint(0, 30 * (end_mi - t0 + 12)))
        d = {"enquiry": enquiry}
        for key, prev, lo_, hi_ in (("stage1", "enquiry", 7, 30), ("stage1_end", "stage1", 40, 70),
                                    ("stage2", "stage1_end", 1, 14), ("stage2_end", "stage2", 90, 130),
                                    ("approved", "stage2_end", 0, 10), ("matched", "approved", 30, 200),
                                    ("placed", "matched", 14, 40), ("adoption_order", "placed", 180, 300)):  # fmt: skip
            d[key] = d[prev] + dt.timedelta(days=rng.randint(lo_, hi_))
        d["applied"] = d["stage2"]
        d["left"] = None
        if rng.random() < 0.2:  # leaves at a stage: nothing after it
            stage = rng.choice(_ADOPTER[1:])
            d["left"] = d[stage]
            for key in (*_ADOPTER, "adoption_order"):
                if d[key] is not None and d[key] > d["left"]:
                    d[key] = None
        plan.adopters.append(d | {"id": f"SYN{900001 + k:06d}", "family": f"SYN-FAMILY-A{k:05d}",
                                  "children": rng.choice((1, 1, 1, 2))})  # fmt: skip


def file_name(as_at: dt.date) -> str:
    return f"synthetic-annex-a-{as_at.isoformat()}.xlsx"


def write_workbook(rows: dict[str, list[list]], as_at: dt.date, path: Path) -> Path:
    """One extract as a workbook in the Ofsted template's shape, byte-identical for the same rows. Written as the
    sheet XML directly (dates as Excel date cells): openpyxl's write-only mode took ~10 s a workbook here."""
    sheets = [
        (
            "Synthetic data",
            [
                [BANNER],
                [f"Annex A extract as at {as_at.isoformat()}, made by dashboard synth-annex-a."],
                ["Every ID begins SYN; every name is from a fixed list of invented names; no row is a real person."],
            ],
        )
    ]
    for title, head in HEADERS.items():
        top = [f"SYNTHETIC - {title}: {TITLES[title]} - invented records, not real children"]
        sheets.append((title, [top, head] + rows.get(title, [])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:

        def put(name: str, text: str) -> None:
            entry = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, text.encode("utf-8"))

        n = len(sheets)
        put("[Content_Types].xml", _types(n))
        put("_rels/.rels", _ROOT_RELS)
        put("docProps/core.xml", _CORE.format(time=FIXED_TIME.isoformat() + "Z"))
        put(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            "<sheets>"
            + "".join(f'<sheet name="{_esc(t)}" sheetId="{i}" r:id="rId{i}"/>' for i, (t, _) in enumerate(sheets, 1))
            + "</sheets></workbook>",
        )
        put("xl/_rels/workbook.xml.rels", _book_rels(n))
        put("xl/styles.xml", _STYLES)
        for i, (_, table) in enumerate(sheets, 1):
            put(f"xl/worksheets/sheet{i}.xml", _sheet_xml(table))
    path.write_bytes(out.getvalue())
    return path


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG}/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
    'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>SYNTHETIC Annex A extract</dc:title>'
    "<dc:creator>dashboard synth-annex-a (synthetic data)</dc:creator>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">{time}</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{time}</dcterms:modified></cp:coreProperties>'
)
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>' for i in range(1, n + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>{sheets}'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"
    )


def _book_rels(n: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}">{rels}'
        f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    )


_LETTERS = [chr(65 + i) for i in range(26)]
_EPOCH = dt.date(1899, 12, 30)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _sheet_xml(table: list[list]) -> str:
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}"><sheetData>']
    for r, row in enumerate(table, 1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_LETTERS[c]}{r}"
            if value is None:
                continue
            if isinstance(value, dt.date):
                cells.append(f'<c r="{ref}" s="1"><v>{(value - _EPOCH).days}</v></c>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{_esc(str(value))}</t></is></c>')
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def generate(as_at: dt.date, months: int, seed: int, out: Path, sample_dir: Path | None = None) -> tuple[list, Plan]:
    """Write one synthetic workbook per month end up to as_at into out; (paths, plan)."""
    plan = simulate(as_at, months, seed, sample_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_workbook(rows_as_at(plan, day), day, out / file_name(day)) for day in plan.as_ats]
    return paths, plan


def extract(rows: dict[str, list[list]], as_at: dt.date, key: bytes, name: str | None = None):
    """The extract as our reader would give it from the workbook of these rows, without the workbook: the same
    record rules (pseudonyms, birth months, codes, findings), for the bench and the demo's quick path."""
    import pandas as pd

    from . import annex_a

    lists, findings = {}, []
    for title, table in rows.items():
        k = annex_a._sheet_list(title)
        if k is None:
            continue  # Lists 2, 10 and 11: the reader leaves them out too (no figure uses them)
        spec = annex_a.LISTS[k]
        head = HEADERS[title]
        cols, _ = annex_a._match_columns(spec, head)
        sheet = [(f"SYNTHETIC - {title}",), tuple(head)] + [tuple(r) for r in table]
        lists[k], found = annex_a._records(k, sheet, cols, 1, as_at, key)
        findings += found
    return annex_a.Extract(
        name or file_name(as_at), as_at, lists, pd.DataFrame(findings, columns=annex_a.FINDING_COLUMNS)
    )
