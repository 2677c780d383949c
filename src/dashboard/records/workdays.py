"""Working days: Monday to Friday less England and Wales bank holidays, from the maintained `holidays` package."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


class CalendarUnavailable(RuntimeError):
    """The bank-holiday calendar cannot be had: working-day measures are not computed rather than guessed."""


def bank_holidays(years: Iterable[int]) -> frozenset[dt.date]:
    """England and Wales bank holidays (one calendar: the package's England subdivision) for the years asked."""
    try:
        import holidays
    except ImportError as exc:
        raise CalendarUnavailable(
            "working-day measures need the 'holidays' package (England and Wales bank holidays); it is not installed"
        ) from exc
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=sorted(set(years))).keys())


def calendar(first: dt.date, last: dt.date, holidays_: Iterable[dt.date] | None = None) -> list[tuple[dt.date, int]]:
    """(day, working days from `first` up to and including the day) for every day first..last, so the working days
    after a start up to and including an end are n(end) - n(start)."""
    off = frozenset(holidays_) if holidays_ is not None else bank_holidays(range(first.year, last.year + 1))
    out, n, day = [], 0, first
    while day <= last:
        if day.weekday() < 5 and day not in off:
            n += 1
        out.append((day, n))
        day += dt.timedelta(days=1)
    return out


def working_days_between(start: dt.date, end: dt.date, holidays_: Iterable[dt.date] | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end is not after start)."""
    if end <= start:
        return 0
    days = calendar(start, end, holidays_)
    return days[-1][1] - days[0][1]
