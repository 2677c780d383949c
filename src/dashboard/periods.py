"""Month periods: stored as the first day of the month, shown as "Sep-23"."""

from __future__ import annotations

import datetime as dt
import re

_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_SHORT = re.compile(r"^(?P<mon>[A-Za-z]{3})[-\s](?P<yy>\d{2}|\d{4})$")
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})(-01)?$")


def parse_period(text: object) -> dt.date:
    """'Aug-23', 'Aug 2023', '2023-08' or a date -> 2023-08-01. Raises ValueError otherwise."""
    if isinstance(text, dt.datetime):
        return dt.date(text.year, text.month, 1)
    if isinstance(text, dt.date):
        return dt.date(text.year, text.month, 1)
    s = str(text).strip()
    m = _ISO.match(s)
    if m:
        month = int(m.group("m"))
        if 1 <= month <= 12:
            return dt.date(int(m.group("y")), month, 1)
        raise ValueError(f"{s!r} has no month {month}")
    m = _SHORT.match(s)
    if m and m.group("mon").title() in _MON:
        yy = int(m.group("yy"))
        year = yy if yy > 999 else 2000 + yy
        return dt.date(year, _MON.index(m.group("mon").title()) + 1, 1)
    raise ValueError(f"{s!r} is not a month (use Aug-23 or 2023-08)")


def is_period_label(text: object) -> bool:
    try:
        parse_period(text)
    except ValueError:
        return False
    return True


def label(period: dt.date) -> str:
    return f"{_MON[period.month - 1]}-{period.year % 100:02d}"


def long_label(period: dt.date) -> str:
    return period.strftime("%B %Y")


def iso(period: dt.date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


def add_months(period: dt.date, n: int) -> dt.date:
    k = period.year * 12 + period.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def financial_year_start(period: dt.date) -> dt.date:
    """April of the financial year the month falls in."""
    return dt.date(period.year if period.month >= 4 else period.year - 1, 4, 1)


def this_month() -> dt.date:
    today = dt.date.today()
    return dt.date(today.year, today.month, 1)
