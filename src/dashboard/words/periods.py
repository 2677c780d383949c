"""Month periods: stored as the first day of the month, shown as "Sep-23"."""

from __future__ import annotations

import datetime as dt
import re

EARLIEST_START = dt.date(2000, 1, 1)  # no month, target or comparator of this scorecard is older

_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Every spelling of a month an analyst types: "Sep", "Sept", "September" (not "Febuary": a typo is refused).
_MONTH_WORDS = {
    **{m.lower(): i for i, m in enumerate(_MON)},
    **{dt.date(2000, i + 1, 1).strftime("%B").lower(): i for i in range(12)},
    "sept": 8,
}
_WORDY = re.compile(r"^(?P<mon>[A-Za-z]+)\.?(?:[-\s/']+)(?P<yy>\d{2}|\d{4})$")
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})(-01)?$")
_SLASH = re.compile(r"^(?P<m>\d{1,2})/(?P<y>\d{4})$")


def parse_period(text: object) -> dt.date:
    """'Aug-23', 'Sept-23', 'Aug 2023', 'August 2023', '2023-08', '08/2023' or a date -> 2023-08-01.
    Raises ValueError otherwise."""
    if isinstance(text, dt.datetime):
        return dt.date(text.year, text.month, 1)
    if isinstance(text, dt.date):
        return dt.date(text.year, text.month, 1)
    s = str(text).strip()
    m = _ISO.match(s) or _SLASH.match(s)
    if m:
        month = int(m.group("m"))
        if 1 <= month <= 12:
            return dt.date(int(m.group("y")), month, 1)
        raise ValueError(f"{s!r} has no month {month}")
    m = _WORDY.match(s)
    if m and m.group("mon").lower() in _MONTH_WORDS:
        yy = int(m.group("yy"))
        year = yy if yy > 999 else 2000 + yy
        return dt.date(year, _MONTH_WORDS[m.group("mon").lower()] + 1, 1)
    raise ValueError(f"{s!r} is not a month (use Aug-23 or 2023-08)")


def is_period_label(text: object) -> bool:
    try:
        parse_period(text)
    except ValueError:
        return False
    return True


def label(month: dt.date) -> str:
    return f"{_MON[month.month - 1]}-{month.year % 100:02d}"


def long_label(month: dt.date) -> str:
    return month.strftime("%B %Y")


def iso(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: dt.date, n: int) -> dt.date:
    k = month.year * 12 + month.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def financial_year_start(month: dt.date) -> dt.date:
    """April of the financial year the month falls in."""
    return dt.date(month.year if month.month >= 4 else month.year - 1, 4, 1)


def this_month() -> dt.date:
    today = dt.date.today()
    return dt.date(today.year, today.month, 1)


# One financial-year form for every reader: '2024/25', '2024-25', 'FY2024/25', '2024/2025'.
_FINANCIAL_YEAR = re.compile(r"^(?:FY\s*)?(?P<y>\d{4})\s*(?P<sep>[/-])\s*(?P<y2>\d{4}|\d{2})(?!\d)", re.IGNORECASE)


def financial_year(text: object, *, heading: bool = False) -> int | None:
    """The year a financial year written '2024/25' (or '2024-25', 'FY2024/25', '2024/2025') starts in; None when
    the text is not one. A second year that does not follow the first is not a financial year: '2024/02' is a month
    written oddly and '2024-12' is December. heading: a column heading, where only the packs' own form counts
    ('2023/24', words may follow: '2023/24 outturn'), so a heading the loader cannot read is still
    refused rather than skipped."""
    s = str(text).strip()
    m = _FINANCIAL_YEAR.match(s)
    if not m:
        return None
    if heading:
        rest = s[m.end() :]
        printed = m.group("sep") == "/" and len(m.group("y2")) == 2 and not s.upper().startswith("FY")
        if not printed or (rest and (rest[0].isalnum() or rest[0] == "_")):
            return None
    elif m.end() != len(s):
        return None
    first, second = int(m.group("y")), int(m.group("y2"))
    follows = second == first + 1 if len(m.group("y2")) == 4 else second == (first + 1) % 100
    return first if follows else None


def parse_start(text: object) -> dt.date:
    """When something starts applying: a financial year ('2024/25', '2024-25', 'FY2024/25' -> April 2024)
    or a month in any form parse_period reads. Raises ValueError otherwise."""
    first = financial_year(text)
    if first is not None:
        return dt.date(first, 4, 1)
    try:
        return parse_period(text)
    except ValueError:
        shaped = _FINANCIAL_YEAR.match(str(text).strip())
        if shaped and shaped.end() == len(str(text).strip()):
            raise ValueError(
                f"{str(text).strip()!r} is not a financial year: the second year must follow the first (e.g. 2024/25)"
            ) from None
        raise


def financial_year_label(start: dt.date) -> str:
    """April 2024 -> '2024/25'."""
    return f"{start.year}/{(start.year + 1) % 100:02d}"


COMPLETE_SHARE = 0.5  # a month is "complete" with at least half as many figures as the best-covered month


def default_month(coverage: list[tuple[dt.date, int]]) -> dt.date | None:
    """The newest month with a complete scorecard, not the newest month with any figure: one early figure
    for next month must not make that month every viewer's default. coverage: (month, figures) pairs."""
    if not coverage:
        return None
    best = max(n for _, n in coverage)
    complete = [m for m, n in coverage if n >= COMPLETE_SHARE * best]
    return max(complete)
